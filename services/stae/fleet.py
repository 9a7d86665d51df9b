"""Fleet simulation: many cameras, one or more shared edge servers, deadlines lost where the server is the
bottleneck (``stae simulate --fleet``).

Each camera sends one clip per ``period_ms`` (a random phase each), due ``deadline_ms`` after it was taken. Its
uplink is its own (``camera_bps``) or a fair share of one cell (``cell_bps`` / cameras, the smaller of the two). The
camera computes the budget's FA, SA and coding (the profile's times), the payload crosses its link behind the
camera's earlier ones, the server decodes it (the profile's ``ed_ms``) and queues it. Servers are the decoder's own
scheduler (:mod:`stae.scheduling`): earliest deadline first, batches by α of at most ``max_batch``, a forward pass
of ``n`` requests taking ``t1[α] · (1 + batch_share · (n − 1))`` (``t1``: given, e.g. the paper's GPU times of Table
I, else the profile's FR and ViT times), admission that refuses what it predicts will be late, nothing computed
after its deadline.

Policies (what decides each clip's budget, and which server gets it):
- ``oblivious``: today's controller: eq. 5 over the link alone, servers taken in turn (a Service in front of
  replicas);
- ``load-aware``: eq. 5 with the least predicted wait any server published after its last finished batch (aged
  by the time since), fitting the servers' published time per request (their offered rate against their target
  utilisation: ``policy.ServerShare``); the server by a smooth weighted round robin, weighted by the time it leaves
  before the deadline;
- ``fixed``: one budget for every clip (every entry tried; the best one reported), servers in turn;
- ``oracle``: an upper bound no policy can beat (:func:`fluid_bound`): every clip's option chosen offline to
  maximise the fleet's accuracy with the servers' time as the only limit (a fractional knapsack: queueing,
  batching delays and link variation are free), among options whose own times fit the deadline.

Reported per run: hit rate (answers within the deadline), effective accuracy (the mean over clips of hit ×
predicted accuracy), refusals, server utilisation.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from stae.control.policy import Decision, ServerShare, choose, offload_options
from stae.control.profile import Profile, ProfileEntry
from stae.scheduling import CostModel, DecayingRate, WeightedRoundRobin, refusal, take_batch, waits

FLEET_POLICIES = ("oblivious", "load-aware", "fixed", "oracle")


@dataclass(frozen=True)
class FleetConfig:
    cameras: int
    servers: int = 1
    period_ms: float = 1000.0
    deadline_ms: float = 500.0
    camera_bps: float = 20e6
    cell_bps: float | None = None  # all cameras share this capacity (fair share), if set
    duration_s: float = 30.0
    max_batch: int = 8
    batch_share: float = 0.5  # cost of one more request in a batch, relative to the first
    overhead_ms: float = 3.0
    seed: int = 0
    server_ms: dict[int, float] | None = None  # forward pass of one request per α; None: the profile's FR + ViT
    utilisation: float = 0.9  # the servers' target utilisation behind their published time per request

    def link_bps(self) -> float:
        return min(self.camera_bps, self.cell_bps / self.cameras) if self.cell_bps else self.camera_bps


@dataclass
class _Job:
    due: float  # seconds
    alpha: int
    accuracy: float
    arrive: float
    finish: float | None = None


@dataclass
class _Server:
    cost: CostModel
    max_batch: int
    queue: list[_Job] = field(default_factory=list)  # in deadline order
    free_at: float = 0.0
    busy_s: float = 0.0
    published: tuple[float, dict[int, float]] = (0.0, {})  # (when, wait per α in s) after its last batch
    alphas: tuple[int, ...] = ()
    offered: DecayingRate = field(default_factory=DecayingRate)
    utilisation: float = 0.9
    budget_ms: float | None = None  # the time per request, published with the waits

    def advance(self, t: float) -> None:
        """Run every batch that starts before ``t``."""
        while self.queue and self.free_at <= t:
            self._run(self.free_at)

    def _run(self, start: float) -> None:
        on_time = [j for j in self.queue if j.due >= start]
        self.queue = on_time or self.queue  # late ones wait out only while others can still be on time
        if not self.queue:
            return
        batch = take_batch(self.queue, self.max_batch)
        took = self.cost.batch_ms(batch[0].alpha, len(batch)) / 1e3
        for j in batch:
            j.finish = start + took
        self.free_at = start + took
        self.busy_s += took
        self.published = (self.free_at, self.waits(self.free_at))
        self.budget_ms = self.offered.budget_ms(self.free_at, self.utilisation)

    def waits(self, now: float) -> dict[int, float]:
        """Per α, the wait (s) before a new request's batch would start (as ``Batcher.load``)."""
        start = max(now, self.free_at)
        return waits(self.queue, start, now, self.cost, self.max_batch, self.alphas)

    def published_wait(self, alpha: int, now: float) -> float:
        at, waits = self.published
        return max(0.0, waits.get(alpha, 0.0) - (now - at))

    def offer(self, job: _Job) -> bool:
        """Admit ``job`` at its arrival (False: refused, as the decoder's 503)."""
        self.advance(job.arrive)
        self.offered.add(job.arrive)
        start = max(job.arrive, self.free_at)
        idle = not self.queue and self.free_at <= job.arrive
        if not idle and refusal(self.queue, job, start, self.cost, self.max_batch) is not None:
            return False
        self.queue.append(job)
        self.queue.sort(key=lambda j: j.due)
        if self.free_at <= job.arrive:
            self._run(job.arrive)
        return True

    def finishes_in_time(self, job: _Job) -> bool:
        """Whether ``job`` would be admitted and finish in time, the queue as it is at its arrival (the oracle)."""
        self.advance(job.arrive)
        start = max(job.arrive, self.free_at)
        return refusal(self.queue, job, start, self.cost, self.max_batch) is None


