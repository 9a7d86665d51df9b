"""The camera's client of the edge server (decoder service), and the JSON both sides agree on.

``EdgeClient.infer`` posts a wire payload to ``POST /v1/infer`` and returns the typed answer with the exchange's
time on the socket; an unreachable or busy server raises :class:`NotReadyError` (retry later), any other failure
:class:`EdgeError`. :class:`Decoders` spreads requests over several decoder services. The decoder service answers
with :class:`InferResponse`, so the schema is defined once.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from stae.control.profile import ServerLoad, ServerTimes
from stae.errors import EdgeError, NotReadyError, RefusedError
from stae.scheduling import WeightedRoundRobin

M = TypeVar("M", bound=BaseModel)


class Label(BaseModel):
    label: str
    score: float
    class_id: int


class InferResponse(BaseModel):
    request_id: str
    top: list[Label]
    frame_indices: list[int]
    beta: float
    batch_size: int
    timings_ms: dict[str, float]  # queue, entropy_decode, fr, vit, server_total
    model: str
    trained: bool
    delivery_bps: float | None = None  # the rate the payload arrived at, measured by the decoder; None: too small
    load: ServerLoad | None = None  # the decoder's load as the answer left

    def stage_ms(self, stage: str) -> float:
        """One server stage's time; EdgeError when the server did not report it."""
        try:
            return self.timings_ms[stage]
        except KeyError:
            raise EdgeError(f"the decoder's answer has no {stage!r} timing: {sorted(self.timings_ms)}") from None


@dataclass(frozen=True)
class Offloaded:
    answer: InferResponse
    exchange_ms: float  # from writing the request head to the response head read back (httpcore's trace events):
    # no wait for a pooled connection and no reading or parsing of the answer, which under CPU load are the
    # camera's own queueing, not the link's
    decoder: str = ""  # the name (base URL) of the decoder that answered


