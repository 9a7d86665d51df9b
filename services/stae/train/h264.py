"""The baseline of ``stae eval``: H.264 of the frames FA keeps, through the one codec stage (:mod:`stae.codec`).

The camera keeps the α frames frame attention chooses, encodes them as one H.264 stream at a constant rate
factor (CRF), and the server decodes them and classifies them with the same ViT. Bytes are the raw Annex-B
stream without x264's SEI (no container), the counterpart of a STAE payload. ``stae frontier`` compares every
method more fully (H.264 of all 16 frames, byte budgets, a codec-fine-tuned baseline).
"""

from __future__ import annotations

import numpy as np

from stae import codec

CRFS = (23, 33, 43)  # visually near-lossless, typical streaming, very coarse


def roundtrip(frames: np.ndarray, crf: int, preset: str = "medium") -> tuple[np.ndarray, int]:
    """Encode (α, H, W, 3) uint8 frames as H.264 at ``crf`` and decode them: (decoded frames, stream bytes)."""
    stream = codec.encode(frames, crf, preset=preset)
    return codec.decode(stream, len(frames), frames.shape[1], frames.shape[2]), len(stream)
