"""The wire format: round trips, and every kind of bad payload raising PayloadError in bounded time."""

from __future__ import annotations

import struct
import zlib

import brotli
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stae import wire
from stae.wire import HEADER_BYTES, PayloadError, SemanticTensor, WireLimits, kept_pixels, pack, unpack


def make_tensor(
    rng: np.random.Generator,
    t: int = 16,
    alpha: int = 4,
    h: int = 24,
    w: int = 20,
    c: int = 3,
    beta: float = 0.4,
    values: str = "uint8",
) -> SemanticTensor:
    k = kept_pixels(beta, h, w)
    indices = np.sort(rng.choice(t, size=alpha, replace=False)).astype(np.int64)
    mask = np.zeros((alpha, h * w), dtype=bool)
    for f in range(alpha):
        mask[f, rng.choice(h * w, size=k, replace=False)] = True
    if values == "uint8":
        vals: np.ndarray = rng.integers(0, 256, size=(alpha, k, c), dtype=np.uint8)
    else:
        vals = rng.standard_normal((alpha, k, c)).astype(np.float32)
    return SemanticTensor(t, indices, beta, mask.reshape(alpha, h, w), vals)


def assert_same(a: SemanticTensor, b: SemanticTensor) -> None:
    assert a.num_frames == b.num_frames
    np.testing.assert_array_equal(a.frame_indices, b.frame_indices)
    np.testing.assert_array_equal(a.mask, b.mask)
    assert a.values.dtype == b.values.dtype
    np.testing.assert_array_equal(a.values, b.values)
    assert abs(a.beta - b.beta) < 1e-6


def reseal(data: bytes) -> bytes:
    """Recompute the checksum so a deliberately inconsistent payload reaches the later checks."""
    body = data[:-4]
    return body + struct.pack("<I", zlib.crc32(body))


@st.composite
def tensors(draw: st.DrawFn) -> SemanticTensor:
    t = draw(st.integers(1, 20))
    alpha = draw(st.integers(1, t))
    h, w = draw(st.integers(1, 17)), draw(st.integers(1, 17))
    c = draw(st.integers(1, 4))
    beta = draw(st.floats(0.01, 1.0))
    values = draw(st.sampled_from(["uint8", "float32"]))
    seed = draw(st.integers(0, 2**32 - 1))
    return make_tensor(np.random.default_rng(seed), t, alpha, h, w, c, beta, values)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tensor=tensors(), entropy=st.sampled_from(["none", "brotli"]), quality=st.integers(0, 5))
def test_round_trip(tensor: SemanticTensor, entropy: wire.EntropyCoder, quality: int) -> None:
    data = pack(tensor, entropy=entropy, quality=quality)
    assert_same(unpack(data), tensor)
    head = wire.peek(data)
    assert head == (1, tensor.num_frames, tensor.channels, tensor.height, tensor.width, tensor.alpha)


@settings(max_examples=300, deadline=None)
@given(tensor=tensors(), data=st.data())
def test_random_corruption_is_always_detected(tensor: SemanticTensor, data: st.DataObject) -> None:
    payload = bytearray(pack(tensor, entropy=data.draw(st.sampled_from(["none", "brotli"]))))
    kind = data.draw(st.sampled_from(["flip", "truncate", "extend", "splice"]))
    if kind == "flip":
        pos = data.draw(st.integers(0, len(payload) - 1))
        payload[pos] ^= data.draw(st.integers(1, 255))
    elif kind == "truncate":
        payload = payload[: data.draw(st.integers(0, len(payload) - 1))]
    elif kind == "extend":
        payload += data.draw(st.binary(min_size=1, max_size=64))
    else:
        pos = data.draw(st.integers(0, len(payload)))
        payload[pos:pos] = data.draw(st.binary(min_size=1, max_size=16))
    with pytest.raises(PayloadError):
        unpack(bytes(payload))


@settings(max_examples=300, deadline=None)
@given(junk=st.binary(max_size=512))
def test_random_bytes_are_rejected(junk: bytes) -> None:
    with pytest.raises(PayloadError):
        unpack(junk)
    with pytest.raises(PayloadError):
        unpack(wire.MAGIC + junk)


