"""Load VideoMAE checkpoints into :class:`stae.models.vit.VideoViT`.

Three layouts are read:

* Hugging Face ``VideoMAEForVideoClassification`` directories (``config.json`` plus ``model.safetensors`` or
  ``pytorch_model.bin``), as written by transformers 4.x (``attention.attention.q_bias``/``v_bias``) or 5.x
  (``attention.attention.query.bias``/``value.bias``); ``preprocessor_config.json`` gives mean and std.
* The original MCG-NJU/VideoMAE layout (``blocks.{i}.attn.qkv.weight`` fused, ``q_bias``, ``v_bias``,
  ``head``), a ``.pth``/``.bin``/``.safetensors`` file, optionally wrapped in ``{"model": ...}`` or
  ``{"module": ...}``. Those files carry no config: geometry defaults to 16 x 224 x 224 unless given.

A pre-training checkpoint (no classifier) loads with a freshly initialised head of ``num_classes`` outputs.
Pickled files are read with ``torch.load(weights_only=True)``: tensors only, no code.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file

from stae.config import IMAGENET_MEAN, IMAGENET_STD, ViTConfig
from stae.errors import STAEError
from stae.models.vit import VideoViT

log = logging.getLogger(__name__)

_HF_BLOCK = re.compile(r"^videomae\.encoder\.layer\.(\d+)\.(.+)$")
_HF_RENAMES = {
    "attention.output.dense": "attn.proj",
    "intermediate.dense": "mlp.fc1",
    "output.dense": "mlp.fc2",
    "layernorm_before": "norm1",
    "layernorm_after": "norm2",
}
# Pre-training parts we do not use.
_IGNORED = re.compile(r"^(decoder\.|encoder_to_decoder\.|mask_token|videomae\.embeddings\.position_embeddings)")


class VideoMAEError(STAEError):
    """A file that is not a VideoMAE checkpoint we can load; the message says why."""


@dataclass(frozen=True)
class ImportedViT:
    model: VideoViT
    labels: tuple[str, ...]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    head_initialised: bool  # True when the checkpoint had no classifier and the head is new


def _read_tensors(path: Path) -> dict[str, torch.Tensor]:
    if path.suffix == ".safetensors":
        return load_file(str(path))
    try:
        obj: Any = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for non-tensor pickles
        raise VideoMAEError(f"{path}: not a tensors-only checkpoint ({exc})") from None
    for key in ("model", "module", "state_dict"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise VideoMAEError(f"{path}: expected a state dict of tensors")
    state = {k.removeprefix("module."): v for k, v in obj.items()}
    if "encoder.patch_embed.proj.weight" in state:  # original pre-training checkpoint: encoder + decoder
        state = {k.removeprefix("encoder."): v for k, v in state.items() if not k.startswith("decoder")}
    return state


def _from_hf(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename a Hugging Face VideoMAE state dict to the original (our) layout."""
    out: dict[str, torch.Tensor] = {}
    qkv: dict[int, dict[str, torch.Tensor]] = {}
    unknown: list[str] = []
    for key, value in state.items():
        if key.startswith("videomae.embeddings.patch_embeddings.projection."):
            out["patch_embed.proj." + key.rsplit(".", 1)[1]] = value
        elif key.startswith(("fc_norm.", "classifier.")):
            out[key.replace("classifier.", "head.")] = value
        elif m := _HF_BLOCK.match(key):
            i, rest = int(m.group(1)), m.group(2)
            attn = rest.removeprefix("attention.attention.")
            if attn != rest:
                qkv.setdefault(i, {})[attn] = value
                continue
            for old, new in _HF_RENAMES.items():
                if rest.startswith(old + "."):
                    out[f"blocks.{i}.{new}{rest[len(old) :]}"] = value
                    break
            else:
                unknown.append(key)
        elif key.startswith("videomae.layernorm."):
            raise VideoMAEError(
                "checkpoint uses a final LayerNorm with first-token pooling; only mean pooling is supported"
            )
        elif not _IGNORED.match(key):
            unknown.append(key)
    if unknown:
        raise VideoMAEError(f"unexpected tensors in the checkpoint: {unknown[:5]}")
    for i, parts in qkv.items():
        try:
            w = [parts["query.weight"], parts["key.weight"], parts["value.weight"]]
        except KeyError as exc:
            raise VideoMAEError(f"layer {i}: missing attention weight {exc}") from None
        out[f"blocks.{i}.attn.qkv.weight"] = torch.cat(w, dim=0)
        if "key.bias" in parts and bool(parts["key.bias"].any()):
            raise VideoMAEError(f"layer {i}: a non-zero key bias is not part of VideoMAE's attention")
        for ours, names in (("q_bias", ("q_bias", "query.bias")), ("v_bias", ("v_bias", "value.bias"))):
            for name in names:
                if name in parts:
                    out[f"blocks.{i}.attn.{ours}"] = parts[name]
    return out


