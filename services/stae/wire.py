"""The one wire format between the camera (encoder) and the edge server (decoder).

Specified in ``docs/wire-format.md``; this module is its only implementation. Two versions:

* version 1, ``pack``: a :class:`SemanticTensor` (the paper's X'': the kept frames' kept pixels, lossless);
* version 2, ``pack_coded``: a :class:`CodedClip` (the kept frames as one H.264 stream, see :mod:`stae.codec`);
* version 3, ``pack_latent``: a :class:`LatentClip` (the kept frames' learned latent as one rANS stream, see
  :mod:`stae.latent`).

``unpack`` reads all three and returns the validated message. Every way a payload can be wrong raises
:class:`PayloadError`, in time and memory bounded by :class:`WireLimits`, before anything larger than the limits
is allocated; for versions 2 and 3 that means before the stream is decoded.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple, TypeVar

import brotli
import numpy as np
import numpy.typing as npt

from stae.errors import STAEError

MAGIC = b"STAE"
VERSION = 1  # SemanticTensor
CODED_VERSION = 2  # CodedClip
LATENT_VERSION = 3  # LatentClip
VERSIONS = (VERSION, CODED_VERSION, LATENT_VERSION)

ValueEncoding = Literal["uint8", "float32"]
Codec = Literal["h264"]
EntropyCoder = Literal["none", "brotli"]
Filter = Literal["none", "delta"]
_N = TypeVar("_N", bound=str)

_VALUE_CODES: dict[ValueEncoding, int] = {"uint8": 0, "float32": 1}
_FILTER_CODES: dict[Filter, int] = {"none": 0, "delta": 1}
_CODER_CODES: dict[EntropyCoder, int] = {"none": 0, "brotli": 1}
_CODEC_CODES: dict[Codec, int] = {"h264": 1}
_DTYPES: dict[ValueEncoding, np.dtype[np.generic]] = {
    "uint8": np.dtype(np.uint8),
    "float32": np.dtype("<f4"),
}

# magic, version, value encoding, filter, coder, T, alpha, C, reserved, H, W, k, beta, body len, raw len
_HEADER = struct.Struct("<4sBBBBBBBBHHIfII")
HEADER_BYTES = _HEADER.size  # 32
# version 2: magic, version, codec, T, alpha, beta in percent, reserved, H, W, coded H, coded W
_CODED_HEADER = struct.Struct("<4sBBBBBBHHHH")
CODED_HEADER_BYTES = _CODED_HEADER.size  # 18, then ceil(T/8) bytes of kept-frame bits
# version 3: magic, version, T, alpha, rate level, latent channels, H, W, tables id
_LATENT_HEADER = struct.Struct("<4sBBBBBHHI")
LATENT_HEADER_BYTES = _LATENT_HEADER.size  # 17, then ceil(T/8) bytes of kept-frame bits
LATENT_STRIDE = 8  # the latent of an H x W frame is H/8 x W/8
CHECKSUM_BYTES = 4
DEFAULT_BROTLI_QUALITY = 1


class PayloadError(STAEError):
    """A payload that is not a valid STAE wire message; the message says what is wrong."""


@dataclass(frozen=True)
class WireLimits:
    """Upper bounds a decoder enforces before it allocates anything."""

    max_payload_bytes: int = 64 * 2**20
    max_raw_bytes: int = 256 * 2**20  # body after entropy decoding (decompression-bomb bound)
    max_frames: int = 64
    max_side: int = 2048
    max_decoded_bytes: int = 64 * 2**20  # version 2: frames x coded H x coded W x 3 after decoding


def kept_pixels(beta: float, height: int, width: int) -> int:
    """Pixels kept per frame at spatial budget ``beta``: round(beta * H * W), at least 1."""
    if not 0.0 < beta <= 1.0:
        raise ValueError(f"beta must be in (0, 1], got {beta}")
    return min(height * width, max(1, math.floor(beta * height * width + 0.5)))


@dataclass(frozen=True)
class SemanticTensor:
    """The paper's semantic tensor X'': the α kept frames of a T-frame clip, and β of the pixels of each.

    ``mask`` is (α, H, W) bool with exactly ``k`` true pixels per frame; ``values`` is (α, k, C): for each
    kept frame, the kept pixels in raster order of the mask, with their C channel values. ``values`` is uint8
    camera pixels, or float32 model-input values (normalised, the tensor of the paper's eq. 1).
    """

    num_frames: int
    frame_indices: npt.NDArray[np.int64]  # (α,) strictly increasing, in [0, num_frames)
    beta: float
    mask: npt.NDArray[np.bool_]  # (α, H, W)
    values: npt.NDArray[np.uint8] | npt.NDArray[np.float32]  # (α, k, C)

    @property
    def alpha(self) -> int:
        return int(self.frame_indices.shape[0])

    @property
    def height(self) -> int:
        return int(self.mask.shape[1])

    @property
    def width(self) -> int:
        return int(self.mask.shape[2])

    @property
    def channels(self) -> int:
        return int(self.values.shape[2])

    @property
    def pixels_per_frame(self) -> int:
        return int(self.values.shape[1])

    @property
    def value_encoding(self) -> ValueEncoding:
        return "uint8" if self.values.dtype == np.uint8 else "float32"

    def eq1_bytes(self) -> int:
        """Size of this tensor by the paper's eq. 1: 4 bytes x α x C x β x H x W (float32, no mask)."""
        return 4 * self.alpha * self.channels * self.pixels_per_frame

    def validate(self, limits: WireLimits | None = None) -> None:
        """Raise PayloadError unless the fields are mutually consistent and within ``limits``."""
        lim = limits or WireLimits()
        if self.mask.ndim != 3 or self.values.ndim != 3 or self.frame_indices.ndim != 1:
            raise PayloadError(
                f"expected frame_indices (α,), mask (α, H, W), values (α, k, C); got shapes "
                f"{self.frame_indices.shape}, {self.mask.shape}, {self.values.shape}"
            )
        alpha, h, w = self.mask.shape
        if not 1 <= self.num_frames <= min(lim.max_frames, 255):
            raise PayloadError(f"clip length {self.num_frames} frames is outside [1, {min(lim.max_frames, 255)}]")
        if not 1 <= alpha <= self.num_frames:
            raise PayloadError(f"{alpha} kept frames for a clip of {self.num_frames}")
        if not (1 <= h <= lim.max_side and 1 <= w <= lim.max_side):
            raise PayloadError(f"frame size {h}x{w} is outside [1, {lim.max_side}]")
        if self.values.shape[0] != alpha or self.frame_indices.shape[0] != alpha:
            raise PayloadError(
                f"{self.frame_indices.shape[0]} frame indices and {self.values.shape[0]} value rows "
                f"for {alpha} mask frames"
            )
        if not 1 <= self.channels <= 4:
            raise PayloadError(f"{self.channels} channels; expected 1 to 4")
        idx = self.frame_indices
        if int(idx.min()) < 0 or int(idx.max()) >= self.num_frames or bool(np.any(np.diff(idx) <= 0)):
            raise PayloadError(
                f"frame indices {idx.tolist()} must be strictly increasing within [0, {self.num_frames})"
            )
        if not (math.isfinite(self.beta) and 0.0 < self.beta <= 1.0):
            raise PayloadError(f"beta {self.beta} is outside (0, 1]")
        k = self.pixels_per_frame
        if abs(k - self.beta * h * w) >= 1.0 or not 1 <= k <= h * w:
            raise PayloadError(f"{k} pixels per frame does not match beta {self.beta:.6f} of {h}x{w}")
        counts = self.mask.reshape(alpha, -1).sum(axis=1)
        if bool(np.any(counts != k)):
            raise PayloadError(f"mask keeps {counts.tolist()} pixels per frame; the values hold {k}")
        if self.values.dtype not in (np.dtype(np.uint8), np.dtype(np.float32)):
            raise PayloadError(f"values must be uint8 or float32, got {self.values.dtype}")
        if self.values.dtype == np.float32 and not bool(np.isfinite(self.values).all()):
            raise PayloadError("float32 values contain NaN or infinity")


@dataclass(frozen=True)
class CodedClip:
    """Wire version 2: the α kept frames of a T-frame clip as one H.264 stream (Annex-B, :mod:`stae.codec`).

    The frames were coded at ``coded_height`` x ``coded_width`` (at most the model's ``height`` x ``width``; the
    decoder scales them back up). ``beta`` is the share of pixels spatial attention kept before coding (the
    rest were filled with a smooth background the codec spends almost nothing on); 1.0 when none was dropped.
    """

    num_frames: int
    frame_indices: npt.NDArray[np.int64]  # (α,) strictly increasing, in [0, num_frames)
    beta: float
    height: int
    width: int
    coded_height: int
    coded_width: int
    stream: bytes
    codec: Codec = "h264"

    @property
    def alpha(self) -> int:
        return int(self.frame_indices.shape[0])

    def validate(self, limits: WireLimits | None = None) -> None:
        """Raise PayloadError unless the fields are consistent and decoding stays within ``limits``."""
        lim = limits or WireLimits()
        _check_kept_frames(self.num_frames, self.frame_indices, lim)
        if not (1 <= self.height <= lim.max_side and 1 <= self.width <= lim.max_side):
            raise PayloadError(f"frame size {self.height}x{self.width} is outside [1, {lim.max_side}]")
        ch, cw = self.coded_height, self.coded_width
        if not (2 <= ch <= self.height and 2 <= cw <= self.width and ch % 2 == 0 and cw % 2 == 0):
            raise PayloadError(
                f"coded size {ch}x{cw} must be even and within the frame size {self.height}x{self.width}"
            )
        a = self.alpha
        if a * ch * cw * 3 > lim.max_decoded_bytes:
            raise PayloadError(f"{a} decoded frames of {ch}x{cw} exceed the limit of {lim.max_decoded_bytes} bytes")
        if not (math.isfinite(self.beta) and 0.0 < self.beta <= 1.0):
            raise PayloadError(f"beta {self.beta} is outside (0, 1]")
        if not self.stream:
            raise PayloadError("the payload carries an empty video stream")


@dataclass(frozen=True)
class LatentClip:
    """Wire version 3: the α kept frames of a T-frame clip as a learned latent (channels x H/8 x W/8 symbols per
    frame) at one rate level, coded with the integer tables whose CRC-32 is ``tables_id`` (:mod:`stae.latent`).
    ``unpack`` checks the framing; the edge's tables decode ``stream``."""

    num_frames: int
    frame_indices: npt.NDArray[np.int64]  # (α,) strictly increasing, in [0, num_frames)
    level: int
    channels: int
    height: int
    width: int
    tables_id: int
    stream: bytes

    @property
    def alpha(self) -> int:
        return int(self.frame_indices.shape[0])

    @property
    def latent_shape(self) -> tuple[int, int, int, int]:
        return (self.alpha, self.channels, self.height // LATENT_STRIDE, self.width // LATENT_STRIDE)

    def validate(self, limits: WireLimits | None = None) -> None:
        lim = limits or WireLimits()
        _check_kept_frames(self.num_frames, self.frame_indices, lim)
        h, w = self.height, self.width
        if not (LATENT_STRIDE <= h <= lim.max_side and LATENT_STRIDE <= w <= lim.max_side):
            raise PayloadError(f"frame size {h}x{w} is outside [{LATENT_STRIDE}, {lim.max_side}]")
        if h % LATENT_STRIDE or w % LATENT_STRIDE:
            raise PayloadError(f"frame size {h}x{w} is not a multiple of {LATENT_STRIDE}")
        if not 1 <= self.channels <= 64 or not 0 <= self.level <= 255:
            raise PayloadError(f"{self.channels} latent channels at level {self.level}: expected 1-64 and 0-255")
        if math.prod(self.latent_shape) * 8 > lim.max_decoded_bytes:
            raise PayloadError(f"a latent of {self.latent_shape} exceeds the limit of {lim.max_decoded_bytes} bytes")
        if len(self.stream) < 4 or len(self.stream) % 2:
            raise PayloadError(f"the latent stream is {len(self.stream)} bytes; a stream is even, at least 4")


def _check_kept_frames(t: int, idx: npt.NDArray[np.int64], lim: WireLimits) -> None:
    """The clip length and kept-frame indices of a version 2 or 3 message, within ``lim``."""
    if not 1 <= t <= min(lim.max_frames, 255):
        raise PayloadError(f"clip length {t} frames is outside [1, {min(lim.max_frames, 255)}]")
    if not 1 <= len(idx) <= t:
        raise PayloadError(f"{len(idx)} kept frames for a clip of {t}")
    if int(idx.min()) < 0 or int(idx.max()) >= t or bool(np.any(np.diff(idx) <= 0)):
        raise PayloadError(f"frame indices {idx.tolist()} must be strictly increasing within [0, {t})")


def latent_overhead(num_frames: int) -> int:
    """Bytes a version 3 message adds to its latent stream: header, kept-frame bits and checksum."""
    return LATENT_HEADER_BYTES + _frame_bits(num_frames) + CHECKSUM_BYTES


def _kept_bits(indices: npt.NDArray[np.int64], num_frames: int) -> bytes:
    bits = np.zeros(8 * _frame_bits(num_frames), dtype=np.uint8)
    bits[indices] = 1
    return np.packbits(bits).tobytes()


def _read_kept_bits(data: bytes, offset: int, num_frames: int, alpha: int) -> npt.NDArray[np.int64]:
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8, count=_frame_bits(num_frames), offset=offset))
    if bool(bits[num_frames:].any()):
        raise PayloadError("kept-frame padding bits are not zero")
    indices = np.flatnonzero(bits[:num_frames]).astype(np.int64)
    if len(indices) != alpha:
        raise PayloadError(f"the kept-frame bits mark {len(indices)} frames; the header declares {alpha}")
    return indices


