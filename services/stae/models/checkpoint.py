"""Checkpoint weights (torch): ``model.safetensors`` in a checkpoint directory (see :mod:`stae.checkpoint`).

Weights are safetensors, never pickles. Tensor names are prefixed by part (``fa.``, ``sa.``, ``fr.``,
``vit.``), so the camera reads only its attention modules and the edge server only FR and the ViT.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

from stae.checkpoint import FORMAT, WEIGHTS_FILE, CheckpointError, CheckpointInfo, read_checkpoint, write_config
from stae.models.stae import STAE, Part, build_part


def save_checkpoint(model: STAE, path: str | Path, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` to the directory ``path``; ``metadata`` (JSON) says e.g. how it was trained."""
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    write_config(out, model.cfg, metadata or {})
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(out / WEIGHTS_FILE), metadata={"format": FORMAT})
    return out


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