def _config_from_weights(state: dict[str, torch.Tensor], base: dict[str, Any]) -> ViTConfig:
    proj = state.get("patch_embed.proj.weight")
    if proj is None:
        raise VideoMAEError("no patch embedding (patch_embed.proj.weight) found: not a VideoMAE checkpoint")
    dim, chans, tubelet, patch, _ = proj.shape
    depth = 1 + max(int(k.split(".")[1]) for k in state if k.startswith("blocks."))
    fc1 = state["blocks.0.mlp.fc1.weight"]
    if "head.weight" in state:
        base["num_classes"] = state["head.weight"].shape[0]
    fields = dict(
        in_chans=chans,
        embed_dim=dim,
        tubelet_size=tubelet,
        patch_size=patch,
        depth=depth,
        mlp_ratio=fc1.shape[0] / dim,
        qkv_bias="blocks.0.attn.q_bias" in state,
    )
    fields.update(base)
    fields.setdefault("num_heads", max(1, dim // 64))
    return ViTConfig(**fields)


def _triple(value: Any, source: Path) -> tuple[float, float, float]:
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise VideoMAEError(f"{source}: image_mean/image_std must hold 3 numbers, got {value!r}")
    return float(value[0]), float(value[1]), float(value[2])


def load_videomae(
    path: str | Path,
    *,
    num_classes: int | None = None,
    img_size: int | None = None,
    num_frames: int | None = None,
    num_heads: int | None = None,
) -> ImportedViT:
    """Load a VideoMAE checkpoint (directory or file) as a VideoViT, with its labels and normalisation."""
    root = Path(path)
    hf_config: dict[str, Any] = {}
    if root.is_dir():
        if (root / "config.json").is_file():
            hf_config = json.loads((root / "config.json").read_text())
        candidates = ["model.safetensors", "pytorch_model.bin", "checkpoint.pth", "model.pth"]
        files = [root / name for name in candidates if (root / name).is_file()]
        if not files:
            raise VideoMAEError(f"{root}: no weights file; expected one of {candidates}")
        weights = files[0]
    elif root.is_file():
        weights = root
    else:
        raise VideoMAEError(f"{root} does not exist")

    raw = _read_tensors(weights)
    state = _from_hf(raw) if any(k.startswith("videomae.") for k in raw) else dict(raw)
    state = {
        k: v for k, v in state.items() if not _IGNORED.match(k) and k not in ("pos_embed", "norm.weight", "norm.bias")
    }

    base: dict[str, Any] = {}
    if hf_config:
        if hf_config.get("hidden_act", "gelu") != "gelu":
            raise VideoMAEError(f"hidden_act {hf_config['hidden_act']!r} is not supported (only gelu)")
        if not hf_config.get("use_mean_pooling", True):
            raise VideoMAEError("use_mean_pooling=false is not supported")
        eps = float(hf_config.get("layer_norm_eps", 1e-12))
        base.update(
            img_size=hf_config.get("image_size", 224),
            num_frames=hf_config.get("num_frames", 16),
            num_heads=hf_config.get("num_attention_heads", 12),
            norm_eps=eps,
            fc_norm_eps=1e-5,  # transformers builds fc_norm with nn.LayerNorm's default eps
        )
    for name, value in (("img_size", img_size), ("num_frames", num_frames), ("num_heads", num_heads)):
        if value is not None:
            base[name] = value
    head_initialised = "head.weight" not in state
    if head_initialised:
        if num_classes is None:
            raise VideoMAEError("the checkpoint has no classifier head: pass num_classes to create a new one")
        base["num_classes"] = num_classes
    elif num_classes is not None and num_classes != state["head.weight"].shape[0]:
        raise VideoMAEError(f"checkpoint has {state['head.weight'].shape[0]} classes, not {num_classes}")
    cfg = _config_from_weights(state, base)

    model = VideoViT(cfg)
    missing, unexpected = model.load_state_dict(state, strict=False)
    # Pre-training checkpoints have neither classifier nor fc_norm: both start fresh.
    allowed_missing = {"head.weight", "head.bias", "fc_norm.weight", "fc_norm.bias"} if head_initialised else set()
    if unexpected or set(missing) - allowed_missing:
        raise VideoMAEError(
            f"checkpoint does not fit a VideoMAE ViT: missing {sorted(set(missing) - allowed_missing)[:5]}, "
            f"unexpected {sorted(unexpected)[:5]}"
        )
    if head_initialised:
        log.warning("%s has no classifier: a new %d-class head was initialised", root, cfg.num_classes)

    id2label = hf_config.get("id2label") or {}
    labels = tuple(str(id2label.get(str(i), id2label.get(i, f"class_{i}"))) for i in range(cfg.num_classes))
    mean, std = IMAGENET_MEAN, IMAGENET_STD
    pre = root / "preprocessor_config.json" if root.is_dir() else None
    if pre is not None and pre.is_file():
        doc = json.loads(pre.read_text())
        mean, std = _triple(doc.get("image_mean", mean), pre), _triple(doc.get("image_std", std), pre)
    return ImportedViT(model.eval(), labels if id2label else (), mean, std, head_initialised)