def test_delta_filter_is_lossless_and_smaller_on_smooth_pixels(rng: np.random.Generator) -> None:
    tensor = make_tensor(rng, h=64, w=64, beta=1.0)
    ramp = (np.arange(64 * 64) // 3 % 256).astype(np.uint8)[:, None]
    smooth = SemanticTensor(
        tensor.num_frames, tensor.frame_indices, 1.0, tensor.mask, np.broadcast_to(ramp, tensor.values.shape).copy()
    )
    delta = pack(smooth, filter="delta")
    plain = pack(smooth, filter="none")
    assert_same(unpack(delta), smooth)
    assert_same(unpack(plain), smooth)
    assert len(delta) < len(plain) / 2


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: b"XXXX" + d[4:], "not a STAE payload"),
        (lambda d: reseal(d[:4] + bytes([9]) + d[5:]), "wire version 9"),
        (lambda d: reseal(d[:5] + bytes([7]) + d[6:]), "unknown value encoding"),
        (lambda d: reseal(d[:7] + bytes([3]) + d[8:]), "unknown entropy coder"),
        (lambda d: d[:-10], "truncated"),
        (lambda d: d[:20], "shorter than"),
        (lambda d: d[:40] + bytes([d[40] ^ 1]) + d[41:], "checksum mismatch"),
        (lambda d: reseal(d[:12] + struct.pack("<H", 30) + d[14:]), "implies"),
    ],
    ids=["magic", "version", "encoding", "coder", "truncated", "short", "checksum", "geometry"],
)
def test_specific_bad_payloads(rng: np.random.Generator, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    data = pack(make_tensor(rng), entropy="none")
    with pytest.raises(PayloadError, match=message):
        unpack(mutate(data))


def _forge(header_fields: dict[str, int | float], body: bytes) -> bytes:
    """A payload with a valid checksum around an arbitrary header and body."""
    fields: dict[str, int | float] = dict(
        version=1,
        venc=0,
        filt=0,
        coder=1,
        t=16,
        alpha=1,
        c=3,
        h=224,
        w=224,
        k=50176,
        beta=1.0,
        body_len=len(body),
        raw_len=0,
    )
    fields.update(header_fields)
    head = struct.pack(
        "<4sBBBBBBBBHHIfII",
        wire.MAGIC,
        fields["version"],
        fields["venc"],
        fields["filt"],
        fields["coder"],
        fields["t"],
        fields["alpha"],
        fields["c"],
        0,
        fields["h"],
        fields["w"],
        fields["k"],
        fields["beta"],
        fields["body_len"],
        fields["raw_len"],
    )
    assert len(head) == HEADER_BYTES
    return reseal(head + body + b"\0\0\0\0")


def test_decompression_bomb_is_stopped_at_the_declared_size() -> None:
    expected = wire.raw_body_bytes(1, 3, 224, 224, 50176, "uint8")
    bomb = brotli.compress(b"\0" * (200 * 2**20), quality=5)  # 200 MiB of zeros in a few hundred bytes
    assert len(bomb) < 10_000
    with pytest.raises(PayloadError, match="expands past"):
        unpack(_forge({"raw_len": expected}, bomb))


def test_declared_sizes_beyond_limits_are_refused_before_allocation() -> None:
    big = _forge({"alpha": 16, "h": 2048, "w": 2048, "k": 2048 * 2048, "venc": 1, "raw_len": 1}, b"x")
    with pytest.raises(PayloadError, match="exceeds the limit"):
        unpack(big)
    with pytest.raises(PayloadError, match="outside the limits"):
        unpack(_forge({"h": 60000}, b"x"))
    with pytest.raises(PayloadError, match="exceeds the limit of 100"):
        unpack(b"\0" * 200, WireLimits(max_payload_bytes=100))


def test_short_brotli_stream_is_refused() -> None:
    expected = wire.raw_body_bytes(1, 3, 224, 224, 50176, "uint8")
    with pytest.raises(PayloadError, match="decodes to"):
        unpack(_forge({"raw_len": expected}, brotli.compress(b"\0" * 100)))


def test_inconsistent_mask_and_indices_are_refused(rng: np.random.Generator) -> None:
    good = make_tensor(rng, alpha=2)
    raw = pack(good, entropy="none")
    # Frame indices out of order: swap the two index bytes at the start of the body.
    swapped = raw[:HEADER_BYTES] + bytes([raw[HEADER_BYTES + 1], raw[HEADER_BYTES]]) + raw[HEADER_BYTES + 2 :]
    with pytest.raises(PayloadError, match="strictly increasing"):
        unpack(reseal(swapped))
    # One more mask bit set in the first frame than its value count allows.
    m = bytearray(raw)
    first_mask = HEADER_BYTES + 2
    bits = np.unpackbits(np.frombuffer(bytes(m[first_mask : first_mask + 60]), dtype=np.uint8))
    bits[int(np.flatnonzero(bits == 0)[0])] = 1
    m[first_mask : first_mask + 60] = np.packbits(bits).tobytes()
    with pytest.raises(PayloadError, match="mask keeps"):
        unpack(reseal(bytes(m)))


def test_non_finite_float_values_are_refused(rng: np.random.Generator) -> None:
    tensor = make_tensor(rng, values="float32")
    vals = tensor.values.copy()
    vals[0, 0, 0] = np.nan
    with pytest.raises(PayloadError, match="NaN"):
        pack(SemanticTensor(tensor.num_frames, tensor.frame_indices, tensor.beta, tensor.mask, vals))


def test_eq1_size_and_kept_pixels() -> None:
    assert kept_pixels(0.4, 224, 224) == 20070
    assert kept_pixels(1.0, 224, 224) == 224 * 224
    assert kept_pixels(1e-9, 4, 4) == 1
    with pytest.raises(ValueError, match="beta"):
        kept_pixels(0.0, 4, 4)
