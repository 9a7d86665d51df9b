"""Uplink bandwidth estimation from the camera's own offloads.

Every offload yields a sample: payload bits over the transfer time (round trip minus the decoder's reported
processing time). The estimate combines two estimators from adaptive streaming practice and takes the more
cautious one, times a safety factor:

* the harmonic mean of the last ``window`` samples (MPC): one spike barely moves it, and after ``window``
  samples at a new steady rate it equals that rate exactly;
* a fast exponentially weighted average (half-life in samples, bias-corrected so the first sample counts in
  full): it follows a sudden drop within a few samples, before the harmonic mean has seen enough of it.

Half-lives count samples, not seconds, because a request/response camera has no steady download to weigh by
duration. The same update is implemented in Python (in-process state) and in Lua (``store.py``, atomic in
Redis); a test checks that the two agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class EstimatorConfig:
    window: int = 5  # samples in the harmonic mean
    fast_half_life: float = 1.0  # samples
    safety: float = 0.9
    min_transfer_ms: float = 0.05  # shorter transfers say nothing about bandwidth: ignored
    min_bytes: int = 1

    @property
    def decay(self) -> float:
        """Weight of the old fast average at each new sample."""
        return 0.5 ** (1.0 / self.fast_half_life)


@dataclass(frozen=True)
class BandwidthState:
    """What the controller keeps per camera (in Redis, mirrored in process)."""

    fast: float = 0.0  # EWMA of bits per second, not bias-corrected
    fast_weight: float = 0.0  # 1 - decay^n: the share of ``fast`` that is data
    samples: int = 0
    recent: tuple[float, ...] = ()  # the last ``window`` samples, newest first
    updated_at: float = 0.0  # unix time of the last sample

    @property
    def last_bps(self) -> float | None:
        return self.recent[0] if self.recent else None


def sample_bps(payload_bytes: int, transfer_ms: float, cfg: EstimatorConfig) -> float | None:
    """Bits per second of one transfer, or None when the sample carries no information."""
    if payload_bytes < cfg.min_bytes or not math.isfinite(transfer_ms) or transfer_ms < cfg.min_transfer_ms:
        return None
    return payload_bytes * 8 / (transfer_ms / 1e3)


def update(state: BandwidthState, bps: float, now: float, cfg: EstimatorConfig) -> BandwidthState:
    """Fold one sample into the state (``store.py`` holds the same update in Lua)."""
    d = cfg.decay
    return BandwidthState(
        fast=d * state.fast + (1 - d) * bps,
        fast_weight=d * state.fast_weight + (1 - d),
        samples=state.samples + 1,
        recent=((bps, *state.recent))[: cfg.window],
        updated_at=now,
    )


def estimate_bps(state: BandwidthState | None, cfg: EstimatorConfig) -> float | None:
    """The bandwidth to plan with, or None before the first sample."""
    if state is None or not state.recent or state.fast_weight <= 0:
        return None
    harmonic = len(state.recent) / sum(1.0 / s for s in state.recent)
    return cfg.safety * min(harmonic, state.fast / state.fast_weight)
