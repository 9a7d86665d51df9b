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


def _label(ax: Any, xlabel: str, ylabel: str, title: str, legend_size: int = 8) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=legend_size)


def _save(plt: Any, fig: Any, path: Path, dpi: int) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


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
    _label(ax, "uplink data rate (Mbit/s)", "completion time (ms)", "Fig. 5(a): completion time against data rate")
    a = _save(plt, fig, out_dir / "fig5a_completion_time.png", dpi=120)

    fig, ax = plt.subplots(figsize=(6, 4))
    for deadline in deadlines:
        acc = [best_accuracy(profile, r, deadline, overhead_ms) for r in rates]
        ax.semilogx(rates / 1e6, [np.nan if v is None else 100 * v for v in acc], label=f"deadline {deadline:g} ms")
    title = f"Fig. 5(b): best feasible accuracy ({profile.accuracy_source.split(':')[0]})"
    _label(ax, "uplink data rate (Mbit/s)", "best feasible accuracy (%)", title)
    b = _save(plt, fig, out_dir / "fig5b_best_accuracy.png", dpi=120)
    return [a, b]


_METHOD_LABELS = {
    "stae": "ViT_STAE (FA + SA + FR)",
    "fa_sa": "ViT_FA+SA (zero-filled)",
    "random_pixels": "random pixels + FR",
    "uniform_frames": "uniform frames + SA + FR",
}


def fig4(doc: dict[str, Any], out_dir: Path) -> list[Path]:
    """From a ``stae eval`` document: (a) the paper's Fig. 4, accuracy against β for each α and method;
    (b) the accuracy-per-byte frontier, accuracy against payload bytes for STAE, FA+SA and H.264."""
    plt = _pyplot()
    out_dir.mkdir(parents=True, exist_ok=True)
    grid = doc["grid"]
    alphas = sorted({r["alpha"] for r in grid})
    fig, axes = plt.subplots(1, len(alphas), figsize=(3.2 * len(alphas), 3.4), sharey=True, squeeze=False)
    for ax, a in zip(axes[0], alphas, strict=True):
        rows = sorted((r for r in grid if r["alpha"] == a), key=lambda r: r["beta"])
        for method, label in _METHOD_LABELS.items():
            ax.plot([100 * r["beta"] for r in rows], [100 * r[method]["accuracy"] for r in rows], "o-", label=label)
        ax.set_title(f"α = {a}")
        ax.set_xlabel("β (% of pixels kept)")
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("accuracy (%)")
    axes[0][-1].legend(fontsize=7)
    fig.suptitle(f"Fig. 4: accuracy against the spatial budget ({doc['clips']} test clips of {doc['data']})")
    a_path = _save(plt, fig, out_dir / "fig4_accuracy_vs_beta.png", dpi=110)

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    points = {
        m: [(r["payload_bytes"], 100 * r[m]["accuracy"]) for r in grid if r.get("payload_bytes")]
        for m in ("stae", "fa_sa")
    }
    for method, pts in points.items():
        ax.scatter(*zip(*pts, strict=True), s=14, label=_METHOD_LABELS[method])
    h264 = [(r["payload_bytes"], 100 * r["accuracy"]) for r in doc.get("h264", []) if r["payload_bytes"]]
    if h264:
        ax.scatter(*zip(*h264, strict=True), s=14, marker="s", label="H.264 of FA's frames (libx264, CRF 23/33/43)")
    for label, pts in (("STAE frontier", points["stae"]), ("H.264 frontier", h264)):
        front = frontier(pts)
        if front:
            ax.step(*zip(*front, strict=True), where="post", alpha=0.6, label=label)
    ax.set_xscale("log")
    _label(ax, "payload bytes per clip", "accuracy (%)", "Accuracy per byte", legend_size=7)
    b_path = _save(plt, fig, out_dir / "frontier_accuracy_vs_bytes.png", dpi=110)
    return [a_path, b_path]


def frontier(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The best accuracy reachable with at most x bytes, at the byte counts where it improves."""
    out: list[tuple[float, float]] = []
    for x, y in sorted(points):
        if not out or y > out[-1][1]:
            out.append((x, y))
    return out


CODEC_CURVES = {
    ("stae_latent", "codec_aware"): ("learned latent STAE (wire v3)", "C1", "D"),
    ("stae_h264", "codec_aware"): ("codec STAE (wire v2, codec-aware ViT)", "C3", "o"),
    ("stae_lossless", "codec_aware"): ("lossless STAE (wire v1)", "C0", "s"),
    ("h264_16", "stock"): ("H.264 of 16 frames, stock ViT", "k", "^"),
    ("h264_16", "h264_finetuned"): ("H.264 of 16 frames, H.264-fine-tuned ViT", "C2", "v"),
    ("h264_16_medium", "h264_finetuned"): ("H.264 (medium) of 16 frames, H.264-fine-tuned ViT", "C4", "<"),
    ("h264_16_half", "half_finetuned"): ("H.264 (medium) of 16 frames at half size, its fine-tuned ViT", "C5", ">"),
    ("h264_fa", "stock"): ("H.264 of FA's frames, stock ViT", "C7", "x"),
}


def codec_frontier(doc: dict[str, Any], path: Path) -> Path:
    """Accuracy against bytes of every method of ``stae frontier`` (points, and each method's envelope)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    for (method, vit), (label, colour, marker) in CODEC_CURVES.items():
        pts = [(r["bytes_mean"], r["accuracy"]) for r in doc["rows"] if r["method"] == method and r["vit"] == vit]
        if pts:
            ax.scatter(*zip(*pts, strict=True), s=12, color=colour, marker=marker, alpha=0.3)
            ax.plot(*zip(*frontier(pts), strict=True), color=colour, marker=marker, label=label)
    ax.set_xscale("log")
    _label(ax, "bytes per clip (log)", "top-1 accuracy", f"Accuracy vs bytes, {doc['clips']} held-out clips")
    return _save(plt, fig, path, dpi=120)
