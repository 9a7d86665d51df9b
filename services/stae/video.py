"""Real video in: decode a clip (mp4, avi, webm, ... through PyAV), sample T frames uniformly, resize and
centre-crop to the model's square input, and normalise as the checkpoint's config says.

Two entry points give the same (T, S, S, 3) uint8 array: :func:`read_clip` for encoded video files and
:func:`prepare_frames` for cameras that already hold raw RGB frames. :func:`normalize` turns that array into the
model's float input. Only the T sampled frames are ever held in memory: a cheap demux pass counts the frames
(header counts are often wrong), the decode pass keeps the sampled ones.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np
import numpy.typing as npt

from stae.errors import STAEError

log = logging.getLogger(__name__)

Source = str | Path | bytes | BinaryIO


class VideoError(STAEError):
    """A clip that cannot be turned into model input; the message says why."""


@dataclass(frozen=True)
class VideoLimits:
    max_side: int = 4096  # width or height of the source video, pixels
    max_frames: int = 18_000  # frames in the source video (10 minutes at 30 fps)
    max_raw_frames: int = 4096  # frames in a raw (F, H, W, 3) array


def sample_indices(total: int, num: int) -> npt.NDArray[np.int64]:
    """``num`` frame indices spread uniformly over ``total`` frames: the centre of each of ``num`` segments."""
    if total < 1 or num < 1:
        raise ValueError(f"cannot sample {num} of {total} frames")
    return np.minimum(((np.arange(num) + 0.5) * total / num).astype(np.int64), total - 1)


def _open(source: Source) -> av.container.InputContainer:
    if isinstance(source, bytes | bytearray | memoryview):
        source = io.BytesIO(bytes(source))
    elif not isinstance(source, str | Path):
        source.seek(0)
    try:
        return av.open(source if not isinstance(source, Path) else str(source), mode="r")
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        raise VideoError(f"not a readable video container: {exc}") from None


def _video_stream(container: av.container.InputContainer, limits: VideoLimits) -> av.VideoStream:
    if not container.streams.video:
        raise VideoError("the file has no video stream")
    stream = container.streams.video[0]
    w, h = stream.codec_context.width, stream.codec_context.height
    if not (0 < w <= limits.max_side and 0 < h <= limits.max_side):
        raise VideoError(f"video size {w}x{h} is outside the supported range 1..{limits.max_side} pixels")
    return stream


def _count_frames(source: Source, limits: VideoLimits) -> int:
    """Count video packets without decoding them (header frame counts are unreliable)."""
    with _open(source) as container:
        stream = _video_stream(container, limits)
        count = 0
        try:
            for packet in container.demux(stream):
                if packet.size:
                    count += 1
                    if count > limits.max_frames:
                        raise VideoError(f"clip has more than {limits.max_frames} frames; cut it shorter")
        except av.FFmpegError as exc:
            raise VideoError(f"the video stream is corrupt: {exc}") from None
    return count


def _scaled_size(h: int, w: int, size: int) -> tuple[int, int]:
    """(height, width) with the short side scaled to ``size`` (aspect kept)."""
    scale = size / min(h, w)
    return max(size, round(h * scale)), max(size, round(w * scale))


def _decode_at(
    source: Source, wanted: npt.NDArray[np.int64], limits: VideoLimits, size: int | None = None
) -> tuple[list[np.ndarray], int]:
    """Decode the stream up to the last frame at ``wanted`` (all of it when ``size`` is None, to count), keeping
    RGB arrays of the frames at ``wanted``, each scaled at once so its short side is ``size`` (never holding a
    full-size RGB frame longer than one conversion); return them and the number of frames decoded."""
    wanted_set = set(wanted.tolist())
    last = max(wanted_set) if size is not None else None
    kept: dict[int, np.ndarray] = {}
    n = 0
    with _open(source) as container:
        stream = _video_stream(container, limits)
        stream.thread_type = "AUTO"  # frame and slice threads: decoding is most of the intake time
        try:
            for n, frame in enumerate(container.decode(stream), start=1):
                if n - 1 in wanted_set:
                    if size is None:
                        kept[n - 1] = frame.to_ndarray(format="rgb24")
                    else:
                        nh, nw = _scaled_size(frame.height, frame.width, size)
                        kept[n - 1] = frame.to_ndarray(width=nw, height=nh, format="rgb24", interpolation="AREA")
                if n > limits.max_frames:
                    raise VideoError(f"clip has more than {limits.max_frames} frames; cut it shorter")
                if n - 1 == last:
                    break
        except av.FFmpegError as exc:
            if n == 0:
                raise VideoError(f"no frame could be decoded: {exc}") from None
            log.warning("decoding stopped after %d frames: %s", n, exc)
    return [kept[i] for i in wanted.tolist() if i in kept], n


def read_clip(source: Source, num_frames: int, size: int, limits: VideoLimits | None = None) -> np.ndarray:
    """Decode a video file (path, bytes or binary file) to (num_frames, size, size, 3) uint8 RGB."""
    lim = limits or VideoLimits()
    total = _count_frames(source, lim)
    if total == 0:
        raise VideoError("the video stream holds no frames")
    wanted = sample_indices(total, num_frames)
    frames, decoded = _decode_at(source, wanted, lim, size)
    if decoded == 0:
        raise VideoError("the video stream holds no decodable frames")
    if len(frames) != num_frames:  # the packet count was not the frame count: count by decoding, sample again
        _, decoded = _decode_at(source, np.empty(0, dtype=np.int64), lim)
        log.info("packet count %d differs from decoded frame count %d; resampling", total, decoded)
        wanted = sample_indices(decoded, num_frames)
        frames, decoded = _decode_at(source, wanted, lim, size)
        if len(frames) != num_frames:
            raise VideoError(f"frame count changed between two decodes ({decoded} frames); the file is unstable")
    return resize_crop(np.stack(frames), size)  # frames are already scaled: this crops the centre


def resize_crop(frames: np.ndarray, size: int) -> np.ndarray:
    """(F, H, W, 3) uint8 -> (F, size, size, 3) uint8: scale the short side to ``size`` (FFmpeg's area
    scaler, as when decoding a file), crop the centre."""
    _, h, w, _ = frames.shape
    nh, nw = _scaled_size(h, w, size)
    if (nh, nw) != (h, w):
        frames = np.stack(
            [
                av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24").to_ndarray(
                    width=nw, height=nh, format="rgb24", interpolation="AREA"
                )
                for f in frames
            ]
        )
    top, left = (nh - size) // 2, (nw - size) // 2
    return np.ascontiguousarray(frames[:, top : top + size, left : left + size])


def prepare_frames(frames: np.ndarray, num_frames: int, size: int, limits: VideoLimits | None = None) -> np.ndarray:
    """Raw camera frames (F, H, W, 3) uint8 -> (num_frames, size, size, 3): uniform sampling, resize, crop."""
    lim = limits or VideoLimits()
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[3] != 3:
        raise VideoError(f"raw frames must be uint8 of shape (F, H, W, 3), got {frames.dtype} {frames.shape}")
    f, h, w, _ = frames.shape
    if not 1 <= f <= lim.max_raw_frames:
        raise VideoError(f"{f} raw frames; send between 1 and {lim.max_raw_frames}")
    if not (0 < h <= lim.max_side and 0 < w <= lim.max_side):
        raise VideoError(f"frame size {w}x{h} is outside the supported range 1..{lim.max_side} pixels")
    return resize_crop(frames[sample_indices(f, num_frames)], size)


def normalize(frames: np.ndarray, mean: tuple[float, ...], std: tuple[float, ...]) -> np.ndarray:
    """(..., H, W, C) uint8 -> contiguous (..., C, H, W) float32, (x / 255 - mean) / std per channel."""
    c = frames.shape[-1]
    out = np.ascontiguousarray(np.moveaxis(np.asarray(frames), -1, -3), dtype=np.float32)  # (..., C, H, W)
    out *= np.array([1.0 / (255.0 * s) for s in std], dtype=np.float32).reshape(c, 1, 1)
    out -= np.array([m / s for m, s in zip(mean, std, strict=True)], dtype=np.float32).reshape(c, 1, 1)
    return out
