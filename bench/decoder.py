"""Edge-side compute benchmark: FR + ViT per frame budget at batch 1, and batched throughput, on one device.

    python bench/decoder.py [--model vit-base] [--device auto] [--batch 32] [--json OUT] [--markdown OUT]

Runs ``SemanticDecoder.logits`` (bf16 autocast on CUDA, float32 on CPU) on payload-shaped inputs at β = 40%
(FR runs) and β = 100% (FR skipped). FLOPs come from ``torch.utils.flop_counter``; with a known GPU the
achieved rate is compared with its dense bf16 peak. The paper's RTX 2080 Ti needed 16.3 ms (FR) + 31.5 ms (ViT-B)
at α = 16, β = 40%.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _results import write_results
from torch.utils.flop_counter import FlopCounterMode

from stae.models import STAE, build_config
from stae.pipeline import SemanticDecoder, resolve_device
from stae.wire import SemanticTensor, kept_pixels

# Dense bf16 tensor-core peaks from the vendors' data sheets (TFLOP/s, without sparsity).
BF16_PEAK_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L4": 121.0, "L40S": 362.0, "A10": 125.0}


def _tensor(cfg: Any, alpha: int, beta: float, rng: np.random.Generator) -> SemanticTensor:
    s, c = cfg.img_size, cfg.vit.in_chans
    k = kept_pixels(beta, s, s)
    mask = np.zeros((alpha, s * s), dtype=bool)
    for f in range(alpha):
        mask[f, rng.choice(s * s, size=k, replace=False)] = True
    values = rng.integers(0, 256, size=(alpha, k, c), dtype=np.uint8)
    return SemanticTensor(
        cfg.num_frames,
        np.sort(rng.choice(cfg.num_frames, alpha, replace=False)),
        beta,
        mask.reshape(alpha, s, s),
        values,
    )


def _time(decoder: SemanticDecoder, tensors: list[SemanticTensor], reps: int) -> tuple[float, dict[str, float]]:
    decoder.logits(tensors)
    totals, stages = [], []
    for _ in range(reps):
        timings: dict[str, float] = {}
        start = time.perf_counter()
        decoder.logits(tensors, timings)
        totals.append((time.perf_counter() - start) * 1e3)
        stages.append(timings)
    return statistics.median(totals), {k: statistics.median(s[k] for s in stages) for k in stages[0]}


def run(model: str, device: str, batch: int, reps: int) -> dict[str, Any]:
    torch.manual_seed(0)
    decoder = SemanticDecoder.from_model(STAE(build_config(model)).eval(), device)
    cfg = decoder.config
    rng = np.random.default_rng(0)
    name = torch.cuda.get_device_name(decoder.device) if decoder.device.type == "cuda" else "cpu"
    peak = next((v for k, v in BF16_PEAK_TFLOPS.items() if k in name), None)
    rows = []
    for alpha in sorted(cfg.alphas, reverse=True):
        for beta in (0.4, 1.0):
            one = [_tensor(cfg, alpha, beta, rng)]
            ms, stages = _time(decoder, one, reps)
            with FlopCounterMode(display=False) as counter:
                decoder.logits(one)
            flops = counter.get_total_flops()
            many = one * batch
            batch_ms, _ = _time(decoder, many, max(2, reps // 3))
            tflops = flops * batch / (batch_ms / 1e3) / 1e12
            row = {
                "alpha": alpha,
                "beta": beta,
                "batch1_ms": round(ms, 3),
                "fr_ms": round(stages["fr"], 3),
                "vit_ms": round(stages["vit"], 3),
                "gflop_per_clip": round(flops / 1e9, 2),
                f"batch{batch}_clips_per_s": round(batch / (batch_ms / 1e3), 1),
                "achieved_tflops": round(tflops, 2),
                "share_of_bf16_peak": round(tflops / peak, 4) if peak else None,
            }
            rows.append(row)
            print(row)
    return {"model": model, "device": name, "batch": batch, "bf16_peak_tflops": peak, "rows": rows}


def markdown(doc: dict[str, Any]) -> str:
    b = doc["batch"]
    lines = [
        f"Decoder compute: {doc['model']} on {doc['device']} (bf16 peak {doc['bf16_peak_tflops'] or 'n/a'} TFLOP/s).",
        "",
        f"| α | β | batch 1 ms | FR ms | ViT ms | GFLOP/clip | batch {b} clips/s | TFLOP/s | share of peak |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in doc["rows"]:
        share = f"{r['share_of_bf16_peak']:.1%}" if r["share_of_bf16_peak"] is not None else "n/a"
        lines.append(
            f"| {r['alpha']} | {r['beta']:.0%} | {r['batch1_ms']:.2f} | {r['fr_ms']:.2f} | {r['vit_ms']:.2f} | "
            f"{r['gflop_per_clip']} | {r[f'batch{b}_clips_per_s']} | {r['achieved_tflops']} | {share} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="vit-base")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--json", type=Path)
    p.add_argument("--markdown", type=Path)
    args = p.parse_args(argv)
    doc = run(args.model, resolve_device(args.device), args.batch, args.reps)
    write_results(doc, markdown(doc), args.json, args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
