"""The four modules of ViT STAE, their presets, and checkpoint I/O."""

from stae.checkpoint import CheckpointError, CheckpointInfo, read_checkpoint
from stae.models.checkpoint import load_model, load_part, save_checkpoint
from stae.models.feature_recovery import FeatureRecovery
from stae.models.frame_attention import FrameAttention
from stae.models.registry import build_config, model_names
from stae.models.spatial_attention import SpatialAttention
from stae.models.stae import STAE
from stae.models.videomae import VideoMAEError, load_videomae
from stae.models.vit import VideoViT

__all__ = [
    "STAE",
    "CheckpointError",
    "CheckpointInfo",
    "FeatureRecovery",
    "FrameAttention",
    "SpatialAttention",
    "VideoMAEError",
    "VideoViT",
    "build_config",
    "load_model",
    "load_part",
    "load_videomae",
    "model_names",
    "read_checkpoint",
    "save_checkpoint",
]
