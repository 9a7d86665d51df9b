"""The two halves of Fig. 1 as callable objects: what the services, the CLI, evaluation and benchmarks run.

    SemanticEncoder (camera):  frames ─► FA (keep α) ─► SA (keep β) ─► wire.pack (+ brotli) ─► bytes
    SemanticDecoder (edge):    bytes ─► wire.unpack ─► zero-fill ─► FR ─► ViT ─► top-k labels

As in the paper, FA runs only when α < T and SA and FR only when β < 100%.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from stae import wire
from stae.config import STAEConfig
from stae.models.checkpoint import CheckpointInfo, load_part, read_checkpoint
from stae.models.feature_recovery import FeatureRecovery
from stae.models.frame_attention import FrameAttention
from stae.models.spatial_attention import SpatialAttention
from stae.models.stae import STAE
from stae.models.vit import VideoViT
from stae.video import normalize
from stae.wire import PayloadError, SemanticTensor


def resolve_device(name: str) -> str:
    """``auto`` -> ``cuda`` when a GPU is present, else ``cpu``; ``cuda`` without a GPU is an error."""
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device cuda was requested but no CUDA GPU is available; use cpu or auto")
    return name


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

    def __init__(self, config: STAEConfig, fa: FrameAttention, sa: SpatialAttention) -> None:
        self.config = config
        self.fa = fa.eval()
        self.sa = sa.eval()

    @classmethod
    def from_checkpoint(cls, path: str | Path | CheckpointInfo) -> SemanticEncoder:
        info = path if isinstance(path, CheckpointInfo) else read_checkpoint(path)
        fa = load_part(info, "fa")
        sa = load_part(info, "sa")
        assert isinstance(fa, FrameAttention) and isinstance(sa, SpatialAttention)
        return cls(info.config, fa, sa)

    @classmethod
    def from_model(cls, model: STAE) -> SemanticEncoder:
        return cls(model.cfg, model.fa, model.sa)

    def check_frames(self, frames: np.ndarray) -> None:
        t, s, c = self.config.num_frames, self.config.img_size, self.config.vit.in_chans
        if frames.dtype != np.uint8 or frames.shape != (t, s, s, c):
            raise ValueError(
                f"expected uint8 frames of shape ({t}, {s}, {s}, {c}); got {frames.dtype} {frames.shape}: "
                "use stae.video.read_clip or prepare_frames"
            )

    @torch.inference_mode()
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
        """(T, S, S, C) uint8 frames -> payload keeping ``alpha`` frames and ``beta`` of their pixels."""
        self.check_frames(frames)
        cfg = self.config
        t, s, c = cfg.num_frames, cfg.img_size, cfg.vit.in_chans
        if not 1 <= alpha <= t:
            raise ValueError(f"alpha must be in [1, {t}], got {alpha}")
        wire.kept_pixels(beta, s, s)  # validates beta
        # Normalising the clip is part of the first attention stage that runs (FA, else SA).
        timings = {"fa": 0.0, "sa": 0.0}
        start = time.perf_counter()
        x = None
        if alpha < t or beta < 1.0 or values == "float32":
            x = normalize(frames, cfg.mean, cfg.std)[None]  # (1, T, C, S, S)
        if alpha < t:
            assert x is not None
            idx = FrameAttention.select(self.fa(x), alpha)  # (1, α)
            timings["fa"] = _ms(start)
            start = time.perf_counter()
        else:
            idx = torch.arange(t)[None]
        if beta < 1.0:
            assert x is not None
            mask = SpatialAttention.select(self.sa(x, idx), beta)[0].numpy()  # (α, S, S)
            timings["sa"] = _ms(start)
        else:
            mask = np.ones((alpha, s, s), dtype=bool)

        start = time.perf_counter()
        indices = idx[0].numpy()
        # Kept pixels in (frame, raster) order: flat positions into the (α*S*S, C) array of kept frames.
        flat = torch.from_numpy(np.flatnonzero(mask))
        if values == "uint8":
            kept = torch.from_numpy(frames[indices]).reshape(alpha * s * s, c)
        else:
            assert x is not None
            kept = x[0, idx[0]].movedim(1, -1).reshape(alpha * s * s, c)  # (α*S*S, C) normalised
        vals = kept.index_select(0, flat).reshape(alpha, -1, c).numpy()  # (α, k, C)
        tensor = SemanticTensor(t, indices.astype(np.int64), float(beta), mask, vals)
        payload = wire.pack(tensor, entropy=entropy, quality=quality)
        timings["entropy_encode"] = _ms(start)
        return EncodeResult(
            payload=payload,
            frame_indices=indices.tolist(),
            alpha=alpha,
            beta=float(beta),
            value_encoding=values,
            entropy=entropy,
            eq1_bytes=tensor.eq1_bytes(),
            raw_float32_bytes=4 * t * c * s * s,
            raw_uint8_bytes=t * c * s * s,
            timings_ms=timings,
        )


@dataclass(frozen=True)
class Prediction:
    labels: list[str]  # top-k, best first
    scores: list[float]  # softmax probabilities
    class_ids: list[int]
    frame_indices: list[int]
    beta: float
    timings_ms: dict[str, float] = field(default_factory=dict)  # entropy_decode, fr, vit


class SemanticDecoder:
    """Edge side: unpack, restore missing pixels with FR, classify with the ViT. Holds only FR and the ViT."""

    def __init__(
        self,
        config: STAEConfig,
        fr: FeatureRecovery,
        vit: VideoViT,
        device: str | torch.device = "cpu",
        limits: wire.WireLimits | None = None,
    ) -> None:
        self.config = config
        self.device = torch.device(device)
        self.fr = fr.eval().to(self.device)
        self.vit = vit.eval().to(self.device)
        self.limits = limits or wire.WireLimits()

    @classmethod
    def from_checkpoint(cls, path: str | Path | CheckpointInfo, device: str | torch.device = "cpu") -> SemanticDecoder:
        info = path if isinstance(path, CheckpointInfo) else read_checkpoint(path)
        fr = load_part(info, "fr", device)
        vit = load_part(info, "vit", device)
        assert isinstance(fr, FeatureRecovery) and isinstance(vit, VideoViT)
        return cls(info.config, fr, vit, device)

    @classmethod
    def from_model(cls, model: STAE, device: str | torch.device = "cpu") -> SemanticDecoder:
        return cls(model.cfg, model.fr, model.vit, device)

    def unpack(self, payload: bytes) -> SemanticTensor:
        """Parse a payload and check it fits this model's geometry; PayloadError otherwise."""
        tensor = wire.unpack(payload, self.limits)
        cfg = self.config
        got = (tensor.num_frames, tensor.channels, tensor.height, tensor.width)
        want = (cfg.num_frames, cfg.vit.in_chans, cfg.img_size, cfg.img_size)
        if got != want:
            raise PayloadError(f"payload geometry {got} (T, C, H, W) does not match this model's {want}")
        return tensor

    def dense(self, tensor: SemanticTensor) -> tuple[Tensor, Tensor]:
        """Zero-filled normalised frames (α, C, H, W) and mask (α, 1, H, W) of a semantic tensor."""
        a, k, c = tensor.values.shape
        h, w = tensor.height, tensor.width
        mask = torch.from_numpy(tensor.mask)  # (α, H, W)
        received = torch.from_numpy(tensor.values).reshape(a * k, c)
        filled = torch.zeros(a, h, w, c, dtype=received.dtype)
        filled[mask] = received  # kept pixels in (frame, raster) order, as on the wire
        if tensor.value_encoding == "uint8":
            frames = normalize(filled, self.config.mean, self.config.std)  # (α, C, H, W)
        else:
            frames = filled.movedim(-1, -3)  # float32 values are already normalised
        fmask = mask[:, None].float()  # (α, 1, H, W)
        return frames * fmask, fmask

    @torch.inference_mode()
    def logits(self, tensors: Sequence[SemanticTensor], timings: dict[str, float] | None = None) -> Tensor:
        """Class logits (N, K) for semantic tensors that share α (one forward pass)."""
        if len({t.alpha for t in tensors}) != 1:
            raise ValueError("a batch must share the number of kept frames α; group requests by α")
        timings = timings if timings is not None else {}
        # FR's time includes building its input, the zero-filled frames X'_M (section III-B).
        start = time.perf_counter()
        dense = [self.dense(t) for t in tensors]
        frames = torch.stack([d[0] for d in dense]).to(self.device)  # (N, α, C, H, W)
        masks = torch.stack([d[1] for d in dense]).to(self.device)  # (N, α, 1, H, W)
        indices = torch.from_numpy(np.stack([t.frame_indices for t in tensors])).to(self.device)  # (N, α)
        # bf16 autocast on GPU; float32 on CPU (where bf16 is slower and less exact)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.device.type == "cuda"):
            if any(t.beta < 1.0 for t in tensors):
                frames = self.fr(frames, masks)
            _sync(self.device)
            timings["fr"] = _ms(start)
            start = time.perf_counter()
            out = self.vit(frames, indices).float()
            _sync(self.device)
            timings["vit"] = _ms(start)
        return out

    def predictions(
        self, tensors: Sequence[SemanticTensor], top_k: int = 5, timings: dict[str, float] | None = None
    ) -> list[Prediction]:
        """Top-k predictions for semantic tensors that share α, in one forward pass."""
        timings = timings if timings is not None else {}
        probs = torch.softmax(self.logits(tensors, timings), dim=1).cpu()
        top = torch.topk(probs, min(top_k, probs.shape[1]), dim=1)
        return [
            Prediction(
                labels=[self.config.label(i) for i in ids],
                scores=scores,
                class_ids=ids,
                frame_indices=t.frame_indices.tolist(),
                beta=t.beta,
                timings_ms=dict(timings),
            )
            for t, ids, scores in zip(tensors, top.indices.tolist(), top.values.tolist(), strict=True)
        ]

    def predict(self, tensor: SemanticTensor, top_k: int = 5) -> Prediction:
        return self.predictions([tensor], top_k)[0]

    def decode(self, payload: bytes, top_k: int = 5) -> Prediction:
        """Payload bytes -> top-k prediction, with the time of each decoder stage."""
        start = time.perf_counter()
        tensor = self.unpack(payload)
        unpack_ms = _ms(start)
        pred = self.predict(tensor, top_k)
        pred.timings_ms["entropy_decode"] = unpack_ms
        return pred


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
