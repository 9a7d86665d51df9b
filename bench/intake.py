"""Video intake on the camera: a real clip file to 16 x 224 x 224 model frames, ``stae.video.read_clip`` against
the intake as it was before (reproduced here as the baseline: decode every frame single-threaded, keep the sampled
ones as full-size RGB, resize them together in float with torch), side by side in one run.

    python bench/intake.py [--reps 7] [--json OUT] [--markdown OUT]
"""

from __future__ import annotations

import argparse
import statistics
from functools import partial
from pathlib import Path

import av
import numpy as np
import torch
import torch.nn.functional as F
from _results import write_results

from stae.profiling import median_ms
from stae.video import read_clip, sample_indices

CLIPS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "clips"


def before(path: Path, num: int, size: int) -> np.ndarray:
    """The former intake: count packets, decode all frames, keep full-size RGB, resize in float32."""
    with av.open(str(path)) as c:
        total = sum(1 for p in c.demux(c.streams.video[0]) if p.size)
    wanted = set(sample_indices(total, num).tolist())
    kept = []
    with av.open(str(path)) as c:
        for i, frame in enumerate(c.decode(video=0)):
            if i in wanted:
                kept.append(frame.to_ndarray(format="rgb24"))
    x = torch.from_numpy(np.stack(kept)).permute(0, 3, 1, 2).float()
    h, w = x.shape[2:]
    scale = size / min(h, w)
    nh, nw = max(size, round(h * scale)), max(size, round(w * scale))
    x = F.interpolate(x, size=(nh, nw), mode="bilinear", antialias=True, align_corners=False)
    top, left = (nh - size) // 2, (nw - size) // 2
    x = x[:, :, top : top + size, left : left + size]
    return x.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def decode_floor(path: Path, num: int) -> int:
    """The least any exact intake must do: decode (threaded, nothing converted) up to the last sampled frame,
    since every reference frame before it is needed to reconstruct it."""
    with av.open(str(path)) as c:
        total = sum(1 for p in c.demux(c.streams.video[0]) if p.size)
    last = int(sample_indices(total, num)[-1])
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        for i, _ in enumerate(c.decode(stream)):
            if i == last:
                return i + 1
    return total


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=Path, default=CLIPS)
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--json", type=Path)
    p.add_argument("--markdown", type=Path)
    args = p.parse_args()
    rows = []
    for clip in sorted(args.clips.glob("*.*")):
        old = median_ms(partial(before, clip, 16, 224), args.reps)
        new = median_ms(partial(read_clip, clip, 16, 224), args.reps)
        floor = median_ms(partial(decode_floor, clip, 16), args.reps)
        rows.append(
            {"clip": clip.name, "before_ms": old, "read_clip_ms": new, "ratio": new / old, "floor_ratio": floor / old}
        )
    ratio = statistics.median(r["ratio"] for r in rows)
    floor_ratio = statistics.median(r["floor_ratio"] for r in rows)
    lines = [
        f"Intake of each real clip to 16 x 224 x 224, median of {args.reps} runs, side by side in one run.",
        "",
        "| clip | before ms | read_clip ms | ratio | decode floor / before |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['clip']} | {r['before_ms']:.1f} | {r['read_clip_ms']:.1f} | {r['ratio']:.2f} | {r['floor_ratio']:.2f} |"
        for r in rows
    ]
    lines += [
        "",
        f"Median ratio: {ratio:.2f} (target of issue 12: at most 0.33). Decode floor: {floor_ratio:.2f} of before "
        "(threaded decoding up to the last sampled frame, nothing converted: no exact intake can go below it).",
    ]
    doc = {"rows": rows, "median_ratio": ratio, "median_floor_ratio": floor_ratio}
    write_results(doc, "\n".join(lines), args.json, args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
