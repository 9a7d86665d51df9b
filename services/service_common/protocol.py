"""uvicorn's HTTP/1.1 protocol with a request-header deadline, which uvicorn lacks: a connection that has not
sent a whole request head (request line and headers) within ``header_timeout_s`` of its first byte, or of being
opened, gets ``408 Request Timeout`` and is closed. Without it a client sending a byte now and then holds a
connection (and a slot of ``limit_concurrency``) for as long as it likes. Bodies have their own deadline in the
route (``service_common.common.read_body``); idle keep-alive connections keep uvicorn's ``timeout_keep_alive``.

Over TLS it also fills the ASGI TLS extension uvicorn leaves out (``scope["extensions"]["tls"]``:
``client_cert_name``, ``tls_version``), so a service under mutual TLS knows which client's certificate a request
came with (:func:`client_cert_name`).
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import h11
from starlette.requests import Request
from uvicorn.protocols.http.h11_impl import H11Protocol

_BODY = b"request headers not received in time\n"
_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_BODY), _BODY)
)


class HeaderTimeoutProtocol(H11Protocol):
    """H11Protocol whose request heads must arrive within ``header_timeout_s`` (a class attribute: uvicorn builds
    protocols from a class; :func:`with_header_timeout` makes one per setting)."""

    header_timeout_s: float = 10.0
    _header_timer: asyncio.TimerHandle | None = None
    _tls: dict[str, Any] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        tls = transport.get_extra_info("ssl_object")  # asyncio calls this after the handshake
        if isinstance(tls, ssl.SSLObject):
            self._tls = {"client_cert_name": _subject(tls.getpeercert()), "tls_version": tls.version()}
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._tls is not None and self.scope is not None:  # the request's task has not run yet
            extensions: dict[str, Any] = self.scope.setdefault("extensions", {})
            extensions["tls"] = self._tls
        if self.conn.their_state is h11.IDLE and self.conn.our_state is h11.IDLE:
            # A head has begun (or a kept-alive connection sent its next one): it must end in time.
            if self._header_timer is None:
                self._arm()
        else:
            self._disarm()

    def on_response_complete(self) -> None:
        self._disarm()  # between requests uvicorn's keep-alive timer applies
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._expired)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expired(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        self.logger.info("closing %s: no request head within %g s", self.client, self.header_timeout_s)
        self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()


def with_header_timeout(seconds: float) -> type[HeaderTimeoutProtocol]:
    """The protocol class to pass as uvicorn's ``http=`` for a header deadline of ``seconds``."""
    if seconds <= 0:
        raise ValueError(f"header timeout must be positive, got {seconds}")
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout_s": float(seconds)})


def _subject(cert: dict[str, Any] | None) -> str | None:
    """RFC 4514-style subject of a verified peer certificate (``CN=...,O=...``), None without one."""
    if not cert:
        return None
    short = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU", "countryName": "C"}
    return ",".join(f"{short.get(k, k)}={v}" for rdn in reversed(cert.get("subject", ())) for k, v in rdn)


def client_cert_name(request: Request) -> str | None:
    """The subject of the client certificate a request's connection presented (mutual TLS), else None."""
    tls = request.scope.get("extensions", {}).get("tls") or {}
    name: str | None = tls.get("client_cert_name")
    return name
