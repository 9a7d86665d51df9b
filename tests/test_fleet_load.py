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
def test_planning_with_the_decoders_load_beats_ignoring_it(tmp_path: Path) -> None:
    if not real_clips():
        pytest.fail("real clips missing: ../shared/data/clips (the shared data folder beside the project)")
    out = tmp_path / "fleet-load.json"
    cmd = [sys.executable, str(ROOT / "bench" / "fleet_load.py"), "--decoders", "1", "--seconds", "8", "--fixed", "1"]
    subprocess.run([*cmd, "--json", str(out)], check=True, timeout=600, capture_output=True, cwd=ROOT)
    rows = {r["policy"]: r for r in json.loads(out.read_text())["rows"]}
    aware, oblivious = rows["load-aware"], rows["oblivious"]
    # the server-oblivious controller keeps sending its most accurate budget into the overloaded decoder; the
    # load-aware one fits the decoder's wait and time per request: more answers on time, more accuracy served
    assert aware["goodput_per_s"] > 1.5 * oblivious["goodput_per_s"], (aware, oblivious)
    assert aware["effective_accuracy"] > oblivious["effective_accuracy"], (aware, oblivious)
