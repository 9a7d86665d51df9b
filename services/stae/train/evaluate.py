"""Accuracy for every budget (α, β) of the grid, for STAE and the comparisons of the paper's Table I / Fig. 4.

Methods (all with the same trained ViT; selections are the hard top-k that is deployed):

* ``stae``          FA + SA + FR (ViT_STAE);
* ``fa_sa``         FA + SA, zero-filled, no FR (ViT_FA+SA);
* ``random_pixels`` FA + pixels chosen at random + FR: our re-implementation of the paper's assumption for its
                    DeepISC baseline ("pixels randomly selected"), not DeepISC itself;
* ``uniform_frames`` uniformly spaced frames instead of FA, then SA + FR;
* ``h264``          the frames FA keeps, encoded with libx264 at several CRFs and decoded (:mod:`stae.train.h264`):
                    what a user would send instead; reported per (α, CRF) with its stream bytes.

At β = 100% every method is ViT_FA (or uniform frames). Accuracy comes with a 95% Wilson interval; payload bytes
are measured by packing real test clips with ``SemanticEncoder`` (uint8 + delta + brotli, the default).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import DataLoader
from tqdm import tqdm

from stae.camera import SemanticEncoder
from stae.models.stae import STAE
from stae.train.datasets import ClipDataset, VideoList, collate
from stae.train.h264 import CRFS, roundtrip
from stae.train.stepwise import select_frames, select_pixels
from stae.video import normalize
from stae.wire import kept_pixels

METHODS = ("stae", "fa_sa", "random_pixels", "uniform_frames")


def wilson(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion."""
    if n == 0:
        return 0.0, 0.0
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _uniform(b: int, t: int, alpha: int, device: torch.device) -> Tensor:
    idx = torch.from_numpy(np.minimum(((np.arange(alpha) + 0.5) * t / alpha).astype(np.int64), t - 1))
    return idx.to(device).expand(b, alpha)


@torch.no_grad()
def _budget_logits(model: STAE, x: Tensor, alpha: int, beta: float, gen: torch.Generator) -> dict[str, Tensor]:
    """Logits (B, classes) of every method at one budget; FA's and SA's selections are computed once and shared."""
    b, t, _, h, w = x.shape
    rows = torch.arange(b, device=x.device)[:, None]
    kept, idx = select_frames(model, x, alpha, 0.0)
    uidx = _uniform(b, t, alpha, x.device)
    ukept = x[rows, uidx]
    if beta >= 1.0:  # every pixel kept: FA+SA and random pixels are STAE itself
        full = model.vit(kept, idx)
        return {"stae": full, "fa_sa": full, "random_pixels": full, "uniform_frames": model.vit(ukept, uidx)}
    masked, mask = select_pixels(model, x, kept, idx, beta, 0.0)
    scores = torch.rand(b * alpha, h * w, generator=gen).to(x.device)
    rmask = torch.zeros_like(scores).scatter_(1, torch.topk(scores, kept_pixels(beta, h, w), dim=1).indices, 1.0)
    rmask = rmask.reshape(b, alpha, 1, h, w)
    umasked, umask = select_pixels(model, x, ukept, uidx, beta, 0.0)
    return {
        "stae": model.vit(model.fr(masked, mask), idx),
        "fa_sa": model.vit(masked, idx),
        "random_pixels": model.vit(model.fr(kept * rmask, rmask), idx),
        "uniform_frames": model.vit(model.fr(umasked, umask), uidx),
    }


@torch.no_grad()
def _h264(
    model: STAE, frames: Tensor, x: Tensor, y: Tensor, alphas: tuple[int, ...], crfs: tuple[int, ...]
) -> tuple[dict[tuple[int, int], tuple[int, int]], dict[int, int]]:
    """For a batch: (correct, stream bytes) per (α, CRF) of FA's kept frames through libx264 and back, and correct
    per α of the same kept frames uncompressed (the reference: what H.264 loses is the difference)."""
    cfg = model.cfg
    out, reference = {}, {}
    rows = torch.arange(len(y))[:, None]
    for a in alphas:
        kept_x, idx = select_frames(model, x, a, 0.0)
        reference[a] = int((model.vit(kept_x, idx).argmax(1) == y).sum())
        kept = frames[rows, idx.cpu()].numpy()  # (B, α, H, W, 3) uint8
        for c in crfs:
            decoded, nbytes = zip(*(roundtrip(clip, c) for clip in kept), strict=True)
            xs = torch.from_numpy(normalize(np.stack(decoded), cfg.mean, cfg.std)).to(x.device)
            out[(a, c)] = (int((model.vit(xs, idx).argmax(1) == y).sum()), sum(nbytes))
    return out, reference


