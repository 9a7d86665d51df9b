"""Pieces both FastAPI services use: model loading, secret checks, bounded body reads, request ids."""

from __future__ import annotations

import asyncio
import hmac
import re
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException, Request
from fastapi.routing import APIRoute
from pydantic import SecretStr
from starlette.requests import ClientDisconnect

from stae.checkpoint import CheckpointError, CheckpointInfo, read_checkpoint

PLACEHOLDERS = {"", "changeme", "change-me", "secret", "password", "token", "xxx"}
CAMERA_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

if TYPE_CHECKING:
    from stae.models.stae import STAE


def require_secret(value: SecretStr, name: str) -> SecretStr:
    """Refuse empty or placeholder secrets at start-up, naming the variable to set."""
    if value.get_secret_value().strip().lower() in PLACEHOLDERS:
        raise ValueError(f"{name} must be set to a real secret (not empty or a placeholder)")
    return value


def secrets_match(given: str | None, expected: list[str]) -> bool:
    """Constant-time comparison against every accepted secret."""
    if not given:
        return False
    return any(hmac.compare_digest(given.encode(), e.encode()) for e in expected)


def model_source(checkpoint: str | None, model: str) -> tuple[CheckpointInfo | None, STAE | None]:
    """A checkpoint, or (without one) the seeded random model that encoder and decoder build identically."""
    if checkpoint:
        return read_checkpoint(checkpoint), None
    try:
        from stae.models.stae import random_model
    except ImportError:
        raise CheckpointError(
            "no checkpoint configured, and a random model needs PyTorch (pip install 'stae[server]'): set the "
            "service's CHECKPOINT setting to a checkpoint directory"
        ) from None
    return None, random_model(model)


@dataclass(frozen=True)
class Body:
    data: bytes
    delivery_bps: float | None  # the rate the bytes after the first chunk arrived at; None: too few of them


MIN_DELIVERY_BYTES = 16_384  # fewer bytes after the first chunk say nothing about the rate


async def read_body(request: Request, limit: int, timeout_s: float) -> Body:
    """The request body, refusing more than ``limit`` bytes (checked on Content-Length and while streaming) and
    a body not received in full within ``timeout_s`` (408: a slow or stalled client does not hold a worker).

    Also the rate at which it arrived, as the receiver sees it: the bytes after the first chunk over the time
    from the first chunk to the last. A late read of any chunk but the last only makes a bigger chunk (bytes and
    time shift together), so neither side's CPU load reads as a slow link; the link's latency and the sender's
    pauses before its first byte are not in it either (the sender measures those)."""
    declared = request.headers.get("content-length")
    close = {"Connection": "close"}  # the rest of the body is never read: the connection cannot serve another
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body of {declared} bytes exceeds the limit of {limit} bytes", close)
    chunks: list[bytes] = []
    size = 0
    first_at = last_at = 0.0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                if not chunk:
                    continue
                last_at = time.perf_counter()
                if not chunks:
                    first_at = last_at
                size += len(chunk)
                if size > limit:
                    raise HTTPException(413, f"body exceeds the limit of {limit} bytes", close)
                chunks.append(chunk)
    except TimeoutError:
        raise HTTPException(408, f"the request body was not received within {timeout_s:g} s", close) from None
    except ClientDisconnect:
        raise HTTPException(400, "the client disconnected before sending the whole body") from None
    after_first = size - (len(chunks[0]) if chunks else 0)
    elapsed = last_at - first_at
    delivery = after_first * 8 / elapsed if after_first >= MIN_DELIVERY_BYTES and elapsed > 1e-4 else None
    return Body(b"".join(chunks), delivery)


def request_id(request: Request) -> str:
    given = request.headers.get("x-request-id", "")
    return given if re.fullmatch(r"[A-Za-z0-9_.:-]{1,128}", given) else uuid.uuid4().hex


def operation_id(route: APIRoute) -> str:
    """Stable operation ids (the route function's name) give the generated SDK readable method names."""
    return route.name


def octet_stream_body(description: str) -> dict[str, Any]:
    """OpenAPI description of a raw binary request body."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
