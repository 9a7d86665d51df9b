"""The controller: per-camera measured bandwidth (``ControllerStore``) + profile table + eq. 5 (``policy``).

The encoder service, the simulator and the tests all decide through this class, so what is measured is what
runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stae.control.policy import Decision, LocalOption, choose
from stae.control.profile import Profile
from stae.control.store import ControllerStore


@dataclass(frozen=True)
class Choice:
    decision: Decision
    bandwidth_bps: float
    bandwidth_source: Literal["measured", "prior"]


class Controller:
    def __init__(
        self,
        store: ControllerStore,
        profile: Profile | None = None,
        *,
        prior_bps: float = 10e6,
        overhead_ms: float = 0.0,
        local: LocalOption | None = None,
    ) -> None:
        self.store = store
        self.profile = profile
        self.prior_bps = prior_bps
        self.overhead_ms = overhead_ms
        self.local = local

    async def decide(self, camera: str, deadline_ms: float, fixed: tuple[int, float] | None = None) -> Choice:
        """Budgets for the next request of ``camera``; raises RuntimeError while no profile is loaded."""
        if self.profile is None:
            raise RuntimeError("the controller has no profile yet (is the decoder reachable?)")
        measured = await self.store.estimate(camera)
        bps = measured if measured is not None else self.prior_bps
        decision = choose(self.profile, bps, deadline_ms, overhead_ms=self.overhead_ms, local=self.local, fixed=fixed)
        return Choice(decision, bps, "measured" if measured is not None else "prior")

    async def observe(self, camera: str, payload_bytes: int, transfer_ms: float) -> None:
        await self.store.record(camera, payload_bytes, transfer_ms)
