"""Prove the operator's view of a running stack (docker/ci/stack.sh): Prometheus scraped both services, its
recording and alerting rules load and evaluate, every Grafana dashboard panel's query runs, and one more clip
sent to the encoder shows in Prometheus within the target (15 s). Exits non-zero with the reason on the first
failure."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from service_common.security import tls_context

TARGET_S = 15.0
MUST_ANSWER = (  # series a stack that has answered clips must have
    "stae:deadline_hit_ratio:rate5m",
    "stae:effective_accuracy:rate5m",
    "stae:payload_bytes:mean5m",
    "stae:requests:rate5m",
    'up{job=~"stae-.*"}',
)


def fail(message: str) -> None:
    print(f"check_monitoring: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def query(prom: str, expr: str) -> list[dict[str, Any]]:
    resp = httpx.get(f"{prom}/api/v1/query", params={"query": expr}, timeout=10)
    body = resp.json()
    if resp.status_code != 200 or body.get("status") != "success":
        fail(f"query {expr!r}: {resp.status_code} {body.get('error')}")
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def until(check: Callable[[], bool], what: str, seconds: float) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > seconds:
            fail(f"{what} not within {seconds:.0f} s")
        time.sleep(0.5)
    return time.monotonic() - start


def total(prom: str, expr: str) -> float:
    return sum(float(r["value"][1]) for r in query(prom, expr))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--prometheus", required=True, help="Prometheus base URL")
    p.add_argument("--dashboard", type=Path, required=True, help="Grafana dashboard JSON")
    p.add_argument("--encoder", help="encoder URL: send one clip and time until Prometheus shows it")
    p.add_argument("--ca")
    p.add_argument("--api-key-file", type=Path)
    p.add_argument("--clip", type=Path)
    p.add_argument("--expect-client", help="a client certificate subject the decoder must have counted (mutual TLS)")
    args = p.parse_args()
    prom = args.prometheus.rstrip("/")

    def both_up() -> bool:
        return {r["metric"]["job"] for r in query(prom, 'up{job=~"stae-.*"} == 1')} == {"stae-encoder", "stae-decoder"}

    until(both_up, "both services scraped (up == 1)", 60)
    if args.encoder and args.clip and args.api_key_file:
        before = total(prom, 'stae_encoder_requests_total{status="ok"}')
        key = args.api_key_file.read_text().strip().split(",")[0].partition("@")[0]
        with args.clip.open("rb") as f:
            resp = httpx.post(
                f"{args.encoder}/recognize",
                files={"file": (args.clip.name, f)},
                params={"camera_id": "ci-monitoring"},
                headers={"X-API-Key": key},
                verify=tls_context(args.ca) if args.ca else True,
                timeout=120,
            )
        if resp.status_code != 200:
            fail(f"one more clip: {resp.status_code} {resp.text[:200]}")
        took = until(
            lambda: total(prom, 'stae_encoder_requests_total{status="ok"}') > before,
            "the new request in Prometheus",
            60,
        )
        print(f"a clip answered -> its request in Prometheus after {took:.1f} s (target {TARGET_S:.0f} s)")
        if took > TARGET_S:
            fail(f"Prometheus showed the request after {took:.1f} s, over the {TARGET_S:.0f} s target")
    until(  # each service is scraped on its own schedule: wait for both to show an answered request
        lambda: (
            total(prom, 'stae_encoder_requests_total{status="ok"}') >= 1
            and total(prom, "stae_decoder_inference_count_total") >= 1
        ),
        "an answered request from both the encoder and the decoder",
        30,
    )
    clients = {r["metric"].get("client") for r in query(prom, "stae_decoder_client_requests_total")}
    if args.expect_client and not any(c and args.expect_client in c for c in clients):
        fail(f"the decoder did not count the client certificate {args.expect_client}: {clients}")
    groups = httpx.get(f"{prom}/api/v1/rules", timeout=10).json()["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    bad = [r["name"] for r in rules if r.get("health") != "ok"]
    alerts = [r["name"] for r in rules if r["type"] == "alerting"]
    if len(rules) < 20 or bad or len(alerts) < 7:
        fail(f"rules: {len(rules)} loaded, {len(alerts)} alerts, unhealthy {bad}")
    names = sorted({r["metric"]["__name__"] for r in query(prom, '{__name__=~"stae.*"}')})
    for expr in MUST_ANSWER:
        until(lambda e=expr: bool(query(prom, e)), f"a series for {expr} (series known: {', '.join(names)})", 60)  # type: ignore[misc]
    dashboard = json.loads(args.dashboard.read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    empty = [e for e in exprs if not query(prom, e)]
    print(
        f"Prometheus: both services up, {len(rules)} rules ({len(alerts)} alerts) healthy; {len(exprs)} dashboard "
        f"queries run, {len(exprs) - len(empty)} with data (empty: {', '.join(empty) or 'none'})"
    )
    firing = [a["labels"]["alertname"] for a in httpx.get(f"{prom}/api/v1/alerts", timeout=10).json()["data"]["alerts"]]
    print(f"alerts pending or firing now: {', '.join(firing) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
