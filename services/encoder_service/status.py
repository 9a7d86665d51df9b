"""The encoder's live status page (``GET /status``) and the data behind it (``GET /v1/status``).

This replica's recent answers (a bounded window: ``ACTIVITY_WINDOW_S``, at most ``MAX_RECORDS``) give each
camera's last budget and payload, deadline hits per 10-second bucket and the decoder's last reported load; the
controller's shared state (Redis) gives every camera's bandwidth and latency estimates. The page is three static
files of this package (no asset from outside the image; its Content-Security-Policy lets it reach only this
origin) that poll ``/v1/status`` every two seconds with the API key or the metrics token the operator gives it.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from importlib import resources
from typing import Any

from pydantic import BaseModel

from stae.camera.recognition import Recognition

ACTIVITY_WINDOW_S = 600.0
BUCKET_S = 10.0
MAX_RECORDS = 5000  # answers kept for the window (bounded memory whatever the request rate)
MAX_CAMERAS = 1000  # cameras whose last answer is kept (least recently seen dropped first)
PAGE_FILES = {"status.html": "text/html", "status.js": "text/javascript", "status.css": "text/css"}
# The page may load and fetch only from this origin: nothing it does leaves the host it came from.
PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:"


class LastAnswer(BaseModel):
    at: float
    encoding: str
    mode: str
    alpha: int
    beta: float
    level: int | None
    payload_bytes: int
    deadline_ms: float
    total_ms: float
    deadline_met: bool
    predicted_accuracy: float


class CameraStatus(BaseModel):
    camera_id: str
    bandwidth_bps: float | None
    latency_ms: float
    samples: int
    updated_at: float | None
    last: LastAnswer | None


class DeadlineBucket(BaseModel):
    start: float
    hits: int
    misses: int


class DecoderStatus(BaseModel):
    ready: bool
    load: dict[str, Any] | None
    load_at: float | None


class Status(BaseModel):
    generated_at: float
    window_s: float
    bucket_s: float
    redis_up: bool
    profile_model: str | None
    cameras: list[CameraStatus]
    deadlines: list[DeadlineBucket]
    payload_bytes: list[tuple[float, int]]  # (time, bytes) of this window's offloads, oldest first
    decoder: DecoderStatus


@dataclass
class _Record:
    at: float
    camera_id: str
    met: bool
    payload_bytes: int
    offload: bool


class Activity:
    """This replica's recent answers, bounded in time and count."""

    def __init__(self) -> None:
        self.records: deque[_Record] = deque(maxlen=MAX_RECORDS)
        self.last: OrderedDict[str, LastAnswer] = OrderedDict()
        self.load: tuple[float, dict[str, Any]] | None = None

    def add(self, camera_id: str, rec: Recognition) -> None:
        d, now = rec.choice.decision, time.time()
        answer = LastAnswer(
            at=now,
            encoding=d.sent_as,
            mode=d.mode,
            alpha=d.alpha,
            beta=d.beta,
            level=d.level,
            payload_bytes=rec.result.payload_bytes,
            deadline_ms=rec.deadline_ms,
            total_ms=rec.total_ms,
            deadline_met=rec.deadline_met,
            predicted_accuracy=d.accuracy,
        )
        self.last[camera_id] = answer
        self.last.move_to_end(camera_id)
        while len(self.last) > MAX_CAMERAS:
            self.last.popitem(last=False)
        self.records.append(_Record(now, camera_id, rec.deadline_met, answer.payload_bytes, d.mode == "offload"))
        if rec.load is not None:
            self.load = (now, rec.load.model_dump())

    def window(self, now: float) -> tuple[list[DeadlineBucket], list[tuple[float, int]]]:
        while self.records and self.records[0].at < now - ACTIVITY_WINDOW_S:
            self.records.popleft()
        first = (now - ACTIVITY_WINDOW_S) // BUCKET_S * BUCKET_S
        buckets = [
            DeadlineBucket(start=first + i * BUCKET_S, hits=0, misses=0)
            for i in range(int(ACTIVITY_WINDOW_S // BUCKET_S) + 1)
        ]
        for r in self.records:
            b = buckets[min(int((r.at - first) // BUCKET_S), len(buckets) - 1)]
            if r.met:
                b.hits += 1
            else:
                b.misses += 1
        return buckets, [(r.at, r.payload_bytes) for r in self.records if r.offload]


def page_file(name: str) -> bytes:
    return (resources.files("encoder_service") / "static" / name).read_bytes()