def _checked_crc(data: bytes) -> None:
    (crc,) = struct.unpack_from("<I", data, len(data) - CHECKSUM_BYTES)
    if zlib.crc32(memoryview(data)[: len(data) - CHECKSUM_BYTES]) != crc:
        raise PayloadError("checksum mismatch: the payload was corrupted in transit")


def pack_latent(clip: LatentClip) -> bytes:
    """Serialize a :class:`LatentClip` (wire version 3)."""
    clip.validate()
    header = _LATENT_HEADER.pack(
        MAGIC,
        LATENT_VERSION,
        clip.num_frames,
        clip.alpha,
        clip.level,
        clip.channels,
        clip.height,
        clip.width,
        clip.tables_id,
    )
    head_and_body = header + _kept_bits(clip.frame_indices, clip.num_frames) + clip.stream
    return head_and_body + struct.pack("<I", zlib.crc32(head_and_body))


def _unpack_latent(data: bytes, lim: WireLimits) -> LatentClip:
    if len(data) < LATENT_HEADER_BYTES + CHECKSUM_BYTES:
        raise PayloadError(f"payload of {len(data)} bytes is shorter than the {LATENT_HEADER_BYTES}-byte header")
    (_, _, t, alpha, level, channels, h, w, tables_id) = _LATENT_HEADER.unpack_from(data)
    if not 1 <= t <= min(lim.max_frames, 255):
        raise PayloadError(f"clip length {t} frames is outside [1, {min(lim.max_frames, 255)}]")
    start = LATENT_HEADER_BYTES + _frame_bits(t)
    if len(data) <= start + CHECKSUM_BYTES:
        raise PayloadError(f"payload of {len(data)} bytes ends before its latent stream starts (byte {start})")
    _checked_crc(data)
    indices = _read_kept_bits(data, LATENT_HEADER_BYTES, t, alpha)
    clip = LatentClip(t, indices, level, channels, h, w, tables_id, data[start : len(data) - CHECKSUM_BYTES])
    clip.validate(lim)
    return clip


