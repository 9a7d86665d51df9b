"""``stae-probe``: the health check of a service's container (Docker HEALTHCHECK, Compose, Kubernetes exec probes),
over TLS where the service serves TLS.

    stae-probe decoder [--path /v2/health/ready] [--port 8001]

exits 0 when ``GET {path}`` on 127.0.0.1 answers 200. The scheme follows the service's own settings (https when
``STAE_<SERVICE>_TLS_CERT_FILE`` is set); ``STAE_PROBE_CA_FILE`` is the CA the certificate is checked against and
``STAE_PROBE_CERT_FILE``/``STAE_PROBE_KEY_FILE`` the client certificate a decoder under mutual TLS asks for.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import httpx

from service_common.security import client_tls
from service_common.serve import PORTS


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="stae-probe", description="health check of a STAE service on this host")
    p.add_argument("service", choices=sorted(PORTS))
    p.add_argument("--path", default="/v2/health/ready")
    p.add_argument("--port", type=int)
    p.add_argument("--timeout", type=float, default=2.0)
    args = p.parse_args(argv)
    tls = bool(os.environ.get(f"STAE_{args.service.upper()}_TLS_CERT_FILE"))
    url = f"{'https' if tls else 'http'}://127.0.0.1:{args.port or PORTS[args.service]}{args.path}"
    env = os.environ.get
    try:
        verify = client_tls(env("STAE_PROBE_CA_FILE"), env("STAE_PROBE_CERT_FILE"), env("STAE_PROBE_KEY_FILE"))
        status = httpx.get(url, verify=verify, timeout=args.timeout).status_code
    except (httpx.HTTPError, OSError, ValueError) as exc:
        print(f"stae-probe: {url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"stae-probe: {url}: HTTP {status}", file=sys.stderr)
    return 0 if status == 200 else 1
