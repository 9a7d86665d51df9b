"""The four modules: shapes, selection semantics, exact known pixels, temporal positions, checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from stae.camera.attention import select_frames, select_pixels
from stae.config import ViTConfig
from stae.models import (
    STAE,
    CheckpointError,
    FeatureRecovery,
    FrameAttention,
    SpatialAttention,
    build_config,
    load_model,
    load_part,
    model_names,
    read_checkpoint,
    save_checkpoint,
)
from stae.models.checkpoint import parameter_counts
from stae.models.feature_recovery import TapConv3d
from stae.models.vit import VideoViT
from stae.wire import kept_pixels


def test_frame_attention_keeps_the_highest_weights_in_temporal_order() -> None:
    weights = np.array([0.1, 0.9, 0.3, 0.8, 0.2, 0.7], dtype=np.float32)
    assert select_frames(weights, 3).tolist() == [1, 3, 5]
    assert select_frames(weights, 6).tolist() == [0, 1, 2, 3, 4, 5]
    with pytest.raises(ValueError, match="alpha"):
        select_frames(weights, 0)


@pytest.mark.parametrize("name", model_names())
def test_frame_attention_outputs_one_weight_per_frame(name: str) -> None:
    cfg = build_config(name)
    fa = FrameAttention(cfg.fa, cfg.num_frames)
    x = torch.randn(2, cfg.num_frames, 3, 32, 32)
    w = fa(x)
    assert w.shape == (2, cfg.num_frames)
    assert bool(((w > 0) & (w < 1)).all())
    with pytest.raises(ValueError, match="expects"):
        fa(x[:, :4])


def test_paper_frame_attention_is_eq6() -> None:
    """grid=1, no motion: sigmoid(MLP(avg) + MLP(max)) over one average and one max per frame and channel."""
    cfg = build_config("vit-base")
    fa = FrameAttention(cfg.fa, 16)
    x = torch.randn(1, 16, 3, 8, 8)
    avg, mx = x.mean(dim=(3, 4)).reshape(1, -1), x.amax(dim=(3, 4)).reshape(1, -1)
    torch.testing.assert_close(fa(x), torch.sigmoid(fa.mlp(avg) + fa.mlp(mx)))


@pytest.mark.parametrize("name", model_names())
@pytest.mark.parametrize("beta", [1.0, 0.9, 0.4, 0.05])
def test_spatial_attention_keeps_exactly_beta_of_each_frame(name: str, beta: float) -> None:
    cfg = build_config(name)
    sa = SpatialAttention(cfg.sa)
    x = torch.randn(2, 16, 3, 24, 24)
    idx = torch.tensor([[0, 5, 9], [1, 2, 15]])
    w = sa(x, idx).detach()
    assert w.shape == (2, 3, 24, 24)
    mask = torch.from_numpy(select_pixels(w.reshape(6, 24, 24).numpy(), beta)).reshape(2, 3, 24, 24)
    assert mask.dtype == torch.bool
    assert mask.reshape(6, -1).sum(1).tolist() == [kept_pixels(beta, 24, 24)] * 6
    if beta < 1.0:  # the kept pixels are the highest-weighted ones
        flat_w, flat_m = w.reshape(6, -1), mask.reshape(6, -1)
        for f in range(6):
            assert flat_w[f][flat_m[f]].min() >= flat_w[f][~flat_m[f]].max()


def test_spatial_attention_sees_only_kept_frames() -> None:
    sa = SpatialAttention(build_config("vit-base").sa)
    x = torch.randn(1, 16, 3, 16, 16)
    idx = torch.tensor([[3, 7]])
    before = sa(x, idx)
    x[:, 0] += 5.0  # frame 0 is neither kept nor a motion neighbour here
    torch.testing.assert_close(sa(x, idx), before)


@pytest.mark.parametrize("alpha", [1, 3, 16])
def test_feature_recovery_keeps_received_pixels_exact(alpha: int) -> None:
    fr = FeatureRecovery(build_config("tiny").fr)
    x = torch.randn(2, alpha, 3, 32, 32)
    mask = (torch.rand(2, alpha, 1, 32, 32) < 0.4).float()
    out = fr(x * mask, mask)
    assert out.shape == x.shape
    kept = mask.expand_as(x).bool()
    torch.testing.assert_close(out[kept], x[kept], rtol=0, atol=0)
    assert out[~kept].abs().sum() > 0  # missing pixels are filled, not left at zero


def test_feature_recovery_uses_other_frames() -> None:
    """The 3D branch mixes time: changing one frame changes the recovery of another."""
    torch.manual_seed(0)
    fr = FeatureRecovery(build_config("tiny").fr)
    x = torch.randn(1, 4, 3, 32, 32)
    mask = (torch.rand(1, 4, 1, 32, 32) < 0.5).float()
    a = fr(x * mask, mask)
    x2 = x.clone()
    x2[:, 3] += 1.0
    b = fr(x2 * mask, mask)
    assert not torch.allclose(a[:, 0], b[:, 0])


@pytest.mark.parametrize(
    ("kernel", "stride", "dilation"), [(3, 1, 1), (3, 2, 1), (3, 1, 2), (1, 1, 1), ((1, 3, 3), 1, 1)]
)
def test_tap_conv3d_is_a_conv3d(kernel: int | tuple[int, int, int], stride: int, dilation: int) -> None:
    """FR's 3D convolutions run as 2D convolutions over stacked neighbours: same output and same gradients."""
    torch.manual_seed(0)
    k = (kernel,) * 3 if isinstance(kernel, int) else kernel
    pad = (k[0] // 2, dilation * (k[1] // 2), dilation * (k[2] // 2))
    tap = TapConv3d(5, 7, k, stride=(1, stride, stride), padding=pad, dilation=(1, dilation, dilation))
    ref = torch.nn.Conv3d(5, 7, k, stride=(1, stride, stride), padding=pad, dilation=(1, dilation, dilation))
    ref.load_state_dict(tap.state_dict())
    x = torch.randn(2, 5, 6, 16, 12, requires_grad=True)
    y_tap, y_ref = tap(x), ref(x)
    torch.testing.assert_close(y_tap, y_ref, rtol=1e-4, atol=1e-5)
    (g_tap,) = torch.autograd.grad(y_tap.square().sum(), tap.weight)
    (g_ref,) = torch.autograd.grad(y_ref.square().sum(), ref.weight)
    torch.testing.assert_close(g_tap, g_ref, rtol=1e-4, atol=1e-4)


def test_feature_recovery_rejects_sizes_not_divisible_by_8() -> None:
    fr = FeatureRecovery(build_config("tiny").fr)
    with pytest.raises(ValueError, match="divisible by 8"):
        fr(torch.zeros(1, 1, 3, 30, 30), torch.zeros(1, 1, 1, 30, 30))


@pytest.mark.parametrize("alpha", list(range(1, 17)))
def test_vit_accepts_every_frame_budget(tiny_model: STAE, alpha: int) -> None:
    cfg = tiny_model.cfg
    frames = torch.randn(2, alpha, 3, cfg.img_size, cfg.img_size)
    idx = torch.stack([torch.randperm(16)[:alpha].sort().values for _ in range(2)])
    with torch.no_grad():
        logits = tiny_model.vit(frames, idx)
    assert logits.shape == (2, cfg.vit.num_classes)
    assert bool(torch.isfinite(logits).all())


def test_vit_uses_original_frame_indices_as_positions(tiny_model: STAE) -> None:
    s = tiny_model.cfg.img_size
    frames = torch.randn(1, 2, 3, s, s)
    with torch.no_grad():
        early = tiny_model.vit(frames, torch.tensor([[0, 1]]))
        late = tiny_model.vit(frames, torch.tensor([[12, 13]]))
        default = tiny_model.vit(frames)
    assert not torch.allclose(early, late)
    torch.testing.assert_close(early, default)


def test_conv_stem_keeps_videomae_tokens_and_positions() -> None:
    cfg = ViTConfig(img_size=64, patch_size=16, embed_dim=32, depth=1, num_heads=2, num_classes=3, stem=(8, 16))
    vit = VideoViT(cfg).eval()
    assert vit.patch_embed.proj.kernel_size == (2, 4, 4)  # 16 px patches: two stride-2 convs, then 4 x 4
    frames = torch.randn(2, 6, 3, 64, 64)
    tokens = vit.patch_embed(frames)
    assert tokens.shape == (2, 3 * 4 * 4, 32)  # (B, tubelets x 4 x 4, D): as many tokens as without the stem
    # each sample's tokens depend on that sample's frames only (the stem folds T into the batch and back)
    other = frames.clone()
    other[1] = torch.randn_like(other[1])
    torch.testing.assert_close(vit.patch_embed(other)[0], tokens[0])
    assert not torch.allclose(vit.patch_embed(other)[1], tokens[1])
    with pytest.raises(ValueError, match="divisible by 2"):
        ViTConfig(img_size=64, patch_size=16, stem=(8,) * 5)


def test_vit_rejects_wrong_geometry(tiny_model: STAE) -> None:
    with pytest.raises(ValueError, match="expected"):
        tiny_model.vit(torch.randn(1, 17, 3, 64, 64))
    with pytest.raises(ValueError, match="expected"):
        tiny_model.vit(torch.randn(1, 2, 3, 32, 32))


@pytest.mark.parametrize("name", model_names())
def test_registry_builds_every_preset(name: str) -> None:
    cfg = build_config(name, labels=[f"a{i}" for i in range(7)])
    assert cfg.vit.num_classes == 7 and cfg.label(3) == "a3"
    counts = parameter_counts(STAE(cfg))
    assert counts["total"] == sum(v for k, v in counts.items() if k != "total") > 0
    with pytest.raises(ValueError, match="unknown model"):
        build_config("vit-huge")


def test_checkpoint_round_trip_rebuilds_the_model_without_flags(tmp_path: Path, tiny_model: STAE) -> None:
    save_checkpoint(tiny_model, tmp_path / "ck", {"trained": False, "note": "test"})
    loaded, info = load_model(tmp_path / "ck")
    assert info.config == tiny_model.cfg and not info.trained and info.metadata["note"] == "test"
    for (k1, v1), (k2, v2) in zip(tiny_model.state_dict().items(), loaded.state_dict().items(), strict=True):
        assert k1 == k2 and torch.equal(v1, v2)
    vit = load_part(info, "vit")
    assert sum(p.numel() for p in vit.parameters()) == sum(p.numel() for p in tiny_model.vit.parameters())


def test_bad_checkpoints_give_clear_errors(tmp_path: Path, tiny_model: STAE) -> None:
    with pytest.raises(CheckpointError, match=r"needs config\.json"):
        read_checkpoint(tmp_path)
    ck = save_checkpoint(tiny_model, tmp_path / "ck")
    doc = json.loads((ck / "config.json").read_text())
    doc["config"]["vit"]["embed_dim"] = 130  # not a multiple of the head count
    (ck / "config.json").write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match="embed_dim"):
        read_checkpoint(ck)
    doc["config"]["vit"]["embed_dim"] = 64  # valid config, but the weights are 128 wide
    (ck / "config.json").write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match="do not fit"):
        load_part(read_checkpoint(ck), "vit")


def test_metadata_is_updated_without_rewriting_the_weights(tmp_path: Path, tiny_model: STAE) -> None:
    from stae.checkpoint import WEIGHTS_FILE, read_checkpoint, update_metadata
    from stae.models.checkpoint import save_checkpoint

    ck = save_checkpoint(tiny_model, tmp_path / "ck", {"trained": True})
    weights = (ck / WEIGHTS_FILE).read_bytes()
    stamp = (ck / WEIGHTS_FILE).stat().st_mtime_ns
    update_metadata(ck, {"trained": True, "eval": {"accuracy": {"16,1": 0.5}}})
    info = read_checkpoint(ck)
    assert info.metadata["eval"]["accuracy"] == {"16,1": 0.5} and info.config == tiny_model.cfg
    assert (ck / WEIGHTS_FILE).read_bytes() == weights and (ck / WEIGHTS_FILE).stat().st_mtime_ns == stamp
