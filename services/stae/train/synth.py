"""A synthetic action dataset the project makes itself (no labelled video can be downloaded here).

The class is what a small actor *does*: its motion pattern during a short action window. Everything else is
clutter designed so that the paper's question is real:

* the actor (a ringed disc, ``actor_area`` = 12% of the frame) sits still outside a window of a third to two
  thirds of the clip, so which frames are kept matters (frame attention); inside the window it moves and leaves a fading
  motion trail (as motion blur would), so one well-chosen frame can show the action while an idle frame cannot;
* the background is moving real footage (consecutive frames of real videos, :mod:`stae.train.footage`) or, for
  the texture benchmark, a smooth texture of moderate contrast; either shakes with camera jitter, and a
  class-irrelevant distractor (a plain square) moves across the frame all the time, so which pixels are kept
  matters (spatial attention);
* the actor's colour, start position, window and speed vary per clip, so neither position nor colour nor
  timing gives the class away.

Classes (``CLASSES``, the first K are used): move right / left / up / down, circle clockwise /
counter-clockwise, grow, shrink, blink, shake. Clips are written as real H.264 mp4 files, one folder per class,
with ``train.txt`` / ``test.txt`` (and ``test_unseen.txt``) split files (``<class>/<file> <label index>`` per
line), ``classes.txt`` and, over footage, ``backgrounds.json``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from stae.train.footage import FootagePool

CLASSES = (
    "move_right",
    "move_left",
    "move_up",
    "move_down",
    "circle_cw",
    "circle_ccw",
    "grow",
    "shrink",
    "blink",
    "shake",
)


@dataclass(frozen=True)
class SynthConfig:
    classes: int = 10
    clips_per_class: int = 60
    size: int = 96  # frame side, pixels
    frames: int = 32  # frames per clip (16 are sampled when read)
    fps: int = 25
    test_share: float = 0.25
    actor_area: float = 0.12  # share of the frame the actor's disc covers
    seed: int = 0


def _texture(rng: np.random.Generator, size: int) -> np.ndarray:
    """Smooth random colour texture, (2*size, 2*size, 3) float in [0, 255] (room for jitter and drift)."""
    n = 2 * size
    # Moderate contrast: with a full-range texture (40..215) a ViT from scratch memorised backgrounds (82% train,
    # 42% test on 1,500 clips, 9% actor); at 90..170 with a 12% actor it generalised (74% / 78%).
    coarse = rng.uniform(90, 170, size=(8, 8, 3))
    idx = np.linspace(0, 7, n)
    lo = np.floor(idx).astype(int).clip(0, 6)
    t = (idx - lo)[:, None]
    rows = coarse[lo] * (1 - t[..., None]) + coarse[lo + 1] * t[..., None]  # (n, 8, 3)
    cols = rows[:, lo] * (1 - t.T[..., None]) + rows[:, lo + 1] * t.T[..., None]  # (n, n, 3)
    return np.clip(cols + rng.normal(0, 12, size=(n, n, 3)), 0, 255)


def _disc(size: int, cx: float, cy: float, r: float) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:size, 0:size]
    d = np.hypot(x - cx, y - cy)
    return d <= r, (d <= r) & (d >= 0.55 * r)  # body, ring


def _trajectory(cls: str, p: float, size: int, amp: float) -> tuple[float, float, float, bool]:
    """Offset (dx, dy), radius scale and visibility at action progress p in [0, 1]."""
    dx = dy = 0.0
    scale, visible = 1.0, True
    if cls == "move_right":
        dx = amp * p
    elif cls == "move_left":
        dx = -amp * p
    elif cls == "move_up":
        dy = -amp * p
    elif cls == "move_down":
        dy = amp * p
    elif cls in ("circle_cw", "circle_ccw"):
        sign = 1 if cls == "circle_cw" else -1
        a = 2 * math.pi * p
        dx, dy = 0.4 * amp * math.sin(a), sign * 0.4 * amp * (1 - math.cos(a))
    elif cls == "grow":
        scale = 1 + 0.8 * p
    elif cls == "shrink":
        scale = 1 - 0.6 * p
    elif cls == "blink":
        visible = int(p * 6) % 2 == 0
    elif cls == "shake":
        dx = 0.25 * amp * math.sin(6 * math.pi * p)
    return dx, dy, scale, visible


def make_clip(cls: str, cfg: SynthConfig, rng: np.random.Generator, footage: FootagePool | None = None) -> np.ndarray:
    """One clip (frames, size, size, 3) uint8 of class ``cls``, over moving real footage when a pool is given."""
    s, t = cfg.size, cfg.frames
    # The camera shakes over a canvas larger than the frame: a still texture (2s) or moving footage (s + s/4).
    canvas = footage.clip(rng, t, footage_canvas(s)) if footage else _texture(rng, s)
    margin = (canvas.shape[-2] - s) // 2
    r = s * math.sqrt(cfg.actor_area / math.pi)
    amp = s * rng.uniform(0.3, 0.45)
    # keep the whole motion inside the frame
    cx0 = rng.uniform(r + amp * 0.5, s - r - amp * 0.5) if cls != "move_right" else rng.uniform(r, s - r - amp)
    cy0 = rng.uniform(r + amp * 0.5, s - r - amp * 0.5)
    if cls == "move_left":
        cx0 = rng.uniform(r + amp, s - r)
    if cls == "move_up":
        cy0 = rng.uniform(r + amp, s - r)
    if cls == "move_down":
        cy0 = rng.uniform(r, s - r - amp)
    colour = rng.uniform(60, 255, size=3)
    ring = 255 - colour
    length = int(rng.integers(t // 3, 2 * t // 3))  # the action window
    start = int(rng.integers(0, t - length))
    # distractor: a plain square crossing the frame the whole time
    side = s * 0.18
    dpos = rng.uniform(0, s - side, size=2)
    dvel = rng.uniform(-1, 1, size=2) * s / t * 1.2
    dcol = rng.uniform(30, 255, size=3)
    jitter = np.zeros(2)
    # Camera shake, with little drift: a background drifting as fast as the actor moves made the task unlearnable
    # at these dataset sizes (a 3D CNN: 16% test accuracy with drift, 47% without; 85% without the distractor).
    drift = rng.uniform(-0.1, 0.1, size=2)
    out = np.empty((t, s, s, 3), dtype=np.uint8)
    for f in range(t):
        jitter = np.clip(jitter + drift + rng.normal(0, 0.3, size=2), -margin, margin)
        ox, oy = (margin + jitter).astype(int)
        frame = (canvas[f] if canvas.ndim == 4 else canvas)[oy : oy + s, ox : ox + s].copy()
        p = min(max((f - start) / max(length - 1, 1), 0.0), 1.0)
        dx, dy, scale, visible = _trajectory(cls, p, s, amp)
        x0, y0 = (dpos + dvel * f) % (s - side)
        frame[int(y0) : int(y0 + side), int(x0) : int(x0 + side)] = dcol
        if start <= f < start + length:  # motion trail: where the actor was a moment ago, fading
            for lag, fade in ((0.3, 0.35), (0.2, 0.55), (0.1, 0.75)):
                tx, ty, ts, tv = _trajectory(cls, max(p - lag, 0.0), s, amp)
                if tv or cls == "blink":
                    trail, _ = _disc(s, cx0 + tx, cy0 + ty, r * ts)
                    frame[trail] = (1 - fade) * frame[trail] + fade * colour
        if visible:
            body, rim = _disc(s, cx0 + dx, cy0 + dy, r * scale)
            frame[body] = colour
            frame[rim] = ring
        out[f] = np.clip(frame + rng.normal(0, 4, size=frame.shape), 0, 255).astype(np.uint8)
    return out


def write_mp4(frames: np.ndarray, path: Path, fps: int) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps, options={"crf": "18", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        for img in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def footage_canvas(size: int) -> int:
    """Side of the moving background a clip of ``size`` shakes over: a margin of size/8 on each side."""
    return size + size // 4


def generate(
    out: Path, cfg: SynthConfig, backgrounds: list[str] | None = None, unseen: list[str] | None = None
) -> dict[str, int]:
    """Write the dataset under ``out``; returns clip counts per split.

    Without ``backgrounds`` the clips are drawn over procedural textures (the texture benchmark). With them,
    ``train.txt`` and ``test.txt`` are drawn over moving footage of those videos; with ``unseen`` videos too,
    ``test_unseen.txt`` holds as many clips as ``test.txt`` drawn over footage of those videos only, which
    no other split shows. ``backgrounds.json`` records which video (name and sha256) serves which split.
    """
    if not 0.01 <= cfg.actor_area <= 0.15:
        raise ValueError(f"actor_area must be in [0.01, 0.15] (a small actor), got {cfg.actor_area}")
    if not 2 <= cfg.classes <= len(CLASSES):
        raise ValueError(f"classes must be in [2, {len(CLASSES)}], got {cfg.classes}")
    if cfg.size % 8 or cfg.size < 32:
        raise ValueError(f"size must be a multiple of 8 and at least 32, got {cfg.size}")
    if not 0 < cfg.test_share <= 1:
        raise ValueError(f"test_share must be in (0, 1], got {cfg.test_share}")
    if unseen and not backgrounds:
        raise ValueError("unseen background videos need training background videos too (--backgrounds)")
    rng = np.random.default_rng(cfg.seed)
    seen_pool = FootagePool.load(backgrounds, footage_canvas(cfg.size)) if backgrounds else None
    unseen_pool = FootagePool.load(unseen, footage_canvas(cfg.size)) if unseen else None
    if seen_pool and unseen_pool:
        shared = {v.sha256 for v in seen_pool.videos} & {v.sha256 for v in unseen_pool.videos}
        if shared:
            both = sorted(v.name for v in unseen_pool.videos if v.sha256 in shared)
            raise ValueError(f"videos both seen in training and unseen: {both}; split by source video")
    names = CLASSES[: cfg.classes]
    out.mkdir(parents=True, exist_ok=True)
    splits: dict[str, list[str]] = {"train": [], "test": []}
    n_test = max(1, round(cfg.clips_per_class * cfg.test_share))
    for label, cls in enumerate(names):
        (out / cls).mkdir(exist_ok=True)
        for i in range(cfg.clips_per_class):
            name = f"{cls}/{cls}_{i:04d}.mp4"
            write_mp4(make_clip(cls, cfg, rng, seen_pool), out / name, cfg.fps)
            splits["test" if i < n_test else "train"].append(f"{name} {label}")
    if unseen_pool is not None:
        # A stream of its own, so adding unseen videos leaves the other splits' clips as they were.
        urng = np.random.default_rng([cfg.seed, 1])
        splits["test_unseen"] = []
        for label, cls in enumerate(names):
            for i in range(n_test):
                name = f"{cls}/{cls}_unseen_{i:04d}.mp4"
                write_mp4(make_clip(cls, cfg, urng, unseen_pool), out / name, cfg.fps)
                splits["test_unseen"].append(f"{name} {label}")
    (out / "classes.txt").write_text("\n".join(names) + "\n")
    for split, lines in splits.items():
        (out / f"{split}.txt").write_text("\n".join(lines) + "\n")
    if seen_pool is not None:
        record: dict[str, object] = {
            "note": "split by source video: test_unseen's videos appear in no other split",
            "train": seen_pool.record(),
            "test": "the videos of train (other segments, crops and shakes)",
        }
        if unseen_pool is not None:
            record["test_unseen"] = unseen_pool.record()
        (out / "backgrounds.json").write_text(json.dumps(record, indent=1) + "\n")
    return {k: len(v) for k, v in splits.items()}
