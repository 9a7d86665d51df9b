"""The library's error tree (stae.errors) as HTTP, in one place for both services."""

from __future__ import annotations

import math
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from stae.errors import EdgeError, NotReadyError, STAEError
from stae.video import VideoError
from stae.wire import PayloadError

# What the caller sent, named in front of the message: a clip (encoder) or a wire payload (decoder).
PREFIXES: tuple[tuple[type[STAEError], str], ...] = (
    (VideoError, "cannot use this clip: "),
    (PayloadError, "bad payload: "),
)


def status_of(exc: STAEError) -> int:
    if isinstance(exc, NotReadyError):
        return 503
    if isinstance(exc, EdgeError):
        return 502
    if isinstance(exc, VideoError):
        return 422
    return 400


def install_error_handler(app: FastAPI, on_error: Callable[[STAEError, int], None] | None = None) -> None:
    """Answer every STAEError a route lets through: NotReadyError 503 with Retry-After, EdgeError 502 (the
    decoder failed), VideoError 422 (the clip cannot be used), any other 400 (a bad wire payload among them);
    ``on_error`` sees each first."""

    @app.exception_handler(STAEError)
    async def handle(request: Request, exc: STAEError) -> JSONResponse:
        status = status_of(exc)
        if on_error is not None:
            on_error(exc, status)
        prefix = next((p for kind, p in PREFIXES if isinstance(exc, kind)), "")
        detail = f"{prefix}{exc}"
        headers = {"Retry-After": str(math.ceil(exc.retry_after_s))} if isinstance(exc, NotReadyError) else None
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
