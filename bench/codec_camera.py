"""Camera-side time and bytes of wire v2 (FA + SA + H.264 within a byte budget + packing) on the real clips, at
the vit-base geometry (16 x 224 x 224), against plain libx264 ``veryfast`` of all 16 frames run side by side.

    python bench/codec_camera.py [--reps 10] [--json OUT] [--markdown OUT]

For each clip the baseline is one libx264 encode of the 16 sampled frames at ``--crf`` (SEI removed); each wire-v2
setting is then asked for a byte budget equal to the baseline's bytes (or a fraction of it), cold (the rate search
starts at CRF 30) and warm (it starts at the CRF the previous request of the same camera and setting ended at,
with the service's default slack: a stream that fits within 15% of the budget ends the search, which is what the
encoder service does). Video decoding of the source is not included in any figure. FA and SA
weights are random (seeded); their time does not depend on the weights.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import torch
from _results import write_results

from stae import codec
from stae.camera import SemanticEncoder
from stae.models import STAE, build_config
from stae.video import read_clip

CLIPS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "clips"
SETTINGS = ((16, 1.0, 1, 1.0), (16, 1.0, 2, 0.5), (8, 1.0, 2, 0.3), (4, 1.0, 2, 0.2), (16, 0.4, 1, 1.0))


def _median_ms(fn: Callable[[], Any], reps: int) -> tuple[float, Any]:
    result = fn()  # warm-up
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), result


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=Path, default=CLIPS)
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--crf", type=int, default=30, help="CRF of the plain H.264 baseline")
    p.add_argument("--json", type=Path)
    p.add_argument("--markdown", type=Path)
    args = p.parse_args(argv)
    torch.manual_seed(0)
    cfg = build_config("vit-base")
    encoder = SemanticEncoder.from_model(STAE(cfg).eval())
    rows = []
    for clip in sorted(args.clips.glob("*.*")):
        frames = read_clip(clip, cfg.num_frames, cfg.img_size)
        base_ms, stream = _median_ms(partial(codec.encode, frames, args.crf), args.reps)
        rows.append(
            {
                "clip": clip.name,
                "method": f"libx264 veryfast, 16 frames, CRF {args.crf}",
                "start": "",
                "median_ms": base_ms,
                "bytes": len(stream),
                "crf": args.crf,
                "ratio_vs_x264": 1.0,
            }
        )
        for alpha, beta, scale, share in SETTINGS:
            budget = int(len(stream) * share)
            run = partial(encoder.encode_coded, frames, alpha, beta, budget, scale=scale)
            cold_ms, cold = _median_ms(run, args.reps)
            warm_ms, warm = _median_ms(partial(run, start_crf=cold.crf, slack=0.15), args.reps)
            for start, ms, res in (("cold", cold_ms, cold), ("warm", warm_ms, warm)):
                rows.append(
                    {
                        "clip": clip.name,
                        "method": f"wire v2 α={alpha} β={beta:.0%} scale={scale}, budget {budget} B",
                        "start": start,
                        "median_ms": ms,
                        "bytes": res.payload_bytes,
                        "crf": res.crf,
                        "ratio_vs_x264": ms / base_ms,
                    }
                )
        print(f"{clip.name}: baseline {base_ms:.1f} ms, {len(stream)} B", flush=True)
    env = {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "geometry": f"{cfg.num_frames}x{cfg.img_size}x{cfg.img_size}",
        "reps": args.reps,
    }
    doc = {"environment": env, "rows": rows}
    lines = [
        f"Camera-side encode at {env['geometry']}, median of {args.reps} runs, {env['cores']} cores. "
        "Ratio = time / libx264 veryfast of all 16 frames of the same clip, same run.",
        "",
        "| clip | method | rate search start | median ms | ratio vs x264 | bytes | CRF |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['clip']} | {r['method']} | {r['start']} | {r['median_ms']:.1f} | {r['ratio_vs_x264']:.2f} | "
            f"{r['bytes']} | {r['crf']} |"
        )
    write_results(doc, "\n".join(lines), args.json, args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
