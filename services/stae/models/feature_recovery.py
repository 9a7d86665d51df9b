"""Feature recovery (FR), section III-B and Fig. 3: restore the pixels the camera did not send.

    X'_M (B, α, C, H, W) zero-filled, mask M (B, α, 1, H, W)
      │
      ├─ avg-pool /2 ─► 3D U-Net at H/2 (3x3x3 kernels, stride 2 in space, dilated 3D conv at H/8, skips)
      │                    └─► two 1x1 convs ─► guidance g_first, g_last (at H/2)
      │
      └─ 3D-2D CNN, frame by frame at full resolution:
           conv H ─► down H/2 (+ g_first) ─► down H/4 ─► dilated convs ─► up H/2 (+ g_last) ─► up H ─► X̂

The 3D branch sees the whole kept clip, so it carries temporal context into a 2D network that would otherwise
treat frames independently; its two feature maps are added to the first and last layers of the 2D network at
its resolution (H/2). Output: X'_R = M·X'_M + (1-M)·X̂, so received pixels stay exact.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from stae.config import FeatureRecoveryConfig


def _conv2d(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=dilation, dilation=dilation), nn.GELU())


class TapConv3d(nn.Conv3d):
    """A Conv3d with a temporal kernel of 1 or 3 (stride 1 and 'same' padding in time), computed as one Conv2d
    over each frame with its temporal neighbours stacked on the channels: the same weights and the same result
    (up to float rounding), but CPU convolution libraries run 2D convolutions several times faster than small
    3D ones (which PyTorch sends to its im2col fallback) at the decoder's usual batch of one clip. Measured on 2
    cores, tiny FR at 16 x 64 x 64: one clip 24 ms instead of 62; but from about 64 frames in a batch the 3D
    path is faster again (4 clips of 16: 83 against 70 ms), so larger batches keep it."""

    max_frames = 32  # batch x frames up to which the 2D form is used

    def forward(self, x: Tensor) -> Tensor:
        kt = self.kernel_size[0]
        b, c, t, h, w = x.shape
        same_time = self.stride[0] == 1 and self.dilation[0] == 1 and self.padding[0] == kt // 2
        if kt not in (1, 3) or not same_time or b * t > self.max_frames:
            return super().forward(x)
        padded = F.pad(x, (0, 0, 0, 0, kt // 2, kt // 2))  # (B, C, T+kt-1, H, W)
        # taps[:, k] = frames t-kt//2+k: (B, kt, C, T, H, W) -> (B*T, kt*C, H, W), channels-last for oneDNN
        taps = torch.stack([padded[:, :, k : k + t] for k in range(kt)], dim=1)
        taps = taps.permute(0, 3, 1, 2, 4, 5).reshape(b * t, kt * c, h, w)
        taps = taps.contiguous(memory_format=torch.channels_last)
        # weight (O, C, kt, kh, kw) -> (O, kt*C, kh, kw) in the same (tap, channel) order
        weight = self.weight.transpose(1, 2).reshape(self.out_channels, kt * c, *self.kernel_size[1:])
        y = F.conv2d(taps, weight, self.bias, self.stride[1:], self.padding[1:], self.dilation[1:])
        return y.reshape(b, t, self.out_channels, *y.shape[2:]).transpose(1, 2)  # (B, O, T, H', W')


def _conv3d(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        TapConv3d(
            cin,
            cout,
            3,
            stride=(1, stride, stride),
            padding=(1, dilation, dilation),
            dilation=(1, dilation, dilation),
        ),
        nn.GELU(),
    )


class FeatureRecovery(nn.Module):
    def __init__(self, cfg: FeatureRecoveryConfig, in_chans: int = 3) -> None:
        super().__init__()
        w3, w2 = cfg.width_3d, cfg.width_2d
        # 3D U-Net on the half-resolution clip (+ mask channel).
        self.enc1 = _conv3d(in_chans + 1, w3)  # H/2
        self.enc2 = _conv3d(w3, 2 * w3, stride=2)  # H/4
        self.enc3 = _conv3d(2 * w3, 4 * w3, stride=2)  # H/8
        self.mid3 = _conv3d(4 * w3, 4 * w3, dilation=2)  # H/8, dilated
        self.dec2 = _conv3d(4 * w3 + 2 * w3, 2 * w3)  # H/4
        self.dec1 = _conv3d(2 * w3 + w3, w3)  # H/2
        self.guide_first = TapConv3d(w3, 2 * w2, 1)
        self.guide_last = TapConv3d(w3, 2 * w2, 1)
        # 2D CNN at full resolution, frame by frame.
        self.in2 = _conv2d(in_chans + 1, w2)  # H
        self.down1 = _conv2d(w2, 2 * w2, stride=2)  # H/2  (+ g_first)
        self.down2 = _conv2d(2 * w2, 4 * w2, stride=2)  # H/4
        self.dilated = nn.Sequential(*(_conv2d(4 * w2, 4 * w2, dilation=d) for d in cfg.dilations))
        self.up1 = _conv2d(4 * w2 + 2 * w2, 2 * w2)  # H/2  (+ g_last)
        self.up2 = _conv2d(2 * w2 + w2, w2)  # H
        self.out = nn.Conv2d(w2, in_chans, 3, padding=1)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """Zero-filled frames (B, α, C, H, W) and mask (B, α, 1, H, W) -> completed frames (B, α, C, H, W)."""
        b, a, c, h, w = x.shape
        if h % 8 or w % 8:
            raise ValueError(f"feature recovery needs H and W divisible by 8, got {h}x{w}")
        mask = mask.to(x.dtype)
        xm = torch.cat([x * mask, mask], dim=2)  # (B, α, C+1, H, W)
        # channels-last layouts: oneDNN's convolutions with so few channels run about twice as fast in them on CPU
        flat = xm.reshape(b * a, c + 1, h, w).contiguous(memory_format=torch.channels_last)

        # 3D branch on (B, C+1, α, H/2, W/2).
        half = F.avg_pool2d(flat, 2).reshape(b, a, c + 1, h // 2, w // 2).transpose(1, 2)
        half = half.contiguous(memory_format=torch.channels_last_3d)
        e1 = self.enc1(half)
        e2 = self.enc2(e1)
        e3 = self.mid3(self.enc3(e2))
        d2 = self.dec2(torch.cat([F.interpolate(e3, size=e2.shape[2:], mode="nearest"), e2], dim=1))
        d1 = self.dec1(torch.cat([F.interpolate(d2, size=e1.shape[2:], mode="nearest"), e1], dim=1))

        def guidance(conv: nn.Module) -> Tensor:  # (B, 2w2, α, H/2, W/2) -> (B*α, 2w2, H/2, W/2)
            g: Tensor = conv(d1)
            return g.transpose(1, 2).reshape(b * a, -1, h // 2, w // 2)

        # 2D branch on (B*α, C+1, H, W).
        f0 = self.in2(flat)
        f1 = self.down1(f0) + guidance(self.guide_first)
        f2 = self.dilated(self.down2(f1))
        u1 = self.up1(torch.cat([F.interpolate(f2, size=f1.shape[2:], mode="nearest"), f1], dim=1))
        u1 = u1 + guidance(self.guide_last)
        u0 = self.up2(torch.cat([F.interpolate(u1, size=f0.shape[2:], mode="nearest"), f0], dim=1))
        pred = self.out(u0).reshape(b, a, c, h, w)
        return mask * x + (1 - mask) * pred
