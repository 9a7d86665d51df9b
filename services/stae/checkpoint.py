"""A checkpoint directory, read without torch: ``config.json`` (the STAEConfig and metadata) beside
``model.safetensors`` and, once exported, the camera's attention modules as ONNX (``fa.onnx``, ``sa.onnx``).

Weights are written and loaded by :mod:`stae.models.checkpoint` (torch); this module is all the camera needs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from stae.config import STAEConfig
from stae.errors import STAEError

FORMAT = "stae-checkpoint/1"
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
# the camera's modules, exported by `stae export-onnx` (latent.onnx: wire v3's analysis, where the model has one)
ONNX_FILES = {"fa": "fa.onnx", "sa": "sa.onnx", "latent": "latent.onnx"}


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

    def weights_digest(self) -> str:
        """SHA-256 of the weights file: ties exported ONNX files to the weights they were made from."""
        digest = hashlib.sha256()
        with (self.path / WEIGHTS_FILE).open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


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


def write_config(path: Path, config: STAEConfig, metadata: dict[str, Any]) -> None:
    """Write ``config.json`` atomically (a reader never sees half a file)."""
    doc = {"format": FORMAT, "config": config.model_dump(mode="json"), "metadata": metadata}
    tmp = path / (CONFIG_FILE + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    tmp.replace(path / CONFIG_FILE)


def update_metadata(path: str | Path, metadata: dict[str, Any]) -> Path:
    """Replace a checkpoint's metadata in ``config.json``; the weights are not touched."""
    info = read_checkpoint(path)
    write_config(info.path, info.config, metadata)
    return info.path
