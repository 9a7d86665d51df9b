"""ViT STAE: spatiotemporal-attention semantic compression for offloaded video action recognition.

Camera side: :class:`SemanticEncoder`. Edge side: :class:`SemanticDecoder`. Between them: :mod:`stae.wire`.
"""

from stae.config import STAEConfig
from stae.pipeline import EncodeResult, Prediction, SemanticDecoder, SemanticEncoder
from stae.video import VideoError, prepare_frames, read_clip
from stae.wire import PayloadError, SemanticTensor, WireLimits

__all__ = [
    "EncodeResult",
    "PayloadError",
    "Prediction",
    "STAEConfig",
    "SemanticDecoder",
    "SemanticEncoder",
    "SemanticTensor",
    "VideoError",
    "WireLimits",
    "prepare_frames",
    "read_clip",
]
__version__ = "0.1.0"
