"""The fast tier: both services' HTTP mappings in process (ASGI transport, no sockets, no subprocesses).

The encoder runs its real RecognitionService (the shipped model on ONNX Runtime, the controller on in-process
state, the shipped profile); the one seam is the decoder, answered by an httpx MockTransport so that each of its
failures can be produced on demand. The end-to-end tier (test_services.py) runs the same routes as processes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import API_KEY, TOKEN

from decoder_service.app import create_app as create_decoder
from decoder_service.settings import DecoderSettings
from encoder_service.app import create_app as create_encoder
from encoder_service.app import get_service
from encoder_service.settings import EncoderSettings, build_service
from stae.camera.recognition import RecognitionService
from stae.checkpoint import read_checkpoint
from stae.control.profile import Profile
from stae.processes import SHIPPED_CHECKPOINT

pytestmark = pytest.mark.anyio  # async tests through anyio's pytest plugin (anyio comes with httpx)
MODEL = SHIPPED_CHECKPOINT
KEY = {"X-API-Key": API_KEY}
Decoder = Callable[[httpx.Request], httpx.Response]


def decoder_ok(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/v2/health/ready":
        return httpx.Response(200, json={"ready": True})
    timings = {"queue": 1.0, "entropy_decode": 0.5, "fr": 0.0, "vit": 4.0, "server_total": 6.0}
    top = [{"label": f"class{i}", "score": 0.1, "class_id": i} for i in range(5)]
    return httpx.Response(
        200,
        json={
            "request_id": request.headers["X-Request-Id"],
            "top": top,
            "frame_indices": list(range(16)),
            "beta": 1.0,
            "batch_size": 1,
            "timings_ms": timings,
            "model": "tiny",
            "trained": True,
        },
    )


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def service() -> RecognitionService:
    cfg = EncoderSettings(api_keys=API_KEY, decoder_token=TOKEN, checkpoint=str(MODEL), redis_url="", runtime="onnx")  # type: ignore[call-arg]
    svc = build_service(cfg)
    svc.controller.profile = Profile.model_validate_json((MODEL / "profile.json").read_text())
    return svc


@pytest.fixture()
async def encoder(service: RecognitionService) -> AsyncIterator[tuple[httpx.AsyncClient, list[Decoder]]]:
    """An in-process encoder whose decoder answers with ``answer[0]`` (swap it to produce a failure)."""
    answer: list[Decoder] = [decoder_ok]
    service.edge.clients[0].http = httpx.AsyncClient(
        base_url="http://decoder", transport=httpx.MockTransport(lambda r: answer[0](r)), timeout=5
    )
    app = create_encoder(
        EncoderSettings(api_keys=API_KEY, decoder_token=TOKEN, max_upload_bytes=2**20)  # type: ignore[call-arg]
    )
    app.dependency_overrides[get_service] = lambda: service
    app.state.service = service  # readiness reads it directly
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://encoder", timeout=30) as client:
        yield client, answer


def clip_bytes(clips: list[Path]) -> bytes:
    return clips[1].read_bytes()


BAD_REQUESTS: list[tuple[dict[str, Any], int, str]] = [
    ({"files": {"file": ("x.mp4", b"not a video at all" * 100)}}, 422, "cannot use this clip"),
    ({"files": {"other": ("x.mp4", b"abc")}}, 400, "field named 'file'"),
    ({"content": b"hello", "headers": {"Content-Type": "text/plain"}}, 415, "multipart/form-data"),
    ({"content": b"\0" * 300, "headers": {"Content-Type": "application/octet-stream"}}, 400, "X-Frame-Shape"),
    (
        {"content": b"\0" * 300, "headers": {"Content-Type": "application/octet-stream", "X-Frame-Shape": "2,5,5,3"}},
        400,
        "match the body",
    ),
    (  # 16 x 2**60+1 x 1 x 3 wraps to 48 in 64-bit arithmetic: once a 500 with a traceback
        {
            "content": b"\0" * 48,
            "headers": {"Content-Type": "application/octet-stream", "X-Frame-Shape": "16,1152921504606846977,1,3"},
        },
        422,  # the schema's pattern refuses it (and the product is computed without wrapping anyway)
        "x-frame-shape",
    ),
    ({"files": {"file": ("x.mp4", b"\0" * (2 * 2**20))}}, 413, "exceeds the limit"),
    ({"files": {"file": ("x.mp4", b"abc")}, "params": {"alpha": 2}}, 400, "both alpha and beta"),
    ({"files": {"file": ("x.mp4", b"abc")}, "params": {"camera_id": "bad id!"}}, 422, "camera_id"),
    ({"files": {"file": ("x.mp4", b"abc")}, "params": {"beta": 1.5, "alpha": 2}}, 422, "beta"),
    # refused before the (undecodable) upload is read: once a 422 from decoding it first
    ({"files": {"file": ("x.mp4", b"abc")}, "params": {"alpha": 3, "beta": 0.33}}, 400, "not in the profile"),
]
IDS = [
    "garbage",
    "no-file",
    "content-type",
    "no-shape",
    "shape",
    "shape-overflow",
    "too-large",
    "alpha-only",
    "camera",
    "beta",
    "budget-first",
]


@pytest.mark.parametrize(("kwargs", "status", "message"), BAD_REQUESTS, ids=IDS)
async def test_bad_requests_get_clear_4xx(
    encoder: tuple[httpx.AsyncClient, list[Decoder]], kwargs: dict[str, Any], status: int, message: str
) -> None:
    client, _ = encoder
    resp = await client.post("/recognize", headers={**KEY, **kwargs.pop("headers", {})}, **kwargs)
    assert resp.status_code == status, resp.text
    assert message in resp.text


async def test_a_clip_is_recognized_and_the_answer_matches_its_schema(
    encoder: tuple[httpx.AsyncClient, list[Decoder]], clips: list[Path]
) -> None:
    client, _ = encoder
    resp = await client.post("/recognize", headers=KEY, files={"file": ("c.mp4", clip_bytes(clips))})
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert [t["label"] for t in doc["top"]] == [f"class{i}" for i in range(5)] and doc["trained"] is True
    assert doc["timings_ms"]["vit"] == 4.0 and doc["timings_ms"]["transfer"] >= 0
    assert doc["budget"]["alpha"] == len(doc["budget"]["frame_indices"])
    assert (await client.post("/recognize", files={"file": ("c.mp4", b"x")})).status_code == 401


@pytest.mark.parametrize(
    ("failure", "status", "message", "retry"),
    [
        (lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused")), 503, "decoder unavailable", "2"),
        (lambda r: httpx.Response(503, text="queue full", headers={"Retry-After": "3"}), 503, "decoder busy", "3"),
        (lambda r: httpx.Response(504, text="slow"), 503, "decoder busy", "1"),
        (lambda r: httpx.Response(500, text="boom"), 502, "decoder answered 500", None),
        (lambda r: httpx.Response(200, json={"top": []}), 502, "does not match its schema", None),
    ],
    ids=["unreachable", "busy", "timeout", "error", "bad-answer"],
)
async def test_decoder_failures_map_to_503_or_502(
    encoder: tuple[httpx.AsyncClient, list[Decoder]],
    clips: list[Path],
    failure: Decoder,
    status: int,
    message: str,
    retry: str | None,
) -> None:
    client, answer = encoder
    answer[0] = failure
    resp = await client.post("/recognize", headers=KEY, files={"file": ("c.mp4", clip_bytes(clips))})
    assert resp.status_code == status and message in resp.json()["detail"], resp.text
    assert resp.headers.get("Retry-After") == retry


async def test_no_profile_is_503_before_the_upload_is_read(
    encoder: tuple[httpx.AsyncClient, list[Decoder]], service: RecognitionService
) -> None:
    client, _ = encoder
    profile, service.controller.profile = service.controller.profile, None
    try:
        resp = await client.post("/recognize", headers=KEY, files={"file": ("x.mp4", b"not even a video")})
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "2" and "no profile" in resp.text
        assert (await client.get("/v1/controller/profile", headers=KEY)).status_code == 503
        ready = await client.get("/v2/health/ready")
        assert ready.status_code == 503 and ready.json()["profile"] is False
    finally:
        service.controller.profile = profile


async def test_readiness_and_the_controller_routes(encoder: tuple[httpx.AsyncClient, list[Decoder]]) -> None:
    client, _ = encoder
    ready = await client.get("/v2/health/ready")
    assert ready.json() == {"ready": True, "profile": True, "decoder": True, "redis": False}
    state = await client.get("/v1/controller", headers=KEY)
    assert state.status_code == 200 and state.json()["store"] == "memory"
    assert (await client.get("/v1/controller")).status_code == 401
    profile = (await client.get("/v1/controller/profile", headers=KEY)).json()
    assert profile["model"] == read_checkpoint(MODEL).config.name
    assert (await client.get("/v2/health/live")).json() == {"live": True}


async def test_decoder_routes_refuse_before_loading() -> None:
    """The decoder's 401 and its 503 while loading, in process (its lifespan is not run: nothing loaded)."""
    app = create_decoder(DecoderSettings(token=TOKEN))  # type: ignore[call-arg]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://decoder") as client:
        assert (await client.post("/v1/infer", content=b"x")).status_code == 401
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert (await client.get("/v1/profile", headers=auth)).status_code == 503
        assert (await client.get("/v2/health/ready")).status_code == 503
        assert (await client.get("/v2/health/live")).status_code == 200


