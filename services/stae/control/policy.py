"""The paper's eq. 5: the most accurate budget whose predicted completion time meets the deadline.

Predicted completion (eq. 4) = compute (eq. 3, from the profile) + transfer (eq. 2: bytes / bandwidth, counting the
camera's earlier payloads still in flight ahead of this one) + a fixed per-request overhead (HTTP, serialisation) +
the server's predicted wait before the request's batch starts (its published load: when the server, not the link,
is the bottleneck, the budgets that fit are the cheaper ones to compute). Each budget is considered with and
without brotli, so entropy coding is used only where its time pays for itself (as in the paper's Fig. 5). When
nothing meets the deadline: local computing if a local model is configured and fits the deadline, else the fastest
offload option (the most compressed payload), reported as a predicted miss. Local computing that would miss the
deadline too is never chosen: it also blocks the camera, and the link estimate behind the comparison is
deliberately pessimistic on volatile links (trace simulation: it lost more deadlines than it saved).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
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


def offload_options(entries: list[ProfileEntry]) -> list[tuple[Decision, ProfileEntry]]:
    """Every way to offload: each entry with and without brotli (a coded H.264 or latent entry has no separate
    entropy coder: one option, labelled "none"); times and feasibility still to be filled in."""
    return [
        (
            Decision(
                mode="offload",
                alpha=e.alpha,
                beta=e.beta,
                entropy=coder,
                accuracy=e.accuracy,
                predicted_ms=0.0,
                payload_bytes=e.payload_bytes(coder),
                feasible=False,
                reason="",
                max_bytes=e.max_bytes,
                scale=e.scale,
                encoding=e.encoding,
                level=e.level,
            ),
            e,
        )
        for e in entries
        for coder in (("brotli", "none") if e.encoding == "lossless" else ("none",))
    ]


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
) -> Decision:
    """Solve eq. 5 over the profile, lossless and coded entries alike. ``fixed`` = (α, β) restricts the choice to
    that lossless budget (entropy still free);
    ``backlog_bytes`` are this camera's earlier payloads still on their way (they delay this one);
    ``server_wait(α)``: the server's predicted wait (ms) before a request of α would start (its load)."""
    if bandwidth_bps <= 0:
        raise ValueError(f"bandwidth must be positive, got {bandwidth_bps}")
    entries = list(profile.entries)
    if fixed is not None:
        entries = [e for e in entries if e.entry_is(fixed[0], fixed[1])]
        if not entries:
            raise BudgetError(f"budget alpha={fixed[0]}, beta={fixed[1]} is not in the profile")
    options = []
    for d, e in offload_options(entries):
        wait = server_wait(e.alpha) if server_wait is not None else 0.0
        t = predict_ms(e, d.entropy, bandwidth_bps, overhead_ms, backlog_bytes, wait)
        options.append(replace(d, predicted_ms=t, feasible=t <= deadline_ms))
    bw = f"{bandwidth_bps / 1e6:.2f} Mbit/s"
    best = most_accurate(options)
    if best is not None:
        why = "fixed by the request" if fixed else "most accurate budget that meets the deadline (eq. 5)"
        return replace(
            best, reason=f"{why}: {best.predicted_ms:.1f} ms predicted at {bw}, deadline {deadline_ms:.0f} ms"
        )
    fastest = min(options, key=lambda o: o.predicted_ms)
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
