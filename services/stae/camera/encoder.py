"""Camera side of Fig. 1: choose frames (FA) and pixels (SA), code them, pack them. No torch.

    SemanticEncoder.encode (lossless, v1):  frames ─► FA (keep α) ─► SA (keep β) ─► wire.pack (+ brotli) ─► bytes
    SemanticEncoder.encode_coded (v2):      frames ─► FA (keep α) ─► SA (keep β; the rest filled flat)
                                              ─► downscale ─► H.264 within a byte budget ─► wire.pack_coded ─► bytes
    SemanticEncoder.encode_latent (v3):     frames ─► FA (keep α) ─► analysis ─► quantise at the highest rate
                                              level within a byte budget ─► rANS ─► wire.pack_latent ─► bytes

As in the paper, FA runs only when α < T and SA only when β < 100%. FA and SA run on ONNX Runtime or PyTorch
(:mod:`stae.camera.attention`), and so does the latent codec's analysis; everything else is numpy, PyAV, brotli
and the integer rANS coder of :mod:`stae.rans`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from stae import codec, wire
from stae.camera.attention import Attention, Runtime, load_attention, select_frames, select_pixels
from stae.checkpoint import CheckpointInfo, read_checkpoint
from stae.config import STAEConfig
from stae.latent import LatentTables
from stae.video import normalize
from stae.wire import CodedClip, LatentClip, SemanticTensor

if TYPE_CHECKING:
    from stae.models.stae import STAE


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1e3


@dataclass(frozen=True)
class EncodeResult:
    payload: bytes
    frame_indices: list[int]
    alpha: int
    beta: float
    value_encoding: wire.ValueEncoding
    entropy: wire.EntropyCoder
    eq1_bytes: int  # the paper's eq. 1 for this (α, β): 4·α·C·β·H·W
    raw_float32_bytes: int  # the whole T-frame clip as float32 (the paper's baseline)
    raw_uint8_bytes: int  # the whole T-frame clip as 8-bit pixels
    timings_ms: dict[str, float]  # fa, sa (each including input normalisation), entropy_encode (with packing)
    crf: int | None = None  # wire v2: the H.264 CRF the byte budget allowed; None for v1
    max_bytes: int | None = None  # wire v2: the byte budget asked for
    scale: int = 1  # wire v2: the frames were coded at 1/scale of the model's side
    level: int | None = None  # wire v3: the rate level the byte budget allowed

    @property
    def payload_bytes(self) -> int:
        return len(self.payload)

    @property
    def ratio_float32(self) -> float:
        return self.raw_float32_bytes / len(self.payload)

    @property
    def ratio_uint8(self) -> float:
        return self.raw_uint8_bytes / len(self.payload)


class SemanticEncoder:
    """Camera side: choose frames and pixels, pack them. Holds only FA and SA."""

    def __init__(self, config: STAEConfig, attention: Attention, latent: LatentTables | None = None) -> None:
        self.config = config
        self.attention = attention
        self.latent_tables = latent

    @classmethod
    def from_checkpoint(cls, path: str | Path | CheckpointInfo, runtime: Runtime = "auto") -> SemanticEncoder:
        info = path if isinstance(path, CheckpointInfo) else read_checkpoint(path)
        tables = LatentTables.load(info.path) if info.config.latent is not None else None
        return cls(info.config, load_attention(info, runtime), tables)

    @classmethod
    def from_model(cls, model: STAE, latent: LatentTables | None = None) -> SemanticEncoder:
        """FA and SA (and the latent codec's analysis) of a model in memory, on PyTorch."""
        from stae.camera.torch_graphs import TorchAttention

        return cls(model.cfg, TorchAttention(model.cfg, model.fa, model.sa, model.latent), latent)

    def check_frames(self, frames: np.ndarray) -> None:
        t, s, c = self.config.num_frames, self.config.img_size, self.config.vit.in_chans
        if frames.dtype != np.uint8 or frames.shape != (t, s, s, c):
            raise ValueError(
                f"expected uint8 frames of shape ({t}, {s}, {s}, {c}); got {frames.dtype} {frames.shape}: "
                "use stae.video.read_clip or prepare_frames"
            )

    def _select(
        self, frames: np.ndarray, alpha: int, beta: float, timings: dict[str, float]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_] | None]:
        """FA's kept frame indices (α,) and SA's mask (α, S, S) (None at β = 100%)."""
        self.check_frames(frames)
        t, s = self.config.num_frames, self.config.img_size
        if not 1 <= alpha <= t:
            raise ValueError(f"alpha must be in [1, {t}], got {alpha}")
        wire.kept_pixels(beta, s, s)  # validates beta
        timings.update(fa=0.0, sa=0.0)  # each includes normalising its input
        start = time.perf_counter()
        indices = np.arange(t, dtype=np.int64)
        if alpha < t:
            indices = select_frames(self.attention.frame_weights(frames), alpha)
            timings["fa"] = _ms(start)
            start = time.perf_counter()
        mask = None
        if beta < 1.0:
            mask = select_pixels(self.attention.pixel_weights(frames, indices), beta)
            timings["sa"] = _ms(start)
        return indices, mask

    def _result(
        self,
        payload: bytes,
        indices: np.ndarray,
        beta: float,
        timings: dict[str, float],
        *,
        values: wire.ValueEncoding = "uint8",
        entropy: wire.EntropyCoder = "none",
        coded: codec.Encoded | None = None,
        max_bytes: int | None = None,
        scale: int = 1,
        level: int | None = None,
    ) -> EncodeResult:
        t, s, c = self.config.num_frames, self.config.img_size, self.config.vit.in_chans
        alpha = len(indices)
        return EncodeResult(
            payload=payload,
            frame_indices=[int(i) for i in indices],
            alpha=alpha,
            beta=float(beta),
            eq1_bytes=4 * alpha * c * wire.kept_pixels(beta, s, s),
            raw_float32_bytes=4 * t * c * s * s,
            raw_uint8_bytes=t * c * s * s,
            timings_ms=timings,
            value_encoding=values,
            entropy=entropy,
            crf=coded.crf if coded else None,
            max_bytes=max_bytes,
            scale=scale,
            level=level,
        )

    def encode(
        self,
        frames: np.ndarray,
        alpha: int,
        beta: float,
        *,
        values: wire.ValueEncoding = "uint8",
        entropy: wire.EntropyCoder = "brotli",
        quality: int = wire.DEFAULT_BROTLI_QUALITY,
    ) -> EncodeResult:
        """(T, S, S, C) uint8 frames -> lossless payload (wire v1): ``alpha`` frames, ``beta`` of their pixels."""
        timings: dict[str, float] = {}
        indices, mask = self._select(frames, alpha, beta, timings)
        s = self.config.img_size
        if mask is None:
            mask = np.ones((alpha, s, s), dtype=bool)
        start = time.perf_counter()
        if values == "uint8":
            kept = frames[indices]  # (α, S, S, C)
        else:  # normalised float32
            kept = np.moveaxis(normalize(frames[indices], self.config.mean, self.config.std), 1, -1)  # (α, S, S, C)
        vals = kept[mask].reshape(alpha, -1, kept.shape[-1])  # (α, k, C): kept pixels in (frame, raster) order
        tensor = SemanticTensor(self.config.num_frames, indices.astype(np.int64), float(beta), mask, vals)
        payload = wire.pack(tensor, entropy=entropy, quality=quality)
        timings["entropy_encode"] = _ms(start)
        return self._result(payload, indices, beta, timings, values=values, entropy=entropy)

    def encode_coded(
        self,
        frames: np.ndarray,
        alpha: int,
        beta: float,
        max_bytes: int | None = None,
        *,
        crf: int | None = None,
        scale: int = 1,
        preset: str = codec.PRESET,
        start_crf: int = 30,
        max_tries: int = 5,
        slack: float = 0.0,
    ) -> EncodeResult:
        """(T, S, S, C) uint8 frames -> H.264 payload (wire v2) of at most ``max_bytes`` (when CRF 51 allows it),
        or at a fixed ``crf``: FA's ``alpha`` frames, SA's ``beta`` of their pixels with the rest filled flat,
        coded at 1/``scale`` of the side. ``timings_ms['entropy_encode']`` is the codec's time (all tries) with
        packing."""
        if (max_bytes is None) == (crf is None):
            raise ValueError("give a byte budget or a CRF, not both")
        timings: dict[str, float] = {}
        indices, mask = self._select(frames, alpha, beta, timings)
        start = time.perf_counter()
        kept = codec.fill_dropped(frames[indices], mask) if mask is not None else frames[indices]
        kept = codec.downscale(kept, scale)
        if max_bytes is not None:
            room = max(max_bytes - wire.coded_overhead(self.config.num_frames), 1)
            enc = codec.encode_within(kept, room, start_crf=start_crf, preset=preset, max_tries=max_tries, slack=slack)
        else:
            assert crf is not None
            enc = codec.Encoded(codec.encode(kept, crf, preset=preset), crf, 1)
        s = self.config.img_size
        ch, cw = int(kept.shape[1]), int(kept.shape[2])
        clip = CodedClip(self.config.num_frames, indices.astype(np.int64), float(beta), s, s, ch, cw, enc.data)
        payload = wire.pack_coded(clip)
        timings["entropy_encode"] = _ms(start)
        return self._result(payload, indices, beta, timings, coded=enc, max_bytes=max_bytes, scale=scale)

    def encode_latent(
        self, frames: np.ndarray, alpha: int, max_bytes: int | None = None, *, level: int | None = None
    ) -> EncodeResult:
        """(T, S, S, C) uint8 frames -> learned-latent payload (wire v3): FA's ``alpha`` frames through the
        analysis transform, quantised at ``level``, or at the highest level whose payload fits ``max_bytes``
        (the lowest level when none does). ``timings_ms['entropy_encode']``: analysis, quantising, rANS, packing."""
        tables = self.latent_tables
        if tables is None:
            raise ValueError("this model has no latent codec (wire v3): train one with stae finetune-latent")
        if (max_bytes is None) == (level is None):
            raise ValueError("give a byte budget or a rate level, not both")
        if level is not None and not 0 <= level < tables.levels:
            raise ValueError(f"level must be in [0, {tables.levels}), got {level}")
        timings: dict[str, float] = {}
        indices, _ = self._select(frames, alpha, 1.0, timings)
        start = time.perf_counter()
        latent = self.attention.latent(np.ascontiguousarray(frames[indices]))  # (α, channels, S/8, S/8)
        overhead = wire.latent_overhead(self.config.num_frames)
        if level is None:  # the highest level whose ideal size fits, then down while the real stream does not
            assert max_bytes is not None
            level = 0
            for lv in range(tables.levels - 1, -1, -1):
                q = tables.quantize(latent, lv)
                if (
                    overhead + 4 + tables.tables.bits(q.ravel() + tables.max_symbol, tables.table_ids(q.shape, lv)) / 8
                    <= max_bytes
                ):
                    level = lv
                    break
        while True:
            values = tables.quantize(latent, level)
            stream = tables.encode(values, level)
            if max_bytes is None or overhead + len(stream) <= max_bytes or level == 0:
                break
            level -= 1
        s = self.config.img_size
        clip = LatentClip(self.config.num_frames, indices, level, tables.channels, s, s, tables.tables_id, stream)
        payload = wire.pack_latent(clip)
        timings["entropy_encode"] = _ms(start)
        return self._result(payload, indices, 1.0, timings, max_bytes=max_bytes, level=level)