def evaluate_grid(
    model: STAE,
    videos: VideoList,
    *,
    batch_size: int = 16,
    workers: int = 2,
    cache: str | None = None,
    byte_clips: int = 16,
    h264_clips: int = 200,
    crfs: tuple[int, ...] = CRFS,
    seed: int = 0,
) -> dict[str, Any]:
    """Accuracy (with 95% CI) of every method at every budget, mean payload bytes per budget (on ``byte_clips``
    clips), and the H.264 baseline at every (α, CRF) on ``h264_clips`` clips (libx264 runs per clip, so it is
    slow), with the uncompressed kept frames on the same clips."""
    cfg = model.cfg
    model.eval()
    device = next(model.parameters()).device
    loader = DataLoader(
        ClipDataset(videos, cfg.num_frames, cfg.img_size, cache),
        batch_size=batch_size,
        num_workers=workers,
        collate_fn=collate,
    )
    budgets = [(a, b) for a in cfg.alphas for b in cfg.betas]
    correct = {(m, a, b): 0 for m in METHODS for a, b in budgets}
    n = n_h264 = 0
    h264_correct = {(a, c): 0 for a in cfg.alphas for c in crfs}
    h264_bytes = dict.fromkeys(h264_correct, 0)
    h264_reference = dict.fromkeys(cfg.alphas, 0)
    # Subsets spread evenly over the list (test lists are ordered by class): every k-th clip.
    h264_every, byte_every = (max(1, len(videos) // max(k, 1)) for k in (h264_clips, byte_clips))
    seen = 0
    gen = torch.Generator().manual_seed(seed)
    byte_frames: list[np.ndarray] = []
    for frames, labels in tqdm(loader, desc="eval", disable=None, leave=False):  # a bar on terminals only
        if not frames.numel():
            continue
        byte_frames += [frames[i].numpy() for i in range(len(labels)) if (seen + i) % byte_every == 0]
        del byte_frames[byte_clips:]
        x, y = torch.from_numpy(normalize(frames.numpy(), cfg.mean, cfg.std)).to(device), labels.to(device)
        n += len(y)
        for a, b in budgets:
            for m, logits in _budget_logits(model, x, a, b, gen).items():
                correct[(m, a, b)] += int((logits.argmax(1) == y).sum())
        pick = [i for i in range(len(y)) if (seen + i) % h264_every == 0][: max(h264_clips - n_h264, 0)]
        seen += len(y)
        if pick:
            sub = torch.tensor(pick)
            batch, reference = _h264(model, frames[sub], x[sub.to(device)], y[sub.to(device)], cfg.alphas, crfs)
            for key, (hits, nbytes) in batch.items():
                h264_correct[key] += hits
                h264_bytes[key] += nbytes
            for a, hits in reference.items():
                h264_reference[a] += hits
            n_h264 += len(pick)
    encoder = SemanticEncoder.from_model(model.cpu())
    model.to(device)
    rows = []
    for a, b in budgets:
        payloads = [encoder.encode(f, a, b).payload_bytes for f in byte_frames]
        row: dict[str, Any] = {"alpha": a, "beta": b, "payload_bytes": float(np.mean(payloads)) if payloads else None}
        for m in METHODS:
            c = correct[(m, a, b)]
            lo, hi = wilson(c, n)
            row[m] = {"accuracy": c / max(n, 1), "ci95": [lo, hi]}
        rows.append(row)
    raw32 = 4 * cfg.num_frames * cfg.vit.in_chans * cfg.img_size**2
    for row in rows:
        if row["payload_bytes"]:
            row["ratio_vs_float32"] = raw32 / row["payload_bytes"]
            row["ratio_vs_uint8"] = raw32 / 4 / row["payload_bytes"]
    h264 = [
        {
            "alpha": a,
            "crf": c,
            "payload_bytes": h264_bytes[(a, c)] / max(n_h264, 1),
            "ratio_vs_float32": raw32 * n_h264 / max(h264_bytes[(a, c)], 1),
            "accuracy": h264_correct[(a, c)] / max(n_h264, 1),
            "ci95": list(wilson(h264_correct[(a, c)], n_h264)),
            "uncompressed_accuracy": h264_reference[a] / max(n_h264, 1),  # same kept frames, same clips
        }
        for a in cfg.alphas
        for c in crfs
        if n_h264  # no rows when the baseline was not run (--h264-clips 0)
    ]
    return {
        "clips": n,
        "h264_clips": n_h264,
        "h264": h264,
        "classes": len(videos.classes),
        "grid": rows,
        "accuracy": {f"{r['alpha']},{r['beta']:g}": r["stae"]["accuracy"] for r in rows},
    }


def markdown(doc: dict[str, Any]) -> str:
    """The grid as a table in the spirit of the paper's Table I (all β, not only 100% and 40%)."""
    lines = [
        f"Accuracy on {doc['clips']} test clips ({doc['classes']} classes), 95% Wilson intervals in the JSON.",
        "",
        "| α | β | payload B | × float32 | STAE | FA+SA (no FR) | random pixels + FR | uniform frames |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in doc["grid"]:
        lines.append(
            f"| {r['alpha']} | {r['beta']:.0%} | {r['payload_bytes']:.0f} | {r.get('ratio_vs_float32', 0):.0f} | "
            f"{r['stae']['accuracy']:.1%} | {r['fa_sa']['accuracy']:.1%} | {r['random_pixels']['accuracy']:.1%} | "
            f"{r['uniform_frames']['accuracy']:.1%} |"
        )
    if doc.get("h264_clips"):
        lines += [
            "",
            f"H.264 (libx264) of the frames FA keeps, on {doc['h264_clips']} test clips spread over the list "
            "(uncompressed: the same kept frames on the same clips, β = 100%):",
            "",
            "| α | CRF | stream B | × float32 | accuracy | uncompressed |",
            "|---|---|---|---|---|---|",
        ]
        for r in doc["h264"]:
            lines.append(
                f"| {r['alpha']} | {r['crf']} | {r['payload_bytes']:.0f} | {r['ratio_vs_float32']:.0f} | "
                f"{r['accuracy']:.1%} | {r['uncompressed_accuracy']:.1%} |"
            )
    return "\n".join(lines)
