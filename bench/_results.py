"""Writing a benchmark's results: JSON for programs, markdown for people."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_results(doc: dict[str, Any], text: str, json_path: Path | None, markdown_path: Path | None) -> None:
    print(text)
    for path, content in ((json_path, json.dumps(doc, indent=2) + "\n"), (markdown_path, text + "\n")):
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
