"""Uplink bandwidth estimation from the camera's own offloads.

Every offload yields a sample: payload bits over the transfer time (round trip minus the decoder's reported
processing time). The estimate follows adaptive-streaming practice (dash.js, hls.js): two exponentially
weighted moving averages, a fast one that reacts to drops and a slow one that ignores spikes, and the estimate
is the smaller of the two times a safety factor. Half-lives are counted in samples, because a request/response
camera has no steady download to weigh by duration. Early samples are bias-corrected (the averages start at
zero with zero weight), so the very first sample is already a usable estimate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class EstimatorConfig:
    fast_half_life: float = 1.0  # samples
    slow_half_life: float = 5.0  # samples
    safety: float = 0.9
    min_transfer_ms: float = 0.05  # shorter transfers say nothing about bandwidth: ignored
    min_bytes: int = 1


@dataclass(frozen=True)
class BandwidthState:
    """What the controller keeps per camera (in Redis, mirrored in process)."""

    fast: float = 0.0  # bias-uncorrected EWMA of bits per second
    slow: float = 0.0
    fast_weight: float = 0.0  # 1 - decay^n: the share of the EWMA that is data, for bias correction
    slow_weight: float = 0.0
    samples: int = 0
    last_bps: float = 0.0
    updated_at: float = 0.0  # unix time of the last sample

    def to_fields(self) -> dict[str, str]:
        return {k: repr(v) for k, v in asdict(self).items()}

    @classmethod
    def from_fields(cls, fields: Mapping[bytes | str, bytes | str]) -> BandwidthState:
        known = cls.__dataclass_fields__
        text = {_text(k): _text(v) for k, v in fields.items()}
        values = {k: float(v) for k, v in text.items() if k in known}
        values["samples"] = int(values.get("samples", 0))
        return cls(**values)  # type: ignore[arg-type]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def sample_bps(payload_bytes: int, transfer_ms: float, cfg: EstimatorConfig) -> float | None:
    """Bits per second of one transfer, or None when the sample carries no information."""
    if payload_bytes < cfg.min_bytes or not math.isfinite(transfer_ms) or transfer_ms < cfg.min_transfer_ms:
        return None
    return payload_bytes * 8 / (transfer_ms / 1e3)


def update(state: BandwidthState, bps: float, now: float, cfg: EstimatorConfig) -> BandwidthState:
    """Fold one sample into the state."""
    df = 0.5 ** (1.0 / cfg.fast_half_life)
    ds = 0.5 ** (1.0 / cfg.slow_half_life)
    return BandwidthState(
        fast=df * state.fast + (1 - df) * bps,
        slow=ds * state.slow + (1 - ds) * bps,
        fast_weight=df * state.fast_weight + (1 - df),
        slow_weight=ds * state.slow_weight + (1 - ds),
        samples=state.samples + 1,
        last_bps=bps,
        updated_at=now,
    )


def estimate_bps(state: BandwidthState | None, cfg: EstimatorConfig) -> float | None:
    """The bandwidth to plan with: min(fast, slow) bias-corrected, times the safety factor; None if no data."""
    if state is None or state.samples == 0 or state.fast_weight <= 0 or state.slow_weight <= 0:
        return None
    return cfg.safety * min(state.fast / state.fast_weight, state.slow / state.slow_weight)
