"""The two halves of Fig. 1 as callable objects: what the services, the CLI, evaluation and benchmarks run.

Two encodings of the same selection (wire versions 1 and 2):

    SemanticEncoder.encode (lossless, v1):  frames ─► FA (keep α) ─► SA (keep β) ─► wire.pack (+ brotli) ─► bytes
    SemanticEncoder.encode_coded (v2):      frames ─► FA (keep α) ─► SA (keep β; the rest filled flat)
                                              ─► downscale ─► H.264 within a byte budget ─► wire.pack_coded ─► bytes
    SemanticDecoder:  v1 bytes ─► wire.unpack ─► zero-fill ─► FR ─► ViT ─► top-k labels
                      v2 bytes ─► wire.unpack ─► H.264 decode ─► upscale ─► ViT ─► top-k labels

As in the paper, FA runs only when α < T and SA and FR only when β < 100%. A v2 payload carries dense decoded
frames, so FR does not run on it: the ViT is fine-tuned on what the codec delivers (``stae finetune-codec``).
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
from stae.config import STAEConfig
from stae.models.checkpoint import CheckpointInfo, load_part, read_checkpoint
from stae.models.feature_recovery import FeatureRecovery
from stae.models.frame_attention import FrameAttention
from stae.models.spatial_attention import SpatialAttention
from stae.models.stae import STAE
from stae.models.vit import VideoViT
from stae.video import normalize
from stae.wire import CodedClip, PayloadError, SemanticTensor


@dataclass(frozen=True)
class DecodedClip:
    """A wire v2 payload after H.264 decoding: the kept frames as the codec delivered them."""

    frame_indices: np.ndarray  # (α,) int64
    beta: float
    frames: np.ndarray  # (α, h, w, 3) uint8 at the coded size

    @property
    def alpha(self) -> int:
        return int(self.frame_indices.shape[0])


Received = SemanticTensor | DecodedClip  # what SemanticDecoder.unpack returns


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
    crf: int | None = None  # wire v2: the H.264 CRF the byte budget allowed; None for v1
    max_bytes: int | None = None  # wire v2: the byte budget asked for
    scale: int = 1  # wire v2: the frames were coded at 1/scale of the model's side

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

    def _select(
        self, frames: np.ndarray, alpha: int, beta: float, timings: dict[str, float], need_x: bool = False
    ) -> tuple[Tensor | None, Tensor, np.ndarray | None]:
        """FA's kept frame indices (1, α) and SA's mask (α, S, S) (None at β = 100%), with the normalised clip
        (1, T, C, S, S) when an attention stage or ``need_x`` needed it."""
        self.check_frames(frames)
        t, s = self.config.num_frames, self.config.img_size
        if not 1 <= alpha <= t:
            raise ValueError(f"alpha must be in [1, {t}], got {alpha}")
        wire.kept_pixels(beta, s, s)  # validates beta
        # Normalising the clip is part of the first attention stage that runs (FA, else SA).
        timings.update(fa=0.0, sa=0.0)
        start = time.perf_counter()
        x = None
        if alpha < t or beta < 1.0 or need_x:
            x = normalize(frames, self.config.mean, self.config.std)[None]  # (1, T, C, S, S)
        if alpha < t:
            assert x is not None
            idx = FrameAttention.select(self.fa(x), alpha)  # (1, α)
            timings["fa"] = _ms(start)
            start = time.perf_counter()
        else:
            idx = torch.arange(t)[None]
        mask = None
        if beta < 1.0:
            assert x is not None
            mask = SpatialAttention.select(self.sa(x, idx), beta)[0].numpy()  # (α, S, S)
            timings["sa"] = _ms(start)
        return x, idx, mask

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
        """(T, S, S, C) uint8 frames -> lossless payload (wire v1): ``alpha`` frames, ``beta`` of their pixels."""
        timings: dict[str, float] = {}
        x, idx, mask = self._select(frames, alpha, beta, timings, need_x=values == "float32")
        s, c = self.config.img_size, self.config.vit.in_chans
        if mask is None:
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
        tensor = SemanticTensor(self.config.num_frames, indices.astype(np.int64), float(beta), mask, vals)
        payload = wire.pack(tensor, entropy=entropy, quality=quality)
        timings["entropy_encode"] = _ms(start)
        return self._result(payload, indices, beta, timings, values=values, entropy=entropy)

    @torch.inference_mode()
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
        _, idx, mask = self._select(frames, alpha, beta, timings)
        start = time.perf_counter()
        indices = idx[0].numpy()
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
        return cls(info.config, fr, vit, device)

    @classmethod
    def from_model(cls, model: STAE, device: str | torch.device = "cpu") -> SemanticDecoder:
        return cls(model.cfg, model.fr, model.vit, device)

    def unpack(self, payload: bytes) -> Received:
        """Parse a payload (either wire version) and check it fits this model's geometry; a v2 payload's video
        stream is decoded here. PayloadError for anything wrong with it."""
        cfg = self.config
        want = (cfg.num_frames, cfg.vit.in_chans, cfg.img_size, cfg.img_size)
        got = wire.geometry(payload)  # from the header alone: no work on another model's payload
        if got is not None and got != want:
            raise PayloadError(f"payload geometry {got} (T, C, H, W) does not match this model's {want}")
        msg = wire.unpack(payload, self.limits)
        if isinstance(msg, SemanticTensor):
            return msg
        try:
            frames = codec.decode(msg.stream, msg.alpha, msg.coded_height, msg.coded_width)
        except codec.CodecError as exc:
            raise PayloadError(str(exc)) from None
        return DecodedClip(msg.frame_indices, msg.beta, frames)

    def dense(self, msg: Received) -> tuple[Tensor, Tensor]:
        """Normalised frames (α, C, H, W) and mask (α, 1, H, W) of a received message: a semantic tensor's kept
        pixels zero-filled, or a decoded clip's frames scaled up to the model's size (mask all ones)."""
        s = self.config.img_size
        if isinstance(msg, DecodedClip):
            frames = normalize(msg.frames, self.config.mean, self.config.std)  # (α, C, h, w)
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
            frames = normalize(filled, self.config.mean, self.config.std)  # (α, C, H, W)
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
