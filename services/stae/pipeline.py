"""Edge side of Fig. 1: unpack, restore, classify. What the decoder service, evaluation and benchmarks run.

    SemanticDecoder:  v1 bytes ─► wire.unpack ─► zero-fill ─► FR ─► ViT ─► top-k labels
                      v2 bytes ─► wire.unpack ─► H.264 decode ─► upscale ─► ViT ─► top-k labels
                      v3 bytes ─► wire.unpack ─► rANS decode ─► synthesis ─► ViT ─► top-k labels

FR runs only on v1 payloads with β < 100%. A v2 payload carries dense decoded frames, so FR does not run on
it: the ViT is fine-tuned on what the codec delivers (``stae finetune-codec``). The camera side is
:mod:`stae.camera`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from stae import codec, wire
from stae.checkpoint import CheckpointError, CheckpointInfo, read_checkpoint
from stae.config import STAEConfig
from stae.latent import LatentTables
from stae.models.checkpoint import load_part
from stae.models.feature_recovery import FeatureRecovery
from stae.models.latent import LatentCodec
from stae.models.stae import STAE
from stae.models.vit import VideoViT
from stae.rans import RansError
from stae.video import normalize
from stae.wire import PayloadError, SemanticTensor


@dataclass(frozen=True)
class DecodedClip:
    """A wire v2 payload after H.264 decoding: the kept frames as the codec delivered them."""

    frame_indices: np.ndarray  # (α,) int64
    beta: float
    frames: np.ndarray  # (α, h, w, 3) uint8 at the coded size

    @property
    def alpha(self) -> int:
        return int(self.frame_indices.shape[0])


@dataclass(frozen=True)
class LatentSymbols:
    """A wire v3 payload after entropy decoding: the kept frames' latent symbol values at one rate level."""

    frame_indices: np.ndarray  # (α,) int64
    level: int
    values: np.ndarray  # (α, channels, S/8, S/8) int64 in [-K, K]
    beta: float = 1.0

    @property
    def alpha(self) -> int:
        return int(self.frame_indices.shape[0])