class EdgeClient:
    """HTTP client of one decoder service: bearer token, connect and read timeouts on every call."""

    def __init__(
        self,
        base_url: str,
        token: str | Callable[[], str],
        timeout_s: float = 10.0,
        connect_timeout_s: float = 1.0,
        verify: ssl.SSLContext | bool = True,
        max_connections: int = 16,
    ) -> None:
        """``token``: the bearer token, or a function giving the current one (a rotated secret file);
        ``verify``: how an https decoder's certificate is checked (an SSL context with the CA bundle and
        the client certificate for mutual TLS; True: the system's CAs); ``max_connections``: requests in
        flight at once, each on a kept-alive connection (more wait here, their wait taken off their deadline)."""
        self.name = base_url.rstrip("/")  # how the controller's shared state names this decoder
        current = token if callable(token) else lambda: token

        def bearer(request: httpx.Request) -> httpx.Request:
            request.headers["Authorization"] = f"Bearer {current()}"
            return request

        # Requests beyond the pool's connections wait on a semaphore, not in httpcore's pool, which scans its queue
        # against every connection at each event; connections beyond its keep-alive limit were closed after each
        # use and reconnected. Measured (bench/fleet_load.py, ~200 requests/s to one decoder): 32 or 64 connections
        # kept the cameras' core 86-98% busy and refusals took seconds; 16: 38-56%, refusals p99 137-302 ms.
        self._slots = asyncio.Semaphore(max_connections)
        self.http = httpx.AsyncClient(
            base_url=base_url,
            verify=verify,
            auth=bearer,
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def infer(self, payload: bytes, top_k: int, request_id: str, deadline_ms: float | None = None) -> Offloaded:
        """Classify ``payload`` on the decoder; ``deadline_ms``: the time the answer may take from now (the
        decoder schedules by it and refuses at once what it cannot finish in time: NotReadyError)."""
        marks: dict[str, float] = {}
        headers = {"Content-Type": "application/octet-stream", "X-Request-Id": request_id}

        async def trace(event: str, info: Any) -> None:
            marks.setdefault(event, time.perf_counter())

        start = time.perf_counter()
        async with self._slots:
            if deadline_ms is not None:  # less the wait for a connection
                left_ms = deadline_ms - (time.perf_counter() - start) * 1e3
                headers["X-Deadline-Ms"] = f"{max(left_ms, 0.001):.3f}"
            try:
                resp = await self.http.post(
                    "/v1/infer",
                    content=payload,
                    params={"top_k": top_k},
                    headers=headers,
                    extensions={"trace": trace},
                )
            except httpx.TransportError as exc:
                raise NotReadyError(f"decoder unavailable ({type(exc).__name__}); retry later") from None
        end = marks.get("http11.receive_response_headers.complete", time.perf_counter())
        exchange_ms = (end - marks.get("http11.send_request_headers.started", start)) * 1e3
        if resp.status_code in (503, 504):
            retry = resp.headers.get("Retry-After", "1")
            detail = _detail(resp)
            raise RefusedError(f"decoder busy: {detail}", float(retry) if retry.isdigit() else 1.0, exchange_ms)
        if resp.status_code != 200:
            raise EdgeError(f"decoder answered {resp.status_code}: {resp.text[:300]}")
        return Offloaded(_parse(InferResponse, resp, "answer"), exchange_ms, self.name)

    async def server_times(self) -> ServerTimes:
        """The decoder's own stage times (``GET /v1/profile``), for the controller's profile."""
        try:
            resp = await self.http.get("/v1/profile")
        except httpx.HTTPError as exc:
            raise NotReadyError(f"decoder unavailable ({type(exc).__name__})") from None
        if resp.status_code != 200:
            raise NotReadyError(f"decoder profile: {resp.status_code} {resp.text[:200]}")
        return _parse(ServerTimes, resp, "profile")

    async def ready(self) -> bool:
        try:
            return (await self.http.get("/v2/health/ready", timeout=1.0)).status_code == 200
        except httpx.HTTPError:
            return False


def _detail(resp: httpx.Response) -> str:
    """The ``detail`` of an error answer, else its first 200 characters."""
    try:
        return str(resp.json()["detail"])[:200]
    except (ValueError, KeyError, TypeError):
        return resp.text[:200]


def _parse(model: type[M], resp: httpx.Response, what: str) -> M:
    try:
        return model.model_validate_json(resp.content)
    except ValidationError as exc:
        raise EdgeError(f"the decoder's {what} does not match its schema: {exc}") from None


class Decoders:
    """One or more decoder services serving the same model (replicas; or one address in front of several).

    Each request goes to a decoder picked by a smooth weighted round robin, weighted by the time its published
    load leaves before the request's deadline. A decoder that cannot be reached, or that refuses the payload, is
    left for the next one while the request's deadline leaves time (a decoder going away mid-load loses no request
    that had time); one that cannot be reached is skipped for ``down_s``."""

    def __init__(self, clients: list[EdgeClient], down_s: float = 2.0) -> None:
        if not clients:
            raise ValueError("at least one decoder URL is needed")
        self.clients = clients
        self.down_s = down_s
        self._down: dict[str, float] = {}
        self._spread = WeightedRoundRobin(len(clients))

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.clients]

    def _order(self, waits: dict[str, float], deadline_ms: float | None) -> list[EdgeClient]:
        """The decoder to try first, by a smooth weighted round robin over the time each leaves before the
        deadline (its published wait; none published: all of it), then the others by wait, the ones marked down
        last. Always the least loaded would herd every encoder onto one decoder between two load reports."""
        now = time.monotonic()
        span = deadline_ms if deadline_ms is not None else 1000.0
        up = [c for c in self.clients if self._down.get(c.name, 0.0) <= now]
        down = [c for c in self.clients if c not in up]
        if not up:
            return down
        room = [max(1.0, span - waits.get(c.name, 0.0)) if c in up else 0.0 for c in self.clients]
        first = self.clients[self._spread.pick(room)]
        rest = sorted((c for c in up if c is not first), key=lambda c: waits.get(c.name, 0.0))
        return [first, *rest, *down]

    async def infer(
        self,
        payload: bytes,
        top_k: int,
        request_id: str,
        deadline_ms: float | None = None,
        waits: dict[str, float] | None = None,
    ) -> Offloaded:
        """``EdgeClient.infer`` on one decoder (``waits``: the predicted wait each published, ms), then the others
        while time is left."""
        started = time.perf_counter()
        failure: NotReadyError | None = None
        for client in self._order(waits or {}, deadline_ms):
            left = None if deadline_ms is None else deadline_ms - (time.perf_counter() - started) * 1e3
            if failure is not None and left is not None and left <= 0:
                break
            try:
                return await client.infer(payload, top_k, request_id, left)
            except RefusedError as exc:  # it is up but cannot serve this one in time: another may
                failure = exc
            except NotReadyError as exc:  # unreachable, or gone mid-request
                self._down[client.name] = time.monotonic() + self.down_s
                failure = exc
        assert failure is not None
        raise failure

    async def server_times(self) -> ServerTimes:
        """The first answering decoder's own stage times (replicas serve one model on like hardware)."""
        failure: NotReadyError | None = None
        for client in self.clients:
            try:
                return await client.server_times()
            except NotReadyError as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def ready(self) -> bool:
        return any([await c.ready() for c in self.clients])

    async def aclose(self) -> None:
        for c in self.clients:
            await c.aclose()
