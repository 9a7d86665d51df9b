"""One error tree for the library: every error it raises on purpose is an :class:`STAEError`.

    STAEError (a ValueError: bad input, the caller can fix it)
    ├── PayloadError     a wire message that is not valid (stae.wire)
    ├── CodecError       an H.264 stream that does not hold what its message declares (stae.codec)
    ├── VideoError       a clip that cannot become model input (stae.video)
    ├── CheckpointError  a checkpoint that cannot be read (stae.models.checkpoint)
    ├── VideoMAEError    a VideoMAE checkpoint that cannot be imported (stae.models.videomae)
    └── NotReadyError    the system is not ready yet (the controller has no profile): retry later

Services map the tree to HTTP in one place each: NotReadyError to 503 with Retry-After, the rest to 4xx.
"""

from __future__ import annotations


class STAEError(ValueError):
    """Root of the library's errors; the message says what is wrong and what to do."""


class NotReadyError(STAEError):
    """Not ready yet (e.g. no controller profile until the decoder answers): retry later."""
