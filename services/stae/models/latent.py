"""Wire v3's learned codec: analysis on the camera, entropy model, synthesis on the edge (supervised compression).

    camera: kept frame (3, S, S) ─► analysis ─► y (C, S/8, S/8) ─► × gain[l] ─► round, clip ─► symbols
    edge:   symbols ─► ÷ gain[l] ─► synthesis ─► frame (3, S, S), normalised as the ViT expects ─► ViT

Trained end to end on the task (cross-entropy and distillation from the clip's full-budget prediction) plus
``rate_weights[l]`` x the payload's kilobytes, with a straight-through rounding and a factorized entropy model
(one categorical over [-K, K] per level and channel, Ballé et al. 2018's factorized prior in its simplest
discrete form). After training, the integer tables the coder uses (:mod:`stae.rans`) are measured from the
training set's symbols and travel in the checkpoint (``latent.json``), so the camera and the edge code with the
same integers.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from stae.config import LatentConfig


class LatentAnalysis(nn.Module):
    """(N, C_in, S, S) normalised frames -> (N, channels, S/8, S/8) latent (before the level's gain)."""

    def __init__(self, cfg: LatentConfig, in_chans: int) -> None:
        super().__init__()
        w = cfg.width
        self.net = nn.Sequential(  # half width at full resolution: the camera's cost is mostly there
            nn.Conv2d(in_chans, w // 2, 5, stride=2, padding=2),
            nn.GELU(),
            nn.Conv2d(w // 2, w, 3, stride=2, padding=1),
            nn.GELU(),
            nn.Conv2d(w, w, 3, stride=2, padding=1),
            nn.GELU(),
            nn.Conv2d(w, cfg.channels, 3, padding=1),
        )

    def forward(self, frames: Tensor) -> Tensor:
        out: Tensor = self.net(frames)
        return out


class LatentSynthesis(nn.Module):
    """(N, channels, S/8, S/8) dequantised latent -> (N, C_in, S, S) frames in the ViT's input space."""

    def __init__(self, cfg: LatentConfig, in_chans: int) -> None:
        super().__init__()
        w = cfg.width
        widths = (w, w, w // 2, w // 4)  # at S/8, S/4, S/2, S: narrower as the resolution grows
        layers: list[nn.Module] = [nn.Conv2d(cfg.channels, widths[0], 3, padding=1), nn.GELU()]
        for a, b in itertools.pairwise(widths):
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(a, b, 3, padding=1), nn.GELU()]
        layers.append(nn.Conv2d(widths[-1], in_chans, 3, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, latent: Tensor) -> Tensor:
        out: Tensor = self.net(latent)
        return out


class LatentCodec(nn.Module):
    """Both transforms, the per-level gains and the entropy model (what training holds; each side loads its
    own half: ``analysis`` and ``log_gain`` on the camera, ``synthesis`` and ``log_gain`` on the edge)."""

    def __init__(self, cfg: LatentConfig, in_chans: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.analysis = LatentAnalysis(cfg, in_chans)
        self.synthesis = LatentSynthesis(cfg, in_chans)
        # Higher levels (smaller rate weight) start with larger gains: finer quantisation, more bytes.
        start = torch.linspace(-1.0, 1.0, cfg.levels)[:, None].expand(cfg.levels, cfg.channels)
        self.log_gain = nn.Parameter(start.clone())
        logits = -0.5 * torch.arange(-cfg.max_symbol, cfg.max_symbol + 1).abs().float()  # peaked at 0
        self.prior_logits = nn.Parameter(logits.expand(cfg.levels, cfg.channels, cfg.symbols).clone())

    def gain(self, level: int) -> Tensor:
        return self.log_gain[level].exp()[:, None, None]  # (channels, 1, 1)

    def quantize(self, y: Tensor, level: int) -> tuple[Tensor, Tensor]:
        """(N, C, h, w) latent -> (symbol values with a straight-through gradient, the scaled latent z)."""
        k = self.cfg.max_symbol
        z = (y * self.gain(level)).clamp(-k, k)
        return z + (torch.round(z) - z).detach(), z

    def rate_bits(self, z: Tensor, level: int) -> Tensor:
        """Bits (N,) the entropy model charges the scaled latents ``z`` (N, C, h, w): exact at integers, linear
        between them in probability, so the rate has a gradient towards the likelier neighbour."""
        k = self.cfg.max_symbol
        probs = self.prior_logits[level].softmax(-1)  # (C, 2K+1)
        pos = z + k  # in [0, 2K]
        lo = pos.detach().floor().clamp(0, 2 * k - 1)
        frac = pos - lo
        n, c, h, w = z.shape
        table = probs[None, :, None, None, :].expand(n, c, h, w, -1)
        p_lo = table.gather(-1, lo.long()[..., None])[..., 0]
        p_hi = table.gather(-1, (lo.long() + 1)[..., None])[..., 0]
        p = (1 - frac) * p_lo + frac * p_hi
        bits: Tensor = -torch.log2(p.clamp_min(1e-9)).sum(dim=(1, 2, 3))
        return bits

    def dequantize(self, symbols: Tensor, level: int) -> Tensor:
        """Symbol values (N, C, h, w) -> frames (N, C_in, S, S)."""
        return self.synthesis(symbols / self.gain(level))

    @torch.no_grad()
    def adopt_levels(self, old: LatentCodec) -> None:
        """Start this codec's rate levels from a trained codec's with other rate weights (same transforms): each
        new level copies the old level whose λ is nearest on a log scale, its gains scaled by (λ_old/λ_new)^0.35
        (a larger λ, coarser quantisation), so extending a trained codec to lower or higher rates starts near
        the old operating points instead of from scratch."""
        old_w = torch.tensor(old.cfg.rate_weights).log()
        for level, weight in enumerate(self.cfg.rate_weights):
            src = int((old_w - math.log(weight)).abs().argmin())
            shift = 0.35 * (float(old_w[src]) - math.log(weight))
            self.log_gain[level] = old.log_gain[src] + shift
            self.prior_logits[level] = old.prior_logits[src]


def symbol_histograms(codec: LatentCodec, symbols: Tensor, level: int, into: Tensor) -> None:
    """Add the counts of ``symbols`` (N, C, h, w; values in [-K, K]) per channel to ``into`` (levels, C, 2K+1)."""
    k = codec.cfg.max_symbol
    idx = (symbols.round().long() + k).permute(1, 0, 2, 3).reshape(symbols.shape[1], -1)  # (C, N*h*w)
    into[level] += F.one_hot(idx, codec.cfg.symbols).sum(dim=1).to(into.dtype)
