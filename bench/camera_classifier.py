"""Local computing at equal camera compute: is offloading worth anything? A classifier with the camera's own
budget (wire v3's analysis transform, the same architecture and width, plus a pooling head) is trained alone on
the training set and classifies on the camera: no bytes sent at all. If it were as accurate as the offloaded
paths, the edge server would buy nothing.

    python bench/camera_classifier.py --checkpoint models/tiny-synth --data TRAIN_DIR --held HELD_DIR \\
        [--cache DIR] [--epochs 8] [--json OUT] [--markdown OUT]

Training: AdamW, the Algorithm-1 augmentation, cross-entropy, ``--epochs`` over ``train`` of ``--data``;
evaluated on the held-out set's ``test`` (backgrounds from training videos) and ``test_unseen`` (videos never
seen) splits, the clips ``stae frontier`` measures. The head: per frame, mean and max over the S/8 x S/8 latent
grid (2 x channels), then mean and max over the 16 frames and a linear layer (a few hundred parameters).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from _results import write_results
from torch import Tensor, nn
from torch.utils.data import DataLoader

from stae.checkpoint import read_checkpoint
from stae.config import LatentConfig
from stae.models.latent import LatentAnalysis
from stae.train.datasets import ClipDataset, collate, shuffled_loader, split_file
from stae.train.evaluate import wilson
from stae.train.stepwise import augment, seed_everything
from stae.video import normalize


class CameraClassifier(nn.Module):
    """(B, T, C, S, S) normalised clips -> (B, classes) logits, at the camera's analysis cost."""

    def __init__(self, latent: LatentConfig, in_chans: int, classes: int) -> None:
        super().__init__()
        self.analysis = LatentAnalysis(latent, in_chans)
        self.head = nn.Linear(4 * latent.channels, classes)

    def forward(self, x: Tensor) -> Tensor:
        b, t = x.shape[:2]
        z = F.gelu(self.analysis(x.flatten(0, 1)))  # (B*T, channels, h, w)
        per_frame = torch.cat([z.mean((2, 3)), z.amax((2, 3))], 1).reshape(b, t, -1)  # (B, T, 2*channels)
        clip = torch.cat([per_frame.mean(1), per_frame.amax(1)], 1)  # (B, 4*channels)
        out: Tensor = self.head(clip)
        return out


@torch.no_grad()
def accuracy(
    model: CameraClassifier, loader: DataLoader[tuple[Tensor, Tensor]], mean: tuple[float, ...], std: tuple[float, ...]
) -> tuple[int, int]:
    model.eval()
    hits = n = 0
    for frames, y in loader:
        if len(y):
            x = torch.from_numpy(normalize(frames.numpy(), mean, std))
            hits += int((model(x).argmax(1) == y).sum())
            n += len(y)
    return hits, n


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", type=Path, required=True, help="a checkpoint with a latent codec (its geometry)")
    p.add_argument("--data", required=True, help="training set (stae synth)")
    p.add_argument("--held", required=True, help="held-out set with test and test_unseen splits")
    p.add_argument("--cache")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--json", type=Path)
    p.add_argument("--markdown", type=Path)
    args = p.parse_args(argv)
    info = read_checkpoint(args.checkpoint)
    cfg = info.config
    latent = cfg.latent or LatentConfig()
    seed_everything(0)
    gen = torch.Generator().manual_seed(0)
    train = split_file(args.data, "train")
    model = CameraClassifier(latent, cfg.vit.in_chans, len(train.classes))
    loader = shuffled_loader(train, cfg.num_frames, cfg.img_size, batch_size=16, workers=2, seed=0, cache=args.cache)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=args.epochs * len(loader), pct_start=0.1)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        seen = right = 0
        for frames, y in loader:
            if not len(y):
                continue
            x = torch.from_numpy(normalize(augment(frames, gen).numpy(), cfg.mean, cfg.std))
            logits = model(x)
            loss = F.cross_entropy(logits, y, label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            sched.step()
            seen += len(y)
            right += int((logits.argmax(1) == y).sum())
        print(f"epoch {epoch + 1}: train accuracy {right / max(seen, 1):.1%}", flush=True)
    train_s = time.perf_counter() - start
    results: dict[str, dict[str, Any]] = {}
    for split in ("test", "test_unseen"):
        held = DataLoader(
            ClipDataset(split_file(args.held, split), cfg.num_frames, cfg.img_size, args.cache),
            batch_size=50,
            collate_fn=collate,
            num_workers=2,
        )
        hits, n = accuracy(model, held, cfg.mean, cfg.std)
        results[split] = {"accuracy": hits / max(n, 1), "ci95": list(wilson(hits, n)), "clips": n}
    params = sum(q.numel() for q in model.parameters())
    head = sum(q.numel() for q in model.head.parameters())
    doc = {
        "checkpoint": str(args.checkpoint),
        "epochs": args.epochs,
        "train_seconds": train_s,
        "parameters": params,
        **results,
    }
    text = "\n".join(
        [
            f"Local computing at equal camera compute (wire v3's analysis + a {head}-parameter head, "
            f"{params} parameters, trained alone for {args.epochs} epochs in {train_s / 60:.1f} min), 0 bytes sent:",
            "",
            "| held-out clips | accuracy | 95% interval |",
            "|---|---|---|",
            *(
                f"| {split} ({r['clips']}) | {r['accuracy']:.1%} | {r['ci95'][0]:.1%}-{r['ci95'][1]:.1%} |"
                for split, r in results.items()
            ),
        ]
    )
    write_results(doc, text, args.json, args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