def _frame_bits(t: int) -> int:
    return (t + 7) // 8


def coded_overhead(num_frames: int) -> int:
    """Bytes a version 2 message adds to its video stream: header, kept-frame bits and checksum."""
    return CODED_HEADER_BYTES + _frame_bits(num_frames) + CHECKSUM_BYTES


def pack_coded(clip: CodedClip) -> bytes:
    """Serialize a :class:`CodedClip` (wire version 2)."""
    clip.validate()
    header = _CODED_HEADER.pack(
        MAGIC,
        CODED_VERSION,
        _CODEC_CODES[clip.codec],
        clip.num_frames,
        clip.alpha,
        round(clip.beta * 100),
        0,
        clip.height,
        clip.width,
        clip.coded_height,
        clip.coded_width,
    )
    head_and_body = header + _kept_bits(clip.frame_indices, clip.num_frames) + clip.stream
    return head_and_body + struct.pack("<I", zlib.crc32(head_and_body))


def _unpack_coded(data: bytes, lim: WireLimits) -> CodedClip:
    if len(data) < CODED_HEADER_BYTES + CHECKSUM_BYTES:
        raise PayloadError(f"payload of {len(data)} bytes is shorter than the {CODED_HEADER_BYTES}-byte header")
    (_, _, vcodec, t, alpha, beta_pct, _, h, w, ch, cw) = _CODED_HEADER.unpack_from(data)
    codec = _name(_CODEC_CODES, vcodec, "codec")
    if not 1 <= t <= min(lim.max_frames, 255):
        raise PayloadError(f"clip length {t} frames is outside [1, {min(lim.max_frames, 255)}]")
    start = CODED_HEADER_BYTES + _frame_bits(t)
    if len(data) <= start + CHECKSUM_BYTES:
        raise PayloadError(f"payload of {len(data)} bytes ends before its video stream starts (byte {start})")
    _checked_crc(data)
    indices = _read_kept_bits(data, CODED_HEADER_BYTES, t, alpha)
    if not 1 <= beta_pct <= 100:
        raise PayloadError(f"beta {beta_pct}% is outside [1, 100]")
    clip = CodedClip(t, indices, beta_pct / 100, h, w, ch, cw, data[start : len(data) - CHECKSUM_BYTES], codec)
    clip.validate(lim)
    return clip


