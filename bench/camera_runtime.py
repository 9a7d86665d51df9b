"""The camera's FA + SA on ONNX Runtime against PyTorch, side by side, on the real clips.

    python bench/camera_runtime.py [--reps 20] [--json OUT] [--markdown OUT]

Two geometries: the shipped ``models/tiny-synth`` (16 x 64 x 64, its own ONNX export) and ``vit-base``'s FA and
SA (16 x 224 x 224, seeded random weights exported to a temporary checkpoint: time does not depend on the
weights). For each clip and budget: the median time of ``SemanticEncoder.encode`` (FA + SA + packing) per
runtime, their ratio, and whether the payloads are identical. Also each runtime's start-up (checkpoint to a
ready encoder) and the Python process's import cost of the camera without torch.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import torch
from _results import write_results

from stae.camera import SemanticEncoder
from stae.camera.torch_graphs import export_onnx
from stae.checkpoint import read_checkpoint
from stae.models import STAE, build_config, save_checkpoint
from stae.profiling import median_ms
from stae.video import read_clip

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ROOT.parent / "shared" / "data" / "clips"
BUDGETS = ((4, 0.5), (8, 0.7), (16, 0.4))


def _startup_ms(checkpoint: Path, runtime: str) -> float:
    start = time.perf_counter()
    SemanticEncoder.from_checkpoint(checkpoint, runtime)  # type: ignore[arg-type]
    return (time.perf_counter() - start) * 1e3


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=Path, default=CLIPS)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--json", type=Path)
    p.add_argument("--markdown", type=Path)
    args = p.parse_args(argv)
    clips = sorted(args.clips.glob("*.*"))
    with tempfile.TemporaryDirectory() as tmp:
        torch.manual_seed(0)
        base = Path(tmp) / "vit-base"
        save_checkpoint(STAE(build_config("vit-base")), base, {"trained": False})
        export_onnx(read_checkpoint(base))
        rows, startup = [], {}
        for name, ck in (("tiny-synth 64 px", ROOT / "models" / "tiny-synth"), ("vit-base 224 px", base)):
            startup[name] = {rt: _startup_ms(ck, rt) for rt in ("onnx", "torch")}
            onnx, torch_ = (SemanticEncoder.from_checkpoint(ck, rt) for rt in ("onnx", "torch"))
            c = onnx.config
            for clip in clips:
                frames = read_clip(clip, c.num_frames, c.img_size)
                for alpha, beta in BUDGETS:
                    o = median_ms(partial(onnx.encode, frames, alpha, beta), args.reps)
                    t = median_ms(partial(torch_.encode, frames, alpha, beta), args.reps)
                    same = onnx.encode(frames, alpha, beta).payload == torch_.encode(frames, alpha, beta).payload
                    rows.append(
                        {"model": name, "clip": clip.name, "alpha": alpha, "beta": beta, "onnx_ms": o, "torch_ms": t}
                        | {"ratio": o / t, "identical": same}
                    )
    code = (
        "import time; s = time.perf_counter(); import stae.camera, encoder_service.app; print(time.perf_counter() - s)"
    )
    blocked = "import sys; sys.modules['torch'] = None; " + code
    import_s = float(subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True).stdout)
    lines = [
        "# Camera FA + SA: ONNX Runtime against PyTorch",
        "",
        f"`python bench/camera_runtime.py` on {platform.machine()} ({torch.get_num_threads()} torch threads); "
        f"median of {args.reps} after a warm-up; `encode` = FA + SA + packing (lossless, brotli).",
        "",
        "| model | clip | alpha | beta | ONNX ms | torch ms | ONNX / torch | payloads identical |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['model']} | {r['clip']} | {r['alpha']} | {r['beta']} | {r['onnx_ms']:.2f} | {r['torch_ms']:.2f} | "
        f"{r['ratio']:.2f} | {'yes' if r['identical'] else 'NO'} |"
        for r in rows
    ]
    for name in startup:
        ratios = [r["ratio"] for r in rows if r["model"] == name]
        lines.append(
            f"\n{name}: median ONNX / torch {statistics.median(ratios):.2f} (range {min(ratios):.2f}-"
            f"{max(ratios):.2f}); encoder start-up ONNX {startup[name]['onnx']:.0f} ms, "
            f"torch {startup[name]['torch']:.0f} ms."
        )
    lines.append(f"\nImporting the camera side and the encoder service with torch blocked: {import_s:.2f} s.")
    identical = sum(r["identical"] for r in rows)
    lines.append(f"Payloads identical in {identical} of {len(rows)} cases.")
    doc = {"rows": rows, "startup_ms": startup, "import_without_torch_s": import_s, "reps": args.reps}
    write_results(doc, "\n".join(lines), args.json, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
