"""Export the services' OpenAPI documents offline and regenerate the Python SDKs from them.

    python clients/generate.py           # write clients/openapi/*.json and clients/python/*
    python clients/generate.py --check   # regenerate in a temporary folder; exit 1 if the committed SDK differs

``app.openapi()`` runs without the lifespan, so no model is loaded and no service needs to run. The documents
are post-processed for openapi-python-client 0.29.1: a ``contentMediaType`` binary without ``format: binary``
(FastAPI's OpenAPI 3.1 form for uploads) is given ``format: binary``, or the client would send the file as text.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from decoder_service.app import create_app as create_decoder
from decoder_service.settings import DecoderSettings
from encoder_service.app import create_app as create_encoder
from encoder_service.settings import EncoderSettings

ROOT = Path(__file__).resolve().parent
SDKS = {"encoder": "stae_encoder_client", "decoder": "stae_decoder_client"}
PLACEHOLDER = SecretStr("openapi-export-only")


def _binary_formats(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("contentMediaType") == "application/octet-stream" and "format" not in node:
            node["format"] = "binary"
        for value in node.values():
            _binary_formats(value)
    elif isinstance(node, list):
        for value in node:
            _binary_formats(value)


def specs() -> dict[str, dict[str, Any]]:
    encoder = create_encoder(EncoderSettings(api_keys=PLACEHOLDER, decoder_token=PLACEHOLDER))
    decoder = create_decoder(DecoderSettings(token=PLACEHOLDER))
    docs = {"encoder": encoder.openapi(), "decoder": decoder.openapi()}
    for doc in docs.values():
        _binary_formats(doc)
    return docs


def generate(out: Path) -> None:
    """Write the OpenAPI documents and the generated SDKs under ``out``."""
    (out / "openapi").mkdir(parents=True, exist_ok=True)
    (out / "python").mkdir(parents=True, exist_ok=True)
    for service, doc in specs().items():
        spec = out / "openapi" / f"{service}.json"
        spec.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        package = SDKS[service]
        config = out / "python" / f".{service}-config.yaml"
        config.write_text(
            f"project_name_override: {package.replace('_', '-')}\npackage_name_override: {package}\npost_hooks: []\n"
        )
        target = out / "python" / package.replace("_", "-")
        subprocess.run(
            [
                str(Path(sys.executable).parent / "openapi-python-client"),
                "generate",
                "--path",
                str(spec),
                "--config",
                str(config),
                "--meta",
                "setup",
                "--overwrite",
                "--output-path",
                str(target),
            ],
            check=True,
            capture_output=True,
        )
        config.unlink()


def _files(root: Path) -> dict[str, bytes]:
    """Generated files under ``root`` (what an editable install or Python adds beside them is ignored)."""
    skip = ("__pycache__", ".egg-info", "build")
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not any(part.endswith(skip) for part in p.relative_to(root).parts)
    }


def _differences(a: Path, b: Path) -> list[str]:
    fa, fb = _files(a), _files(b)
    return sorted(name for name in fa.keys() | fb.keys() if fa.get(name) != fb.get(name))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="fail when the committed SDK is not current")
    args = p.parse_args(argv)
    if not args.check:
        for sub in ("openapi", "python"):
            shutil.rmtree(ROOT / sub, ignore_errors=True)
        generate(ROOT)
        print(f"wrote {ROOT / 'openapi'} and {ROOT / 'python'}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        diffs = [d for sub in ("openapi", "python") for d in _differences(ROOT / sub, Path(tmp) / sub)]
    if diffs:
        print("the committed SDK is stale; run `python clients/generate.py`. Differs:", *diffs[:20], sep="\n  ")
        return 1
    print("the committed OpenAPI documents and SDKs are current")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
