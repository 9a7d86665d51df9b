"""Credentials and TLS for both services: secrets from files, API keys bound to cameras, TLS contexts.

* **Secrets from files** (the ``*_FILE`` convention of Docker secrets and Kubernetes Secret volumes): for a
  secret setting ``STAE_ENCODER_API_KEYS``, ``STAE_ENCODER_API_KEYS_FILE`` names a file holding its value
  (surrounding whitespace stripped). Setting both is refused: which one wins would be a guess.
* **Keys bound to cameras**: an API key entry is ``key`` (any camera) or ``key@cam1|cam2`` (only those camera
  ids); several entries may be valid at once, which is how keys rotate without a restart gap.
* **TLS**: a server certificate and key for uvicorn (and a client CA for mutual TLS, where only clients with a
  certificate that CA signed get a handshake); a client context that verifies the server against a CA bundle
  and presents a client certificate when one is configured. Nothing here turns verification off.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service_common.common import secrets_match


def secrets_from_files(data: Any, prefix: str, names: Iterable[str]) -> Any:
    """Fill each secret ``name`` from the file its ``{prefix}{NAME}_FILE`` variable names (a settings "before"
    validator); ValueError when the file cannot be read or both forms are set."""
    if not isinstance(data, dict):
        return data
    for name in names:
        var = f"{prefix}{name.upper()}_FILE"
        path = os.environ.get(var)
        if not path:
            continue
        if os.environ.get(f"{prefix}{name.upper()}") is not None:
            raise ValueError(f"set {prefix}{name.upper()} or {var}, not both")
        try:
            data[name] = Path(path).read_text().strip()
        except OSError as exc:
            raise ValueError(f"{var}: cannot read {path}: {exc.strerror}") from None
    return data


@dataclass(frozen=True)
class Key:
    secret: str
    cameras: frozenset[str] | None  # None: any camera


class KeyRing:
    """The API keys cameras present, each with the camera ids it may speak for."""

    def __init__(self, entries: Iterable[str]) -> None:
        keys = []
        for entry in entries:
            secret, _, cams = entry.strip().partition("@")
            bound = frozenset(c.strip() for c in cams.split("|") if c.strip()) if cams else None
            keys.append(Key(secret, bound))
        self.keys = [k for k in keys if k.secret]

    @property
    def secrets(self) -> list[str]:
        return [k.secret for k in self.keys]

    def find(self, given: str | None) -> Key | None:
        """The key matching ``given`` (constant-time per key), or None."""
        for key in self.keys:
            if secrets_match(given, [key.secret]):
                return key
        return None


def server_tls(cert_file: str | None, key_file: str | None, client_ca_file: str | None) -> dict[str, Any]:
    """uvicorn's TLS keyword arguments (none without a certificate); ValueError for half a configuration."""
    if not cert_file and not key_file:
        if client_ca_file:
            raise ValueError("a client CA (mutual TLS) needs the server's own TLS certificate and key too")
        return {}
    if not (cert_file and key_file):
        raise ValueError("TLS needs both a certificate file and its key file")
    for f in (cert_file, key_file, client_ca_file):
        if f and not Path(f).is_file():
            raise ValueError(f"TLS file {f} does not exist")
    out: dict[str, Any] = {"ssl_certfile": cert_file, "ssl_keyfile": key_file}
    if client_ca_file:
        out.update(ssl_ca_certs=client_ca_file, ssl_cert_reqs=ssl.CERT_REQUIRED)
    return out


def client_tls(ca_file: str | None, cert_file: str | None = None, key_file: str | None = None) -> ssl.SSLContext | bool:
    """What httpx's ``verify`` takes: a context that trusts ``ca_file`` (else the system's CAs) and presents
    ``cert_file``/``key_file`` when given; True (system CAs) when nothing is configured."""
    if not ca_file and not cert_file:
        return True
    return tls_context(ca_file, cert_file, key_file)


def tls_context(ca_file: str | None, cert_file: str | None = None, key_file: str | None = None) -> ssl.SSLContext:
    """A client context that trusts ``ca_file`` (else the system's CAs) and presents ``cert_file``/``key_file``
    when given."""
    if bool(cert_file) != bool(key_file):
        raise ValueError("a client certificate needs its key file too")
    ctx = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    if cert_file and key_file:
        ctx.load_cert_chain(cert_file, key_file)
    return ctx
