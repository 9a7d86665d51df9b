"""Prove a running stack (docker/ci/stack.sh): real clips through ``POST /recognize`` with the generated SDK.

Checks every answer (labels from the shipped trained model, an offloaded decision, the decoder's timings), the
controller's state in Redis (a bandwidth estimate for the camera, the profile), and the 401 without a key. With
``--ca`` the encoder is reached over TLS (the SDK given that CA bundle) and clear text to its port must get no
answer; with ``--decoder`` too, the decoder must refuse clear text and a TLS client without a certificate.
Exits non-zero with the reason on the first failure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import httpx
import redis
from stae_encoder_client import Client
from stae_encoder_client.api.default import controller_state, recognize
from stae_encoder_client.models import RecognizeFilesBody, RecognizeResponse
from stae_encoder_client.types import File

from service_common.security import tls_context


def fail(message: str) -> None:
    print(f"check_stack: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def refused_in_clear(url: str) -> None:
    """Clear-text HTTP to a TLS port gets no HTTP answer."""
    plain = url.replace("https://", "http://")
    try:
        resp = httpx.get(f"{plain}/v2/health/live", timeout=5)
        fail(f"{plain} answered in clear text ({resp.status_code}): TLS is off")
    except httpx.TransportError:
        print(f"{plain}: no answer in clear text")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--encoder", required=True, help="encoder base URL")
    p.add_argument("--redis", required=True, help="the stack's Redis URL")
    p.add_argument("--api-key-file", type=Path, required=True, help="file holding the API key (first entry)")
    p.add_argument("--ca", help="CA bundle (PEM) the services' certificates are checked against: TLS")
    p.add_argument("--decoder", help="the decoder's https URL, to check it refuses clear text and no certificate")
    p.add_argument("--clips", type=Path, required=True, help="folder of real clips")
    p.add_argument("--wait-ready", type=float, default=0.0, help="seconds to wait for /v2/health/ready first")
    args = p.parse_args()
    args.api_key = args.api_key_file.read_text().strip().split(",")[0].partition("@")[0]
    verify = tls_context(args.ca) if args.ca else True
    if args.ca:
        refused_in_clear(args.encoder)
    deadline = time.monotonic() + args.wait_ready
    while True:
        try:
            ready = httpx.get(f"{args.encoder}/v2/health/ready", timeout=2, verify=verify)
            if ready.status_code == 200:
                print(f"ready: {ready.json()}")
                break
            status = f"{ready.status_code} {ready.text}"
        except httpx.HTTPError as exc:
            status = repr(exc)
        if time.monotonic() > deadline:
            fail(f"{args.encoder} not ready after {args.wait_ready:.0f} s: {status}")
        time.sleep(1)
    clips = sorted(args.clips.glob("*.*"))
    if not clips:
        fail(f"no clips in {args.clips}")
    if args.decoder:
        refused_in_clear(args.decoder)
        try:
            httpx.get(f"{args.decoder}/v2/health/live", timeout=5, verify=verify)
            fail(f"{args.decoder} answered a TLS client without a certificate (mutual TLS is off)")
        except httpx.TransportError:
            print(f"{args.decoder}: refuses clear text and a TLS client without a certificate")
    client = Client(base_url=args.encoder, timeout=httpx.Timeout(120), verify_ssl=verify)
    camera = f"ci-cam-{int(time.time())}"
    for clip in clips:
        with clip.open("rb") as f:
            body = RecognizeFilesBody(file=File(payload=f, file_name=clip.name, mime_type="video/mp4"))
            start = time.perf_counter()
            resp = recognize.sync_detailed(client=client, body=body, camera_id=camera, x_api_key=args.api_key)
            took = (time.perf_counter() - start) * 1e3
        if resp.status_code != 200 or not isinstance(resp.parsed, RecognizeResponse):
            fail(f"{clip.name}: {resp.status_code} {resp.content[:300]!r}")
        a = resp.parsed
        if not a.trained or len(a.top) != 5 or a.decision.mode != "offload" or "vit" not in a.timings_ms.to_dict():
            fail(f"{clip.name}: unexpected answer {a.to_dict()}")
        print(
            f"{clip.name:<28} {a.top[0].label:<16} {a.top[0].score:.2f}  {a.budget.encoding} alpha={a.budget.alpha} "
            f"beta={a.budget.beta} {a.payload.bytes_} B  {took:.0f} ms"
        )
    with clips[0].open("rb") as f:
        body = RecognizeFilesBody(file=File(payload=f, file_name=clips[0].name, mime_type="video/mp4"))
        denied = recognize.sync_detailed(client=client, body=body, x_api_key="not-the-key")
    if denied.status_code != 401:
        fail(f"a wrong API key got {denied.status_code}, not 401")
    state = controller_state.sync(client=client, x_api_key=args.api_key)
    if state is None or state.store != "redis" or not state.redis_up:
        fail(f"controller state {state}")
    seen = {c.camera_id: c for c in state.cameras}
    if camera not in seen or seen[camera].samples < len(clips):
        fail(f"camera {camera} has no bandwidth samples in the controller: {sorted(seen)}")
    store = redis.Redis.from_url(args.redis, socket_timeout=2, socket_connect_timeout=2)
    keys = sorted(k.decode() for k in store.scan_iter("stae:*"))
    if not any(camera in k for k in keys) or not any("profile" in k for k in keys):
        fail(f"Redis lacks the camera's estimate or the profile: {keys}")
    print(f"401 without the key; controller on Redis with {len(seen)} camera(s); Redis keys: {', '.join(keys)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