def _mask_bytes_per_frame(h: int, w: int) -> int:
    return (h * w + 7) // 8


def raw_body_bytes(alpha: int, channels: int, height: int, width: int, k: int, values: ValueEncoding) -> int:
    """Length of the body before entropy coding, derived from the header fields alone."""
    return alpha * (1 + _mask_bytes_per_frame(height, width) + channels * k * _DTYPES[values].itemsize)


def pack(
    tensor: SemanticTensor,
    *,
    entropy: EntropyCoder = "brotli",
    quality: int = DEFAULT_BROTLI_QUALITY,
    filter: Filter | None = None,
) -> bytes:
    """Serialize ``tensor``; ``filter`` defaults to delta for uint8 values and none for float32."""
    tensor.validate()
    enc = tensor.value_encoding
    filt: Filter = filter or ("delta" if enc == "uint8" else "none")
    if filt == "delta" and enc != "uint8":
        raise ValueError("the delta filter applies to uint8 values only")
    alpha, k, c = tensor.values.shape
    h, w = tensor.height, tensor.width

    values = np.ascontiguousarray(tensor.values, dtype=_DTYPES[enc])
    if filt == "delta":
        delta = values.copy()
        np.subtract(values[:, 1:], values[:, :-1], out=delta[:, 1:])  # along the pixels; wraps mod 256
        values = delta
    # Each frame's mask is padded to a byte boundary: (α, H*W) -> (α, ceil(H*W/8)).
    mask = np.packbits(tensor.mask.reshape(alpha, h * w), axis=1)
    raw = b"".join([tensor.frame_indices.astype(np.uint8).tobytes(), mask.tobytes(), values.tobytes()])
    assert len(raw) == raw_body_bytes(alpha, c, h, w, k, enc)
    body = brotli.compress(raw, quality=quality) if entropy == "brotli" else raw
    header = _HEADER.pack(
        MAGIC,
        VERSION,
        _VALUE_CODES[enc],
        _FILTER_CODES[filt],
        _CODER_CODES[entropy],
        tensor.num_frames,
        alpha,
        c,
        0,
        h,
        w,
        k,
        tensor.beta,
        len(body),
        len(raw),
    )
    head_and_body = header + body
    return head_and_body + struct.pack("<I", zlib.crc32(head_and_body))


