"""Wire version 2: the H.264 codec stage, its byte-budget search, the packed message and the deployed path."""

from __future__ import annotations

import numpy as np
import pytest

from stae import codec, wire
from stae.camera import SemanticEncoder
from stae.config import CodedSetting
from stae.models import STAE, build_config
from stae.pipeline import DecodedClip, SemanticDecoder
from stae.train.synth import SynthConfig, make_clip
from stae.wire import CodedClip, PayloadError, WireLimits


def synthetic_clip(seed: int, cls: str = "circle_cw", size: int = 64) -> np.ndarray:
    """A 16-frame clip of the project's synthetic set: a textured, shaking background and a moving actor."""
    return make_clip(cls, SynthConfig(size=size), np.random.default_rng(seed))[::2]  # 32 frames -> 16


def nal_types(stream: bytes) -> list[int]:
    out, i = [], stream.find(b"\x00\x00\x01")
    while i >= 0:
        out.append(stream[i + 3] & 0x1F)
        i = stream.find(b"\x00\x00\x01", i + 3)
    return out


def test_round_trip_is_close_and_carries_no_sei() -> None:
    clip = synthetic_clip(0)
    stream = codec.encode(clip, 23)
    types = nal_types(stream)
    assert types[:2] == [7, 8] and 5 in types  # SPS, PPS, then an IDR slice
    assert 6 not in types  # x264's version SEI was removed
    assert b"x264" not in stream
    out = codec.decode(stream, 16, 64, 64)
    assert out.shape == clip.shape and out.dtype == np.uint8
    err = np.abs(out.astype(int) - clip.astype(int)).mean()
    coarse = codec.encode(clip, 45)
    coarse_err = np.abs(codec.decode(coarse, 16, 64, 64).astype(int) - clip.astype(int)).mean()
    assert err < 15 and err < 0.7 * coarse_err  # the raw synthetic clip is noisy; CRF orders the error
    assert len(coarse) < len(stream) / 3  # and the size


def test_roi_map_steers_the_bits() -> None:
    clip = synthetic_clip(1)
    flat = codec.encode(clip, 30, roi=np.zeros((4, 4)))
    coarse = np.full((4, 4), 0.2)
    coarse[1:3, 1:3] = 0.0  # keep the centre, coarsen the rest
    assert len(codec.encode(clip, 30, roi=coarse)) < 0.8 * len(flat)
    assert codec.roi_regions(coarse) == [
        (0, 0, 64, 16, 0.2),
        (0, 16, 16, 16, 0.2),
        (48, 16, 16, 16, 0.2),
        (0, 32, 16, 16, 0.2),
        (48, 32, 16, 16, 0.2),
        (0, 48, 64, 16, 0.2),
    ]


@pytest.mark.parametrize("budget", [500, 800, 1500, 4000])
def test_encode_within_meets_the_budget_with_the_best_crf(budget: int) -> None:
    for seed in range(3):
        clip = synthetic_clip(seed, ("grow", "move_left", "shake")[seed])
        assert len(codec.encode(clip, codec.CRF_MAX)) < 500  # every budget here can be met
        got = codec.encode_within(clip, budget, max_tries=5)
        assert len(got.data) <= budget, (seed, got.crf, len(got.data))
        assert 1 <= got.tries <= 5
        if got.crf > 18:  # one step finer would not have fitted, or the search ran out of tries
            finer = codec.encode(clip, got.crf - 1)
            # 2% of slack: the same encode has come out up to 41 bytes (1%) apart between runs on a loaded CI
            # machine; one CRF step is ~12%, so a search that stopped a step too coarse still fails here
            assert len(finer) > 0.98 * budget or got.tries == 5


def test_encode_within_returns_the_coarsest_when_nothing_fits() -> None:
    got = codec.encode_within(synthetic_clip(0), 50)
    assert got.crf == codec.CRF_MAX and len(got.data) > 50


def test_decode_refuses_what_the_header_does_not_declare() -> None:
    stream = codec.encode(synthetic_clip(0)[:4], 30)
    with pytest.raises(codec.CodecError, match="frames"):
        codec.decode(stream, 3, 64, 64)
    with pytest.raises(codec.CodecError, match="4 frames; the header declares 5"):
        codec.decode(stream, 5, 64, 64)
    with pytest.raises(codec.CodecError, match="64x64"):
        codec.decode(stream, 4, 32, 32)
    with pytest.raises(codec.CodecError):
        codec.decode(b"\x00\x00\x01\x67garbage" * 10, 4, 64, 64)


