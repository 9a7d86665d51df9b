"""Spatial attention (SA), the paper's eq. 7: which pixels of each kept frame matter.

    x' (B, α, C, H, W) ─► [mean over C ; max over C] ─► conv k x k ─► sigmoid ─► M_SA (B, α, H, W)

With ``depth=1, motion=False`` this is the paper's module exactly (one 3x3 conv over two maps). ``depth > 1``
adds hidden conv layers; ``motion`` adds the same two maps of |x_t - x_{t-1}| for each kept frame t (the
camera has the whole clip, so this costs one subtraction). At inference the β share of pixels with the highest
weights is kept in each frame: exactly round(β·H·W) pixels per frame (``stae.camera.attention.select_pixels``).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from stae.config import SpatialAttentionConfig


def _channel_maps(x: Tensor) -> Tensor:
    """(N, C, H, W) -> (N, 2, H, W): channel mean and channel max."""
    return torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)


class SpatialAttention(nn.Module):
    def __init__(self, cfg: SpatialAttentionConfig) -> None:
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = []
        ch = 4 if cfg.motion else 2
        pad = cfg.kernel_size // 2
        for _ in range(cfg.depth - 1):
            layers += [nn.Conv2d(ch, cfg.width, cfg.kernel_size, padding=pad), nn.ReLU(inplace=True)]
            ch = cfg.width
        layers.append(nn.Conv2d(ch, 1, cfg.kernel_size, padding=pad))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor, frame_indices: Tensor) -> Tensor:
        """Full clip (B, T, C, H, W) and kept indices (B, α) -> pixel weights M_SA (B, α, H, W)."""
        b, t, c, h, w = x.shape
        alpha = frame_indices.shape[1]
        rows = torch.arange(b, device=x.device)[:, None]
        kept = x[rows, frame_indices].reshape(b * alpha, c, h, w)  # (B*α, C, H, W)
        prev = None
        if self.cfg.motion:
            # the frame before each kept one; frame 0 pairs with frame 1 (as stae.camera.attention.previous_frames)
            before = torch.where(frame_indices > 0, frame_indices - 1, min(1, t - 1))
            prev = x[rows, before].reshape(b * alpha, c, h, w)  # (B*α, C, H, W)
        return self.score(kept, prev).reshape(b, alpha, h, w)

    def score(self, kept: Tensor, prev: Tensor | None) -> Tensor:
        """Kept frames (N, C, H, W) and, with ``motion``, the frame before each (frame 0: frame 1) -> weights
        (N, H, W)."""
        return torch.sigmoid(self.logits(kept, prev))

    def logits(self, kept: Tensor, prev: Tensor | None) -> Tensor:
        """The weights before the sigmoid (N, H, W): the same order, without float32's saturation near 1, so
        the camera ranks pixels on these (via :mod:`stae.camera.torch_graphs`)."""
        n, _, h, w = kept.shape
        maps = [_channel_maps(kept)]
        if self.cfg.motion:
            if prev is None:
                raise ValueError("this spatial attention uses motion: pass the frame before each kept frame")
            maps.append(_channel_maps((kept - prev).abs()))  # |x_i - x_(i-1)|
        # channels_last: a 1-output-channel conv over a batch is ~8x faster in this layout on CPU
        inp = torch.cat(maps, dim=1).contiguous(memory_format=torch.channels_last)
        return self.net(inp).reshape(n, h, w)
