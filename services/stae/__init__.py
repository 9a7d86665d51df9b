"""ViT STAE: spatiotemporal-attention semantic compression for offloaded video action recognition.

Camera side: :class:`SemanticEncoder`. Edge side: :class:`SemanticDecoder`. Between them: :mod:`stae.wire`.
"""

from stae.config import STAEConfig
from stae.errors import NotReadyError, STAEError
from stae.pipeline import EncodeResult, Prediction, SemanticDecoder, SemanticEncoder
from stae.video import VideoError, prepare_frames, read_clip
from stae.wire import CodedClip, PayloadError, SemanticTensor, WireLimits

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
