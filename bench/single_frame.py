"""How good can one frame be? At α = 1, compare FA's choice with other ways of picking the single frame, all
classified by the same trained ViT:

* FA (the deployed top-1 of frame attention);
* the middle frame (index T/2);
* the frame the ViT itself is most confident about, without the label (16 ViT passes: an upper bound on what a
  label-free selector that imitates the ViT can reach);
* any frame right (the label picks the frame: not a selector, only how often some frame suffices).

    python bench/single_frame.py --checkpoint models/tiny-synth --data DIR [--cache DIR] [--split test]

Recorded (README, Results): models/tiny-synth on its 1,000 synthetic test clips.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import torch
from torch.utils.data import DataLoader

from stae.models.checkpoint import load_model
from stae.train.datasets import ClipDataset, collate, split_file
from stae.train.stepwise import select_frames
from stae.video import normalize


@torch.no_grad()
def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--data", required=True, help="dataset root with split files (stae synth writes one)")
    p.add_argument("--split", default="test")
    p.add_argument("--cache", help="frame cache folder (stae train/eval --cache)")
    args = p.parse_args(argv)

    model, _ = load_model(args.checkpoint)
    model.eval()
    cfg = model.cfg
    t = cfg.num_frames
    data = ClipDataset(split_file(args.data, args.split), t, cfg.img_size, args.cache)
    hits = dict.fromkeys(("FA", "middle frame", "most confident frame (no label)", "any frame right (label)"), 0)
    n = 0
    for frames, y in DataLoader(data, batch_size=50, collate_fn=collate, num_workers=2):
        if not frames.numel():
            continue
        x, b = torch.from_numpy(normalize(frames.numpy(), cfg.mean, cfg.std)), len(y)
        rows = torch.arange(b)
        per = torch.stack([model.vit(x[:, i : i + 1], torch.full((b, 1), i)) for i in range(t)], 1)  # (B, T, K)
        confident = per.softmax(-1).amax(-1).argmax(1)  # (B,)
        kept, idx = select_frames(model, x, 1, 0.0)
        hits["FA"] += int((model.vit(kept, idx).argmax(1) == y).sum())
        hits["middle frame"] += int((per[:, t // 2].argmax(-1) == y).sum())
        hits["most confident frame (no label)"] += int((per[rows, confident].argmax(-1) == y).sum())
        hits["any frame right (label)"] += int((per.argmax(-1) == y[:, None]).any(1).sum())
        n += b
    print(f"α = 1 on {n} clips of {args.data} ({args.split}):")
    for name, h in hits.items():
        print(f"  {name:34s} {h / max(n, 1):6.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
