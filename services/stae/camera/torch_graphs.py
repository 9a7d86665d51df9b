"""The camera's learned parts (FA, SA and the latent analysis) as PyTorch graphs: uint8 frames in, weights out.

The same small graphs run in PyTorch (:class:`TorchAttention`) or are exported to ONNX (:func:`export_onnx`) for
ONNX Runtime on a camera without torch (:class:`stae.camera.attention.OnnxAttention`, wire v3's analysis in
:mod:`stae.camera.encoder`). Normalisation is part of each graph, so both runtimes compute the same thing from the
same bytes. The only module of ``stae.camera`` that imports torch, and only where something asks for it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from stae.camera.attention import ONNX_OPSET, previous_frames
from stae.checkpoint import ONNX_FILES, CheckpointError, CheckpointInfo
from stae.config import STAEConfig
from stae.models.checkpoint import load_part
from stae.models.frame_attention import FrameAttention
from stae.models.latent import LatentCodec
from stae.models.spatial_attention import SpatialAttention


class _Normalize(nn.Module):
    def __init__(self, config: STAEConfig) -> None:
        super().__init__()
        c = len(config.std)
        shift = [m / s for m, s in zip(config.mean, config.std, strict=True)]
        self.scale: Tensor
        self.shift: Tensor
        self.register_buffer("scale", torch.tensor([1.0 / (255.0 * s) for s in config.std]).view(c, 1, 1))
        self.register_buffer("shift", torch.tensor(shift).view(c, 1, 1))

    def forward(self, frames: Tensor) -> Tensor:
        """(N, H, W, C) uint8 -> (N, C, H, W) float32, (x / 255 - mean) / std (as stae.video.normalize)."""
        return frames.permute(0, 3, 1, 2).float() * self.scale - self.shift


class FrameScorer(nn.Module):
    """(T, S, S, C) uint8 frames -> (T,) FA weights."""

    def __init__(self, config: STAEConfig, fa: FrameAttention) -> None:
        super().__init__()
        self.norm, self.fa = _Normalize(config), fa

    def forward(self, frames: Tensor) -> Tensor:
        return self.fa(self.norm(frames)[None])[0]


class PixelScorer(nn.Module):
    """Kept frames (α, S, S, C) and the frame before each (α, S, S, C), uint8 -> (α, S, S) SA weights before
    the sigmoid (the same ranking; float32 saturates near 1 and ties pixels a runtime's rounding would split)."""

    def __init__(self, config: STAEConfig, sa: SpatialAttention) -> None:
        super().__init__()
        self.norm, self.sa = _Normalize(config), sa

    def forward(self, kept: Tensor, prev: Tensor) -> Tensor:
        return self.sa.logits(self.norm(kept), self.norm(prev) if self.sa.cfg.motion else None)


class LatentAnalyzer(nn.Module):
    """Kept frames (α, S, S, C) uint8 -> (α, channels, S/8, S/8) wire-v3 latent, before the level's gain."""

    def __init__(self, config: STAEConfig, codec: LatentCodec) -> None:
        super().__init__()
        self.norm, self.analysis = _Normalize(config), codec.analysis

    def forward(self, kept: Tensor) -> Tensor:
        out: Tensor = self.analysis(self.norm(kept))
        return out


class TorchAttention:
    """The camera's Attention (see stae.camera.attention) on PyTorch."""

    runtime = "torch"

    def __init__(
        self, config: STAEConfig, fa: FrameAttention, sa: SpatialAttention, latent: LatentCodec | None = None
    ) -> None:
        self.frames = FrameScorer(config, fa.eval()).eval()
        self.pixels = PixelScorer(config, sa.eval()).eval()
        self.analyzer = LatentAnalyzer(config, latent).eval() if latent is not None else None

    @classmethod
    def from_checkpoint(cls, info: CheckpointInfo) -> TorchAttention:
        fa, sa = load_part(info, "fa"), load_part(info, "sa")
        latent = load_part(info, "latent") if info.config.latent is not None else None
        assert isinstance(fa, FrameAttention) and isinstance(sa, SpatialAttention)
        assert latent is None or isinstance(latent, LatentCodec)
        return cls(info.config, fa, sa, latent)

    @torch.inference_mode()
    def latent(self, kept: np.ndarray) -> np.ndarray:
        if self.analyzer is None:
            raise CheckpointError("this model has no latent codec (wire v3)")
        return self.analyzer(torch.from_numpy(kept)).numpy()

    @torch.inference_mode()
    def frame_weights(self, frames: np.ndarray) -> np.ndarray:
        return self.frames(torch.from_numpy(frames)).numpy()

    @torch.inference_mode()
    def pixel_weights(self, frames: np.ndarray, indices: np.ndarray) -> np.ndarray:
        kept = torch.from_numpy(frames[indices])
        prev = torch.from_numpy(frames[previous_frames(indices, len(frames))])
        return self.pixels(kept, prev).numpy()


def export_onnx(info: CheckpointInfo) -> list[Path]:
    """Write the checkpoint's FA and SA as ONNX files beside its weights, stamped with the weights' digest (a
    camera refuses files exported from other weights). Returns the files written."""
    attention = TorchAttention.from_checkpoint(info)
    c = info.config
    frames = torch.zeros(c.num_frames, c.img_size, c.img_size, c.vit.in_chans, dtype=torch.uint8)
    kept = frames[:2]
    digest = info.weights_digest()
    out = []
    graphs: list[tuple[str, nn.Module, tuple[Tensor, ...], list[str], dict[str, dict[int, str]] | None]] = [
        ("fa", attention.frames, (frames,), ["frames"], None),
        ("sa", attention.pixels, (kept, kept), ["kept", "prev"], {"kept": {0: "alpha"}, "prev": {0: "alpha"}}),
    ]
    if attention.analyzer is not None:
        graphs.append(("latent", attention.analyzer, (kept,), ["kept"], {"kept": {0: "alpha"}}))
    for part, module, args, names, dynamic in graphs:
        path = info.path / ONNX_FILES[part]
        tmp = path.with_suffix(".tmp")
        out_name = "weights"
        axes = {**dynamic, out_name: {0: "alpha"}} if dynamic else None
        torch.onnx.export(
            module,
            args,
            str(tmp),
            input_names=names,
            output_names=[out_name],
            dynamic_axes=axes,
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
        _stamp(tmp, digest)
        tmp.replace(path)
        out.append(path)
    return out


def _stamp(path: Path, digest: str) -> None:
    import onnx  # only where models are exported

    model = onnx.load(str(path))
    entry = model.metadata_props.add()
    entry.key, entry.value = "stae_weights_sha256", digest
    onnx.save(model, str(path))
