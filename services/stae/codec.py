"""The video codec that carries kept frames in wire version 2: H.264 (libx264 through PyAV), raw Annex-B.

``encode`` turns (n, H, W, 3) uint8 frames into one H.264 elementary stream: x264's version SEI is removed
(FFmpeg's ``filter_units`` bitstream filter), there is no container, and an optional per-macroblock quality map
(``roi``: a quantiser offset in [-1, 1] per 16x16 macroblock, as FFmpeg's ``addroi`` filter attaches it) can
steer the bits (the shipped wire-v2 settings do not use it yet: bench/sa_codec.py measures a map from spatial
attention, which helps only at the lowest rates). ``encode_within`` meets a byte budget by a bounded search over the
constant rate factor (CRF) that starts from a rate model. ``decode`` turns a stream back into frames and refuses
one that does not hold exactly what its caller expects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
import numpy.typing as npt

from stae.errors import STAEError

CRF_MIN, CRF_MAX = 0, 51
MB = 16  # H.264 macroblock side in luma pixels
PRESET = "veryfast"  # camera-side speed; on the 16 x 64 x 64 clips tried its streams were within 4% of "medium"'s
# Bytes roughly halve for every +6 CRF (x264's QP scale doubles the quantiser step every 6); the rate model
# of encode_within uses this slope to jump to the CRF that should fit, then corrects by searching.
CRF_PER_HALVING = 6.0
# libx264 settings: one GOP (an IDR frame, then P and B frames), no scene-cut keyframes, one thread. With frame
# threads a stream can depend on thread timing (CI once saw the same encode come out 41 bytes apart within one
# run, against the CRF search's premise); one thread removes that source (12 of 12 encodes byte-identical here)
# and, on 16 small frames, costs ~10% of encode time on 2 cores while making streams ~7% smaller at 224 x 224
# (frame threads cannot use all of a reference frame).
_X264_PARAMS = "keyint=250:min-keyint=250:scenecut=0:threads=1"


class CodecError(STAEError):
    """A stream that does not decode to the frames its message declares; the message says what is wrong."""


@dataclass(frozen=True)
class Encoded:
    data: bytes  # Annex-B H.264, SEI removed
    crf: int
    tries: int  # encodes it took (1 for a fixed CRF)


def _check_frames(frames: np.ndarray) -> None:
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or len(frames) == 0:
        raise ValueError(f"expected (n, H, W, 3) uint8 frames, got {frames.dtype} {frames.shape}")
    if frames.shape[1] % 2 or frames.shape[2] % 2:
        raise ValueError(f"H.264 4:2:0 needs even frame sides, got {frames.shape[1]}x{frames.shape[2]}")


def roi_regions(qmap: npt.NDArray[np.floating], max_regions: int = 64) -> list[tuple[int, int, int, int, float]]:
    """(x, y, w, h, qoffset) regions in pixels from a (rows, cols) per-macroblock offset map; runs of equal
    offsets along a row become one region, zero offsets none. Offsets are rounded to tenths (addroi's
    effective resolution is one QP step at most)."""
    q = np.clip(np.round(np.asarray(qmap, dtype=np.float64), 1), -1.0, 1.0)
    regions = []
    for r in range(q.shape[0]):
        c = 0
        while c < q.shape[1]:
            end = c
            while end + 1 < q.shape[1] and q[r, end + 1] == q[r, c]:
                end += 1
            if q[r, c] != 0.0:
                regions.append((c * MB, r * MB, (end - c + 1) * MB, MB, float(q[r, c])))
            c = end + 1
    if len(regions) > max_regions:
        raise ValueError(f"the quality map makes {len(regions)} regions; at most {max_regions}")
    return regions


def _roi_graph(width: int, height: int, regions: list[tuple[int, int, int, int, float]]) -> av.filter.Graph:
    graph = av.filter.Graph()
    src = graph.add_buffer(width=width, height=height, format=av.VideoFormat("yuv420p"), time_base=Fraction(1, 25))
    last = src
    for x, y, w, h, q in regions:
        node = graph.add("addroi", f"x={x}:y={y}:w={min(w, width - x)}:h={min(h, height - y)}:qoffset={q}:clear=0")
        last.link_to(node)
        last = node
    sink = graph.add("buffersink")
    last.link_to(sink)
    graph.configure()
    return graph


def encode(frames: np.ndarray, crf: int, *, preset: str = PRESET, roi: np.ndarray | None = None) -> bytes:
    """(n, H, W, 3) uint8 frames -> Annex-B H.264 at ``crf``, SEI removed. ``roi``: an optional
    (ceil(H/16), ceil(W/16)) map of quantiser offsets in [-1, 1] (positive: coarser) applied to every frame."""
    _check_frames(frames)
    if not CRF_MIN <= crf <= CRF_MAX:
        raise ValueError(f"CRF must be in [{CRF_MIN}, {CRF_MAX}], got {crf}")
    _, h, w, _ = frames.shape
    enc = av.CodecContext.create("libx264", "w")
    enc.width, enc.height, enc.pix_fmt = w, h, "yuv420p"
    enc.time_base = Fraction(1, 25)
    # addroi's offsets are honoured only with adaptive quantisation on; strength 0 keeps x264's own AQ out.
    params = _X264_PARAMS + (":aq-mode=1:aq-strength=0" if roi is not None else "")
    enc.options = {"crf": str(crf), "preset": preset, "x264-params": params}
    graph = _roi_graph(w, h, roi_regions(roi)) if roi is not None else None
    packets = []
    for i, img in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
        frame.pts = i
        if graph is not None:
            graph.push(frame)
            pulled = graph.pull()
            assert isinstance(pulled, av.VideoFrame)
            frame = pulled
        packets += enc.encode(frame)
    packets += enc.encode(None)
    bsf = av.BitStreamFilterContext("filter_units=remove_types=6", "h264")  # drop SEI (x264's version text)
    out = [p for packet in packets for p in bsf.filter(packet)] + list(bsf.filter(None))
    return b"".join(bytes(p) for p in out)


def encode_within(
    frames: np.ndarray,
    max_bytes: int,
    *,
    crf_min: int = 18,
    start_crf: int = 30,
    preset: str = PRESET,
    roi: np.ndarray | None = None,
    max_tries: int = 5,
    slack: float = 0.0,
) -> Encoded:
    """The best quality (lowest CRF >= ``crf_min``) whose stream fits ``max_bytes``, in at most ``max_tries``
    encodes: one at ``start_crf``, then rate-model jumps (bytes halve every ~6 CRF at first, then the slope of
    the clip's own last two encodes) and bisection between the
    CRFs known to fit and not to fit. When no CRF up to 51 fits, the CRF 51 stream is returned (over budget:
    the caller compares ``len(data)`` with its budget). With ``slack`` > 0 the search also stops at a stream that
    fits and uses at least (1 - slack) of the budget: started at the CRF of a similar clip (the previous one of
    the same camera) that is usually the first encode, where proving the lowest CRF takes a second one."""
    if max_bytes <= 0:
        raise ValueError(f"byte budget must be positive, got {max_bytes}")
    if max_tries < 2:
        raise ValueError(f"max_tries must be at least 2 (one guess and CRF {CRF_MAX}), got {max_tries}")
    lo, hi = crf_min - 1, CRF_MAX + 1  # lo: does not fit (or below the range); hi: fits (or above it)
    streams: dict[int, bytes] = {}
    crf = min(max(start_crf, crf_min), CRF_MAX)
    slope = CRF_PER_HALVING
    for attempt in range(max_tries):
        data = streams[crf] = encode(frames, crf, preset=preset, roi=roi)
        if len(data) <= max_bytes:
            hi = crf
        else:
            lo = crf
        if hi - lo <= 1 or (hi == crf and len(data) >= (1.0 - slack) * max_bytes and slack > 0):
            break
        if len(streams) >= 2:  # secant: this clip's own CRF-per-halving from its last two encodes
            (c0, d0), (c1, d1) = list(streams.items())[-2:]
            if len(d0) != len(d1):
                slope = min(max((c1 - c0) / math.log2(len(d0) / len(d1)), 2.0), 40.0)
        # Rate model: the CRF that should land on the budget, kept strictly inside (lo, hi); else bisect.
        guess = crf + math.ceil(slope * math.log2(len(data) / max_bytes))
        crf = guess if lo < guess < hi else (lo + hi) // 2
        if attempt == max_tries - 2 and hi > CRF_MAX:
            crf = CRF_MAX  # last try and nothing fits yet: the coarsest CRF, the only one left that might
    if hi <= CRF_MAX:
        return Encoded(streams[hi], hi, len(streams))
    coarsest = max(streams)
    return Encoded(streams[coarsest], coarsest, len(streams))  # over budget even at the coarsest CRF tried


def decode(data: bytes, count: int, height: int, width: int) -> npt.NDArray[np.uint8]:
    """Annex-B H.264 -> (count, height, width, 3) uint8 RGB; CodecError unless exactly ``count`` frames of that
    size come out. Decoding stops at the first frame beyond ``count`` or of another size."""
    dec = av.CodecContext.create("h264", "r")
    out: list[np.ndarray] = []

    def take(frames: list[av.VideoFrame]) -> None:
        for f in frames:
            if f.width != width or f.height != height:
                raise CodecError(f"the stream holds {f.width}x{f.height} frames; the header declares {width}x{height}")
            if len(out) == count:
                raise CodecError(f"the stream holds more than the {count} frames its header declares")
            out.append(f.to_ndarray(format="rgb24"))

    try:
        packets = dec.parse(data) + dec.parse(None)
        for p in packets:
            take(dec.decode(p))
        take(dec.decode(None))
    except av.error.FFmpegError as exc:
        raise CodecError(f"the H.264 stream does not decode: {exc}") from None
    if len(out) != count:
        raise CodecError(f"the stream decodes to {len(out)} frames; the header declares {count}")
    return np.stack(out)


def fill_dropped(frames: np.ndarray, mask: npt.NDArray[np.bool_], block: int = 8) -> npt.NDArray[np.uint8]:
    """(n, H, W, 3) frames with the pixels ``mask`` (n, H, W) drops replaced by the mean of the dropped pixels in
    their ``block`` x ``block`` tile (the frame's dropped mean where a tile has none): flat, transform-aligned
    tiles the codec codes in a few bits, with no hard edge to a far-off colour where the kept pixels end."""
    n, h, w, c = frames.shape
    if mask.shape != (n, h, w) or h % block or w % block:
        raise ValueError(f"mask {mask.shape} must match frames {frames.shape} with sides divisible by {block}")
    drop = ~mask
    f = frames.astype(np.float32) * drop[..., None]
    # Tile sums over (n, H/b, b, W/b, b, C) -> (n, H/b, W/b, C)
    tile_sum = f.reshape(n, h // block, block, w // block, block, c).sum((2, 4))
    tile_cnt = drop.reshape(n, h // block, block, w // block, block).sum((2, 4))[..., None]
    frame_mean = f.sum((1, 2)) / np.maximum(drop.sum((1, 2)), 1)[:, None]  # (n, C)
    tiles = np.where(tile_cnt > 0, tile_sum / np.maximum(tile_cnt, 1), frame_mean[:, None, None])
    fill = np.repeat(np.repeat(tiles, block, axis=1), block, axis=2)  # (n, H, W, C)
    out = frames.copy()
    out[drop] = np.round(fill[drop]).astype(np.uint8)
    return out


def downscale(frames: np.ndarray, scale: int) -> npt.NDArray[np.uint8]:
    """(n, H, W, C) -> (n, H/scale, W/scale, C) by averaging scale x scale blocks (area); scale 1 is a no-op."""
    if scale == 1:
        return frames
    n, h, w, c = frames.shape
    if scale < 1 or h % scale or w % scale or (h // scale) % 2 or (w // scale) % 2:
        raise ValueError(f"cannot downscale {h}x{w} by {scale} to an even size")
    blocks = frames.reshape(n, h // scale, scale, w // scale, scale, c).astype(np.float32)
    return np.round(blocks.mean((2, 4))).astype(np.uint8)