@dataclass(frozen=True)
class FleetResult:
    policy: str
    cameras: int
    servers: int
    clips: int
    hits: int
    refused: int
    effective_accuracy: float
    utilisation: float
    fixed_budget: str | None = None

    def row(self) -> dict[str, object]:
        return {
            "policy": self.policy,
            "cameras": self.cameras,
            "servers": self.servers,
            "clips": self.clips,
            "hit_rate": self.hits / max(self.clips, 1),
            "effective_accuracy": self.effective_accuracy,
            "refused": self.refused,
            "utilisation": self.utilisation,
            "fixed_budget": self.fixed_budget,
        }


def camera_ms(e: ProfileEntry, d: Decision) -> float:
    """Camera-side time of an option: FA, SA, packing and (brotli, H.264, latent) coding."""
    coding = e.ee_ms if d.entropy == "brotli" or e.encoding != "lossless" else 0.0
    return e.fa_ms + e.sa_ms + e.pack_ms + coding


def _server_ms(e: ProfileEntry, d: Decision) -> float:
    """Server-side decoding before the queue (brotli, H.264 or the latent synthesis)."""
    return e.ed_ms if d.entropy == "brotli" or e.encoding != "lossless" else 0.0


def run_fleet(
    profile: Profile, cfg: FleetConfig, policy: str, fixed: tuple[Decision, ProfileEntry] | None = None
) -> FleetResult:
    """One simulated run of ``policy`` (``fixed``: the option every clip uses under the fixed policy)."""
    if policy not in FLEET_POLICIES or policy == "oracle":
        raise ValueError(f"unknown fleet policy {policy!r}; choose from {FLEET_POLICIES}")
    rng = random.Random(cfg.seed)
    single = dict(cfg.server_ms or {})
    for e in profile.entries:
        single.setdefault(e.alpha, e.vit_ms + e.fr_ms)
    alphas = tuple(sorted(single))
    servers = [
        _Server(
            CostModel(dict(single), share=cfg.batch_share, smoothing=0.0),
            cfg.max_batch,
            alphas=alphas,
            utilisation=cfg.utilisation,
        )
        for _ in range(cfg.servers)
    ]
    cost_ms = {a: servers[0].cost.busy_share_s(a, cfg.max_batch) * 1e3 for a in alphas}
    options = offload_options(list(profile.entries))
    bps, period, deadline = cfg.link_bps(), cfg.period_ms / 1e3, cfg.deadline_ms / 1e3
    # (release time, camera) of every clip, in time order
    releases = [
        (phase + k * period, cam)
        for cam, phase in enumerate(rng.uniform(0, period) for _ in range(cfg.cameras))
        for k in range(int(cfg.duration_s / period))
    ]
    heapq.heapify(releases)
    link_free = [0.0] * cfg.cameras
    pending: list[tuple[float, int, _Job, int]] = []  # (arrival, seq, job, server) not yet offered
    seq, turn = 0, 0
    spread = WeightedRoundRobin(cfg.servers)
    hits = refused = 0
    gained = 0.0
    jobs: list[_Job] = []

    def flush(until: float) -> None:
        nonlocal refused
        while pending and pending[0][0] <= until:
            _, _, job, s = heapq.heappop(pending)
            if not servers[s].offer(job):
                refused += 1

    def plan(now: float, load_aware: bool) -> Decision:
        def wait(alpha: int) -> float:  # ms, the least any server published
            return min(s.published_wait(alpha, now) for s in servers) * 1e3

        budgets = [s.budget_ms for s in servers if s.budget_ms is not None]
        share = None
        if load_aware and budgets:  # the servers together: n / Σ(1 / budget) is the time per request they give
            share = ServerShare(len(servers) / sum(1 / b for b in budgets), cost_ms, rng.random())
        return choose(
            profile,
            bps,
            cfg.deadline_ms,
            overhead_ms=cfg.overhead_ms,
            server_wait=wait if load_aware else None,
            server_share=share,
        )

    by_key = {(d.alpha, d.beta, d.entropy, d.max_bytes, d.scale, d.encoding, d.level): e for d, e in options}

    def entry(d: Decision) -> ProfileEntry:
        return by_key[(d.alpha, d.beta, d.entropy, d.max_bytes, d.scale, d.encoding, d.level)]

    while releases:
        t, cam = heapq.heappop(releases)
        flush(t)
        for s in servers:
            s.advance(t)
        if policy == "fixed":
            assert fixed is not None
            d, e = fixed
            target = turn % len(servers)
            turn += 1
        elif policy == "oblivious":
            d = plan(t, False)
            e, target = entry(d), turn % len(servers)
            turn += 1
        elif policy == "load-aware":
            d = plan(t, True)
            e = entry(d)
            # Weighted by the time each server leaves before the deadline: all cameras sending to the least
            # loaded one between two reports would herd onto it (a run did: 73% utilisation of two servers).
            target = spread.pick([max(1e-3, deadline - s.published_wait(d.alpha, t)) for s in servers])
        else:
            raise ValueError("the oracle is computed, not simulated: fluid_bound()")
        sent = max(t + camera_ms(e, d) / 1e3, link_free[cam])
        link_free[cam] = sent + e.payload_bytes(d.entropy) * 8 / bps
        arrive = link_free[cam] + (_server_ms(e, d) + cfg.overhead_ms) / 1e3
        job = _Job(t + deadline, d.alpha, d.accuracy, arrive)
        jobs.append(job)
        heapq.heappush(pending, (arrive, seq, job, target))
        seq += 1
    flush(float("inf"))
    for s in servers:
        s.advance(float("inf"))
    for j in jobs:
        if j.finish is not None and j.finish <= j.due:
            hits += 1
            gained += j.accuracy
    span = max(cfg.duration_s, max((s.free_at for s in servers), default=0.0))
    label = None if fixed is None else f"α={fixed[0].alpha} {fixed[1].key} {fixed[0].entropy}"
    return FleetResult(
        policy,
        cfg.cameras,
        cfg.servers,
        len(jobs),
        hits,
        refused,
        gained / max(len(jobs), 1),
        sum(s.busy_s for s in servers) / (span * len(servers)),
        label,
    )


