"""Model configuration: one typed config per module, all of it saved inside every checkpoint.

A checkpoint's ``config.json`` is a serialised :class:`STAEConfig`; it rebuilds every module with no
command-line flags. Presets live in :mod:`stae.models.registry`.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

# The paper's budget grid (section IV-A).
PAPER_ALPHAS: tuple[int, ...] = (1, 2, 4, 8, 16)
PAPER_BETAS: tuple[float, ...] = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ViTConfig(_Frozen):
    """VideoMAE's video ViT (tubelet embedding, fixed sinusoid positions, pre-LN blocks, mean pooling)."""

    img_size: int = Field(224, ge=8)
    patch_size: int = Field(16, ge=1)
    num_frames: int = Field(16, ge=1, le=64)
    tubelet_size: int = Field(2, ge=1)
    in_chans: int = Field(3, ge=1, le=4)
    embed_dim: int = Field(768, ge=8)
    depth: int = Field(12, ge=1)
    num_heads: int = Field(12, ge=1)
    mlp_ratio: float = Field(4.0, gt=0)
    qkv_bias: bool = True  # VideoMAE: learned q and v biases, key bias fixed at zero
    norm_eps: float = Field(1e-6, gt=0)
    fc_norm_eps: float = Field(1e-6, gt=0)
    num_classes: int = Field(51, ge=1)
    drop_path: float = Field(0.0, ge=0, lt=1)
    # How token features become the clip's feature. VideoMAE (and its checkpoints) average them; "max" keeps the
    # strongest response of each channel, which lets a small model trained from scratch find a small actor among
    # many background tokens (mean pooling sat at chance for 10 epochs on the synthetic set; max learned in 2).
    pool: Literal["mean", "max"] = "mean"
    # Convolutions before the tubelet projection (Xiao et al., "Early convolutions help transformers see better",
    # NeurIPS 2021): each entry is one 3 x 3 stride-2 conv of that width on every frame, then the projection covers
    # the remaining patch_size / 2^len(stem) pixels, so the tokens stay VideoMAE's. Empty is VideoMAE's own patchify
    # (its checkpoints); a small model trained from scratch on real footage needs the convolutions' local features.
    stem: tuple[int, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.patch_size % 2 ** len(self.stem):
            raise ValueError(f"patch_size {self.patch_size} is not divisible by 2^{len(self.stem)} (one per stem conv)")
        if self.img_size % self.patch_size:
            raise ValueError(f"img_size {self.img_size} is not a multiple of patch_size {self.patch_size}")
        if self.num_frames % self.tubelet_size:
            raise ValueError(f"num_frames {self.num_frames} is not a multiple of tubelet_size {self.tubelet_size}")
        if self.embed_dim % self.num_heads:
            raise ValueError(f"embed_dim {self.embed_dim} is not a multiple of num_heads {self.num_heads}")
        return self


class FrameAttentionConfig(_Frozen):
    """Eq. 6. ``grid=1, motion=False`` is the paper's exact module: one average and one max per frame."""

    hidden: int = Field(8, ge=1)  # MLP bottleneck width (CBAM's F / r)
    grid: int = Field(1, ge=1, le=16)  # pool each frame to grid x grid cells instead of one value
    motion: bool = False  # also pool |x_t - x_{t-1}|, so the MLP can see where things move


class SpatialAttentionConfig(_Frozen):
    """Eq. 7. ``depth=1, motion=False`` is the paper's exact module: one conv over [mean; max]."""

    kernel_size: int = Field(3, ge=1, le=15)
    depth: int = Field(1, ge=1, le=8)  # conv layers; depth > 1 adds hidden layers of ``width`` channels
    width: int = Field(8, ge=1)
    motion: bool = False  # add [mean; max] of |x_t - x_{t-1}| around each kept frame

    @model_validator(mode="after")
    def _odd(self) -> Self:
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd, got {self.kernel_size}")
        return self


class FeatureRecoveryConfig(_Frozen):
    """Section III-B, Fig. 3: a half-resolution 3D U-Net guiding a full-resolution 2D CNN with dilations."""

    width_3d: int = Field(16, ge=1)
    width_2d: int = Field(32, ge=1)
    dilations: tuple[int, ...] = (2, 4, 8)


class CodedSetting(_Frozen):
    """One wire-v2 encoding (``SemanticEncoder.encode_coded``): FA's α frames, SA's β of their pixels (the rest
    filled flat), coded with H.264 at 1/``scale`` of the side, within a byte budget the controller chooses."""

    alpha: int = Field(ge=1)
    beta: float = Field(1.0, gt=0, le=1)
    scale: int = Field(1, ge=1, le=8)

    @property
    def key(self) -> str:
        return f"{self.alpha},{self.beta:g},{self.scale}"


class LatentConfig(_Frozen):
    """Wire v3: a learned latent of each kept frame, quantised and entropy coded (``stae finetune-latent``).

    The camera's analysis transform maps each of FA's α frames to ``channels`` x S/8 x S/8 values; at rate
    level ``l`` they are multiplied by that level's per-channel gains, rounded and clipped to
    [-``max_symbol``, ``max_symbol``], and coded with one integer frequency table per (level, channel)
    (:mod:`stae.rans`). The edge's synthesis transform turns the symbols back into frames for the ViT. Each
    level was trained with its own weight ``rate_weights[l]`` on the payload's kilobytes (task loss + λ·rate).
    """

    channels: int = Field(12, ge=1, le=64)
    width: int = Field(48, ge=4)  # hidden channels of the analysis and synthesis transforms
    max_symbol: int = Field(7, ge=1, le=31)
    rate_weights: tuple[float, ...] = (3.0, 1.2, 0.5, 0.2, 0.08, 0.03)
    alphas: tuple[int, ...] = (16,)  # FA budgets the transforms were trained for

    @property
    def levels(self) -> int:
        return len(self.rate_weights)

    @property
    def symbols(self) -> int:
        return 2 * self.max_symbol + 1


class STAEConfig(_Frozen):
    """Everything that defines a ViT STAE model: the four modules, input geometry, normalisation, labels."""

    name: str = "custom"
    vit: ViTConfig = ViTConfig()
    fa: FrameAttentionConfig = FrameAttentionConfig()
    sa: SpatialAttentionConfig = SpatialAttentionConfig()
    fr: FeatureRecoveryConfig = FeatureRecoveryConfig()
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    labels: tuple[str, ...] = ()
    alphas: tuple[int, ...] = PAPER_ALPHAS
    betas: tuple[float, ...] = PAPER_BETAS
    # Wire v2: the encodings the ViT was fine-tuned for (stae finetune-codec) and the byte budgets the profile
    # offers the controller for each; empty for a model that only knows the lossless payload.
    coded: tuple[CodedSetting, ...] = ()
    coded_budgets: tuple[int, ...] = ()
    # Wire v3: the learned latent codec (stae finetune-latent); None for a model without one.
    latent: LatentConfig | None = None

    @property
    def img_size(self) -> int:
        return self.vit.img_size

    @property
    def num_frames(self) -> int:
        return self.vit.num_frames

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.labels and len(self.labels) != self.vit.num_classes:
            raise ValueError(f"{len(self.labels)} labels for {self.vit.num_classes} classes")
        if self.vit.img_size % 8:
            raise ValueError(f"img_size {self.vit.img_size} must be a multiple of 8 for feature recovery")
        if any(not 1 <= a <= self.vit.num_frames for a in self.alphas):
            raise ValueError(f"alphas {self.alphas} must lie in [1, {self.vit.num_frames}]")
        if any(not 0 < b <= 1 for b in self.betas):
            raise ValueError(f"betas {self.betas} must lie in (0, 1]")
        if any(s <= 0 for s in self.std):
            raise ValueError(f"std {self.std} must be positive")
        for c in self.coded:
            side = self.vit.img_size // c.scale
            if c.alpha > self.vit.num_frames or self.vit.img_size % c.scale or side % 2:
                raise ValueError(
                    f"coded setting {c.key} (alpha,beta,scale) does not fit {self.vit.num_frames} "
                    f"frames of {self.vit.img_size} px (scale must give an even side)"
                )
        if self.latent and any(not 1 <= a <= self.vit.num_frames for a in self.latent.alphas):
            raise ValueError(f"latent alphas {self.latent.alphas} must lie in [1, {self.vit.num_frames}]")
        if any(b < 64 for b in self.coded_budgets):
            raise ValueError(f"coded byte budgets {self.coded_budgets} must be at least 64")
        return self

    def label(self, index: int) -> str:
        return self.labels[index] if self.labels else f"class_{index}"
