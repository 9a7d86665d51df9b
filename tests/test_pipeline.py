"""SemanticEncoder -> wire -> SemanticDecoder on real clips, with a small seeded model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from stae import PayloadError, SemanticDecoder, SemanticEncoder, read_clip, wire
from stae.models import STAE, build_config
from stae.video import normalize


@pytest.fixture(scope="module")
def coders(tiny_model: STAE) -> tuple[SemanticEncoder, SemanticDecoder]:
    return SemanticEncoder.from_model(tiny_model), SemanticDecoder.from_model(tiny_model)


@pytest.fixture(scope="module")
def frames(clips: list[Path]) -> np.ndarray:
    return read_clip(clips[0], 16, 64)


@pytest.mark.parametrize(("alpha", "beta"), [(16, 1.0), (16, 0.4), (4, 0.7), (1, 0.4), (1, 1.0)])
def test_received_pixels_are_the_camera_pixels(
    coders: tuple[SemanticEncoder, SemanticDecoder], frames: np.ndarray, alpha: int, beta: float
) -> None:
    encoder, decoder = coders
    result = encoder.encode(frames, alpha, beta)
    assert len(result.frame_indices) == alpha and result.frame_indices == sorted(result.frame_indices)
    tensor = decoder.unpack(result.payload)
    assert tensor.frame_indices.tolist() == result.frame_indices
    dense, mask = decoder.dense(tensor)
    expected = torch.from_numpy(normalize(frames[result.frame_indices], decoder.config.mean, decoder.config.std))
    kept = mask.expand_as(dense).bool()
    assert int(mask.sum()) == alpha * wire.kept_pixels(beta, 64, 64)
    torch.testing.assert_close(dense[kept], expected[kept], rtol=0, atol=1e-5)
    assert float(dense[~kept].abs().sum()) == 0.0  # zero-filled before feature recovery
    pred = decoder.decode(result.payload, top_k=3)
    assert len(pred.labels) == 3 and pred.scores == sorted(pred.scores, reverse=True)
    assert set(pred.timings_ms) == {"entropy_decode", "fr", "vit"}
    assert result.payload_bytes < result.raw_uint8_bytes


def test_float32_values_reproduce_eq1(coders: tuple[SemanticEncoder, SemanticDecoder], frames: np.ndarray) -> None:
    encoder, decoder = coders
    f32 = encoder.encode(frames, 2, 0.5, values="float32", entropy="none")
    u8 = encoder.encode(frames, 2, 0.5)
    assert f32.eq1_bytes == 4 * 2 * 3 * wire.kept_pixels(0.5, 64, 64)
    # float32 without entropy coding is eq. 1 plus the header, indices and the bit mask
    assert f32.payload_bytes == f32.eq1_bytes + wire.HEADER_BYTES + 4 + 2 + 2 * 64 * 64 // 8
    a, b = decoder.decode(f32.payload), decoder.decode(u8.payload)
    assert a.class_ids[0] == b.class_ids[0]
    np.testing.assert_allclose(a.scores, b.scores, atol=1e-4)


def test_entropy_coding_changes_bytes_not_results(
    coders: tuple[SemanticEncoder, SemanticDecoder], frames: np.ndarray
) -> None:
    encoder, decoder = coders
    plain = encoder.encode(frames, 4, 0.6, entropy="none")
    packed = encoder.encode(frames, 4, 0.6, entropy="brotli", quality=5)
    assert packed.payload_bytes < plain.payload_bytes
    assert decoder.decode(plain.payload).scores == decoder.decode(packed.payload).scores


def test_batched_logits_equal_single_ones(coders: tuple[SemanticEncoder, SemanticDecoder], clips: list[Path]) -> None:
    encoder, decoder = coders
    tensors = [decoder.unpack(encoder.encode(read_clip(c, 16, 64), 4, 0.5).payload) for c in clips[:3]]
    batched = decoder.logits(tensors)
    single = torch.cat([decoder.logits([t]) for t in tensors])
    torch.testing.assert_close(batched, single, atol=1e-4, rtol=1e-4)
    other = decoder.unpack(encoder.encode(read_clip(clips[0], 16, 64), 2, 0.5).payload)
    with pytest.raises(ValueError, match="share the number of kept frames"):
        decoder.logits([tensors[0], other])


def test_a_payload_for_another_geometry_is_refused(coders: tuple[SemanticEncoder, SemanticDecoder]) -> None:
    _, decoder = coders
    torch.manual_seed(0)
    big = STAE(build_config("vit-base", num_classes=3))
    payload = SemanticEncoder.from_model(big).encode(np.zeros((16, 224, 224, 3), np.uint8), 1, 0.4).payload
    with pytest.raises(PayloadError, match="does not match this model"):
        decoder.decode(payload)


def test_encoder_rejects_bad_input(coders: tuple[SemanticEncoder, SemanticDecoder], frames: np.ndarray) -> None:
    encoder, _ = coders
    with pytest.raises(ValueError, match="expected uint8 frames"):
        encoder.encode(frames[:8], 4, 0.5)
    with pytest.raises(ValueError, match="alpha"):
        encoder.encode(frames, 17, 0.5)
    with pytest.raises(ValueError, match="beta"):
        encoder.encode(frames, 4, 1.5)


def test_another_models_payload_is_refused_before_any_decompression(
    coders: tuple[SemanticEncoder, SemanticDecoder], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A payload declaring a larger geometry costs its header's parse, not its decompression (issue 12, item 4)."""
    _, decoder = coders
    torch.manual_seed(0)
    big = STAE(build_config("vit-base", num_classes=3))
    payload = SemanticEncoder.from_model(big).encode(np.zeros((16, 224, 224, 3), np.uint8), 16, 1.0).payload

    def boom(*_: object) -> bytes:
        raise AssertionError("the body was decompressed")

    monkeypatch.setattr(wire, "_brotli_bounded", boom)
    with pytest.raises(PayloadError, match="does not match this model"):
        decoder.unpack(payload)
