"""One error tree for the library: every error it raises on purpose is an :class:`STAEError`.

    STAEError (a ValueError: bad input, the caller can fix it)
    ├── PayloadError     a wire message that is not valid (stae.wire)
    ├── CodecError       an H.264 stream that does not hold what its message declares (stae.codec)
    ├── VideoError       a clip that cannot become model input (stae.video)
    ├── CheckpointError  a checkpoint that cannot be read (stae.checkpoint)
    ├── VideoMAEError    a VideoMAE checkpoint that cannot be imported (stae.models.videomae)
    ├── BudgetError      a budget the request fixed that the controller cannot serve
    ├── EdgeError        the edge server (decoder) answered with an error
    └── NotReadyError    the system is not ready yet (no controller profile; the edge server down or busy):
        │                retry after ``retry_after_s``
        └── RefusedError  the edge server refused a payload it had received (busy, or its deadline cannot be
                          met): the exchange still timed the link

Services map the tree to HTTP in one place (service_common.errors): NotReadyError to 503 with Retry-After,
EdgeError to 502, VideoError to 422, the rest to 400.
"""

from __future__ import annotations


class STAEError(ValueError):
    """Root of the library's errors; the message says what is wrong and what to do."""


class BudgetError(STAEError):
    """A fixed budget that is malformed or not in the controller's profile."""


class EdgeError(STAEError):
    """The edge server answered with an error (not a busy or unreachable one: those are NotReadyError)."""


class NotReadyError(STAEError):
    """Not ready yet (e.g. no controller profile until the decoder answers): retry later."""

    def __init__(self, message: str, retry_after_s: float = 2.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RefusedError(NotReadyError):
    """The edge server received the payload and refused it (queue full, or its deadline cannot be met)."""

    def __init__(self, message: str, retry_after_s: float, exchange_ms: float) -> None:
        super().__init__(message, retry_after_s)
        self.exchange_ms = exchange_ms  # the payload's trip there and the refusal's back: a transfer sample
