"""The short version of the reliability suite (bench/reliability.py --quick), with its targets as assertions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, real_clips
from helpers import RedisServer


@pytest.mark.slow
def test_quick_reliability_suite(tmp_path: Path) -> None:
    if not real_clips():
        pytest.fail(
            "real clips missing: ../shared/data/clips (the shared data folder beside the project, which CI provides)"
        )
    assert RedisServer.available(), "redis-server is not installed (.ci/run installs it)"
    cmd = [sys.executable, str(ROOT / "bench" / "reliability.py"), "--quick", "--out", str(tmp_path)]
    subprocess.run(cmd, check=True, timeout=600, capture_output=True)
    doc = json.loads((tmp_path / "reliability.json").read_text())
    for case in doc["hostile"]:
        valid = case["case"].startswith("mp4")  # a real (huge) video: answered, within bounded memory
        assert case["status"] == 200 if valid else 400 <= case["status"] < 500, case
        assert case["ms"] < (5000 if valid else 1000), case
        assert case["encoder_peak_rss_mb"] < 1500, case
    slow = doc["slow"]
    for name, timeout_s in (("slow_heads", slow["header_timeout_s"]), ("slow_bodies", slow["body_timeout_s"])):
        assert slow[name]["still_open"] == 0 and set(slow[name]["statuses"]) == {"HTTP/1.1 408 Request Timeout"}, slow
        assert slow[name]["closed_after_s_max"] < timeout_s + 2, slow
    assert slow["camera_request_meanwhile_ms"] < 10_000, slow  # nan (not 200) fails too
    for run in doc["schemathesis"]:  # 0 server errors, 0 schema violations, every operation reached
        assert run["exit_code"] == 0 and not run["failures"] and not run["errors"], run
        assert run["operations_tested"] >= 5 and run["cases"] > 20, run
    assert doc["fuzz"]["outcomes"].get("other", 0) == 0, doc["fuzz"]["other_examples"]
    load = doc["load"]
    assert load["lost_or_5xx_other_than_503_retry_after"] == 0, load["statuses"]
    assert load["503_while_decoder_down"] > 0 and load["statuses"].get("200", 0) > 0
    assert load["recovered_s_after_decoder_ready"] is not None and load["recovered_s_after_decoder_ready"] < 5
    assert load["encoder_rss_mb"]["peak"] < 1500
    assert load["controller_after"]["redis_up"] is True
