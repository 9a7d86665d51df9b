"""Camera-side cost of wire v3 (the learned latent): FA + analysis on ONNX Runtime + quantising + rANS + packing,
against libx264 ``veryfast`` of the same 16 frames, run side by side on the real clips, at the tiny geometry
(16 x 64 x 64) and at vit-base's (16 x 224 x 224), with peak memory.

    python bench/latent_camera.py [--checkpoint models/tiny-synth-latent] [--reps 10] [--json OUT] [--markdown OUT]

wire v3 is timed twice: with the rANS loops compiled by Numba (the edge, and a camera with the ``fast`` extra)
and as plain Python (the lean camera image).

The tiny rows use the checkpoint's trained codec at its middle rate level (what it sends around 300-600 B); the
vit-base rows a randomly initialised codec of the same architecture (seeded; its time does not depend on the
weights, its symbols do, so their bytes mean nothing). Peak memory is the process's resident-set high-water mark
after each geometry (``ru_maxrss``), which includes the Python interpreter and the ONNX Runtime sessions. Video
decoding of the source is not included.
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import torch
from _results import write_results

from stae import codec, rans
from stae.camera import SemanticEncoder
from stae.camera.torch_graphs import export_onnx
from stae.checkpoint import read_checkpoint
from stae.config import LatentConfig
from stae.latent import LatentTables
from stae.models import STAE, build_config
from stae.models.checkpoint import save_checkpoint
from stae.profiling import median_ms
from stae.video import read_clip

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ROOT.parent / "shared" / "data" / "clips"


def _random_vit_base(folder: Path) -> Path:
    """vit-base with a seeded random latent codec (as many levels and channels as the shipped default)."""
    torch.manual_seed(0)
    cfg = build_config("vit-base").model_copy(update={"latent": LatentConfig()})
    model = STAE(cfg).eval()
    assert model.latent is not None and cfg.latent is not None
    out = save_checkpoint(model, folder / "vit-base-latent", {"trained": False})
    k = cfg.latent.max_symbol
    peaked = 1000 * torch.exp(-torch.arange(-k, k + 1).abs().double())
    counts = peaked.expand(cfg.latent.levels, cfg.latent.channels, -1).numpy()
    LatentTables.from_counts(model.latent.log_gain.detach().exp().numpy(), counts, k).save(out)
    export_onnx(read_checkpoint(out))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", type=Path, default=ROOT / "models" / "tiny-synth-latent")
    p.add_argument("--clips", type=Path, default=CLIPS)
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--crf", type=int, default=30, help="CRF of the libx264 baseline")
    p.add_argument("--json", type=Path)
    p.add_argument("--markdown", type=Path)
    args = p.parse_args(argv)
    rows = []
    peaks = {}
    with tempfile.TemporaryDirectory() as tmp:
        for geometry, ck in (("tiny", args.checkpoint), ("vit-base", _random_vit_base(Path(tmp)))):
            encoder = SemanticEncoder.from_checkpoint(ck, runtime="onnx")
            cfg, tables = encoder.config, encoder.latent_tables
            assert tables is not None
            level = tables.levels // 2
            for clip in sorted(args.clips.glob("*.*")):
                frames = read_clip(clip, cfg.num_frames, cfg.img_size)
                x264_ms = median_ms(partial(codec.encode, frames, args.crf), args.reps)
                encode = partial(encoder.encode_latent, frames, 16, level=level)
                latent_ms = median_ms(encode, args.reps)
                with rans.plain_python():
                    plain_ms = median_ms(encode, args.reps)
                res = encoder.encode_latent(frames, 16, level=level)
                stages = res.timings_ms
                rows.append(
                    {
                        "geometry": geometry,
                        "clip": clip.name,
                        "x264_ms": x264_ms,
                        "x264_bytes": len(codec.encode(frames, args.crf)),
                        "latent_ms": latent_ms,
                        "latent_bytes": res.payload_bytes,
                        "level": level,
                        "fa_ms": stages["fa"],
                        "analysis_rans_pack_ms": stages["entropy_encode"],
                        "ratio_vs_x264": latent_ms / x264_ms,
                        "plain_python_ms": plain_ms,
                        "plain_python_ratio_vs_x264": plain_ms / x264_ms,
                    }
                )
            peaks[geometry] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    doc = {
        "host": platform.node(),
        "cpu": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
        "reps": args.reps,
        "checkpoint": str(args.checkpoint),
        "peak_rss_mb": peaks,
        "rows": rows,
    }
    lines = [
        "Wire v3 camera side (FA + analysis on ONNX Runtime + quantise + rANS + pack, α = 16) against libx264 "
        f"veryfast of the same 16 frames at CRF {args.crf}, median of {args.reps} runs each, side by side; wire v3 "
        "with rANS compiled by Numba, and as plain Python (a camera without the `fast` extra).",
        "",
        "| geometry | clip | libx264 ms | B | wire v3 ms | B (level) | FA ms | analysis + rANS + pack ms | v3 / x264 "
        "| plain-Python v3 ms | its / x264 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['geometry']} | {r['clip']} | {r['x264_ms']:.1f} | {r['x264_bytes']} | {r['latent_ms']:.1f} | "
            f"{r['latent_bytes']} ({r['level']}) | {r['fa_ms']:.1f} | {r['analysis_rans_pack_ms']:.1f} | "
            f"{r['ratio_vs_x264']:.2f} | {r['plain_python_ms']:.1f} | {r['plain_python_ratio_vs_x264']:.2f} |"
        )
    for geometry in peaks:
        mine = [r for r in rows if r["geometry"] == geometry]
        ratio = statistics.median(r["ratio_vs_x264"] for r in mine)
        plain = statistics.median(r["plain_python_ratio_vs_x264"] for r in mine)
        lines.append(
            f"\n{geometry}: median ratio {ratio:.2f} (plain-Python rANS: {plain:.2f}); peak RSS after it "
            f"{peaks[geometry]:.0f} MB"
        )
    write_results(doc, "\n".join(lines), args.json, args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
