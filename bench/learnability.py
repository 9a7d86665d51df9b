"""Is a dataset learnable at its size? Train a small 3D CNN (a strong inductive bias, minutes on a CPU) and
report train and test accuracy per epoch. Used to tune ``stae synth`` before spending hours on the ViT.

    python bench/learnability.py DATA_DIR [--epochs 30] [--size 64]

Recorded (README, Training): 750 train / 250 test synthetic clips, 10 classes, 30 epochs: 16% test with a
drifting camera, 47% without the drift, 85% without the distractor as well.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from stae.config import IMAGENET_MEAN, IMAGENET_STD
from stae.train.datasets import ClipDataset, collate, split_file
from stae.video import normalize


def _block(cin: int, cout: int) -> nn.Module:
    return nn.Sequential(nn.Conv3d(cin, cout, 3, stride=(1, 2, 2), padding=1), nn.BatchNorm3d(cout), nn.ReLU())


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--size", type=int, default=64)
    args = p.parse_args(argv)
    torch.manual_seed(0)
    sets = []
    for split in ("train", "test"):
        videos = split_file(args.data, split)
        ds = ClipDataset(videos, 16, args.size, f"{args.data.rstrip('/')}-cache")
        x, y = collate([ds[i] for i in range(len(ds))])
        sets.append(
            (torch.from_numpy(normalize(x.numpy(), IMAGENET_MEAN, IMAGENET_STD)).transpose(1, 2), y)
        )  # (B, C, T, H, W)
    (x, y), (xt, yt) = sets
    classes = int(y.max()) + 1
    model = nn.Sequential(
        _block(3, 16),
        _block(16, 32),
        _block(32, 64),
        _block(64, 64),
        nn.AdaptiveMaxPool3d(1),
        nn.Flatten(),
        nn.Linear(64, classes),
    )
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        correct = 0
        order = torch.randperm(len(y))
        for idx in (order[i : i + 16] for i in range(0, len(y), 16)):
            logits = model(x[idx])
            loss = F.cross_entropy(logits, y[idx])
            opt.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
            correct += int((logits.argmax(1) == y[idx]).sum())
        model.eval()
        with torch.no_grad():
            test = float((model(xt).argmax(1) == yt).float().mean())
        print(f"epoch {epoch + 1}: train {correct / len(y):.3f} test {test:.3f} ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