def test_fill_and_downscale() -> None:
    clip = synthetic_clip(2)[:2]
    mask = np.zeros((2, 64, 64), dtype=bool)
    mask[:, 20:40, 10:50] = True
    filled = codec.fill_dropped(clip, mask)
    np.testing.assert_array_equal(filled[mask], clip[mask])  # kept pixels untouched
    tile = filled[0, 56:64, 56:64].reshape(-1, 3)  # a tile with nothing kept is one colour
    assert (tile == tile[0]).all()
    small = codec.downscale(clip, 2)
    assert small.shape == (2, 32, 32, 3)
    assert small[0, 0, 0, 0] == round(clip[0, :2, :2, 0].astype(float).mean())
    with pytest.raises(ValueError, match="even"):
        codec.downscale(clip, 3)


def coded_clip(**over: object) -> CodedClip:
    fields: dict[str, object] = dict(
        num_frames=16,
        frame_indices=np.array([1, 5, 9, 14]),
        beta=1.0,
        height=64,
        width=64,
        coded_height=32,
        coded_width=32,
        stream=b"\x00\x00\x00\x01stream",
    )
    fields.update(over)
    return CodedClip(**fields)  # type: ignore[arg-type]


def test_v2_round_trip_and_overhead() -> None:
    clip = coded_clip()
    data = wire.pack_coded(clip)
    assert len(data) == len(clip.stream) + wire.coded_overhead(16) == len(clip.stream) + 24
    back = wire.unpack(data)
    assert isinstance(back, CodedClip)
    np.testing.assert_array_equal(back.frame_indices, clip.frame_indices)
    assert (back.coded_height, back.coded_width, back.stream, back.beta) == (32, 32, clip.stream, 1.0)
    assert wire.peek(data) == (2, 16, 3, 64, 64, 4)  # version, T, C, H, W, α from the fixed header alone


def _reseal(data: bytes) -> bytes:
    import struct
    import zlib

    return data[:-4] + struct.pack("<I", zlib.crc32(data[:-4]))


def test_v2_bad_messages_are_refused_before_decoding() -> None:
    data = bytearray(wire.pack_coded(coded_clip()))
    with pytest.raises(PayloadError, match="checksum"):
        wire.unpack(bytes(data[:-1]) + b"\x00")
    bad = bytearray(data)
    bad[7] = 5  # alpha 5, but four kept-frame bits
    with pytest.raises(PayloadError, match="mark 4 frames"):
        wire.unpack(_reseal(bytes(bad)))
    bad = bytearray(data)
    bad[5] = 9  # unknown codec
    with pytest.raises(PayloadError, match="unknown codec"):
        wire.unpack(_reseal(bytes(bad)))
    bad = bytearray(data)
    bad[14:16] = (96).to_bytes(2, "little")  # coded height larger than the frame
    with pytest.raises(PayloadError, match="coded size"):
        wire.unpack(_reseal(bytes(bad)))
    bad = bytearray(data)
    bad[6] = 14  # T = 14, but frame 14 is marked kept: a padding bit
    with pytest.raises(PayloadError, match="padding"):
        wire.unpack(_reseal(bytes(bad)))
    big = wire.pack_coded(coded_clip(height=2048, width=2048, coded_height=2048, coded_width=2048))
    with pytest.raises(PayloadError, match="exceed the limit"):
        wire.unpack(big, WireLimits(max_decoded_bytes=2**20))
    with pytest.raises(PayloadError, match="version 4"):
        wire.unpack(wire.MAGIC + b"\x04" + bytes(40))


@pytest.fixture(scope="module")
def coded_model() -> STAE:
    import torch

    torch.manual_seed(0)
    cfg = build_config("tiny").model_copy(
        update={"coded": (CodedSetting(alpha=8, scale=2), CodedSetting(alpha=16)), "coded_budgets": (400, 1000)}
    )
    return STAE(cfg).eval()


