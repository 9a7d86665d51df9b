"""The encoder's live status page (issue 19) in a real browser: headless Chromium (Debian's ``chromium``) loads it
from running services, renders what the controller holds, logs no console error and requests nothing from
another host; a screenshot is kept."""

from __future__ import annotations

import html.parser
import json
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from helpers import API_KEY, Service, decoder_env, encoder_env, prerequisite

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium")
METRICS_TOKEN = "metrics-token-for-the-page"
FLAGS = [
    "--headless=new",
    "--no-sandbox",  # root in CI
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--window-size=1280,1100",
    "--virtual-time-budget=6000",
]


class _Dom(html.parser.HTMLParser):
    """The attributes of every element, by tag."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def _chromium(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_the_status_page_shows_the_controllers_state(redis_server: object, clips: list[Path], tmp_path: Path) -> None:
    prerequisite(None if CHROMIUM else "chromium is not installed (.ci/run installs Debian's chromium)")
    with (
        Service("decoder", decoder_env()) as dec,
        Service(
            "encoder",
            encoder_env(dec.url, redis_server.url, STAE_ENCODER_METRICS_TOKEN=METRICS_TOKEN),  # type: ignore[attr-defined]
        ) as enc,
    ):
        for clip in clips[:2]:
            with clip.open("rb") as f:
                r = httpx.post(
                    f"{enc.url}/recognize",
                    files={"file": (clip.name, f)},
                    params={"camera_id": "page-cam", "deadline_ms": 5000},
                    headers={"X-API-Key": API_KEY},
                    timeout=120,
                )
            assert r.status_code == 200, r.text
        denied = httpx.get(f"{enc.url}/v1/status", timeout=10)
        assert denied.status_code == 401, denied.text  # behind a key or the token
        status = httpx.get(f"{enc.url}/v1/status", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10)
        state = httpx.get(f"{enc.url}/v1/controller", headers={"X-API-Key": API_KEY}, timeout=10).json()
        page = httpx.get(f"{enc.url}/status", timeout=10)
        assert "default-src 'none'" in page.headers["content-security-policy"]
        url = f"{enc.url}/status#token={METRICS_TOKEN}"
        netlog = tmp_path / "netlog.json"
        dom_run = _chromium(["--dump-dom", f"--log-net-log={netlog}", url], tmp_path)
        shot = tmp_path / "status-page.png"
        shot_run = _chromium([f"--screenshot={shot}", url], tmp_path)

    assert dom_run.returncode == 0, dom_run.stderr[-2000:]
    dom = _Dom()
    dom.feed(dom_run.stdout)
    body = next(a for t, a in dom.elements if t == "body")
    assert int(body.get("data-rendered") or 0) >= 1, dom_run.stdout[:2000]
    rows = {a["data-camera"]: a for t, a in dom.elements if t == "tr" and a.get("data-camera")}
    camera = next(c for c in state["cameras"] if c["camera_id"] == "page-cam")
    assert "page-cam" in rows and float(rows["page-cam"]["data-bandwidth-bps"] or "nan") == pytest.approx(
        camera["bandwidth_bps"], rel=1e-9
    )
    expected = status.json()
    hits = next(a for t, a in dom.elements if a.get("id") == "hits")
    want = sum(b["hits"] for b in expected["deadlines"]), sum(b["misses"] for b in expected["deadlines"])
    assert (int(hits["data-hits"] or -1), int(hits["data-misses"] or -1)) == want and sum(want) == 2
    last = next(c["last"] for c in expected["cameras"] if c["camera_id"] == "page-cam")
    assert f"{last['payload_bytes']} B" in dom_run.stdout
    # No console error (script errors, refused loads, CSP violations) in either run.
    for run in (dom_run, shot_run):
        console = [line for line in run.stderr.splitlines() if "CONSOLE" in line or "Content Security Policy" in line]
        assert not [c for c in console if re.search(r"error|uncaught|refused|violat", c, re.I)], console
    # Every request the page made (initiated by its origin; Chromium's own background services are not the
    # page's) went to the encoder that served it.
    events = json.loads(netlog.read_text())["events"]
    starts = [e["params"] for e in events if isinstance(e.get("params"), dict) and "initiator" in e["params"]]
    by_page = [p["url"] for p in starts if p["initiator"] == enc.url and "url" in p]
    assert any(u.endswith("/v1/status") for u in by_page), by_page
    assert all(u.startswith(enc.url) for u in by_page), by_page
    assert shot_run.returncode == 0 and shot.stat().st_size > 10_000, shot_run.stderr[-2000:]
