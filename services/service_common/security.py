"""Credentials and TLS for both services: secrets from files, API keys bound to cameras, TLS contexts.

* **Secrets from files** (the ``*_FILE`` convention of Docker secrets and Kubernetes Secret volumes): for a
  secret setting ``STAE_ENCODER_API_KEYS``, ``STAE_ENCODER_API_KEYS_FILE`` names a file holding its value
  (surrounding whitespace stripped). Setting both is refused: which one wins would be a guess.
  A secret given as a file is re-read when the file changes (:class:`LiveSecret`), so rewriting it (as
  Kubernetes does with a mounted Secret) rotates keys and tokens without a restart.
* **Keys bound to cameras**: an API key entry is ``key`` (any camera) or ``key@cam1|cam2`` (only those camera
  ids); several entries may be valid at once, which is how keys rotate without a restart gap.
* **TLS**: a server certificate and key for uvicorn (and a client CA for mutual TLS, where only clients with a
  certificate that CA signed get a handshake), re-read for new connections when the files change
  (:class:`ReloadingServerTLS`); a client context that verifies the server against a CA bundle
  and presents a client certificate when one is configured. Nothing here turns verification off.
"""

from __future__ import annotations

import logging
import os
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from service_common.common import secrets_match

log = logging.getLogger(__name__)
T = TypeVar("T")
CHECK_EVERY_S = 1.0  # how often a changed secret or certificate file is noticed, at most


def _mtimes(files: Iterable[str | None]) -> tuple[float, ...]:
    out = []
    for f in files:
        if f is None:
            continue
        try:
            out.append(os.stat(f).st_mtime)
        except OSError:
            out.append(-1.0)  # gone for now (a Secret volume swaps a symlink): keep what was loaded
    return tuple(out)


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


class LiveSecret(Generic[T]):
    """A secret setting's parsed value; when it came from a file (``env_var``, the ``*_FILE`` variable), the file
    is re-read once it changes, checked at most once a second. A file that cannot be read or parsed keeps the
    last good value (and logs why)."""

    def __init__(self, value: str, env_var: str, parse: Callable[[str], T]) -> None:
        self.path, self.parse = os.environ.get(env_var) or None, parse
        self.value, self._checked = parse(value), time.monotonic()
        self._stamp = _mtimes([self.path])

    def __call__(self) -> T:
        now = time.monotonic()
        if self.path is None or now - self._checked < CHECK_EVERY_S:
            return self.value
        self._checked = now
        stamp = _mtimes([self.path])
        if stamp != self._stamp and stamp[0] >= 0:
            try:
                self.value = self.parse(Path(self.path).read_text().strip())
                self._stamp = stamp
                log.info("re-read %s: the secret changed", self.path)
            except (OSError, ValueError) as exc:
                log.warning("cannot re-read %s (%s): keeping the secret loaded before", self.path, exc)
        return self.value


def parse_tokens(value: str) -> list[str]:
    """Comma-separated bearer tokens (two valid while rotating); ValueError when there is none."""
    tokens = [t.strip() for t in value.split(",") if t.strip()]
    if not tokens:
        raise ValueError("no token in the value")
    return tokens


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

    @classmethod
    def parse(cls, value: str) -> KeyRing:
        """Comma-separated entries (``key`` or ``key@cam1|cam2``); ValueError when none holds a key."""
        ring = cls(e for e in value.split(",") if e.strip())
        if not ring.keys:
            raise ValueError("no API key in the value")
        return ring

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


class ReloadingServerTLS:
    """Serve new TLS connections with the certificate, key and client CA as the files hold them now: installed as
    the server context's SNI callback (called in every handshake, with or without SNI), it swaps in a context
    built from the files once they change (checked at most once a second), so a rotated certificate is served
    without a restart while connections already open keep theirs. A half-written or bad pair keeps the last good
    context (and logs why)."""

    def __init__(self, base: ssl.SSLContext, cert_file: str, key_file: str, client_ca_file: str | None) -> None:
        self.files = (cert_file, key_file, client_ca_file)
        self.current, self._checked = base, time.monotonic()
        self._stamp = _mtimes(self.files)
        base.sni_callback = self._handshake

    def _build(self) -> ssl.SSLContext:
        cert, key, ca = self.files
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        if ca:
            ctx.load_verify_locations(ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
        return ctx

    def _handshake(self, tls: ssl.SSLObject, server_name: str | None, ctx: ssl.SSLContext) -> None:
        now = time.monotonic()
        if now - self._checked >= CHECK_EVERY_S:
            self._checked = now
            stamp = _mtimes(self.files)
            if stamp != self._stamp and min(stamp) >= 0:
                try:
                    self.current, self._stamp = self._build(), stamp
                    log.info("TLS files changed: new connections get %s", self.files[0])
                except (OSError, ssl.SSLError) as exc:
                    log.warning("cannot load the changed TLS files (%s): keeping the ones loaded before", exc)
        if self.current is not ctx:
            tls.context = self.current


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