Received = SemanticTensor | DecodedClip | LatentSymbols  # what SemanticDecoder.unpack returns


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
        latent: tuple[LatentCodec, LatentTables] | None = None,
    ) -> None:
        self.config = config
        self.device = torch.device(device)
        self.fr = fr.eval().to(self.device)
        self.vit = vit.eval().to(self.device)
        self.latent = (latent[0].eval().to(self.device), latent[1]) if latent else None
        # A payload larger than the model's own geometry is refused from its header, before any decompression.
        t, side, c = config.num_frames, config.img_size, config.vit.in_chans
        self.limits = limits or wire.WireLimits(
            max_frames=t, max_side=side, max_raw_bytes=t * (1 + side * side + side * side * c * 4)
        )

    @classmethod
    def from_checkpoint(cls, path: str | Path | CheckpointInfo, device: str | torch.device = "cpu") -> SemanticDecoder:
        info = path if isinstance(path, CheckpointInfo) else read_checkpoint(path)
        fr = load_part(info, "fr", device)
        vit = load_part(info, "vit", device)
        assert isinstance(fr, FeatureRecovery) and isinstance(vit, VideoViT)
        latent = None
        if info.config.latent is not None:
            codec = load_part(info, "latent", device)
            assert isinstance(codec, LatentCodec)
            try:
                latent = (codec, LatentTables.load(info.path))
            except ValueError as exc:
                raise CheckpointError(str(exc)) from None
        return cls(info.config, fr, vit, device, latent=latent)

    @classmethod
    def from_model(
        cls, model: STAE, device: str | torch.device = "cpu", latent: LatentTables | None = None
    ) -> SemanticDecoder:
        codec = (model.latent, latent) if model.latent is not None and latent is not None else None
        return cls(model.cfg, model.fr, model.vit, device, latent=codec)

    def unpack(self, payload: bytes) -> Received:
        """Parse a payload (any wire version) and check it fits this model's geometry; a v2 payload's video
        stream is decoded here, a v3 payload's symbols too. PayloadError for anything wrong with it."""
        return self.restore(self.parse(payload))

    @property
    def geometry(self) -> tuple[int, int, int, int]:
        """(T, C, H, W) of the clips this model classifies."""
        cfg = self.config
        return cfg.num_frames, cfg.vit.in_chans, cfg.img_size, cfg.img_size

    def parse(self, payload: bytes) -> SemanticTensor | wire.CodedClip | wire.LatentClip:
        """The wire message, checked against this model's geometry (cheap: no video or latent decoding)."""
        want = self.geometry
        head = wire.peek(payload)  # from the header alone: no work on another model's payload
        if head is not None and head.geometry != want:
            raise PayloadError(f"payload geometry {head.geometry} (T, C, H, W) does not match this model's {want}")
        return wire.unpack(payload, self.limits)

    def restore(self, msg: SemanticTensor | wire.CodedClip | wire.LatentClip) -> Received:
        """What the ViT's batch needs from a parsed message: a v2 stream decoded, v3 symbols decoded."""
        if isinstance(msg, SemanticTensor):
            return msg
        if isinstance(msg, wire.LatentClip):
            return self._latent_symbols(msg)
        try:
            frames = codec.decode(msg.stream, msg.alpha, msg.coded_height, msg.coded_width)
        except codec.CodecError as exc:
            raise PayloadError(str(exc)) from None
        return DecodedClip(msg.frame_indices, msg.beta, frames)

    def _latent_symbols(self, msg: wire.LatentClip) -> LatentSymbols:
        if self.latent is None:
            raise PayloadError("a wire v3 (learned latent) payload, but this model has no latent codec")
        tables = self.latent[1]
        if msg.tables_id != tables.tables_id:
            raise PayloadError(
                f"the payload was coded with tables {msg.tables_id:#010x}; this model's are {tables.tables_id:#010x} "
                "(camera and edge run different checkpoints)"
            )
        if msg.channels != tables.channels or not 0 <= msg.level < tables.levels:
            raise PayloadError(
                f"{msg.channels} latent channels at level {msg.level}; this model has {tables.channels} channels "
                f"and levels 0-{tables.levels - 1}"
            )
        try:
            values = tables.decode(msg.stream, msg.latent_shape, msg.level)
        except RansError as exc:
            raise PayloadError(f"latent stream: {exc}") from None
        return LatentSymbols(msg.frame_indices, msg.level, values)

    def dense(self, msg: Received) -> tuple[Tensor, Tensor]:
        """Normalised frames (α, C, H, W) and mask (α, 1, H, W) of a received message: a semantic tensor's kept
        pixels zero-filled, or a decoded clip's frames scaled up to the model's size (mask all ones)."""
        s = self.config.img_size
        if isinstance(msg, LatentSymbols):
            assert self.latent is not None
            values = torch.from_numpy(msg.values).float().to(self.device)
            with torch.inference_mode():
                frames = self.latent[0].dequantize(values, msg.level).float().cpu()  # (α, C, S, S)
            return frames, torch.ones(msg.alpha, 1, s, s)
        if isinstance(msg, DecodedClip):
            frames = torch.from_numpy(normalize(msg.frames, self.config.mean, self.config.std))  # (α, C, h, w)
            if frames.shape[-1] != s:
                frames = F.interpolate(frames, size=(s, s), mode="bilinear", align_corners=False)
            return frames, torch.ones(msg.alpha, 1, s, s)
        a, k, c = msg.values.shape
        h, w = msg.height, msg.width
        mask = torch.from_numpy(msg.mask)  # (α, H, W)
        received = torch.from_numpy(msg.values).reshape(a * k, c)
        filled = torch.zeros(a, h, w, c, dtype=received.dtype)
        filled[mask] = received  # kept pixels in (frame, raster) order, as on the wire
        if msg.value_encoding == "uint8":
            frames = torch.from_numpy(normalize(filled.numpy(), self.config.mean, self.config.std))  # (α, C, H, W)
        else:
            frames = filled.movedim(-1, -3)  # float32 values are already normalised
        fmask = mask[:, None].float()  # (α, 1, H, W)
        return frames * fmask, fmask

    @torch.inference_mode()
    def logits(self, msgs: Sequence[Received], timings: dict[str, float] | None = None) -> Tensor:
        """Class logits (N, K) for received messages that share α (one forward pass; FR on the semantic tensors
        with dropped pixels only)."""
        if len({m.alpha for m in msgs}) != 1:
            raise ValueError("a batch must share the number of kept frames α; group requests by α")
        timings = timings if timings is not None else {}
        # FR's time includes building its input, the zero-filled frames X'_M (section III-B).
        start = time.perf_counter()
        dense = [self.dense(m) for m in msgs]
        frames = torch.stack([d[0] for d in dense]).to(self.device)  # (N, α, C, H, W)
        masks = torch.stack([d[1] for d in dense]).to(self.device)  # (N, α, 1, H, W)
        indices = torch.from_numpy(np.stack([m.frame_indices for m in msgs])).to(self.device)  # (N, α)
        restore = [i for i, m in enumerate(msgs) if isinstance(m, SemanticTensor) and m.beta < 1.0]
        # bf16 autocast on GPU; float32 on CPU (where bf16 is slower and less exact)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.device.type == "cuda"):
            if restore:
                rows = torch.tensor(restore, device=self.device)
                frames = frames.index_copy(0, rows, self.fr(frames[rows], masks[rows]).to(frames.dtype))
            _sync(self.device)
            timings["fr"] = _ms(start)
            start = time.perf_counter()
            out = self.vit(frames, indices).float()
            _sync(self.device)
            timings["vit"] = _ms(start)
        return out

    def predictions(
        self, tensors: Sequence[Received], top_k: int = 5, timings: dict[str, float] | None = None
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

    def predict(self, tensor: Received, top_k: int = 5) -> Prediction:
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
