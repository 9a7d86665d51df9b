"""Does spatial attention help the codec? Accuracy and bytes of H.264 of all 16 frames three ways, same clips:

* whole frames;
* SA's β of each frame's pixels kept and the rest filled flat (``encode_coded(..., beta)``, what wire v2 does
  with β < 100%);
* whole frames with an x264 quality map from SA: the macroblocks where SA keeps the least (the lower half) get
  a positive quantiser offset (coarser), through FFmpeg's ``addroi``;
* the control for the map: whole frames in the x264 mode the map needs (adaptive quantisation on at strength
  0, i.e. x264's own AQ off) with an all-zero map.

    python bench/sa_codec.py --checkpoint models/tiny-synth-stock --data HELD --clips 300 \\
        [--json OUT] [--markdown OUT]

``HELD``: a synthetic set of a seed not used in training (``stae synth --seed 4242 ...``). Every payload goes
through the checkpoint's own ``SemanticDecoder`` (use the stock ViT: it was fine-tuned on none of the three).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from _results import write_results

from stae import codec, wire
from stae.camera import SemanticEncoder
from stae.camera.attention import select_pixels
from stae.pipeline import SemanticDecoder
from stae.train.datasets import ClipDataset, VideoList, split_file


def quality_map(encoder: SemanticEncoder, frames: np.ndarray, beta: float, offset: float) -> np.ndarray:
    """(H/16, W/16) quantiser offsets: ``offset`` on the macroblocks where SA keeps least (below the median)."""
    cfg = encoder.config
    weights = encoder.attention.pixel_weights(frames, np.arange(cfg.num_frames))  # (T, S, S)
    mask = select_pixels(weights, beta)
    s = cfg.img_size
    share = mask.mean(0).reshape(s // 16, 16, s // 16, 16).mean((1, 3))  # kept share per macroblock
    return np.where(share < np.median(share), offset, 0.0)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default="models/tiny-synth-stock")
    p.add_argument("--data", required=True)
    p.add_argument("--clips", type=int, default=300)
    p.add_argument("--crfs", type=int, nargs="+", default=[30, 37, 44, 47])
    p.add_argument("--beta", type=float, default=0.4)
    p.add_argument("--offset", type=float, default=0.2, help="addroi qoffset of the coarsened macroblocks")
    p.add_argument("--json", type=Path)
    p.add_argument("--markdown", type=Path)
    args = p.parse_args()
    encoder, decoder = (
        SemanticEncoder.from_checkpoint(args.checkpoint),
        SemanticDecoder.from_checkpoint(args.checkpoint),
    )
    cfg = encoder.config
    lists = [split_file(args.data, s) for s in ("test", "train")]
    videos = VideoList(sum((v.paths for v in lists), ()), sum((v.labels for v in lists), ()), lists[0].classes)
    ds = ClipDataset(videos, cfg.num_frames, cfg.img_size)
    items = [ds[i] for i in range(min(args.clips, len(videos)))]
    clips = [(f.numpy(), y) for f, y in (x for x in items if x is not None)]
    s = cfg.img_size

    def coded(stream: bytes) -> bytes:
        return wire.pack_coded(wire.CodedClip(cfg.num_frames, np.arange(cfg.num_frames), 1.0, s, s, s, s, stream))

    rows = []
    for crf in args.crfs:
        mapped = f"whole frames, SA quality map (+{args.offset})"
        control = "whole frames, x264 AQ off, zero map (control)"
        ways: dict[str, list[bytes]] = {
            "whole frames": [],
            f"SA keeps {args.beta:.0%}, rest filled": [],
            mapped: [],
            control: [],
        }
        for frames, _ in clips:
            ways["whole frames"].append(encoder.encode_coded(frames, 16, 1.0, crf=crf).payload)
            ways[f"SA keeps {args.beta:.0%}, rest filled"].append(
                encoder.encode_coded(frames, 16, args.beta, crf=crf).payload
            )
            ways[mapped].append(
                coded(codec.encode(frames, crf, roi=quality_map(encoder, frames, args.beta, args.offset)))
            )
            ways[control].append(coded(codec.encode(frames, crf, roi=np.zeros((s // 16, s // 16)))))
        for name, payloads in ways.items():
            hits = sum(decoder.decode(pl, 1).class_ids[0] == y for pl, (_, y) in zip(payloads, clips, strict=True))
            rows.append(
                {
                    "way": name,
                    "crf": crf,
                    "bytes_mean": float(np.mean([len(pl) for pl in payloads])),
                    "accuracy": hits / len(clips),
                }
            )
            print(f"CRF {crf} {name}: {rows[-1]['bytes_mean']:.0f} B, {rows[-1]['accuracy']:.1%}", flush=True)
    lines = [
        f"{len(clips)} clips of {args.data}, checkpoint {args.checkpoint}; bytes are whole wire-v2 payloads.",
        "",
        "| CRF | way | bytes (mean) | accuracy |",
        "|---|---|---|---|",
    ]
    lines += [f"| {r['crf']} | {r['way']} | {r['bytes_mean']:.0f} | {r['accuracy']:.1%} |" for r in rows]
    write_results(
        {"checkpoint": args.checkpoint, "data": args.data, "rows": rows}, "\n".join(lines), args.json, args.markdown
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
