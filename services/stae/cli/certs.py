"""``stae dev-certs``: a development CA and the certificates a stack needs, in one command (Python's
``cryptography``; never for production, where the operator's CA issues them).

    stae dev-certs OUT [--names localhost 127.0.0.1 decoder encoder] [--days 30]

writes ``OUT/ca.pem`` (and its key ``ca-key.pem``, to issue more), ``OUT/decoder.pem``/``decoder-key.pem`` and
``OUT/encoder.pem``/``encoder-key.pem`` (server certificates for those names), and ``OUT/camera.pem``/
``camera-key.pem``, ``OUT/encoder-client.pem``/``encoder-client-key.pem`` and ``OUT/prometheus.pem``/
``prometheus-key.pem`` (client certificates: a camera, the encoder on the uplink under mutual TLS, and Prometheus
scraping the decoder), and ``OUT/decoder-token``, ``OUT/api-keys`` and ``OUT/metrics-token`` (random secrets, kept
if present). Keys and secrets are written readable by their owner only (``--uid 10001`` hands them to the
images' user, for ``docker compose up``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from stae.cli.common import CLIError


def _lib() -> Any:
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    except ImportError:
        raise CLIError("stae dev-certs needs Python's cryptography package: pip install cryptography") from None
    return x509, hashes, serialization, ec, ExtendedKeyUsageOID, NameOID


def issue(
    out: Path,
    name: str,
    *,
    ca: tuple[Any, Any] | None,
    names: list[str] = (),  # type: ignore[assignment]
    client: bool = False,
    days: float = 30.0,
    not_before: dt.datetime | None = None,
) -> tuple[Any, Any]:
    """Write ``out/name.pem`` and ``out/name-key.pem``: a CA (``ca`` None) or a certificate ``ca`` signs, for
    ``names`` (DNS names and IP addresses), a server's or (``client``) a client's; returns (certificate, key)."""
    x509, hashes, serialization, ec, eku, oid = _lib()
    key = ec.generate_private_key(ec.SECP256R1())
    start = not_before or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    subject = x509.Name([x509.NameAttribute(oid.COMMON_NAME, f"stae dev {name}")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject if ca is None else ca[0].subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
    )
    if ca is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        usage = eku.CLIENT_AUTH if client else eku.SERVER_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        alt: list[Any] = []
        for n in names:
            try:
                alt.append(x509.IPAddress(ipaddress.ip_address(n)))
            except ValueError:
                alt.append(x509.DNSName(n))
        if alt:
            builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    cert = builder.sign(key if ca is None else ca[1], hashes.SHA256())
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    _write_private(out / f"{name}-key.pem", pem)
    return cert, key


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` readable by its owner only (from the first byte on)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


SECRETS = ("decoder-token", "api-keys", "metrics-token")  # random shared secrets, one file each


def make_stack(out: Path, names: list[str], days: float = 30.0) -> list[Path]:
    """The CA and every certificate a stack with TLS on both hops and mutual TLS on the uplink needs, and the
    shared secrets (:data:`SECRETS`: random, kept when they already exist)."""
    ca = issue(out, "ca", ca=None, days=days)
    for server in ("decoder", "encoder"):
        issue(out, server, ca=ca, names=names, days=days)
    for client in ("camera", "encoder-client", "prometheus"):
        issue(out, client, ca=ca, client=True, days=days)
    for secret in SECRETS:
        if not (out / secret).exists():
            _write_private(out / secret, (secrets.token_hex(16) + "\n").encode())
    return sorted(p for p in out.iterdir() if p.suffix == ".pem" or p.name in SECRETS)


def hand_to(files: list[Path], uid: int) -> str | None:
    """Make ``files`` readable by the services' user ``uid`` (the images run as 10001): chown where this process
    may (root), else world-readable; returns a warning in that case."""
    try:
        for f in files:
            os.chown(f, uid, -1)
        return None
    except PermissionError:
        for f in files:
            os.chmod(f, 0o644)
        return f"not root: cannot hand the files to uid {uid}, so they are readable by every local user (dev only)"


def cmd_dev_certs(args: argparse.Namespace) -> int:
    written = make_stack(Path(args.out), args.names, args.days)
    warning = hand_to(written, args.uid) if args.uid is not None else None
    print("\n".join(str(p) for p in written))
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("dev-certs", help="a development CA and TLS certificates for a stack (not for production)")
    p.add_argument("out", help="folder to write the PEM files to")
    p.add_argument(
        "--names",
        nargs="+",
        default=["localhost", "127.0.0.1", "decoder", "encoder"],
        help="DNS names and IP addresses the server certificates are valid for",
    )
    p.add_argument("--days", type=float, default=30.0)
    p.add_argument("--uid", type=int, help="hand the files to this user (the images' services run as 10001)")
    p.set_defaults(func=cmd_dev_certs)
