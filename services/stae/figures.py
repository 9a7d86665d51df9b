"""PNG figures in the layout of the paper's (matplotlib, imported only when a figure is drawn)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from stae.control.profile import Profile, ProfileEntry
from stae.simulate import best_accuracy
from stae.wire import EntropyCoder


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise RuntimeError("figures need matplotlib: pip install matplotlib (it comes with the test extras)") from exc
    return plt


def fig5(
    profile: Profile, out_dir: Path, *, local_ms: float, deadlines: tuple[float, ...], overhead_ms: float
) -> list[Path]:
    """The paper's Fig. 5: (a) completion time against data rate for local computing, full offload, the
    random-pixel baseline and STAE at α = 1, β = 40%; (b) the best feasible accuracy against data rate."""
    plt = _pyplot()
    out_dir.mkdir(parents=True, exist_ok=True)
    rates = np.logspace(-1, 3, 41) * 1e6  # 0.1 .. 1000 Mbit/s
    stae = profile.entry(1, 0.4)
    full = profile.entry(max(e.alpha for e in profile.entries), 1.0)
    assert stae is not None and full is not None
    # Random-pixel baseline (our re-implementation of the paper's DeepISC assumption): the same payload as STAE,
    # pixels chosen at random instead of by SA (so no SA time), recovered by the same FR.
    curves: dict[str, list[float]] = {"local computing": [local_ms] * len(rates)}
    lines: tuple[tuple[str, ProfileEntry, EntropyCoder, bool], ...] = (
        ("full offload (α=16, β=100%)", full, "none", False),
        ("random pixels (α=1, β=40%)", stae, "brotli", True),
        ("STAE (α=1, β=40%)", stae, "brotli", False),
    )
    for label, entry, coder, skip_sa in lines:
        compute = entry.compute_ms(coder) - (entry.sa_ms if skip_sa else 0.0) + overhead_ms
        curves[label] = [compute + entry.payload_bytes(coder) * 8e3 / r for r in rates]
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, ys in curves.items():
        ax.loglog(rates / 1e6, ys, label=label)
    ax.set_xlabel("uplink data rate (Mbit/s)")
    ax.set_ylabel("completion time (ms)")
    ax.set_title("Fig. 5(a): completion time against data rate")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    a = out_dir / "fig5a_completion_time.png"
    fig.tight_layout()
    fig.savefig(a, dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    for deadline in deadlines:
        acc = [best_accuracy(profile, r, deadline, overhead_ms) for r in rates]
        ax.semilogx(rates / 1e6, [np.nan if v is None else 100 * v for v in acc], label=f"deadline {deadline:g} ms")
    ax.set_xlabel("uplink data rate (Mbit/s)")
    ax.set_ylabel("best feasible accuracy (%)")
    ax.set_title(f"Fig. 5(b): best feasible accuracy ({profile.accuracy_source.split(':')[0]})")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    b = out_dir / "fig5b_best_accuracy.png"
    fig.tight_layout()
    fig.savefig(b, dpi=120)
    plt.close(fig)
    return [a, b]
