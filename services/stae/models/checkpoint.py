"""Checkpoints: a directory holding ``config.json`` (the STAEConfig and metadata) and ``model.safetensors``.

Weights are safetensors, never pickles. Tensor names are prefixed by part (``fa.``, ``sa.``, ``fr.``,
``vit.``), so the camera reads only its attention modules and the edge server only FR and the ViT.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from pydantic import ValidationError
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

from stae.config import STAEConfig
from stae.errors import STAEError
from stae.models.stae import STAE, Part, build_part

FORMAT = "stae-checkpoint/1"
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


class CheckpointError(STAEError):
    """A checkpoint that cannot be read; the message says which file and what is wrong."""


@dataclass(frozen=True)
class CheckpointInfo:
    path: Path
    config: STAEConfig
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def trained(self) -> bool:
        return bool(self.metadata.get("trained", False))


def save_checkpoint(model: STAE, path: str | Path, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` to the directory ``path``; ``metadata`` (JSON) says e.g. how it was trained."""
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    doc = {"format": FORMAT, "config": model.cfg.model_dump(mode="json"), "metadata": metadata or {}}
    (out / CONFIG_FILE).write_text(json.dumps(doc, indent=2) + "\n")
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(out / WEIGHTS_FILE), metadata={"format": FORMAT})
    return out


def update_metadata(path: str | Path, metadata: dict[str, Any]) -> Path:
    """Replace a checkpoint's metadata in ``config.json``; the weights are not touched."""
    info = read_checkpoint(path)
    doc = {"format": FORMAT, "config": info.config.model_dump(mode="json"), "metadata": metadata}
    tmp = info.path / (CONFIG_FILE + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    tmp.replace(info.path / CONFIG_FILE)
    return info.path


def read_checkpoint(path: str | Path) -> CheckpointInfo:
    """Read and validate a checkpoint's config without touching its weights."""
    root = Path(path)
    cfg_file = root / CONFIG_FILE
    if not cfg_file.is_file() or not (root / WEIGHTS_FILE).is_file():
        raise CheckpointError(f"{root} is not a STAE checkpoint: it needs {CONFIG_FILE} and {WEIGHTS_FILE}")
    try:
        doc = json.loads(cfg_file.read_text())
        if doc.get("format") != FORMAT:
            raise CheckpointError(f"{cfg_file}: format {doc.get('format')!r}, expected {FORMAT!r}")
        config = STAEConfig.model_validate(doc["config"])
    except (json.JSONDecodeError, KeyError, AttributeError, ValidationError) as exc:
        raise CheckpointError(f"{cfg_file} is not a valid STAE config: {exc}") from None
    return CheckpointInfo(root, config, dict(doc.get("metadata") or {}))


def _load_into(module: nn.Module, info: CheckpointInfo, prefix: str, device: str | torch.device) -> None:
    """Load the tensors named ``prefix*`` (prefix stripped) into ``module``, strictly."""
    state: dict[str, torch.Tensor] = {}
    with safe_open(str(info.path / WEIGHTS_FILE), framework="pt", device=str(device)) as f:
        for key in f.keys():  # noqa: SIM118 (safe_open is not a mapping)
            if key.startswith(prefix):
                state[key[len(prefix) :]] = f.get_tensor(key)
    if not state:
        raise CheckpointError(f"{info.path / WEIGHTS_FILE} holds no weights named {prefix}*")
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{info.path}: weights {prefix}* do not fit the config: {exc}") from None


def load_part(info: CheckpointInfo, part: Part, device: str | torch.device = "cpu") -> nn.Module:
    """Build one part from the checkpoint's config and load its weights (and only those)."""
    module = build_part(info.config, part).to(device)
    _load_into(module, info, f"{part}.", device)
    return module.eval()


def load_model(path: str | Path, device: str | torch.device = "cpu") -> tuple[STAE, CheckpointInfo]:
    """The whole model (all four parts) from a checkpoint directory."""
    info = read_checkpoint(path)
    model = STAE(info.config).to(device)
    _load_into(model, info, "", device)
    return model.eval(), info


def parameter_counts(model: nn.Module) -> dict[str, int]:
    """Parameters per top-level part, and in total."""
    counts = {name: sum(p.numel() for p in child.parameters()) for name, child in model.named_children()}
    counts["total"] = sum(counts.values())
    return counts
