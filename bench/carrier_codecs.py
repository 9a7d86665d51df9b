"""Which standard codec should carry 16 frames at the tiny geometry (issue 22's "HEVC or AV1 as the carrier")?

Bytes, PSNR and encode time of libx264 (presets veryfast and medium), libx265 (medium; its info SEI off, as the
H.264 rows drop theirs) and SVT-AV1 (preset 8), each at the same CRFs, over held-out clips of the footage
benchmark, every codec on the same clips in one run. PyAV's FFmpeg here has no software AV1 decoder (no dav1d or
libaom), so AV1 gets bytes and time only, and an edge server built on this FFmpeg could not decode it anyway.

    python bench/carrier_codecs.py --data /tmp/stae-tiny-synth/held --clips 20 \\
        --json bench/results/carrier-codecs-cpu.json --markdown bench/results/carrier-codecs-cpu.md
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import numpy as np
from _results import write_results

from stae import codec as h264
from stae.video import read_clip

CRFS = (24, 30, 36, 42, 48)


def _encode(frames: np.ndarray, name: str, options: dict[str, str]) -> bytes:
    enc = cast(av.VideoCodecContext, av.CodecContext.create(name, "w"))
    enc.width, enc.height, enc.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
    enc.time_base = Fraction(1, 25)
    enc.options = options
    out = b""
    for i, img in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
        frame.pts = i
        out += b"".join(bytes(p) for p in enc.encode(frame))
    return out + b"".join(bytes(p) for p in enc.encode(None))


def _decode(data: bytes, name: str) -> np.ndarray:
    dec = cast(av.VideoCodecContext, av.CodecContext.create(name, "r"))
    packets = dec.parse(data) + dec.parse(None)  # None flushes the parser's last packet
    frames = [f.to_ndarray(format="rgb24") for p in packets for f in dec.decode(p)]
    frames += [f.to_ndarray(format="rgb24") for f in dec.decode(None)]
    return np.stack(frames)


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a.astype(np.float64) - b) ** 2).mean())
    return 10 * np.log10(255**2 / max(mse, 1e-9))


CODECS: dict[str, tuple[Callable[[np.ndarray, int], bytes], str | None]] = {
    "libx264 veryfast": (lambda x, q: h264.encode(x, q, preset="veryfast"), "h264"),
    "libx264 medium": (lambda x, q: h264.encode(x, q, preset="medium"), "h264"),
    "libx265 medium": (
        lambda x, q: _encode(
            x,
            "libx265",
            {"crf": str(q), "preset": "medium", "x265-params": "log-level=none:keyint=16:scenecut=0:info=0"},
        ),
        "hevc",
    ),
    "SVT-AV1 preset 8": (
        lambda x, q: _encode(x, "libsvtav1", {"crf": str(q), "preset": "8", "svtav1-params": "keyint=16"}),
        None,
    ),
}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="held-out footage dataset (stae synth)")
    p.add_argument("--clips", type=int, default=20)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--json", type=Path)
    p.add_argument("--markdown", type=Path)
    args = p.parse_args()
    files = sorted(args.data.glob("*/*.mp4"))
    files = [files[int(i)] for i in np.linspace(0, len(files) - 1, min(args.clips, len(files))).round()]
    clips = [read_clip(f, 16, args.size) for f in files]
    rows = []
    for name, (encode, decoder) in CODECS.items():
        for crf in CRFS:
            sizes, psnrs, ms = [], [], []
            for x in clips:
                t0 = time.perf_counter()
                data = encode(x, crf)
                ms.append((time.perf_counter() - t0) * 1e3)
                sizes.append(len(data))
                if decoder:
                    psnrs.append(_psnr(x, _decode(data, decoder)[: len(x)]))
            rows.append({
                "codec": name, "crf": crf, "bytes_mean": float(np.mean(sizes)),
                "psnr_db": float(np.mean(psnrs)) if psnrs else None, "encode_ms_median": float(np.median(ms)),
            })  # fmt: skip
    lines = [
        f"{len(clips)} held-out clips of {args.data.name}, 16 frames at {args.size} x {args.size}, one run, this CPU.",
        "",
        "| codec | CRF | bytes (mean) | PSNR dB | encode ms (median) |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        psnr = f"{r['psnr_db']:.2f}" if r["psnr_db"] is not None else "no decoder here"
        lines.append(f"| {r['codec']} | {r['crf']} | {r['bytes_mean']:.0f} | {psnr} | {r['encode_ms_median']:.1f} |")
    write_results({"clips": [str(f) for f in files], "rows": rows}, "\n".join(lines), args.json, args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
