"""What the ``stae`` commands share: the model source, output, and the error a command reports on one line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from stae.camera import SemanticEncoder
from stae.checkpoint import CheckpointInfo, read_checkpoint
from stae.models.registry import model_names
from stae.models.stae import RANDOM_SEED, random_model
from stae.pipeline import SemanticDecoder, resolve_device


class CLIError(Exception):
    """An error to report on one line, exiting with status 2."""


def _source(args: argparse.Namespace) -> tuple[CheckpointInfo | None, str]:
    if args.checkpoint:
        info = read_checkpoint(args.checkpoint)
        state = "trained" if info.trained else "NOT trained (random weights): predictions are meaningless"
        return info, f"checkpoint {info.path} ({info.config.name}, {state})"
    return None, (
        f"model {args.model!r} with random weights (seed {RANDOM_SEED}; no --checkpoint given): "
        "predictions are meaningless until a trained checkpoint is used"
    )


def encoder_from_args(args: argparse.Namespace) -> tuple[SemanticEncoder, str]:
    info, desc = _source(args)
    if info is not None:
        return SemanticEncoder.from_checkpoint(info), desc
    return SemanticEncoder.from_model(random_model(args.model)), desc


def decoder_from_args(args: argparse.Namespace) -> tuple[SemanticDecoder, str]:
    info, desc = _source(args)
    device = resolve_device(args.device)
    if info is not None:
        return SemanticDecoder.from_checkpoint(info, device), desc
    return SemanticDecoder.from_model(random_model(args.model), device), desc


def emit(args: argparse.Namespace, doc: dict[str, Any], lines: list[str]) -> None:
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print("\n".join(lines))


def print_and_write(doc: dict[str, Any], text: str, json_out: str | None, markdown_out: str | None) -> None:
    """Print a command's Markdown and write it and the JSON document where asked."""
    print(text)
    if json_out:
        Path(json_out).write_text(json.dumps(doc, indent=2) + "\n")
    if markdown_out:
        Path(markdown_out).write_text(text + "\n")


def model_args(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--checkpoint", help="checkpoint directory (config.json + model.safetensors)")
    sp.add_argument("--model", default="tiny", choices=model_names(), help="preset when no checkpoint is given")
    sp.add_argument("--json", action="store_true", help="print JSON instead of text")
