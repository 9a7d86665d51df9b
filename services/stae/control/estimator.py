"""Uplink bandwidth estimation from the camera's own offloads.

Every offload yields a sample: payload bits over the transfer time (round trip minus the decoder's reported
processing time). The estimate is RobustMPC's (Yin et al., SIGCOMM'15): the harmonic mean of the last
``window`` samples, divided by one plus the largest relative error that same predictor made on the last
``window`` samples. On a steady link the errors vanish and the estimate is the rate itself; on a volatile one
the estimate backs off in proportion to how wrong it has recently been, which is what keeps deadlines when the
rate swings (the trace-driven simulation, ``stae simulate``, compares it with alternatives). One spike barely
moves a harmonic mean, and a drop shows at once as a large error.

The state is the last ``2 * window`` samples (errors need each sample's own preceding window). The same update
runs in Python (in-process state) and in Lua (``store.py``, atomic in Redis); a test checks that they agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class EstimatorConfig:
    window: int = 5  # samples in the harmonic mean and in the error history
    robust: bool = True  # divide by (1 + max recent relative error); False: the plain harmonic mean
    min_transfer_ms: float = 0.05  # shorter transfers say nothing about bandwidth: ignored
    min_bytes: int = 1

    @property
    def keep(self) -> int:
        """Samples kept in the state."""
        return 2 * self.window if self.robust else self.window


@dataclass(frozen=True)
class BandwidthState:
    """What the controller keeps per camera (in Redis, mirrored in process)."""

    samples: int = 0
    recent: tuple[float, ...] = ()  # the last samples (bits per second), newest first
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
    return BandwidthState(samples=state.samples + 1, recent=((bps, *state.recent))[: cfg.keep], updated_at=now)


def _harmonic(values: Sequence[float]) -> float:
    return len(values) / sum(1.0 / v for v in values)


def estimate_bps(state: BandwidthState | None, cfg: EstimatorConfig) -> float | None:
    """The bandwidth to plan with, or None before the first sample."""
    if state is None or not state.recent:
        return None
    r, w = state.recent, cfg.window
    estimate = _harmonic(r[:w])
    if cfg.robust:
        # How wrong the predictor was on each of the last w samples, predicting each from the w before it.
        errors = [abs(_harmonic(r[i + 1 : i + 1 + w]) - r[i]) / r[i] for i in range(min(w, len(r) - 1))]
        estimate /= 1.0 + max(errors, default=0.0)
    return estimate