def best_fixed(profile: Profile, cfg: FleetConfig, candidates: int = 12) -> FleetResult:
    """The fixed policy with the budget that does best (tried: the ``candidates`` most accurate options, and the
    most accurate of every α and encoding, the cheaper ones a loaded server can carry)."""
    ranked = sorted(offload_options(list(profile.entries)), key=lambda o: -o[0].accuracy)
    per_kind = {(d.alpha, d.encoding): (d, e) for d, e in reversed(ranked)}  # the most accurate one wins
    options = ranked[:candidates] + [o for o in per_kind.values() if o not in ranked[:candidates]]
    runs = [run_fleet(profile, cfg, "fixed", o) for o in options]
    return max(runs, key=lambda r: r.effective_accuracy)


def fluid_bound(profile: Profile, cfg: FleetConfig) -> FleetResult:
    """The offline upper bound on effective accuracy: each clip gets a share of the servers' time
    (``servers × period / cameras``) and the best mix of at most two options (or none) whose cost per request
    at full batches fits it on average; options count only when their own times fit the deadline."""
    single = dict(cfg.server_ms or {})
    for e in profile.entries:
        single.setdefault(e.alpha, e.vit_ms + e.fr_ms)
    cost = CostModel(single, share=cfg.batch_share, smoothing=0.0)
    bps = cfg.link_bps()
    points = [(0.0, 0.0)]  # (server seconds per request, accuracy): sending nothing costs nothing
    for d, e in offload_options(list(profile.entries)):
        own_ms = camera_ms(e, d) + e.payload_bytes(d.entropy) * 8e3 / bps + _server_ms(e, d) + cfg.overhead_ms
        serve_s = cost.batch_ms(d.alpha, 1) / 1e3
        if own_ms / 1e3 + serve_s <= cfg.deadline_ms / 1e3:
            points.append((cost.busy_share_s(d.alpha, cfg.max_batch), d.accuracy))
    share = cfg.servers * cfg.period_ms / 1e3 / cfg.cameras
    best = max(((a, 0.0 if c == 0 else 1.0, c) for c, a in points if c <= share), default=(0.0, 0.0, 0.0))
    for c1, a1 in points:
        for c2, a2 in points:
            if c1 <= share < c2:
                w = (share - c1) / (c2 - c1)  # the share of clips on the dearer option
                served = w + (1 - w) * (c1 > 0)
                best = max(best, ((1 - w) * a1 + w * a2, served, share))
    accuracy, served, used = best
    clips = cfg.cameras * int(cfg.duration_s / (cfg.period_ms / 1e3))
    return FleetResult("oracle", cfg.cameras, cfg.servers, clips, round(served * clips), 0, accuracy, used / share)


def compare(profile: Profile, cfg: FleetConfig, policies: Sequence[str] = FLEET_POLICIES) -> list[FleetResult]:
    runs = {"fixed": lambda: best_fixed(profile, cfg), "oracle": lambda: fluid_bound(profile, cfg)}
    return [runs.get(p, lambda p=p: run_fleet(profile, cfg, p))() for p in policies]