def _name(table: Mapping[_N, int], code: int, what: str) -> _N:
    for name, value in table.items():
        if value == code:
            return name
    raise PayloadError(f"unknown {what} code {code}; this decoder knows {sorted(table)}")


def _brotli_bounded(body: bytes, expected: int) -> bytes:
    """Decompress ``body`` to exactly ``expected`` bytes, never producing more than that (bomb-safe)."""
    decompressor = brotli.Decompressor()
    try:
        out = decompressor.process(body, output_buffer_limit=expected)
        if len(out) > expected or (
            len(out) == expected and not decompressor.is_finished() and decompressor.process(b"", output_buffer_limit=1)
        ):
            raise PayloadError(f"brotli body expands past the {expected} bytes its header declares")
    except brotli.error as exc:
        raise PayloadError(f"brotli body is corrupt: {exc}") from None
    if len(out) != expected or not decompressor.is_finished():
        raise PayloadError(f"brotli body decodes to {len(out)} bytes; the header declares {expected}")
    return bytes(out)


class Header(NamedTuple):
    """What a payload's fixed header says of its clip, read without checking or decompressing anything."""

    version: int
    frames: int  # T
    channels: int  # C
    height: int
    width: int
    alpha: int  # kept frames

    @property
    def geometry(self) -> tuple[int, int, int, int]:
        """(T, C, H, W)"""
        return self.frames, self.channels, self.height, self.width


