"""Uplink estimation from the camera's own offloads: a rate and a latency, so that a transfer of B bytes is
predicted to take ``latency_ms + 8 B / bps``.

Every offload is timed on the wire (the encoder's HTTP exchange with the decoder minus the decoder's reported
processing time) and split by :func:`split_sample`. A payload of at least ``min_rate_bytes`` is a rate sample
(its bits over its time less the current latency estimate). A smaller one says little about the rate: its time
is mostly fixed cost (propagation, and on a loaded machine the CPU queueing of both services), and read as a
rate it would collapse the estimate (16 cameras on 2 loopback cores once read 0.01 Mbit/s from 300-byte
payloads, issue 12 item 9). It is a latency sample instead: its time less what its bits take at the current
rate (or, when it went faster than that rate allows, a rate sample: the link has improved). The latency
estimate is the median of the last ``window`` latency samples (0 before any). The price: on a slow link seen
only through small payloads, the first large payload the controller then dares is slow, and is the rate sample
that teaches it the link.

The rate estimate is RobustMPC's (Yin et al., SIGCOMM'15): the harmonic mean of the last
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
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class EstimatorConfig:
    window: int = 5  # samples in the harmonic mean and in the error history
    robust: bool = True  # divide by (1 + max recent relative error); False: the plain harmonic mean
    min_transfer_ms: float = 0.05  # shorter transfers say nothing about bandwidth: ignored
    min_bytes: int = 1
    min_rate_bytes: int = 16_384  # smaller payloads are latency samples, not rate samples (1: every one is a rate)

    @property
    def keep(self) -> int:
        """Samples kept in the state."""
        return 2 * self.window if self.robust else self.window


@dataclass(frozen=True)
class BandwidthState:
    """What the controller keeps per camera (in Redis, mirrored in process)."""

    samples: int = 0
    recent: tuple[float, ...] = ()  # the last rate samples (bits per second), newest first
    updated_at: float = 0.0  # unix time of the last sample
    latency: tuple[float, ...] = ()  # the last latency samples (ms), newest first

    @property
    def last_bps(self) -> float | None:
        return self.recent[0] if self.recent else None


def sample_bps(payload_bytes: int, transfer_ms: float, cfg: EstimatorConfig) -> float | None:
    """Bits per second of one transfer, or None when the sample carries no information."""
    if payload_bytes < cfg.min_bytes or not math.isfinite(transfer_ms) or transfer_ms < cfg.min_transfer_ms:
        return None
    return payload_bytes * 8 / (transfer_ms / 1e3)


def split_sample(
    payload_bytes: int,
    transfer_ms: float,
    state: BandwidthState | None,
    cfg: EstimatorConfig,
    prior_bps: float,
    delivery_bps: float | None = None,
) -> tuple[float | None, float | None]:
    """(rate sample in bit/s, latency sample in ms) of one transfer, each None when it gives none.

    A large payload whose receiver measured the rate it arrived at (``delivery_bps``: the decoder's, from its
    first to its last chunk) gives that rate, and its time less what its bits take at that rate as a latency
    sample: CPU load on either side then shows as latency (which it costs), never as a slow link. Without the
    receiver's figure, a large payload's rate is its time less the current latency, at least half its time (a
    transfer that took about the latency alone only says the rate is high: this bounds it from below). A small
    one is a latency sample: its time less what its bits take at the current rate (``prior_bps`` before any rate
    sample); unless it went faster than that rate allows, which makes it a rate sample (a lower bound: a link
    that recovered while only small payloads were sent is seen, and larger ones then measure it)."""
    if sample_bps(payload_bytes, transfer_ms, cfg) is None:
        return None, None
    if payload_bytes >= cfg.min_rate_bytes:
        if delivery_bps is not None and math.isfinite(delivery_bps) and delivery_bps > 0:
            return delivery_bps, max(0.0, transfer_ms - payload_bytes * 8 / delivery_bps * 1e3)
        wire_ms = max(transfer_ms - estimate_latency_ms(state, cfg), 0.5 * transfer_ms)
        return sample_bps(payload_bytes, wire_ms, cfg), None
    bps = estimate_bps(state, cfg) or prior_bps
    bits_ms = payload_bytes * 8 / bps * 1e3
    if transfer_ms < bits_ms:  # faster than the rate allows: the rate is at least this (a link that recovered)
        return sample_bps(payload_bytes, transfer_ms, cfg), None
    return None, transfer_ms - bits_ms


def update(
    state: BandwidthState, bps: float | None, now: float, cfg: EstimatorConfig, latency_ms: float | None = None
) -> BandwidthState:
    """Fold one sample (a rate, a latency, or both) into the state (``store.py`` holds the same update in Lua)."""
    recent = (bps, *state.recent)[: cfg.keep] if bps is not None else state.recent
    latency = (latency_ms, *state.latency)[: cfg.window] if latency_ms is not None else state.latency
    return BandwidthState(samples=state.samples + 1, recent=recent, updated_at=now, latency=latency)


def estimate_latency_ms(state: BandwidthState | None, cfg: EstimatorConfig) -> float:
    """The fixed cost to plan each transfer with: the median of the last latency samples (0 before any)."""
    return statistics.median(state.latency[: cfg.window]) if state is not None and state.latency else 0.0


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
