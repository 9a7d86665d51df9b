"""Frame attention (FA), the paper's eq. 6: which of the T frames matter for the prediction.

    x (B, T, C, H, W) ─┬─ avg-pool each frame ─► MLP ─┐
                       └─ max-pool each frame ─► MLP ─┴─ + ─► sigmoid ─► M_FA (B, T)

The MLP is shared and sees all T frames' descriptors at once (CBAM's channel attention with frames as
channels). With ``grid=1, motion=False`` each frame's descriptor is one number per pooling, exactly as in the
paper; ``grid`` pools each frame to g x g cells per channel and ``motion`` adds the pooled |x_t - x_{t-1}|.
At inference the α highest-weighted frames are kept in their original temporal order
(``stae.camera.attention.select_frames``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from stae.config import FrameAttentionConfig


def frame_motion(x: Tensor) -> Tensor:
    """|x_t - x_{t-1}| for every frame of (B, T, C, H, W); frame 0 takes |x_1 - x_0| (zeros when T = 1)."""
    if x.shape[1] == 1:
        return torch.zeros_like(x)
    diff = (x[:, 1:] - x[:, :-1]).abs()  # (B, T-1, C, H, W)
    return torch.cat([diff[:, :1], diff], dim=1)


class FrameAttention(nn.Module):
    def __init__(self, cfg: FrameAttentionConfig, num_frames: int, in_chans: int = 3) -> None:
        super().__init__()
        self.cfg = cfg
        self.num_frames = num_frames
        per_frame = in_chans * cfg.grid**2 * (2 if cfg.motion else 1)
        self.mlp = nn.Sequential(
            nn.Linear(num_frames * per_frame, cfg.hidden),
            nn.ReLU(inplace=True),
            nn.Linear(cfg.hidden, num_frames),
        )

    def _describe(self, x: Tensor, pool: str) -> Tensor:
        b, t, c, h, w = x.shape
        flat = x.reshape(b * t, c, h, w)
        g = self.cfg.grid
        if pool == "avg":
            out = F.adaptive_avg_pool2d(flat, g) if g > 1 else flat.mean(dim=(2, 3), keepdim=True)
        else:
            out = F.adaptive_max_pool2d(flat, g) if g > 1 else flat.amax(dim=(2, 3), keepdim=True)
        return out.reshape(b, -1)  # (B, T * C * g * g)

    def forward(self, x: Tensor) -> Tensor:
        """(B, T, C, H, W) normalised frames -> frame weights M_FA (B, T) in (0, 1)."""
        if x.shape[1] != self.num_frames:
            raise ValueError(f"frame attention expects {self.num_frames} frames, got {x.shape[1]}")
        streams = [x, frame_motion(x)] if self.cfg.motion else [x]
        avg = torch.cat([self._describe(s, "avg") for s in streams], dim=1)
        mx = torch.cat([self._describe(s, "max") for s in streams], dim=1)
        return torch.sigmoid(self.mlp(avg) + self.mlp(mx))
