"""Frame and spatial attention as the camera runs them: weights from a runtime, selections in numpy.

A runtime is anything with ``frame_weights`` and ``pixel_weights`` (:class:`Attention`): ONNX Runtime over the
files ``stae export-onnx`` writes into a checkpoint (:class:`OnnxAttention`, no torch), or PyTorch
(``stae.camera.torch_graphs.TorchAttention``). Both take uint8 frames and normalise inside their graph.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from stae import wire
from stae.checkpoint import ONNX_FILES, CheckpointError, CheckpointInfo

log = logging.getLogger(__name__)

Runtime = Literal["auto", "onnx", "torch"]
ONNX_OPSET = 17
DIGEST_KEY = "stae_weights_sha256"


class Attention(Protocol):
    runtime: str

    def frame_weights(self, frames: np.ndarray) -> np.ndarray:
        """(T, S, S, C) uint8 -> (T,) float32 FA weights."""
        ...

    def pixel_weights(self, frames: np.ndarray, indices: npt.NDArray[np.int64]) -> np.ndarray:
        """(T, S, S, C) uint8 and kept indices (α,) -> (α, S, S) float32 SA weights."""
        ...

    def latent(self, kept: np.ndarray) -> np.ndarray:
        """(α, S, S, C) uint8 kept frames -> (α, channels, S/8, S/8) float32 wire-v3 latent (before the gain);
        CheckpointError for a model without a latent codec."""
        ...


def previous_frames(indices: npt.NDArray[np.int64], num_frames: int) -> npt.NDArray[np.int64]:
    """The frame each kept frame's motion is taken against: the one before it (frame 0: frame 1)."""
    return np.where(indices > 0, indices - 1, min(1, num_frames - 1))


def select_frames(weights: np.ndarray, alpha: int) -> npt.NDArray[np.int64]:
    """(T,) weights -> the α highest-weighted frame indices in temporal order (ties: the earlier frame)."""
    if not 1 <= alpha <= len(weights):
        raise ValueError(f"alpha must be in [1, {len(weights)}], got {alpha}")
    return np.sort(np.argsort(-weights, kind="stable")[:alpha]).astype(np.int64)


def select_pixels(weights: np.ndarray, beta: float) -> npt.NDArray[np.bool_]:
    """(α, H, W) weights -> bool mask with exactly round(β·H·W) of the highest-weighted pixels of each frame;
    among equal weights at the threshold the first in raster order win, so equal weights give equal masks
    whatever the runtime (SA's sigmoid saturates: many pixels share a weight)."""
    a, h, w = weights.shape
    n, k = h * w, wire.kept_pixels(beta, h, w)
    flat = weights.reshape(a, n)
    kth = np.partition(flat, n - k, axis=1)[:, n - k : n - k + 1]  # (α, 1): the k-th highest weight
    above = flat > kth
    at = flat == kth
    need = k - above.sum(axis=1, keepdims=True)  # how many of the tied pixels to keep
    return (above | (at & (np.cumsum(at, axis=1) <= need))).reshape(a, h, w)


class OnnxAttention:
    """FA and SA on ONNX Runtime, from a checkpoint's ``fa.onnx`` and ``sa.onnx``."""

    runtime = "onnx"

    def __init__(
        self, fa: Path, sa: Path, digest: str | None = None, threads: int = 0, latent: Path | None = None
    ) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads  # 0: ONNX Runtime's default (the physical cores)
        self.sessions = {}
        parts = [("fa", fa), ("sa", sa)] + ([("latent", latent)] if latent else [])
        for part, path in parts:
            sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
            stamped = sess.get_modelmeta().custom_metadata_map.get(DIGEST_KEY)
            if digest is not None and stamped != digest:
                raise CheckpointError(
                    f"{path} was exported from other weights than this checkpoint's: run `stae export-onnx "
                    f"{path.parent}` again"
                )
            self.sessions[part] = sess
        self._sa_inputs = {i.name for i in self.sessions["sa"].get_inputs()}

    @classmethod
    def from_checkpoint(cls, info: CheckpointInfo, threads: int = 0) -> OnnxAttention:
        fa, sa, latent = (info.path / ONNX_FILES[p] for p in ("fa", "sa", "latent"))
        if not (fa.is_file() and sa.is_file()):
            raise CheckpointError(f"{info.path} has no ONNX export of FA and SA: run `stae export-onnx {info.path}`")
        if info.config.latent is not None and not latent.is_file():
            raise CheckpointError(f"{info.path} has no ONNX export of its latent codec: run `stae export-onnx`")
        return cls(fa, sa, info.weights_digest(), threads, latent if info.config.latent is not None else None)

    def frame_weights(self, frames: np.ndarray) -> np.ndarray:
        return self.sessions["fa"].run(None, {"frames": frames})[0]

    def pixel_weights(self, frames: np.ndarray, indices: npt.NDArray[np.int64]) -> np.ndarray:
        feeds = {"kept": frames[indices], "prev": frames[previous_frames(indices, len(frames))]}
        return self.sessions["sa"].run(None, {k: v for k, v in feeds.items() if k in self._sa_inputs})[0]

    def latent(self, kept: np.ndarray) -> np.ndarray:
        if "latent" not in self.sessions:
            raise CheckpointError("this model has no latent codec (wire v3)")
        return self.sessions["latent"].run(None, {"kept": kept})[0]


def load_attention(info: CheckpointInfo, runtime: Runtime = "auto") -> Attention:
    """The checkpoint's FA and SA on ``runtime``; ``auto`` prefers ONNX Runtime (the camera needs no torch) and
    falls back to PyTorch where the checkpoint has no current ONNX export."""
    if runtime in ("auto", "onnx"):
        try:
            return OnnxAttention.from_checkpoint(info)
        except (CheckpointError, ImportError) as exc:
            if runtime == "onnx":
                raise CheckpointError(f"cannot run FA and SA on ONNX Runtime: {exc}") from None
            log.info("FA and SA on PyTorch: %s", exc)
    try:
        from stae.camera.torch_graphs import TorchAttention
    except ImportError:
        raise CheckpointError(
            f"{info.path}: no usable ONNX export and no PyTorch here; run `stae export-onnx {info.path}` where "
            "torch is installed (pip install 'stae[server]')"
        ) from None
    return TorchAttention.from_checkpoint(info)