def test_deployed_path_meets_budgets_and_decodes(coded_model: STAE) -> None:
    enc, dec = SemanticEncoder.from_model(coded_model), SemanticDecoder.from_model(coded_model)
    clip = synthetic_clip(3)
    for alpha, beta, scale, budget in [(8, 1.0, 2, 400), (16, 1.0, 1, 1000), (4, 0.4, 1, 300)]:
        res = enc.encode_coded(clip, alpha, beta, budget, scale=scale)
        assert res.payload_bytes <= budget and res.crf is not None
        received = dec.unpack(res.payload)
        assert isinstance(received, DecodedClip)
        assert received.frames.shape == (alpha, 64 // scale, 64 // scale, 3)
        assert received.frame_indices.tolist() == res.frame_indices
        frames, mask = dec.dense(received)
        assert frames.shape == (alpha, 3, 64, 64) and bool((mask == 1).all())
        assert dec.decode(res.payload).frame_indices == res.frame_indices
    with pytest.raises(ValueError, match="not both"):
        enc.encode_coded(clip, 16, 1.0, 500, crf=30)


def test_one_batch_mixes_both_wire_versions(coded_model: STAE) -> None:
    """The decoder batches by α: a lossless tensor with dropped pixels (FR runs) beside a decoded clip (no FR)."""
    enc, dec = SemanticEncoder.from_model(coded_model), SemanticDecoder.from_model(coded_model)
    clip = synthetic_clip(4)
    v1 = dec.unpack(enc.encode(clip, 8, 0.5).payload)
    v2 = dec.unpack(enc.encode_coded(clip, 8, 1.0, crf=20).payload)
    together = dec.logits([v1, v2])
    apart = [dec.logits([m])[0] for m in (v1, v2)]
    for row, alone in zip(together, apart, strict=True):
        np.testing.assert_allclose(row.numpy(), alone.numpy(), rtol=1e-4, atol=1e-4)


def test_decoder_refuses_a_v2_payload_of_other_geometry(coded_model: STAE) -> None:
    dec = SemanticDecoder.from_model(coded_model)
    stream = codec.encode(synthetic_clip(0, size=96)[:4], 30)
    other = wire.pack_coded(coded_clip(height=96, width=96, coded_height=96, coded_width=96, stream=stream))
    with pytest.raises(PayloadError, match="does not match"):
        dec.unpack(other)
    lying = wire.pack_coded(coded_clip(coded_height=64, coded_width=64, stream=stream))  # says 64, holds 96
    with pytest.raises(PayloadError, match="96x96"):
        dec.unpack(lying)


def test_a_warm_start_with_slack_is_one_encode() -> None:
    """The encoder service starts where the camera's last search ended and accepts a stream within 15% of the
    budget: on a similar clip that is a single encode (the camera-time target rests on it)."""
    clip = synthetic_clip(5, "move_up")
    cold = codec.encode_within(clip, 900)
    assert cold.tries >= 2
    warm = codec.encode_within(synthetic_clip(6, "move_up"), 900, start_crf=cold.crf, slack=0.15)
    again = codec.encode_within(clip, 900, start_crf=cold.crf, slack=0.15)
    assert again.tries == 1 and again.crf == cold.crf
    assert len(warm.data) <= 900


def test_the_profile_offers_only_budgets_the_encoder_keeps() -> None:
    """Coded entries come from the evaluation's accuracy and byte distribution; a budget that was overrun on
    more than 1% of the evaluated clips (below what CRF 51 reaches) is not offered to the controller."""
    import torch

    from stae.control.profile import ServerTimes
    from stae.profiling import build_profile

    torch.manual_seed(0)
    cfg = build_config("tiny").model_copy(
        update={
            "alphas": (16,),
            "betas": (1.0,),
            "coded": (CodedSetting(alpha=8, scale=2),),
            "coded_budgets": (300, 900),
        }
    )
    encoder = SemanticEncoder.from_model(STAE(cfg).eval())
    server = ServerTimes(device="cpu", fr_ms={16: 5.0, 8: 3.0}, vit_ms={16: 4.0, 8: 2.0}, brotli_decode_ms_per_mb=2.0)
    accuracy = {"16,1": 0.8, "h264:8,1,2,300": 0.6, "h264:8,1,2,900": 0.7}
    coded_bytes = {
        "h264:8,1,2,300": {"mean": 290, "p95": 330, "over": 0.2},
        "h264:8,1,2,900": {"mean": 700, "p95": 850, "over": 0.0},
    }
    profile = build_profile(encoder, synthetic_clip(7), server, accuracy=accuracy, coded_bytes=coded_bytes, reps=1)
    coded = [e for e in profile.entries if e.encoding == "h264"]
    assert [(e.max_bytes, e.bytes_p95, e.accuracy, e.scale) for e in coded] == [(900, 850, 0.7, 2)]
    assert coded[0].vit_ms == 2.0 and coded[0].fr_ms == 0.0 and coded[0].pack_ms > 0 and coded[0].ed_ms > 0


def test_the_profile_offers_no_lossless_budget_nobody_measured() -> None:
    """With some lossless accuracies measured, the unmeasured budgets are left out rather than given the
    paper's HMDB51 prior; with none measured, every budget gets the prior and the profile says so."""
    import torch

    from stae.control.profile import PAPER_PRIOR, ServerTimes
    from stae.profiling import build_profile

    torch.manual_seed(0)
    cfg = build_config("tiny").model_copy(update={"alphas": (16, 4), "betas": (1.0, 0.4)})
    encoder = SemanticEncoder.from_model(STAE(cfg).eval())
    server = ServerTimes(device="cpu", fr_ms={16: 5.0, 4: 3.0}, vit_ms={16: 4.0, 4: 2.0}, brotli_decode_ms_per_mb=2.0)
    partial = build_profile(encoder, synthetic_clip(7), server, accuracy={"16,1": 0.8, "4,0.4": 0.5}, reps=1)
    assert [(e.alpha, e.beta, e.accuracy) for e in partial.entries] == [(16, 1.0, 0.8), (4, 0.4, 0.5)]
    assert partial.accuracy_source != PAPER_PRIOR
    prior = build_profile(encoder, synthetic_clip(7), server, reps=1)
    assert len(prior.entries) == 4 and prior.accuracy_source == PAPER_PRIOR
