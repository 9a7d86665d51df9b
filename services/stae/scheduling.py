"""Earliest-deadline-first batching as a schedule: which requests run together and when they finish, predicted.

The decoder's batcher (``decoder_service.batching``) runs this schedule and admits by :func:`refusal`; the fleet
simulator (:mod:`stae.fleet`) replays both for a thousand cameras. A job is anything with a ``due`` time and an
``alpha`` (kept frames: requests of one α share a forward pass, others do not); ties in deadline keep the given
order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar


class Job(Protocol):
    @property
    def due(self) -> float: ...

    @property
    def alpha(self) -> int: ...


J = TypeVar("J", bound=Job)


class CostModel:
    """Predicted time of one forward pass of ``n`` requests of α kept frames:
    ``t(α, n) = t1[α] · (1 + k[α] · (n − 1))``, where ``t1`` starts from the start-up profile and follows every
    batch of one, and ``k[α]`` (the cost of one more request relative to the first; 1: batching saves nothing)
    follows every larger batch of that α (exponential averages; an α with no larger batch yet uses ``share``, which
    follows all of them: on a CPU one more request of a dearer α was measured to cost twice its share at α 4)."""

    def __init__(self, single_ms: dict[int, float], share: float = 0.5, smoothing: float = 0.2) -> None:
        self.single_ms = dict(single_ms) or {16: 10.0}
        self.share = share
        self.shares: dict[int, float] = {}  # k per α, once a batch of more than one has run
        self.smoothing = smoothing

    def _single(self, alpha: int) -> float:
        if alpha in self.single_ms:
            return self.single_ms[alpha]
        above = [a for a in self.single_ms if a >= alpha]
        if above:
            return self.single_ms[min(above)]
        top = max(self.single_ms)
        return self.single_ms[top] * alpha / top

    def batch_ms(self, alpha: int, n: int) -> float:
        return self._single(alpha) * (1.0 + self.shares.get(alpha, self.share) * (n - 1))

    def busy_share_s(self, alpha: int, max_batch: int) -> float:
        """Seconds one request of α costs a busy server: its share of a full batch."""
        return self.batch_ms(alpha, max_batch) / max_batch / 1e3

    def observe(self, alpha: int, n: int, ms: float) -> None:
        s = self.smoothing
        if n == 1 or alpha not in self.single_ms:
            self.single_ms[alpha] = ms if alpha not in self.single_ms else (1 - s) * self.single_ms[alpha] + s * ms
            return
        k = min(max((ms / self.single_ms[alpha] - 1.0) / (n - 1), 0.02), 1.5)
        self.share = (1 - s) * self.share + s * k
        self.shares[alpha] = (1 - s) * self.shares.get(alpha, self.share) + s * k


def take_batch(queue: list[J], max_batch: int) -> list[J]:
    """The worker's choice, removed from ``queue`` (a list in deadline order): the request due first and those
    of its α due after it, up to ``max_batch``."""
    first = queue[0].alpha
    batch = [i for i in queue if i.alpha == first][:max_batch]
    chosen = {id(i) for i in batch}
    queue[:] = [i for i in queue if id(i) not in chosen]
    return batch


def schedule(queue: Iterable[J], start: float, cost: CostModel, max_batch: int) -> list[tuple[J, float, float]]:
    """(request, predicted batch start, predicted finish) for every queued request, in the order the worker will
    run them, the worker being free at ``start``."""
    pending = sorted(queue, key=lambda j: j.due)  # stable: equal deadlines keep their order
    out: list[tuple[J, float, float]] = []
    t = start
    while pending:
        batch = take_batch(pending, max_batch)
        end = t + cost.batch_ms(batch[0].alpha, len(batch)) / 1e3
        out += [(i, t, end) for i in batch]
        t = end
    return out


def refusal(queue: Sequence[Job], job: Job, start: float, cost: CostModel, max_batch: int) -> str | None:
    """Why ``job`` cannot be admitted behind ``queue`` (the worker free at ``start``), or None when it can: it
    would finish after its deadline, or push a request that would otherwise finish in time past its own."""
    before = {id(i): end <= i.due for i, _, end in schedule(queue, start, cost, max_batch)}
    with_job: list[Job] = [*queue, job]
    for other, _, end in schedule(with_job, start, cost, max_batch):
        if other is job and end > job.due:
            return f"predicted to finish {(end - job.due) * 1e3:.0f} ms after its deadline ({len(queue)} queued)"
        if other is not job and before[id(other)] and end > other.due:
            return f"admitting it would make an accepted request miss its deadline ({len(queue)} queued)"
    return None


class DecayingRate:
    """Something per second (requests offered to a server, admitted or not; or milliseconds of work): a sum that
    decays with time constant ``tau_s`` (a steady rate r reads r after a few ``tau_s``). Counting requests, with
    the cost model it gives the server's budget: the time each request may cost it for the offered load to fit
    (:meth:`budget_ms`)."""

    def __init__(self, tau_s: float = 2.0) -> None:
        self.tau_s = tau_s
        self._level = 0.0
        self._at = 0.0
        self._first: float | None = None

    def _decayed(self, now: float) -> float:
        return self._level * math.exp(-max(0.0, now - self._at) / self.tau_s)

    def per_s(self, now: float) -> float:
        if self._first is None:
            return 0.0
        # over the first few time constants the count has not filled up yet: scaled by what it could have reached
        # (a steady rate reads right from its first seconds, not at a fraction of itself)
        filled = 1.0 - math.exp(-max(now - self._first, 1e-3) / self.tau_s)
        return self._decayed(now) / max(filled, 0.05)

    def add(self, now: float, amount: float = 1.0) -> None:
        if self._first is None:
            self._first = now
        self._level = self._decayed(now) + amount / self.tau_s
        self._at = now

    def budget_ms(self, now: float, utilisation: float) -> float | None:
        """Server milliseconds per request at which the offered rate keeps the server ``utilisation`` busy;
        None before a request has been offered."""
        rate = self.per_s(now)
        return None if rate <= 0 else round(utilisation * 1e3 / rate, 3)


class WeightedRoundRobin:
    """Smooth weighted round robin (nginx's): over many picks each of ``n`` targets gets its weight's share,
    evenly interleaved, with no randomness (a random draw by the same weights left two servers' queues
    unequal often enough to lose 1 point of the fleet's accuracy in simulation)."""

    def __init__(self, n: int) -> None:
        self._current = [0.0] * n

    def pick(self, weights: Sequence[float]) -> int:
        """The next target (weights: one per target, at least one positive; a zero weight is never picked)."""
        for i, w in enumerate(weights):
            self._current[i] += w
        best = max((i for i, w in enumerate(weights) if w > 0), key=lambda i: self._current[i])
        self._current[best] -= sum(weights)
        return best


def waits(
    queue: Sequence[Job], start: float, now: float, cost: CostModel, max_batch: int, alphas: Iterable[int]
) -> dict[int, float]:
    """Per α, the seconds a new request due after everything queued would wait before its batch starts (it
    joins the last batch of its α when that one has room, else waits for the whole queue)."""
    plan = schedule(queue, start, cost, max_batch)
    drained = plan[-1][2] if plan else start
    out = {}
    for alpha in alphas:
        starts = [s for j, s, _ in plan if j.alpha == alpha]  # in schedule order
        joins = bool(starts) and starts.count(starts[-1]) < max_batch
        out[alpha] = max((starts[-1] if joins else drained) - now, 0.0)
    return out
