"""The controller: per-camera measured bandwidth (``ControllerStore``) + profile table + eq. 5 (``policy``).

The encoder service, the simulator and the tests all decide through this class, so what is measured is what
runs.
"""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Literal

from stae.control.policy import Decision, LocalOption, ServerShare, choose
from stae.control.profile import Profile, ServerLoad
from stae.control.store import ControllerStore, PublishedLoad
from stae.errors import NotReadyError


@dataclass(frozen=True)
class Choice:
    decision: Decision
    bandwidth_bps: float
    bandwidth_source: Literal["measured", "prior"]
    latency_ms: float = 0.0  # the camera's measured fixed cost per transfer, planned on top of the bits' time
    server_wait_ms: float = 0.0  # the least predicted wait of a decoder for the chosen α (0: none known)
    decoder_waits: dict[str, float] = field(default_factory=dict)  # per decoder that published its load


class Controller:
    def __init__(
        self,
        store: ControllerStore,
        profile: Profile | None = None,
        *,
        prior_bps: float = 10e6,
        overhead_ms: float = 0.0,
        local: LocalOption | None = None,
        probe_every: int = 5,
        load_aware: bool = True,
        load_max_age_s: float = 5.0,
    ) -> None:
        self.store = store
        self.load_aware = load_aware  # plan with the decoders' published load (False: as if the server were idle)
        self.load_max_age_s = load_max_age_s  # older reports of a decoder's load are not planned with
        self.probe_every = probe_every  # after this many local decisions in a row, offload once to re-measure
        self._local_streak: dict[str, int] = {}
        self.profile = profile
        self.prior_bps = prior_bps
        self.overhead_ms = overhead_ms
        self.local = local
        self._backlog: dict[str, int] = {}  # payload bytes per camera on their way to the decoder right now
        self._rng = random.Random()  # which side of a mix of budgets a request takes (policy.within_share)

    async def decide(
        self,
        camera: str,
        deadline_ms: float,
        fixed: tuple[int, float] | None = None,
        backlog_bytes: float | None = None,
    ) -> Choice:
        """Budgets for the next request of ``camera`` (``backlog_bytes``: its payloads still in flight; by
        default those announced with :meth:`sending`); raises NotReadyError while no profile is loaded."""
        if backlog_bytes is None:
            backlog_bytes = self._backlog.get(camera, 0)
        if self.profile is None:
            raise NotReadyError("the controller has no profile yet (is the decoder reachable?)")
        if self.load_aware:
            measured, latency_ms, loads = await self.store.plan_inputs(camera)
        else:
            (measured, latency_ms), loads = await self.store.estimate(camera), {}
        now = time.time()
        fresh = {d: p for d, p in loads.items() if now - p.at <= self.load_max_age_s}

        def wait(alpha: int) -> float:
            return min((p.wait_ms(alpha, now) for p in fresh.values()), default=0.0)

        bps = measured if measured is not None else self.prior_bps
        profile, over = self.profile, self.overhead_ms + latency_ms
        share = self._share(fresh) if fixed is None else None
        decision = choose(
            profile,
            bps,
            deadline_ms,
            overhead_ms=over,
            local=self.local,
            fixed=fixed,
            backlog_bytes=backlog_bytes,
            server_wait=wait if fresh else None,
            server_share=share,
        )
        if decision.mode == "local":
            streak = self._local_streak.get(camera, 0) + 1
            if streak >= self.probe_every:  # local answers measure nothing: without an occasional offload the
                streak = 0  # controller would never see the link recover
                probe = choose(
                    profile,
                    bps,
                    deadline_ms,
                    overhead_ms=over,
                    fixed=fixed,
                    backlog_bytes=backlog_bytes,
                    server_wait=wait if fresh else None,
                    server_share=share,
                )
                decision = replace(probe, reason=f"probing the uplink after {self.probe_every} local decisions")
            self._local_streak[camera] = streak
        else:
            self._local_streak.pop(camera, None)
        source: Literal["measured", "prior"] = "measured" if measured is not None else "prior"
        waits = {d: p.wait_ms(decision.alpha, now) for d, p in fresh.items()}
        return Choice(decision, bps, source, latency_ms, min(waits.values(), default=0.0), waits)

    def _share(self, loads: dict[str, PublishedLoad]) -> ServerShare | None:
        """The decoders' time per request together (``n / Σ 1/budget``: each serves its share of the offered
        requests) and their cost per α (the mean), from the loads that publish one."""
        with_budget = [p.load for p in loads.values() if p.load.budget_ms and p.load.cost_ms]
        if not with_budget:
            return None
        budget = len(with_budget) / sum(1.0 / (load.budget_ms or 1.0) for load in with_budget)
        alphas = set.intersection(*(set(load.cost_ms) for load in with_budget))
        cost = {a: sum(load.cost_ms[a] for load in with_budget) / len(with_budget) for a in alphas}
        kinds = set.intersection(*(set(load.decode_ms) for load in with_budget))
        decode = {k: sum(load.decode_ms[k] for load in with_budget) / len(with_budget) for k in kinds}
        return ServerShare(budget, cost, self._rng.random(), decode)

    @asynccontextmanager
    async def sending(self, camera: str, payload_bytes: int) -> AsyncIterator[None]:
        """While a payload of ``camera`` is on its way: later decisions for the camera count it as backlog."""
        self._backlog[camera] = self._backlog.get(camera, 0) + payload_bytes
        try:
            yield
        finally:
            self._backlog[camera] -= payload_bytes
            if not self._backlog[camera]:
                del self._backlog[camera]

    async def observe(
        self, camera: str, payload_bytes: int, transfer_ms: float, delivery_bps: float | None = None
    ) -> None:
        """Fold one offload's transfer into the camera's estimate (``delivery_bps``: the decoder's measured
        arrival rate of the payload, when it reported one)."""
        await self.store.record(camera, payload_bytes, transfer_ms, self.prior_bps, delivery_bps)

    async def observe_load(self, load: ServerLoad, decoder: str = "decoder") -> None:
        """A decoder's load as one of its answers reported it: every encoder plans with it (through Redis)."""
        await self.store.put_load(decoder, load)
