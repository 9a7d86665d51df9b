"""ViT STAE: the four modules of Fig. 1 in one container, the unit a checkpoint stores.

Camera side: ``fa`` (frame attention) and ``sa`` (spatial attention). Edge side: ``fr`` (feature recovery) and
``vit`` (the classifier). Each side loads only its own parts of a checkpoint. A model with wire v3 also has
``latent`` (:class:`~stae.models.latent.LatentCodec`: the camera runs its analysis, the edge its synthesis).
"""

from __future__ import annotations

from typing import Literal, cast

import torch
from torch import nn

from stae.config import STAEConfig
from stae.models.feature_recovery import FeatureRecovery
from stae.models.frame_attention import FrameAttention
from stae.models.latent import LatentCodec
from stae.models.registry import build_config
from stae.models.spatial_attention import SpatialAttention
from stae.models.vit import VideoViT

Part = Literal["fa", "sa", "fr", "vit", "latent"]
PARTS: tuple[Part, ...] = ("fa", "sa", "fr", "vit", "latent")


def build_part(cfg: STAEConfig, part: Part) -> nn.Module:
    """A freshly initialised module for one part of the model."""
    if part == "fa":
        return FrameAttention(cfg.fa, cfg.num_frames, cfg.vit.in_chans)
    if part == "sa":
        return SpatialAttention(cfg.sa)
    if part == "fr":
        return FeatureRecovery(cfg.fr, cfg.vit.in_chans)
    if part == "vit":
        return VideoViT(cfg.vit)
    if part == "latent":
        if cfg.latent is None:
            raise ValueError("this model has no latent codec (wire v3): train one with stae finetune-latent")
        return LatentCodec(cfg.latent, cfg.vit.in_chans)
    raise ValueError(f"unknown part {part!r}; parts are {PARTS}")


class STAE(nn.Module):
    def __init__(self, cfg: STAEConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.fa = cast(FrameAttention, build_part(cfg, "fa"))
        self.sa = cast(SpatialAttention, build_part(cfg, "sa"))
        self.fr = cast(FeatureRecovery, build_part(cfg, "fr"))
        self.vit = cast(VideoViT, build_part(cfg, "vit"))
        self.latent = cast(LatentCodec, build_part(cfg, "latent")) if cfg.latent else None


RANDOM_SEED = 0


def random_model(name: str, seed: int = RANDOM_SEED) -> STAE:
    """A seeded, randomly initialised preset: the CLI and both services build the very same one, so encoder and
    decoder agree without any checkpoint."""
    torch.manual_seed(seed)
    return STAE(build_config(name)).eval()
