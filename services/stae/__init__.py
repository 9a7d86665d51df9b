"""ViT STAE: spatiotemporal-attention semantic compression for offloaded video action recognition.

Camera side: :class:`SemanticEncoder`. Edge side: :class:`SemanticDecoder`. Between them: :mod:`stae.wire`.
"""

from typing import TYPE_CHECKING, Any

from stae.config import STAEConfig
from stae.errors import NotReadyError, STAEError
from stae.wire import CodedClip, PayloadError, SemanticTensor, WireLimits

if TYPE_CHECKING:
    from stae.camera import EncodeResult, SemanticEncoder
    from stae.pipeline import Prediction, SemanticDecoder
    from stae.video import VideoError, prepare_frames, read_clip

# The names that need PyTorch are imported on first use, so that torch-free parts (the wire format, the
# controller, the simulator) import without it.
_LAZY = {
    "EncodeResult": "stae.camera",
    "Prediction": "stae.pipeline",
    "SemanticDecoder": "stae.pipeline",
    "SemanticEncoder": "stae.camera",
    "VideoError": "stae.video",
    "prepare_frames": "stae.video",
    "read_clip": "stae.video",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'stae' has no attribute {name!r}")


__all__ = [
    "CodedClip",
    "EncodeResult",
    "NotReadyError",
    "PayloadError",
    "Prediction",
    "STAEConfig",
    "STAEError",
    "SemanticDecoder",
    "SemanticEncoder",
    "SemanticTensor",
    "VideoError",
    "WireLimits",
    "prepare_frames",
    "read_clip",
]
__version__ = "0.1.0"
