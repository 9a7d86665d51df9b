"""Trace-driven simulation of one camera offloading over a real uplink (Mahimahi traces).

Clips arrive at a fixed rate. For each, the policy under test picks a budget from what it has measured so far;
the camera computes (FA, SA, entropy coding) one clip at a time; the payload crosses the link when the trace
lets its packets through (first in, first out behind earlier payloads); the server adds its stage times. The
controller policies are the production ``Controller`` (estimator + eq. 5) fed with the transfers that finished
before each decision — what the encoder service measures: a payload's transfer time, counted from when the link
has finished this camera's earlier payloads (with one request in flight at a time, from the hand-off).

Mahimahi format: one line per 1500-byte delivery opportunity, the millisecond it happens at; repeated
timestamps are several packets in that millisecond; the trace loops.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from stae.control.controller import Controller
from stae.control.estimator import EstimatorConfig
from stae.control.policy import Decision, LocalOption, choose, most_accurate, offload_options
from stae.control.profile import Profile, ProfileEntry
from stae.control.store import ControllerStore
from stae.wire import EntropyCoder

PACKET_BYTES = 1500
POLICIES = ("controller", "last-sample", "meter", "oracle", "full-offload", "paper", "local")
METER_MS = 250.0  # the meter policy's sampling interval


class Trace:
    """A Mahimahi uplink trace: when each 1500-byte packet may cross, looping forever."""

    def __init__(self, timestamps_ms: npt.NDArray[np.int64], name: str = "trace") -> None:
        if timestamps_ms.size == 0 or bool(np.any(np.diff(timestamps_ms) < 0)):
            raise ValueError(f"{name}: a trace needs non-decreasing millisecond timestamps")
        self.opps = timestamps_ms.astype(np.int64)
        self.period = max(int(self.opps[-1]), 1)
        self.name = name

    @classmethod
    def load(cls, path: str | Path) -> Trace:
        path = Path(path)
        return cls(np.loadtxt(path, dtype=np.int64, ndmin=1), path.stem)

    @classmethod
    def constant(cls, bps: float, seconds: float = 10.0) -> Trace:
        """A steady link of ``bps`` bits per second (for Fig. 5)."""
        n = max(1, int(bps * seconds / (PACKET_BYTES * 8)))
        return cls(np.floor(np.arange(1, n + 1) * seconds * 1000 / n).astype(np.int64), f"{bps / 1e6:g} Mbit/s")

    def mean_bps(self) -> float:
        return self.opps.size * PACKET_BYTES * 8 / (self.period / 1e3)

    def _packets(self, t_ms: float, side: Literal["left", "right"]) -> int:
        """Opportunities of the looped trace before ``t_ms`` ("left") or at or before it ("right")."""
        cycle, within = divmod(t_ms, self.period)
        return int(cycle) * self.opps.size + int(np.searchsorted(self.opps, within, side=side))

    def delivered_bytes(self, start_ms: float, end_ms: float) -> float:
        """Bytes the link could carry in (start_ms, end_ms]."""
        return float((self._packets(end_ms, "right") - self._packets(start_ms, "right")) * PACKET_BYTES)

    def finish_ms(self, start_ms: float, nbytes: float) -> float:
        """When the last packet of ``nbytes`` sent at ``start_ms`` has crossed."""
        n = self.opps.size
        last = self._packets(start_ms, "left") + max(1, math.ceil(nbytes / PACKET_BYTES)) - 1
        return float((last // n) * self.period + self.opps[last % n])


@dataclass
class Outcome:
    arrival_ms: float
    decision: Decision
    completion_ms: float  # from arrival to answer
    met: bool


@dataclass
class PolicyResult:
    policy: str
    outcomes: list[Outcome] = field(default_factory=list)

    def summary(self, deadline_ms: float) -> dict[str, Any]:
        times = np.array([o.completion_ms for o in self.outcomes])
        met = np.array([o.met for o in self.outcomes])
        acc = np.array([o.decision.accuracy for o in self.outcomes])
        return {
            "policy": self.policy,
            "deadline_ms": deadline_ms,
            "requests": len(self.outcomes),
            "hit_rate": float(met.mean()),
            "mean_accuracy": float(acc.mean()),  # of the answers, late ones included
            "accuracy_within_deadline": float((acc * met).mean()),  # a late answer counts as wrong
            "mean_payload_bytes": float(np.mean([o.decision.payload_bytes for o in self.outcomes])),
            "p50_ms": float(np.percentile(times, 50)),
            "p95_ms": float(np.percentile(times, 95)),
            "p99_ms": float(np.percentile(times, 99)),
            "budgets": _histogram(self.outcomes),
        }


def _histogram(outcomes: Sequence[Outcome]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for o in outcomes:
        d = o.decision
        key = "local" if d.mode == "local" else f"{d.alpha},{d.beta:g},{d.entropy}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def _camera_ms(e: ProfileEntry, entropy: EntropyCoder) -> float:
    return e.fa_ms + e.sa_ms + e.pack_ms + (e.ee_ms if entropy == "brotli" else 0.0)


def _server_ms(e: ProfileEntry, entropy: EntropyCoder) -> float:
    return (e.ed_ms if entropy == "brotli" or e.encoding == "h264" else 0.0) + e.fr_ms + e.vit_ms


def _fixed(profile: Profile, alpha: int, beta: float, entropy: EntropyCoder, reason: str) -> Decision:
    e = profile.entry(alpha, beta)
    if e is None:
        raise ValueError(f"the profile has no budget alpha={alpha}, beta={beta}")
    return Decision("offload", alpha, beta, entropy, e.accuracy, 0.0, e.payload_bytes(entropy), True, reason)


class _Link:
    """The camera and the uplink as FIFO resources; computes a decision's completion without side effects."""

    def __init__(self, profile: Profile, trace: Trace, overhead_ms: float, local_ms: float | None) -> None:
        self.profile, self.trace = profile, trace
        self.overhead_ms, self.local_ms = overhead_ms, local_ms
        self.camera_free = 0.0
        self.link_free = 0.0

    def run(self, d: Decision, start: float, commit: bool) -> tuple[float, float, float]:
        """(done time, first-packet time, last-packet time) of decision ``d`` starting at ``start``."""
        if d.mode == "local":
            assert self.local_ms is not None
            done = start + self.local_ms
            if commit:
                self.camera_free = done
            return done, done, done
        e = self.profile.entry(d.alpha, d.beta, d.max_bytes, d.scale)
        assert e is not None
        ready = start + _camera_ms(e, d.entropy)
        sent = max(ready, self.link_free)  # behind this camera's earlier payloads
        end = self.trace.finish_ms(sent, e.payload_bytes(d.entropy))
        if commit:
            self.camera_free, self.link_free = ready, end
        return end + _server_ms(e, d.entropy) + self.overhead_ms, sent, end


