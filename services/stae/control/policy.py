"""The paper's eq. 5: the most accurate budget whose predicted completion time meets the deadline.

Predicted completion (eq. 4) = compute (eq. 3, from the profile) + transfer (eq. 2: bytes / bandwidth, counting the
camera's earlier payloads still in flight ahead of this one) + a fixed per-request overhead (HTTP, serialisation) +
the server's predicted wait before the request's batch starts (its published load: when the server, not the link, is
the bottleneck, the budgets that fit are the cheaper ones to compute). When the servers publish their time per
request (:class:`ServerShare`: what each request may cost them for the offered load to fit), a budget dearer than
that share is mixed with a cheaper one, request by request, so that the fleet's mean cost fits the servers (the
upper hull of accuracy over server cost: what the fleet's offline optimum does, see ``stae.fleet``). Each budget is
considered with and without brotli, so entropy coding is used only where its time pays for itself (as in the paper's
Fig. 5). When nothing meets the deadline: local computing if a local model is configured and fits the deadline, else
the fastest offload option (the most compressed payload), reported as a predicted miss. Local computing that would
miss the deadline too is never chosen: it also blocks the camera, and the link estimate behind the comparison is
deliberately pessimistic on volatile links (trace simulation: it lost more deadlines than it saved).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from stae import wire
from stae.control.profile import Encoding, Profile, ProfileEntry
from stae.errors import BudgetError

Mode = Literal["offload", "local"]


@dataclass(frozen=True)
class LocalOption:
    """Classifying on the camera itself (the paper's 'local computing')."""

    accuracy: float
    compute_ms: float
    alpha: int = 16  # the frames the local model classifies (all of them: no transfer to save)


@dataclass(frozen=True)
class Decision:
    mode: Mode
    alpha: int
    beta: float
    entropy: wire.EntropyCoder
    accuracy: float  # predicted (from the profile)
    predicted_ms: float  # eq. 4
    payload_bytes: float  # predicted; 0 for local computing
    feasible: bool  # predicted_ms <= deadline
    reason: str
    max_bytes: int | None = None  # wire v2 (H.264): the byte budget the encoder must meet
    scale: int = 1  # wire v2: frames coded at 1/scale of the side
    encoding: Encoding = "lossless"  # wire v1, v2 (h264) or v3 (latent)
    level: int | None = None  # wire v3: the rate level the encoder quantises at

    @property
    def sent_as(self) -> str:
        """What leaves the camera: the payload encoding, or "local" when nothing is sent."""
        return self.encoding if self.mode == "offload" else "local"


@dataclass(frozen=True)
class ServerShare:
    """The servers' time per request (``ServerLoad.budget_ms``, combined over the decoders) and what one request
    of α costs them (``cost_ms``); ``draw`` (uniform in [0, 1)) decides which side of a mix this request takes."""

    budget_ms: float
    cost_ms: Mapping[int, float]
    draw: float
    decode_ms: Mapping[str, float] = field(default_factory=dict)  # per "encoding:α" (ServerLoad.decode_ms)

    def cost(self, e: ProfileEntry) -> float:
        """Server ms of one request of ``e``: the model's share of a full batch and, where published, decoding."""
        decode = self.decode_ms.get(f"{e.encoding}:{e.alpha}", 0.0)
        if e.alpha in self.cost_ms:
            return self.cost_ms[e.alpha] + decode
        above = [a for a in self.cost_ms if a >= e.alpha]
        return (self.cost_ms[min(above)] if above else max(self.cost_ms.values(), default=0.0)) + decode


_Option = tuple[ProfileEntry, wire.EntropyCoder, float]  # entry, coder, predicted ms


def _rank(o: _Option) -> tuple[float, float]:
    """Eq. 5's order: the more accurate first, ties to the faster."""
    return o[0].accuracy, -o[2]


def _best(options: list[_Option]) -> _Option:
    return max(options, key=_rank)


def within_share(feasible: list[_Option], share: ServerShare) -> tuple[_Option, str | None]:
    """Eq. 5's choice when it fits the servers' share, else a mix of the two options around the share on the
    upper hull of (server cost, accuracy): the dearer one with the probability that makes the mean cost the
    share (the cheapest when even it costs more); the second item says why, when the share decided."""
    best = _best(feasible)
    if share.cost(best[0]) <= share.budget_ms:
        return best, None
    costs: dict[tuple[str, int], float] = {}  # one cost per (encoding, α): most options share them
    by_cost: dict[float, _Option] = {}  # the best option at each cost
    for o in feasible:
        kind = (o[0].encoding, o[0].alpha)
        if kind not in costs:
            costs[kind] = share.cost(o[0])
        held = by_cost.get(costs[kind])
        if held is None or _rank(o) > _rank(held):
            by_cost[costs[kind]] = o
    hull: list[tuple[float, _Option]] = []  # upper concave hull, cost ascending, accuracy rising
    for c, o in sorted(by_cost.items(), key=lambda item: item[0]):
        if hull and o[0].accuracy <= hull[-1][1][0].accuracy:
            continue
        while len(hull) >= 2:
            (c1, o1), (c2, o2) = hull[-2], hull[-1]
            # drop the middle point when it lies on or below the chord from hull[-2] to o
            if (o2[0].accuracy - o1[0].accuracy) * (c - c1) <= (o[0].accuracy - o1[0].accuracy) * (c2 - c1):
                hull.pop()
            else:
                break
        hull.append((c, o))
    why = f"server share {share.budget_ms:.1f} ms per request"
    if share.budget_ms < hull[0][0]:
        return hull[0][1], f"{why}: the cheapest budget ({hull[0][0]:.1f} ms)"
    for (c1, o1), (c2, o2) in itertools.pairwise(hull):
        if c1 <= share.budget_ms < c2:
            w = (share.budget_ms - c1) / (c2 - c1)
            pick, c = (o2, c2) if share.draw < w else (o1, c1)
            return pick, f"{why}: {w:.0%} of requests at {c2:.1f} ms, the rest at {c1:.1f} ms; this one {c:.1f} ms"
    return hull[-1][1], None


def predict_ms(
    entry: ProfileEntry,
    entropy: wire.EntropyCoder,
    bandwidth_bps: float,
    overhead_ms: float,
    backlog_bytes: float = 0.0,
    server_wait_ms: float = 0.0,
) -> float:
    """Eq. 4: compute + (payload + bytes still queued ahead of it on the uplink) / bandwidth + overhead + the
    server's predicted wait before the request's batch starts (its load)."""
    transfer = (entry.payload_bytes(entropy) + backlog_bytes) * 8e3 / bandwidth_bps
    return entry.compute_ms(entropy) + transfer + overhead_ms + server_wait_ms


def _coders(e: ProfileEntry) -> tuple[wire.EntropyCoder, ...]:
    """A lossless entry goes with or without brotli; a coded H.264 or latent one has no separate entropy coder."""
    return ("brotli", "none") if e.encoding == "lossless" else ("none",)


def _offload(
    e: ProfileEntry, coder: wire.EntropyCoder, predicted_ms: float = 0.0, feasible: bool = False, reason: str = ""
) -> Decision:
    return Decision(
        mode="offload",
        alpha=e.alpha,
        beta=e.beta,
        entropy=coder,
        accuracy=e.accuracy,
        predicted_ms=predicted_ms,
        payload_bytes=e.payload_bytes(coder),
        feasible=feasible,
        reason=reason,
        max_bytes=e.max_bytes,
        scale=e.scale,
        encoding=e.encoding,
        level=e.level,
    )


_OPTIONS: dict[int, tuple[Profile, list[tuple[ProfileEntry, wire.EntropyCoder, float, float]]]] = {}


def _options(profile: Profile) -> list[tuple[ProfileEntry, wire.EntropyCoder, float, float]]:
    """(entry, coder, compute ms, payload bytes) of every offload option of ``profile``, kept per profile object
    (profiles are immutable): eq. 4 then costs a multiply and three adds per option."""
    cached = _OPTIONS.get(id(profile))
    if cached is None or cached[0] is not profile:
        rows = [(e, c, e.compute_ms(c), e.payload_bytes(c)) for e in profile.entries for c in _coders(e)]
        if len(_OPTIONS) > 16:
            _OPTIONS.clear()
        cached = _OPTIONS[id(profile)] = (profile, rows)
    return cached[1]


def offload_options(entries: list[ProfileEntry]) -> list[tuple[Decision, ProfileEntry]]:
    """Every way to offload: each entry with and without brotli (a coded H.264 or latent entry has no separate
    entropy coder: one option, labelled "none"); times and feasibility still to be filled in."""
    return [(_offload(e, coder), e) for e in entries for coder in _coders(e)]


def most_accurate(options: list[Decision]) -> Decision | None:
    """Eq. 5's argmax: the most accurate feasible option (ties: the fastest); None when none is feasible."""
    feasible = [o for o in options if o.feasible]
    return max(feasible, key=lambda o: (o.accuracy, -o.predicted_ms)) if feasible else None


def choose(
    profile: Profile,
    bandwidth_bps: float,
    deadline_ms: float,
    *,
    overhead_ms: float = 0.0,
    local: LocalOption | None = None,
    fixed: tuple[int, float] | None = None,
    backlog_bytes: float = 0.0,
    server_wait: Callable[[int], float] | None = None,
    server_share: ServerShare | None = None,
) -> Decision:
    """Solve eq. 5 over the profile, lossless and coded entries alike. ``fixed`` = (α, β) restricts the choice to
    that lossless budget (entropy still free);
    ``backlog_bytes`` are this camera's earlier payloads still on their way (they delay this one);
    ``server_wait(α)``: the server's predicted wait (ms) before a request of α would start (its load);
    ``server_share``: the servers' time per request, which the choice fits on average (:func:`within_share`)."""
    if bandwidth_bps <= 0:
        raise ValueError(f"bandwidth must be positive, got {bandwidth_bps}")
    entries = list(profile.entries)
    if fixed is not None:
        entries = [e for e in entries if e.entry_is(fixed[0], fixed[1])]
        if not entries:
            raise BudgetError(f"budget alpha={fixed[0]}, beta={fixed[1]} is not in the profile")
    table = _options(profile) if fixed is None else [o for o in _options(profile) if o[0] in entries]
    waits = {a: server_wait(a) for a in {o[0].alpha for o in table}} if server_wait is not None else {}
    # (accuracy, -time) per option first; a Decision only for the one chosen (eq. 5 runs on every request).
    per_byte = 8e3 / bandwidth_bps
    options = [
        (e, coder, compute + (size + backlog_bytes) * per_byte + overhead_ms + waits.get(e.alpha, 0.0))
        for e, coder, compute, size in table
    ]
    bw = f"{bandwidth_bps / 1e6:.2f} Mbit/s"
    feasible = [o for o in options if o[2] <= deadline_ms]
    if feasible:
        (e, coder, t), shared = within_share(feasible, server_share) if server_share else (_best(feasible), None)
        why = "fixed by the request" if fixed else "most accurate budget that meets the deadline (eq. 5)"
        why = f"{why}; {shared}" if shared else why
        return _offload(e, coder, t, True, f"{why}: {t:.1f} ms predicted at {bw}, deadline {deadline_ms:.0f} ms")
    e, coder, t = min(options, key=lambda o: o[2])
    fastest = _offload(e, coder, t)
    if local is not None and fixed is None and local.compute_ms <= deadline_ms:
        return Decision(
            mode="local",
            alpha=local.alpha,
            beta=1.0,
            entropy="none",
            accuracy=local.accuracy,
            predicted_ms=local.compute_ms,
            payload_bytes=0.0,
            feasible=True,
            reason=f"no offload budget meets {deadline_ms:.0f} ms at {bw} (fastest {fastest.predicted_ms:.1f} ms); "
            f"computing locally ({local.compute_ms:.1f} ms predicted)",
        )
    return replace(
        fastest,
        reason=f"no budget meets the {deadline_ms:.0f} ms deadline at {bw}: sending the fastest "
        f"({fastest.predicted_ms:.1f} ms predicted); the deadline will likely be missed",
    )
