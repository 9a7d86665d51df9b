"""Camera-side benchmark: FA + SA + packing + brotli for every (α, β) of the paper's grid, and brotli's
quality/time trade-off.

    python bench/encoder.py [--clip CLIP] [--model vit-base] [--reps 30] [--json OUT] [--markdown OUT]

Times are the wall time of one ``SemanticEncoder.encode`` call on a decoded 16 x 3 x S x S clip (video decoding
is not included; normalisation is), median and 90th percentile over ``--reps`` runs after warm-up. Weights are
random (seeded): the payload sizes depend on which pixels SA keeps, so a trained SA gives other sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _results import write_results

from stae import wire
from stae.camera import EncodeResult, SemanticEncoder
from stae.config import PAPER_ALPHAS, PAPER_BETAS
from stae.models import STAE, build_config
from stae.video import read_clip

DEFAULT_CLIP = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "clips" / "arm_wrestling_k400.mp4"


def _time(fn: Any, reps: int, warmup: int = 3) -> tuple[list[float], Any]:
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1e3)
    return times, result


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 3),
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    p.add_argument("--model", default="vit-base")
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--json", type=Path, help="write the results here")
    p.add_argument("--markdown", type=Path, help="write the tables here")
    args = p.parse_args(argv)

    torch.manual_seed(0)
    encoder = SemanticEncoder.from_model(STAE(build_config(args.model)))
    cfg = encoder.config
    frames = read_clip(args.clip, cfg.num_frames, cfg.img_size)
    env = {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "model": args.model,
        "clip": args.clip.name,
        "input": f"{cfg.num_frames}x3x{cfg.img_size}x{cfg.img_size} uint8",
        "reps": args.reps,
    }
    print(f"# encoder benchmark: {json.dumps(env)}", file=sys.stderr)

    grid = []
    for alpha in sorted(PAPER_ALPHAS, reverse=True):
        for beta in PAPER_BETAS:
            times, res = _time(lambda a=alpha, b=beta: encoder.encode(frames, a, b), args.reps)
            stages: list[dict[str, float]] = []
            for _ in range(5):
                stages.append(encoder.encode(frames, alpha, beta).timings_ms)
            row = _row(res, times, stages)
            grid.append(row)
            print(
                f"alpha={alpha:2d} beta={beta:.0%}: {row['median_ms']:7.2f} ms  {row['payload_bytes']:8d} B  "
                f"{row['ratio_vs_float32']:7.1f}x",
                file=sys.stderr,
            )

    quality = []
    for q in [*range(12), None]:
        reps = args.reps if q is None or q < 10 else 3
        entropy = "none" if q is None else "brotli"
        times, res = _time(
            lambda q=q, e=entropy: encoder.encode(frames, 16, 0.4, entropy=e, quality=q or 0), reps, warmup=1
        )
        quality.append({"entropy": entropy, "quality": q, **_summary(times), "payload_bytes": res.payload_bytes})

    # What the delta filter buys: the same α = 16, β = 100% tensor packed with and without it.
    tensor = wire.unpack(encoder.encode(frames, 16, 1.0).payload)
    assert isinstance(tensor, wire.SemanticTensor)
    filters = [
        {"filter": f, "entropy": e, "payload_bytes": len(wire.pack(tensor, entropy=e, filter=f))}
        for f in ("none", "delta")
        for e in ("none", "brotli")
    ]
    doc = {"environment": env, "grid": grid, "brotli_quality_at_alpha16_beta40": quality, "filters": filters}
    write_results(doc, _markdown(doc), args.json, args.markdown)
    return 0


def _row(res: EncodeResult, times: list[float], stages: list[dict[str, float]]) -> dict[str, Any]:
    return {
        "alpha": res.alpha,
        "beta": res.beta,
        **_summary(times),
        "stage_median_ms": {k: round(float(np.median([s[k] for s in stages])), 3) for k in stages[0]},
        "payload_bytes": res.payload_bytes,
        "eq1_bytes": res.eq1_bytes,
        "ratio_vs_float32": round(res.ratio_float32, 2),
        "ratio_vs_uint8": round(res.ratio_uint8, 2),
    }


def _markdown(doc: dict[str, Any]) -> str:
    env = doc["environment"]
    lines = [
        f"Encoder: {env['model']} ({env['input']}), clip {env['clip']}, {env['cores']} cores, "
        f"torch {env['torch']} with {env['torch_threads']} threads, {env['reps']} runs per cell.",
        "",
        "| α | β | median ms | p90 ms | FA ms | SA ms | pack+brotli ms | payload B | eq. 1 B | × float32 | × uint8 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in doc["grid"]:
        st = r["stage_median_ms"]
        lines.append(
            f"| {r['alpha']} | {r['beta']:.0%} | {r['median_ms']:.2f} | {r['p90_ms']:.2f} | {st['fa']:.2f} | "
            f"{st['sa']:.2f} | {st['entropy_encode']:.2f} | {r['payload_bytes']} | {r['eq1_bytes']} | "
            f"{r['ratio_vs_float32']:.1f} | {r['ratio_vs_uint8']:.1f} |"
        )
    lines += ["", "Brotli quality at α = 16, β = 40%:", "", "| coder | quality | median ms | p90 ms | payload B |"]
    lines.append("|---|---|---|---|---|")
    for q in doc["brotli_quality_at_alpha16_beta40"]:
        quality = "-" if q["quality"] is None else q["quality"]
        ms = f"{q['median_ms']:.2f} | {q['p90_ms']:.2f}"
        lines.append(f"| {q['entropy']} | {quality} | {ms} | {q['payload_bytes']} |")
    lines += ["", "Delta filter at α = 16, β = 100% (brotli quality 1):", "", "| filter | coder | payload B |"]
    lines.append("|---|---|---|")
    lines += [f"| {f['filter']} | {f['entropy']} | {f['payload_bytes']} |" for f in doc["filters"]]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