def _oracle(profile: Profile, link: _Link, start: float, deadline_at: float) -> Decision:
    """Eq. 5 (the policy's own argmax) with the true completion time of every option on the coming link."""
    options = []
    for d, _ in offload_options(list(profile.entries)):
        done, _, _ = link.run(d, start, commit=False)
        options.append(replace(d, predicted_ms=done - start, feasible=done <= deadline_at, reason="oracle"))
    if link.local_ms is not None:
        alpha = max(a.alpha for a in profile.entries)  # the local model sees every frame
        entry = profile.entry(alpha, 1.0)
        accuracy, local_done = (entry.accuracy if entry else 0.0), start + link.local_ms
        options.append(
            Decision("local", alpha, 1.0, "none", accuracy, link.local_ms, 0.0, local_done <= deadline_at, "oracle")
        )
    best = most_accurate(options)
    return best if best is not None else min(options, key=lambda o: o.predicted_ms)


async def _simulate(
    profile: Profile,
    trace: Trace,
    policy: str,
    deadline_ms: float,
    rate_hz: float,
    requests: int,
    prior_bps: float,
    overhead_ms: float,
    local_ms: float | None,
) -> PolicyResult:
    link = _Link(profile, trace, overhead_ms, local_ms)
    local = None
    if local_ms is not None:
        full = profile.entry(max(e.alpha for e in profile.entries), 1.0)
        local = LocalOption(full.accuracy if full else 0.0, local_ms)
    controller = None
    if policy in ("controller", "last-sample", "meter"):
        est = {  # the meter's samples are the link's capacity itself, whatever their size: all rate samples
            "last-sample": EstimatorConfig(window=1, robust=False),
            "meter": EstimatorConfig(min_rate_bytes=1),
        }.get(policy, EstimatorConfig())
        controller = Controller(
            ControllerStore(None, est), profile, prior_bps=prior_bps, overhead_ms=overhead_ms, local=local
        )
    pending: list[tuple[float, float, float]] = []  # (transfer end, bytes, measured transfer ms)
    metered = 0.0  # the meter policy has sampled the link up to here
    result = PolicyResult(policy)
    for i in range(requests):
        arrival = i * 1000.0 / rate_hz
        start = max(arrival, link.camera_free)
        deadline_at = arrival + deadline_ms
        if controller is not None:
            if policy == "meter":  # the link's true capacity over every METER_MS of the past
                while metered + METER_MS <= start:
                    nbytes = trace.delivered_bytes(metered, metered + METER_MS)
                    await controller.observe("cam", max(int(nbytes), 1), METER_MS)
                    metered += METER_MS
            else:  # only the transfers that have finished by now
                for sample in sorted(s for s in pending if s[0] <= start):
                    await controller.observe("cam", int(sample[1]), sample[2])
            pending = [s for s in pending if s[0] > start]
            backlog = sum(s[1] for s in pending)  # payloads handed to the network and not yet answered
            choice = await controller.decide("cam", max(deadline_at - start, 0.001), backlog_bytes=backlog)
            decision = choice.decision
        elif policy == "oracle":
            decision = _oracle(profile, link, start, deadline_at)
        elif policy == "full-offload":
            decision = _fixed(profile, max(e.alpha for e in profile.entries), 1.0, "none", "full offload")
        elif policy == "paper":
            decision = _fixed(profile, 1, 0.4, "brotli", "the paper's setting")
        elif policy == "local":
            if local is None:
                raise ValueError("the local policy needs --local-ms")
            decision = Decision("local", local.alpha, 1.0, "none", local.accuracy, local_ms or 0.0, 0.0, True, "local")
        else:
            raise ValueError(f"unknown policy {policy!r}; choose from {POLICIES}")
        done, sent, end = link.run(decision, start, commit=True)
        if decision.mode == "offload":  # the camera times a transfer from when its link is free of earlier ones
            pending.append((end, decision.payload_bytes, end - sent))
        result.outcomes.append(Outcome(arrival, decision, done - arrival, done <= deadline_at))
    return result


def simulate(
    profile: Profile,
    trace: Trace,
    policy: str,
    *,
    deadline_ms: float,
    rate_hz: float = 2.0,
    requests: int | None = None,
    prior_bps: float = 10e6,
    overhead_ms: float = 3.0,
    local_ms: float | None = None,
) -> PolicyResult:
    """Replay ``requests`` clips (default: one pass over the trace) under ``policy``."""
    n = requests or max(1, int(trace.period / 1000 * rate_hz))
    return asyncio.run(_simulate(profile, trace, policy, deadline_ms, rate_hz, n, prior_bps, overhead_ms, local_ms))


def best_accuracy(profile: Profile, bps: float, deadline_ms: float, overhead_ms: float = 3.0) -> float | None:
    """The paper's Fig. 5(b): the best feasible accuracy at a steady rate (eq. 5 with the true rate)."""
    d = choose(profile, bps, deadline_ms, overhead_ms=overhead_ms)
    return d.accuracy if d.feasible else None
