"""What TLS costs a camera: ``/recognize`` through a clear-text stack and a TLS stack (TLS towards the camera,
TLS with mutual authentication on the uplink), side by side on this machine (issue 18).

    python bench/tls_overhead.py [--checkpoint models/tiny-synth] [--n 40] [--redis redis://127.0.0.1:6379/0]
                                 [--json OUT] [--markdown OUT]

Both stacks run at once (decoder + encoder each, one Redis, separate key prefixes); requests alternate between
them with a fixed budget, so the machine's load falls on both alike. First request: a new connection (the
handshake paid); steady state: kept-alive connections, the median of ``n``.
"""

from __future__ import annotations

import argparse
import ssl
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _results import write_results

from service_common.security import tls_context
from stae.cli.certs import make_stack
from stae.processes import ServiceProcess

TOKEN, KEY = "bench-tls-token", "bench-tls-key"


def _ctx(ca: Path, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    return tls_context(str(ca), str(cert) if cert else None, str(key) if key else None)


def _stack(tls: Path | None, checkpoint: str, redis: str) -> tuple[ServiceProcess, ServiceProcess]:
    dec_env = {"STAE_DECODER_TOKEN": TOKEN, "STAE_DECODER_CHECKPOINT": checkpoint, "STAE_DECODER_DEVICE": "cpu"}
    enc_env = {
        "STAE_ENCODER_API_KEYS": KEY,
        "STAE_ENCODER_DECODER_TOKEN": TOKEN,
        "STAE_ENCODER_CHECKPOINT": checkpoint,
        "STAE_ENCODER_REDIS_URL": redis,
        "STAE_ENCODER_REDIS_PREFIX": f"bench-tls-{'on' if tls else 'off'}-{time.monotonic_ns()}",
        "STAE_ENCODER_PROFILE_REPS": "1",
    }
    probe = enc_probe = None
    if tls is not None:
        dec_env.update(
            STAE_DECODER_TLS_CERT_FILE=str(tls / "decoder.pem"),
            STAE_DECODER_TLS_KEY_FILE=str(tls / "decoder-key.pem"),
            STAE_DECODER_TLS_CLIENT_CA_FILE=str(tls / "ca.pem"),
        )
        enc_env.update(
            STAE_ENCODER_TLS_CERT_FILE=str(tls / "encoder.pem"),
            STAE_ENCODER_TLS_KEY_FILE=str(tls / "encoder-key.pem"),
            STAE_ENCODER_DECODER_CA_FILE=str(tls / "ca.pem"),
            STAE_ENCODER_DECODER_CLIENT_CERT_FILE=str(tls / "encoder-client.pem"),
            STAE_ENCODER_DECODER_CLIENT_KEY_FILE=str(tls / "encoder-client-key.pem"),
        )
        probe = _ctx(tls / "ca.pem", tls / "encoder-client.pem", tls / "encoder-client-key.pem")
        enc_probe = _ctx(tls / "ca.pem")
    dec = ServiceProcess("decoder", dec_env, verify=probe).start()
    enc_env["STAE_ENCODER_DECODER_URL"] = dec.url
    return dec, ServiceProcess("encoder", enc_env, verify=enc_probe).start()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default="models/tiny-synth")
    p.add_argument("--clip", type=Path, default=Path("../shared/data/clips/arm_wrestling_k400.mp4"))
    p.add_argument("--n", type=int, default=40)
    p.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    p.add_argument("--json", type=Path)
    p.add_argument("--markdown", type=Path)
    args = p.parse_args(argv)
    clip = args.clip.read_bytes()
    params: dict[str, str | int | float] = {"camera_id": "bench", "alpha": 16, "beta": 1.0, "deadline_ms": 5000}
    with tempfile.TemporaryDirectory() as tmp:
        certs = Path(tmp)
        make_stack(certs, ["localhost", "127.0.0.1"])
        stacks = {"clear": _stack(None, args.checkpoint, args.redis), "tls": _stack(certs, args.checkpoint, args.redis)}
        try:
            clients = {
                "clear": httpx.Client(base_url=stacks["clear"][1].url, timeout=60, headers={"X-API-Key": KEY}),
                "tls": httpx.Client(
                    base_url=stacks["tls"][1].url, timeout=60, headers={"X-API-Key": KEY}, verify=_ctx(certs / "ca.pem")
                ),
            }
            first: dict[str, float] = {}
            steady: dict[str, list[float]] = {"clear": [], "tls": []}
            for i in range(args.n + 1):
                for name, c in clients.items():
                    t = time.perf_counter()
                    r = c.post("/recognize", files={"file": (args.clip.name, clip)}, params=params)
                    ms = (time.perf_counter() - t) * 1e3
                    assert r.status_code == 200, r.text
                    if i == 0:
                        first[name] = ms
                    else:
                        steady[name].append(ms)
            for c in clients.values():
                c.close()
        finally:
            for dec, enc in stacks.values():
                enc.stop()
                dec.stop()
    med = {k: statistics.median(v) for k, v in steady.items()}
    doc: dict[str, Any] = {"first_ms": first, "steady_median_ms": med, "steady_ratio": med["tls"] / med["clear"]}
    text = (
        f"/recognize through a clear-text stack and a TLS stack (mutual TLS on the uplink), {args.clip.name}, "
        f"alpha=16 beta=1 (a {args.checkpoint} lossless payload), alternating, this machine:\n\n"
        "| | clear text | TLS | TLS / clear |\n|---|---|---|---|\n"
        f"| first request (new connections) | {first['clear']:.1f} ms | {first['tls']:.1f} ms | "
        f"{first['tls'] / first['clear']:.2f} |\n"
        f"| steady state, median of {args.n} (kept alive) | {med['clear']:.1f} ms | {med['tls']:.1f} ms | "
        f"{doc['steady_ratio']:.3f} |"
    )
    write_results(doc, text, args.json, args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