def peek(data: bytes | bytearray | memoryview) -> Header | None:
    """The fixed header alone (no checksum, nothing decompressed), or None when the bytes are too short or not a
    STAE message of a known version: a decoder refuses another model's payload, or one its schedule cannot fit,
    from this before any work. ``unpack`` still validates everything."""
    data = bytes(data[:HEADER_BYTES])
    if len(data) < 5 or data[:4] != MAGIC:
        return None
    if data[4] == VERSION and len(data) >= HEADER_BYTES:
        (_, _, _, _, _, t, alpha, c, _, h, w, *_rest) = _HEADER.unpack_from(data)
        return Header(VERSION, t, c, h, w, alpha)
    if data[4] == CODED_VERSION and len(data) >= CODED_HEADER_BYTES:
        (_, _, _, t, alpha, _, _, h, w, _, _) = _CODED_HEADER.unpack_from(data)
        return Header(CODED_VERSION, t, 3, h, w, alpha)
    if data[4] == LATENT_VERSION and len(data) >= LATENT_HEADER_BYTES:
        (_, _, t, alpha, _, _, h, w, _) = _LATENT_HEADER.unpack_from(data)
        return Header(LATENT_VERSION, t, 3, h, w, alpha)
    return None


def unpack(
    data: bytes | bytearray | memoryview, limits: WireLimits | None = None
) -> SemanticTensor | CodedClip | LatentClip:
    """Parse and validate a payload of any version; raise PayloadError saying what is wrong with it. A version 2
    or 3 stream is not decoded here (``stae.codec.decode`` and ``stae.latent`` do that, within the validated
    geometry)."""
    lim = limits or WireLimits()
    data = bytes(data)
    if len(data) > lim.max_payload_bytes:
        raise PayloadError(f"payload of {len(data)} bytes exceeds the limit of {lim.max_payload_bytes}")
    if len(data) < 5:
        raise PayloadError(f"payload of {len(data)} bytes is too short to hold a header")
    if data[:4] != MAGIC:
        raise PayloadError(f"not a STAE payload: magic {data[:4]!r}, expected {MAGIC!r}")
    if data[4] not in VERSIONS:
        raise PayloadError(f"wire version {data[4]} is not supported; this decoder reads versions {list(VERSIONS)}")
    if data[4] == CODED_VERSION:
        return _unpack_coded(data, lim)
    if data[4] == LATENT_VERSION:
        return _unpack_latent(data, lim)
    if len(data) < HEADER_BYTES + CHECKSUM_BYTES:
        raise PayloadError(f"payload of {len(data)} bytes is shorter than the {HEADER_BYTES}-byte header")
    (_, _, venc, vfilt, vcoder, t, alpha, c, _, h, w, k, beta, body_len, raw_len) = _HEADER.unpack_from(data)
    enc = _name(_VALUE_CODES, venc, "value encoding")
    filt = _name(_FILTER_CODES, vfilt, "filter")
    coder = _name(_CODER_CODES, vcoder, "entropy coder")
    if HEADER_BYTES + body_len + CHECKSUM_BYTES != len(data):
        raise PayloadError(
            f"payload is {len(data)} bytes but its header declares a {body_len}-byte body "
            f"({HEADER_BYTES + body_len + CHECKSUM_BYTES} in all): truncated or padded"
        )
    (crc,) = struct.unpack_from("<I", data, len(data) - CHECKSUM_BYTES)
    if zlib.crc32(memoryview(data)[: len(data) - CHECKSUM_BYTES]) != crc:
        raise PayloadError("checksum mismatch: the payload was corrupted in transit")
    if not (1 <= h <= lim.max_side and 1 <= w <= lim.max_side and 1 <= t <= lim.max_frames):
        raise PayloadError(
            f"geometry {t} frames of {h}x{w} is outside the limits ({lim.max_frames} frames, {lim.max_side} px)"
        )
    if not (1 <= alpha <= t and 1 <= c <= 4 and 1 <= k <= h * w):
        raise PayloadError(f"inconsistent header: {alpha} of {t} frames, {c} channels, {k} of {h * w} pixels")
    expected = raw_body_bytes(alpha, c, h, w, k, enc)
    if expected > lim.max_raw_bytes:
        raise PayloadError(f"declared body of {expected} bytes exceeds the limit of {lim.max_raw_bytes}")
    if raw_len != expected:
        raise PayloadError(f"header declares a {raw_len}-byte body; its geometry implies {expected}")
    body = data[HEADER_BYTES : HEADER_BYTES + body_len]
    if coder == "brotli":
        raw = _brotli_bounded(body, expected)
    elif body_len != expected:
        raise PayloadError(f"uncompressed body is {body_len} bytes; its geometry implies {expected}")
    else:
        raw = body

    mask_bytes = alpha * _mask_bytes_per_frame(h, w)
    indices = np.frombuffer(raw, dtype=np.uint8, count=alpha).astype(np.int64)
    packed = np.frombuffer(raw, dtype=np.uint8, count=mask_bytes, offset=alpha).reshape(alpha, -1)
    bits = np.unpackbits(packed, axis=1)  # (α, 8 * ceil(H*W/8))
    if bool(bits[:, h * w :].any()):
        raise PayloadError("mask padding bits are not zero")
    mask = bits[:, : h * w].astype(bool).reshape(alpha, h, w)
    dtype = _DTYPES[enc]
    values = np.frombuffer(raw, dtype=dtype, offset=alpha + mask_bytes).reshape(alpha, k, c)
    if filt == "delta":
        if enc != "uint8":
            raise PayloadError("the delta filter is only defined for uint8 values")
        values = np.cumsum(values, axis=1, dtype=np.uint8)
    else:
        values = values.copy()  # own the memory: frombuffer views are read-only
    tensor = SemanticTensor(
        num_frames=t,
        frame_indices=indices,
        beta=float(beta),
        mask=mask,
        values=values.astype(dtype.newbyteorder("="), copy=False),  # no-op on little-endian hosts
    )
    tensor.validate(lim)
    return tensor