async def test_overload_sheds_requests_that_would_be_late(
    encoder: tuple[httpx.AsyncClient, list[Decoder]], service: RecognitionService, clips: list[Path]
) -> None:
    """Every clip decoder busy: a request whose deadline leaves no time to wait is told 503 + Retry-After at
    once (issue 12: under load every answer used to come late); one with time to spare waits for a slot."""
    client, _ = encoder
    slots, service._intakes = service._intakes, asyncio.Semaphore(1)
    try:
        await service._intakes.acquire()  # the only decoder is busy
        start = time.perf_counter()
        resp = await client.post(
            "/recognize", headers=KEY, params={"deadline_ms": 1}, files={"file": ("c.mp4", clip_bytes(clips))}
        )
        assert resp.status_code == 503 and resp.headers["Retry-After"].isdigit(), resp.text
        assert "overloaded" in resp.json()["detail"] and time.perf_counter() - start < 1.0
        asyncio.get_running_loop().call_later(0.3, service._intakes.release)  # frees up in time for this one
        resp = await client.post(
            "/recognize", headers=KEY, params={"deadline_ms": 60_000}, files={"file": ("c.mp4", clip_bytes(clips))}
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["timings_ms"]["decode_video"] >= 300  # the wait is part of the intake's time
    finally:
        service._intakes = slots
