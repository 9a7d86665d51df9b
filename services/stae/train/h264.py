"""The baseline a user would deploy instead of STAE: H.264 (libx264 through PyAV) of the same kept frames.

The camera keeps the α frames frame attention chooses, encodes them as one H.264 stream at a constant rate
factor (CRF), and the server decodes them and classifies them with the same ViT. Bytes are the encoded stream's
packet bytes (no container), the counterpart of a STAE payload.
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

CRFS = (23, 33, 43)  # visually near-lossless, typical streaming, very coarse


def roundtrip(frames: np.ndarray, crf: int, preset: str = "medium") -> tuple[np.ndarray, int]:
    """Encode (α, H, W, 3) uint8 frames as H.264 at ``crf`` and decode them: (decoded frames, stream bytes)."""
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"expected (frames, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    if not 0 <= crf <= 51:
        raise ValueError(f"CRF must be in [0, 51], got {crf}")
    enc = av.CodecContext.create("libx264", "w")
    enc.width, enc.height, enc.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
    enc.time_base = Fraction(1, 25)
    enc.options = {"crf": str(crf), "preset": preset}
    packets = []
    for i, img in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = i
        packets += enc.encode(frame)
    packets += enc.encode(None)
    dec = av.CodecContext.create("h264", "r")
    out = [f.to_ndarray(format="rgb24") for p in packets for f in dec.decode(p)]
    out += [f.to_ndarray(format="rgb24") for f in dec.decode(None)]
    if len(out) != len(frames):
        raise RuntimeError(f"H.264 round trip returned {len(out)} of {len(frames)} frames")
    return np.stack(out), sum(p.size for p in packets)
