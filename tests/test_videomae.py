"""Parity with transformers' VideoMAE: a randomly initialised model built offline, saved in every layout we
read, loaded by our loader, and compared logit by logit (float32, max abs difference < 1e-4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import transformers  # a test extra (make setup installs it): missing, these tests fail
from safetensors.torch import save_file

from stae.models import VideoMAEError, load_videomae

TOL = 1e-4
GEOM = dict(image_size=32, patch_size=8, num_channels=3, tubelet_size=2)


def hf_config(num_frames: int = 16, **kw: object) -> transformers.VideoMAEConfig:
    return transformers.VideoMAEConfig(
        **GEOM,
        num_frames=num_frames,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        num_labels=5,
        **kw,
    )


@pytest.fixture(scope="module")
def hf_model() -> transformers.VideoMAEForVideoClassification:
    torch.manual_seed(0)
    model = transformers.VideoMAEForVideoClassification(hf_config()).eval()
    with torch.no_grad():  # random values everywhere, biases and norms included, so nothing matches by accident
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.2)
    return model


def hf_logits(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(pixel_values=x).logits


def our_logits(vit: torch.nn.Module, x: torch.Tensor, indices: list[int] | None = None) -> torch.Tensor:
    idx = None if indices is None else torch.tensor([indices] * x.shape[0])
    with torch.no_grad():
        return vit(x, idx)


def test_hf_safetensors_directory_matches_logits(tmp_path: Path, hf_model: torch.nn.Module) -> None:
    hf_model.save_pretrained(tmp_path / "hf")
    assert (tmp_path / "hf" / "model.safetensors").is_file()
    imported = load_videomae(tmp_path / "hf")
    x = torch.randn(2, 16, 3, 32, 32)
    diff = (our_logits(imported.model, x) - hf_logits(hf_model, x)).abs().max().item()
    assert diff < TOL, diff
    assert imported.labels == tuple(f"LABEL_{i}" for i in range(5))
    assert imported.model.cfg.norm_eps == pytest.approx(1e-12) and imported.model.cfg.fc_norm_eps == 1e-5


@pytest.mark.parametrize("frames", [2, 4, 8])
def test_parity_with_fewer_frames(tmp_path: Path, hf_model: torch.nn.Module, frames: int) -> None:
    """Our 16-frame model fed the first `frames` frames equals transformers built for `frames` frames."""
    hf_model.save_pretrained(tmp_path / "hf")
    ours = load_videomae(tmp_path / "hf").model
    short = transformers.VideoMAEForVideoClassification(hf_config(frames)).eval()
    short.load_state_dict(hf_model.state_dict())
    x = torch.randn(2, frames, 3, 32, 32)
    diff = (our_logits(ours, x, list(range(frames))) - hf_logits(short, x)).abs().max().item()
    assert diff < TOL, diff


def test_transformers_4_layout_with_q_bias_and_pickle_weights(tmp_path: Path, hf_model: torch.nn.Module) -> None:
    """transformers 4.x names the biases q_bias/v_bias and often ships pytorch_model.bin."""
    out = tmp_path / "hf4"
    out.mkdir()
    state = {
        k.replace("attention.attention.query.bias", "attention.attention.q_bias").replace(
            "attention.attention.value.bias", "attention.attention.v_bias"
        ): v
        for k, v in hf_model.state_dict().items()
    }
    assert any(k.endswith("q_bias") for k in state)
    torch.save(state, out / "pytorch_model.bin")
    cfg = hf_model.config.to_dict()
    cfg.pop("qv_bias", None)
    cfg["qkv_bias"] = True
    (out / "config.json").write_text(json.dumps(cfg))
    (out / "preprocessor_config.json").write_text(json.dumps({"image_mean": [0.5] * 3, "image_std": [0.5] * 3}))
    imported = load_videomae(out)
    x = torch.randn(1, 16, 3, 32, 32)
    assert (our_logits(imported.model, x) - hf_logits(hf_model, x)).abs().max().item() < TOL
    assert imported.mean == (0.5, 0.5, 0.5) and imported.std == (0.5, 0.5, 0.5)


def test_original_repository_layout_with_fused_qkv(tmp_path: Path, hf_model: torch.nn.Module) -> None:
    hf_model.save_pretrained(tmp_path / "hf")
    ours = load_videomae(tmp_path / "hf").model
    state = ours.state_dict()
    assert "blocks.0.attn.qkv.weight" in state and "head.weight" in state  # the original names
    torch.save({"module": state}, tmp_path / "checkpoint.pth")
    imported = load_videomae(tmp_path / "checkpoint.pth", img_size=32, num_heads=4)
    assert imported.model.cfg.norm_eps == 1e-6  # the original repository's LayerNorm eps
    x = torch.randn(1, 16, 3, 32, 32)
    # The original checkpoint carries no eps; with 1e-6 instead of transformers' 1e-12/1e-5 the logits differ
    # only by that rounding.
    assert (our_logits(imported.model, x) - hf_logits(hf_model, x)).abs().max().item() < 1e-3


def test_pretraining_checkpoint_gets_a_new_head(tmp_path: Path, hf_model: torch.nn.Module) -> None:
    state = {k: v for k, v in hf_model.state_dict().items() if not k.startswith(("classifier", "fc_norm"))}
    state["decoder.decoder_pred.weight"] = torch.zeros(4, 4)  # pre-training decoder tensors are ignored
    (tmp_path / "pre").mkdir()
    save_file(state, str(tmp_path / "pre" / "model.safetensors"))
    (tmp_path / "pre" / "config.json").write_text(json.dumps(hf_model.config.to_dict()))
    with pytest.raises(VideoMAEError, match="num_classes"):
        load_videomae(tmp_path / "pre")
    imported = load_videomae(tmp_path / "pre", num_classes=7)
    assert imported.head_initialised and imported.model.cfg.num_classes == 7


def test_not_a_videomae_checkpoint(tmp_path: Path) -> None:
    save_file({"foo": torch.zeros(2)}, str(tmp_path / "x.safetensors"))
    with pytest.raises(VideoMAEError):
        load_videomae(tmp_path / "x.safetensors", num_classes=3)
    (tmp_path / "evil.pth").write_bytes(b"\x80\x04\x95not a pickle of tensors")
    with pytest.raises(VideoMAEError, match="tensors-only"):
        load_videomae(tmp_path / "evil.pth")
    with pytest.raises(VideoMAEError, match="does not exist"):
        load_videomae(tmp_path / "missing")


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        import os

        return (os.system, (f"touch {self.marker}",))


def test_a_malicious_pickle_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    torch.save({"model": {"x": _Exploit(marker)}}, tmp_path / "evil.pth")
    with pytest.raises(VideoMAEError, match="tensors-only"):
        load_videomae(tmp_path / "evil.pth")
    assert not marker.exists()


def test_cli_import_makes_a_working_checkpoint(tmp_path: Path, hf_model: torch.nn.Module) -> None:
    from stae.cli import main
    from stae.models import load_model

    hf_model.save_pretrained(tmp_path / "hf")
    assert main(["import-videomae", str(tmp_path / "hf"), "--out", str(tmp_path / "ck")]) == 0
    model, info = load_model(tmp_path / "ck")
    assert info.metadata["vit_trained"] is True and info.config.labels[0] == "LABEL_0"
    x = torch.randn(1, 16, 3, 32, 32)
    assert (our_logits(model.vit, x) - hf_logits(hf_model, x)).abs().max().item() < TOL
