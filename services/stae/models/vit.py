"""The video ViT classifier: VideoMAE's architecture (the paper's ViT-B), accepting 1 to T kept frames.

Parameter names follow the original VideoMAE repository (``patch_embed.proj``, ``blocks.{i}.attn.qkv``,
``q_bias``/``v_bias``, ``fc_norm``, ``head``) so its checkpoints load as they are; Hugging Face checkpoints are
renamed by :mod:`stae.models.videomae`.

Kept frames carry their original indices. Frames are grouped in pairs (tubelets) in temporal order; an odd
count repeats the last frame. A tubelet whose first frame has original index i sits at temporal position
i // tubelet_size, so with all T frames the positions are exactly VideoMAE's.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from stae.config import ViTConfig


def sinusoid_table(n_positions: int, dim: int) -> Tensor:
    """VideoMAE's fixed 1-D table: angle = pos / 10000^(2*(j//2)/dim); sin on even j, cos on odd j."""
    pos = torch.arange(n_positions, dtype=torch.float64)[:, None]
    j = torch.arange(dim, dtype=torch.float64)[None, :]
    angle = pos / torch.pow(10000.0, 2 * torch.div(j, 2, rounding_mode="floor") / dim)
    table = torch.empty(n_positions, dim, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angle[:, 0::2])
    table[:, 1::2] = torch.cos(angle[:, 1::2])
    return table.float()


class Attention(nn.Module):
    def __init__(self, dim: int, num_heads: int, qkv_bias: bool) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(dim)) if qkv_bias else None
        self.v_bias = nn.Parameter(torch.zeros(dim)) if qkv_bias else None
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        b, n, d = x.shape
        bias = None
        if self.q_bias is not None and self.v_bias is not None:
            bias = torch.cat([self.q_bias, torch.zeros_like(self.q_bias), self.v_bias])
        qkv = F.linear(x, self.qkv.weight, bias)
        qkv = qkv.reshape(b, n, 3, self.num_heads, d // self.num_heads).permute(2, 0, 3, 1, 4)  # (3, B, h, N, d_h)
        out = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])  # (B, h, N, d_h)
        return self.proj(out.transpose(1, 2).reshape(b, n, d))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, cfg: ViTConfig, drop_path: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.embed_dim, eps=cfg.norm_eps)
        self.attn = Attention(cfg.embed_dim, cfg.num_heads, cfg.qkv_bias)
        self.norm2 = nn.LayerNorm(cfg.embed_dim, eps=cfg.norm_eps)
        self.mlp = Mlp(cfg.embed_dim, int(cfg.embed_dim * cfg.mlp_ratio))
        self.drop_path = drop_path

    def _drop(self, x: Tensor) -> Tensor:
        """Stochastic depth: drop the whole residual branch per sample while training."""
        if not self.training or self.drop_path == 0.0:
            return x
        keep = torch.rand(x.shape[0], 1, 1, device=x.device) >= self.drop_path
        return x * keep / (1.0 - self.drop_path)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self._drop(self.attn(self.norm1(x)))
        return x + self._drop(self.mlp(self.norm2(x)))


class PatchEmbed(nn.Module):
    """VideoMAE's tubelet projection, after the optional per-frame conv stem (``ViTConfig.stem``)."""

    def __init__(self, cfg: ViTConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        chans = cfg.in_chans
        for width in cfg.stem:
            layers += [nn.Conv2d(chans, width, 3, stride=2, padding=1), nn.GroupNorm(1, width), nn.GELU()]
            chans = width
        self.stem = nn.Sequential(*layers) if layers else None
        p = cfg.patch_size // 2 ** len(cfg.stem)
        tubelet = (cfg.tubelet_size, p, p)
        self.proj = nn.Conv3d(chans, cfg.embed_dim, kernel_size=tubelet, stride=tubelet)

    def forward(self, x: Tensor) -> Tensor:
        if self.stem is not None:
            b, t = x.shape[:2]
            x = self.stem(x.flatten(0, 1))  # (B*T, C, H, W) -> (B*T, C', H/2^k, W/2^k)
            x = x.reshape(b, t, *x.shape[1:])  # (B, T, C', H', W')
        x = self.proj(x.transpose(1, 2))  # (B, T, C, H, W) -> (B, D, T/t, H/p, W/p)
        return x.flatten(2).transpose(1, 2)  # (B, N, D), tokens in t, h, w order


class VideoViT(nn.Module):
    """VideoMAE ViT for classification of the kept frames of a clip."""

    pos_table: Tensor  # (T / tubelet * tokens per tubelet, D), fixed, not saved

    def __init__(self, cfg: ViTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.patch_embed = PatchEmbed(cfg)
        self.blocks = nn.ModuleList(Block(cfg, cfg.drop_path * i / max(cfg.depth - 1, 1)) for i in range(cfg.depth))
        self.fc_norm = nn.LayerNorm(cfg.embed_dim, eps=cfg.fc_norm_eps)
        self.head = nn.Linear(cfg.embed_dim, cfg.num_classes)
        self.tokens_per_tubelet = (cfg.img_size // cfg.patch_size) ** 2
        n_positions = cfg.num_frames // cfg.tubelet_size * self.tokens_per_tubelet
        self.register_buffer("pos_table", sinusoid_table(n_positions, cfg.embed_dim), persistent=False)
        self.apply(_init_weights)

    def forward_features(self, frames: Tensor, frame_indices: Tensor | None = None) -> Tensor:
        """(B, α, C, H, W) normalised frames with their original indices (B, α) -> (B, D) pooled features."""
        cfg = self.cfg
        b, alpha, c, h, w = frames.shape
        if (c, h, w) != (cfg.in_chans, cfg.img_size, cfg.img_size) or not 1 <= alpha <= cfg.num_frames:
            raise ValueError(
                f"expected (B, 1..{cfg.num_frames}, {cfg.in_chans}, {cfg.img_size}, {cfg.img_size}) frames, "
                f"got {tuple(frames.shape)}"
            )
        if frame_indices is None:
            frame_indices = torch.arange(alpha, device=frames.device).expand(b, alpha)
        if frame_indices.shape != (b, alpha):
            raise ValueError(f"frame_indices {tuple(frame_indices.shape)} do not match frames ({b}, {alpha})")
        ts = cfg.tubelet_size
        pad = -alpha % ts
        if pad:  # repeat the last kept frame to fill the last tubelet
            frames = torch.cat([frames, frames[:, -1:].expand(b, pad, c, h, w)], dim=1)
            frame_indices = torch.cat([frame_indices, frame_indices[:, -1:].expand(b, pad)], dim=1)
        x = self.patch_embed(frames)  # (B, n_tub * S, D)
        t_pos = torch.div(frame_indices[:, ::ts], ts, rounding_mode="floor").clamp(max=cfg.num_frames // ts - 1)
        s = self.tokens_per_tubelet
        pos = (t_pos[:, :, None] * s + torch.arange(s, device=x.device)).reshape(b, -1)  # (B, n_tub * S)
        x = x + self.pos_table.to(x.dtype)[pos]
        for block in self.blocks:
            x = block(x)
        return self.fc_norm(x.amax(dim=1) if cfg.pool == "max" else x.mean(dim=1))  # (B, N, D) -> (B, D)

    def forward(self, frames: Tensor, frame_indices: Tensor | None = None) -> Tensor:
        """(B, α, C, H, W), (B, α) -> logits (B, num_classes)."""
        return self.head(self.forward_features(frames, frame_indices))


def _init_weights(m: nn.Module) -> None:
    if isinstance(m, nn.Linear):
        nn.init.trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)
