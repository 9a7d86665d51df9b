"""The short version of the fleet load test (bench/fleet_load.py): many cameras planning with the production
controller against a real decoder process on loopback, offered twice what the decoder can answer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, real_clips


@pytest.mark.slow
def test_planning_with_the_decoders_load_beats_ignoring_it_and_any_fixed_budget(tmp_path: Path) -> None:
    if not real_clips():
        pytest.fail("real clips missing: ../shared/data/clips (the shared data folder beside the project)")
    out = tmp_path / "fleet-load.json"
    cmd = [sys.executable, str(ROOT / "bench" / "fleet_load.py"), "--decoders", "1", "--seconds", "6"]
    subprocess.run([*cmd, "--fixed", "2", "--json", str(out)], check=True, timeout=600, capture_output=True, cwd=ROOT)
    rows = {r["policy"]: r for r in json.loads(out.read_text())["rows"]}
    aware, oblivious = rows.pop("load-aware"), rows.pop("oblivious")
    assert aware["errors"] == 0 and oblivious["errors"] == 0
    # the server-oblivious controller sends its most accurate budget into an overloaded decoder; the load-aware
    # one fits the decoder's wait and time per request, and every fixed budget is either too dear or too poor
    assert aware["effective_accuracy"] > oblivious["effective_accuracy"], (aware, oblivious)
    assert all(aware["effective_accuracy"] > r["effective_accuracy"] for r in rows.values()), (aware, rows)
    assert aware["goodput_per_s"] > oblivious["goodput_per_s"]
