"""Video datasets as users have them: HMDB51 (class folders + official split files), UCF101 (official lists),
a generic split-file layout (what ``stae synth`` writes), and one folder per class.

Every reader returns a :class:`VideoList` (paths, labels, class names). :class:`ClipDataset` decodes clips in
DataLoader workers through the same ``read_clip`` the camera uses, optionally caching the decoded frames so
epochs after the first do not decode again. An undecodable file (HMDB51 has three) is skipped with a warning.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from stae.video import VideoError, read_clip

log = logging.getLogger(__name__)
VIDEO_SUFFIXES = {".avi", ".mp4", ".webm", ".mkv", ".mov"}


@dataclass(frozen=True)
class VideoList:
    paths: tuple[Path, ...]
    labels: tuple[int, ...]
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.paths)


def split_file(root: str | Path, split: str) -> VideoList:
    """``root/<split>.txt`` with lines ``<relative path> <label index>`` and ``root/classes.txt``."""
    root = Path(root)
    classes = tuple(root.joinpath("classes.txt").read_text().split())
    paths, labels = [], []
    for line in root.joinpath(f"{split}.txt").read_text().splitlines():
        if line.strip():
            rel, label = line.rsplit(maxsplit=1)
            paths.append(root / rel)
            labels.append(int(label))
    return VideoList(tuple(paths), tuple(labels), classes)


def hmdb51(root: str | Path, splits_dir: str | Path, split: int = 1, subset: str = "train") -> VideoList:
    """HMDB51: ``root/<class>/<video>.avi`` and the official ``<class>_test_split<k>.txt`` files
    (``<video>.avi <id>`` with id 1 = train, 2 = test, 0 = unused; file names contain ``[ ] ! ( )``)."""
    if split not in (1, 2, 3) or subset not in ("train", "test"):
        raise ValueError(f"HMDB51 has splits 1-3 and subsets train/test, got {split}/{subset}")
    root, splits_dir = Path(root), Path(splits_dir)
    files = sorted(splits_dir.glob(f"*_test_split{split}.txt"))
    if not files:
        raise ValueError(f"no *_test_split{split}.txt files in {splits_dir}")
    classes = tuple(f.name[: -len(f"_test_split{split}.txt")] for f in files)
    want = "1" if subset == "train" else "2"
    paths, labels = [], []
    for label, (cls, f) in enumerate(zip(classes, files, strict=True)):
        for line in f.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[-1] == want:
                paths.append(root / cls / " ".join(parts[:-1]))
                labels.append(label)
    return VideoList(tuple(paths), tuple(labels), classes)


def ucf101(root: str | Path, lists_dir: str | Path, split: int = 1, subset: str = "train") -> VideoList:
    """UCF101: ``root/<Class>/v_*.avi`` with ``classInd.txt``, ``trainlist0k.txt`` and ``testlist0k.txt``."""
    root, lists_dir = Path(root), Path(lists_dir)
    index = {}
    for line in lists_dir.joinpath("classInd.txt").read_text().splitlines():
        if line.strip():
            number, name = line.split()
            index[name] = int(number) - 1
    classes = tuple(sorted(index, key=index.__getitem__))
    listing = lists_dir / f"{'trainlist' if subset == 'train' else 'testlist'}0{split}.txt"
    paths, labels = [], []
    for line in listing.read_text().splitlines():
        if line.strip():
            rel = line.split()[0]
            paths.append(root / rel)
            labels.append(index[rel.split("/")[0]])
    return VideoList(tuple(paths), tuple(labels), classes)


def folder_per_class(root: str | Path) -> VideoList:
    """Every video under ``root/<class>/``; classes in sorted order."""
    root = Path(root)
    classes = tuple(sorted(d.name for d in root.iterdir() if d.is_dir()))
    paths, labels = [], []
    for label, cls in enumerate(classes):
        for p in sorted((root / cls).iterdir()):
            if p.suffix.lower() in VIDEO_SUFFIXES:
                paths.append(p)
                labels.append(label)
    return VideoList(tuple(paths), tuple(labels), classes)


class ClipDataset(Dataset[Any]):
    """(T, S, S, 3) uint8 clips and labels; ``None`` for an undecodable file (dropped by :func:`collate`)."""

    def __init__(self, videos: VideoList, num_frames: int, size: int, cache_dir: str | Path | None = None) -> None:
        self.videos, self.num_frames, self.size = videos, num_frames, size
        self.cache_dir = Path(cache_dir) if cache_dir else None
        if self.cache_dir:
            self.cache_dir.mkdir(parents=True, exist_ok=True)

    def __len__(self) -> int:
        return len(self.videos)

    def _cache_path(self, path: Path) -> Path | None:
        if self.cache_dir is None:
            return None
        stat = path.stat()
        key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{self.num_frames}|{self.size}"
        return self.cache_dir / (hashlib.sha1(key.encode()).hexdigest() + ".npy")

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int] | None:
        path, label = self.videos.paths[i], self.videos.labels[i]
        try:
            cached = self._cache_path(path)
            if cached is not None and cached.is_file():
                frames = np.load(cached)
            else:
                frames = read_clip(path, self.num_frames, self.size)
                if cached is not None:
                    np.save(cached, frames)
        except (VideoError, OSError) as exc:
            log.warning("skipping %s: %s", path, exc)
            return None
        return torch.from_numpy(frames), label


def collate(batch: Sequence[tuple[torch.Tensor, int] | None]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack a batch, dropping undecodable clips: (B, T, S, S, 3) uint8 and (B,) labels."""
    items = [b for b in batch if b is not None]
    if not items:
        return torch.empty(0, dtype=torch.uint8), torch.empty(0, dtype=torch.long)
    return torch.stack([x for x, _ in items]), torch.tensor([y for _, y in items])


def shuffled_loader(
    videos: VideoList, num_frames: int, size: int, *, batch_size: int, workers: int, seed: int, cache: str | None
) -> DataLoader[Any]:
    """Training batches of (B, T, S, S, 3) uint8 clips: shuffled by ``seed``, full batches only."""
    return DataLoader(
        ClipDataset(videos, num_frames, size, cache),
        batch_size=batch_size,
        shuffle=True,
        num_workers=workers,
        collate_fn=collate,
        drop_last=True,
        generator=torch.Generator().manual_seed(seed),
    )
