"""The operator's view (issue 19): Prometheus' recording and alerting rules under ``promtool`` (each alert made to
fire and kept silent), and a real Prometheus (Debian's binary, unpacked into .tools by ``make setup``) scraping
real encoder and decoder processes, its rules evaluating and every Grafana panel's query answering."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from conftest import ROOT
from helpers import API_KEY, Service, decoder_env, encoder_env, free_port, prerequisite

PROM = ROOT / "docker" / "prometheus"
DASHBOARD = ROOT / "docker" / "grafana" / "dashboards" / "stae.json"


def _tool(name: str) -> Path:
    path = ROOT / ".tools" / name
    prerequisite(None if path.exists() else f"{path} is missing: make setup unpacks it from Debian's prometheus")
    return path


def test_rules_are_valid_and_their_tests_pass() -> None:
    promtool = _tool("promtool")
    check = subprocess.run(
        [promtool, "check", "rules", PROM / "rules.yml", PROM / "alerts.yml"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    run = subprocess.run(
        [promtool, "test", "rules", PROM / "tests" / "alerts.test.yml"], capture_output=True, text=True
    )
    assert run.returncode == 0 and "SUCCESS" in run.stdout, run.stdout + run.stderr


def test_the_rule_tests_catch_a_changed_threshold(tmp_path: Path) -> None:
    """The tests pin the rules: an alert threshold moved (90% -> 40% hit rate) makes them fail."""
    copy = tmp_path / "prometheus"
    shutil.copytree(PROM, copy)
    alerts = (copy / "alerts.yml").read_text()
    assert "stae:deadline_hit_ratio:rate5m < 0.9" in alerts
    (copy / "alerts.yml").write_text(
        alerts.replace("stae:deadline_hit_ratio:rate5m < 0.9", "stae:deadline_hit_ratio:rate5m < 0.4")
    )
    run = subprocess.run(
        [_tool("promtool"), "test", "rules", copy / "tests" / "alerts.test.yml"], capture_output=True, text=True
    )
    assert run.returncode != 0 and "STAEDeadlineHitRateLow" in run.stdout + run.stderr


def test_every_alert_has_a_test_that_fires_it_and_one_that_keeps_it_silent() -> None:
    alerts = [r["alert"] for g in yaml.safe_load((PROM / "alerts.yml").read_text())["groups"] for r in g["rules"]]
    cases = [
        c
        for t in yaml.safe_load((PROM / "tests" / "alerts.test.yml").read_text())["tests"]
        for c in t.get("alert_rule_test", [])
    ]
    for alert in alerts:
        mine = [c for c in cases if c["alertname"] == alert]
        assert any(c["exp_alerts"] for c in mine), f"{alert}: no test makes it fire"
        assert any(not c["exp_alerts"] for c in mine), f"{alert}: no test keeps it silent"


@pytest.mark.slow
def test_prometheus_scrapes_the_services_and_every_dashboard_query_answers(
    redis_server: object, clips: list[Path], tmp_path: Path
) -> None:
    prometheus = _tool("prometheus")
    with (
        Service("decoder", decoder_env()) as dec,
        Service("encoder", encoder_env(dec.url, redis_server.url)) as enc,  # type: ignore[attr-defined]
    ):
        port = free_port()
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(PROM / "rules.yml"), str(PROM / "alerts.yml")],
            "scrape_configs": [
                {"job_name": "stae-encoder", "static_configs": [{"targets": [enc.url.removeprefix("http://")]}]},
                {"job_name": "stae-decoder", "static_configs": [{"targets": [dec.url.removeprefix("http://")]}]},
            ],
        }
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        proc = subprocess.Popen(
                [prometheus, f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                 f"--web.listen-address=127.0.0.1:{port}"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(120):
                try:
                    if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.25)
            else:
                pytest.fail("Prometheus did not become ready")
            (tmp_path / "key").write_text(API_KEY)
            check = subprocess.run(
                    [sys.executable, ROOT / "docker" / "ci" / "check_monitoring.py", "--prometheus", url, "--dashboard",
                     DASHBOARD, "--encoder", enc.url, "--api-key-file", tmp_path / "key", "--clip", clips[0]],
                    capture_output=True, text=True, timeout=300,
                )  # fmt: skip
            assert check.returncode == 0, check.stdout + check.stderr
            assert "queries run" in check.stdout and "in Prometheus after" in check.stdout
        finally:
            proc.terminate()
            proc.wait(10)
    panels = json.loads(DASHBOARD.read_text())["panels"]
    assert len(panels) >= 10 and all(p["targets"] for p in panels)
