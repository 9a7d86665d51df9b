"""The KServe v2 (Open Inference Protocol) HTTP routes of the decoder, over the same inference path as
``POST /v1/infer``, so Triton's and KServe's clients and tools drive it as they drive any inference server.

    GET  /v2                                  server metadata (name, version, extensions)
    GET  /v2/models/stae[/versions/1]         model metadata: one BYTES input, the top-k outputs
    GET  /v2/models/stae[/versions/1]/ready   200 when loaded and warmed up
    GET  /v2/models/stae[/versions/1]/config  model configuration (Triton's shape: batching, inputs, outputs)
    POST /v2/models/stae[/versions/1]/infer   one payload in, top-k labels, scores and class ids out

The payload travels as the one element of the ``BYTES`` input ``PAYLOAD`` (shape ``[1]``) through the binary
tensor data extension: the request body is a JSON header of ``Inference-Header-Content-Length`` bytes, then the
tensor's bytes (a BYTES element is a 4-byte little-endian length and its bytes). Outputs come back as JSON, or as
binary data after the JSON header for each output the request asks ``binary_data`` of (Triton's clients ask it by
default). Request parameters: ``top_k`` (default 5) and the schedule policy extension's ``timeout`` in
microseconds, which is the request's deadline (as ``X-Deadline-Ms``, which also works). Errors are the
protocol's ``{"error": "..."}`` with the status the v1 route would give.
"""

from __future__ import annotations

import json
import struct
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from decoder_service.serving import Serving
from decoder_service.settings import DecoderSettings
from service_common.common import octet_stream_body, read_body, request_id
from service_common.errors import PREFIXES, status_of
from stae import wire
from stae.errors import NotReadyError, STAEError

MODEL = "stae"
VERSION = "1"
INPUT = "PAYLOAD"
OUTPUTS = {"LABELS": "BYTES", "SCORES": "FP32", "CLASS_IDS": "INT64"}
CONFIG_TYPES = {"BYTES": "TYPE_STRING", "FP32": "TYPE_FP32", "INT64": "TYPE_INT64"}
HEADER = "Inference-Header-Content-Length"
MAX_HEADER_BYTES = 64 * 1024  # the JSON part of a request


class TensorMetadata(BaseModel):
    name: str
    datatype: str
    shape: list[int]


class ModelMetadata(BaseModel):
    """The protocol's model metadata; ``parameters`` adds what a STAE client needs (labels, geometry, budgets)."""

    name: str
    versions: list[str]
    platform: str
    inputs: list[TensorMetadata]
    outputs: list[TensorMetadata]
    parameters: dict[str, Any]


class ServerMetadata(BaseModel):
    name: str
    version: str
    extensions: list[str]


INFER_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "not a v2 request this model takes, or not a valid payload: {'error': ...}"},
    401: {"description": "missing or wrong decoder token"},
    408: {"description": "the body did not arrive within the body timeout"},
    413: {"description": "body too large"},
    503: {"description": "queue full, not ready, or the request cannot be answered within its deadline"},
    504: {"description": "inference did not finish within the request timeout"},
}


class ProtocolError(STAEError):
    """A v2 request that does not follow the protocol (400, saying what is wrong)."""


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _protocol_error(exc: Exception) -> JSONResponse:
    """The protocol's error object for what the v1 route would have answered."""
    if isinstance(exc, StarletteHTTPException):
        return _error(exc.status_code, str(exc.detail), dict(exc.headers or {}))
    assert isinstance(exc, STAEError)
    prefix = next((p for kind, p in PREFIXES if isinstance(exc, kind)), "")
    headers = {"Retry-After": str(max(1, round(exc.retry_after_s)))} if isinstance(exc, NotReadyError) else None
    return _error(status_of(exc), f"{prefix}{exc}", headers)


def parse_request(body: bytes, header_length: str | None) -> tuple[bytes, dict[str, Any]]:
    """(the wire payload, the request's JSON) of a v2 infer body; ProtocolError saying what is wrong."""
    if header_length is None:
        try:
            doc = json.loads(body)
        except ValueError:
            raise ProtocolError(f"the body is not JSON and has no {HEADER} header (binary tensor data)") from None
        raise ProtocolError(
            f"input {INPUT!r} must come as binary tensor data ({HEADER}; JSON 'data' cannot carry raw bytes)"
            if isinstance(doc, dict)
            else "the request must be a JSON object"
        )
    if not header_length.isdigit() or not 0 < int(header_length) <= min(len(body), MAX_HEADER_BYTES):
        raise ProtocolError(
            f"{HEADER} must be the JSON header's length in bytes (1..{MAX_HEADER_BYTES}, within the body)"
        )
    n = int(header_length)
    try:
        doc = json.loads(body[:n])
    except ValueError:
        raise ProtocolError(f"the first {n} bytes ({HEADER}) are not a JSON object") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("inputs"), list):
        raise ProtocolError("the request JSON needs an 'inputs' list")
    inputs = doc["inputs"]
    if len(inputs) != 1 or not isinstance(inputs[0], dict) or inputs[0].get("name") != INPUT:
        names = [i.get("name") for i in inputs if isinstance(i, dict)]
        raise ProtocolError(f"exactly one input, named {INPUT!r}, is expected; got {names}")
    tensor = inputs[0]
    if tensor.get("datatype") != "BYTES":
        raise ProtocolError(f"input {INPUT!r} must be BYTES, not {tensor.get('datatype')!r}")
    if tensor.get("shape") not in ([1], [1, 1]):
        raise ProtocolError(f"input {INPUT!r} must have shape [1] (one payload), not {tensor.get('shape')}")
    size = (tensor.get("parameters") or {}).get("binary_data_size")
    if "data" in tensor or not isinstance(size, int):
        raise ProtocolError(f"input {INPUT!r} must come as binary data (parameters.binary_data_size)")
    data = body[n:]
    if size != len(data):
        raise ProtocolError(f"binary_data_size says {size} bytes; the body has {len(data)} after the JSON header")
    if size < 4:
        raise ProtocolError("the BYTES element needs its 4-byte length prefix")
    (length,) = struct.unpack_from("<I", data)
    if length != size - 4:
        raise ProtocolError(f"the BYTES element's length prefix says {length} bytes; {size - 4} follow it")
    return data[4:], doc


def _timeout_ms(doc: dict[str, Any]) -> float | None:
    """The schedule policy extension's ``timeout`` (µs) as a deadline in ms, if the request has one."""
    value = (doc.get("parameters") or {}).get("timeout")
    if value is None:
        return None
    if not isinstance(value, int | float) or not 0 < value <= 600e6:
        raise ProtocolError("parameters.timeout must be microseconds in (0, 600e6]")
    return float(value) / 1e3


def _header_ms(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        ms = float(value)
    except ValueError:
        raise ProtocolError(f"X-Deadline-Ms must be milliseconds, not {value[:40]!r}") from None
    if not 0 < ms <= 600_000:
        raise ProtocolError("X-Deadline-Ms must be in (0, 600000]")
    return ms


def _top_k(doc: dict[str, Any]) -> int:
    value = (doc.get("parameters") or {}).get("top_k", 5)
    if not isinstance(value, int) or not 1 <= value <= 100:
        raise ProtocolError("parameters.top_k must be an integer in 1..100")
    return value


def _encode(datatype: str, values: list[Any]) -> bytes:
    if datatype == "BYTES":
        return b"".join(struct.pack("<I", len(v)) + v for v in (s.encode() for s in values))
    return np.asarray(values, dtype="<f4" if datatype == "FP32" else "<i8").tobytes()


def build_response(doc: dict[str, Any], rid: str, outputs: dict[str, list[Any]]) -> Response:
    """The v2 answer: JSON outputs, or binary data after the JSON header for those asked ``binary_data``."""
    asked = doc.get("outputs")
    wanted: list[dict[str, Any]] = (
        [o for o in asked if isinstance(o, dict)] if isinstance(asked, list) else [{"name": n} for n in OUTPUTS]
    )
    unknown = [o.get("name") for o in wanted if o.get("name") not in OUTPUTS]
    if unknown:
        raise ProtocolError(f"unknown outputs {unknown}; this model has {list(OUTPUTS)}")
    tensors, blobs = [], []
    for o in wanted:
        name = o["name"]
        dtype, values = OUTPUTS[name], outputs[name]
        tensor: dict[str, Any] = {"name": name, "datatype": dtype, "shape": [len(values)]}
        if (o.get("parameters") or {}).get("binary_data"):
            blob = _encode(dtype, values)
            tensor["parameters"] = {"binary_data_size": len(blob)}
            blobs.append(blob)
        else:
            tensor["data"] = values
        tensors.append(tensor)
    head = json.dumps({"model_name": MODEL, "model_version": VERSION, "id": doc.get("id", rid), "outputs": tensors})
    if not blobs:
        return Response(head, media_type="application/json")
    body = head.encode() + b"".join(blobs)
    return Response(body, media_type="application/octet-stream", headers={HEADER: str(len(head.encode()))})


def install_error_form(app: FastAPI) -> None:
    """HTTP errors raised before a v2 route runs (its token check) in the protocol's form too."""

    @app.exception_handler(StarletteHTTPException)
    async def handle(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/v2/models") or request.url.path == "/v2":
            return _error(exc.status_code, str(exc.detail), dict(exc.headers or {}))
        return await http_exception_handler(request, exc)


def router(
    cfg: DecoderSettings,
    auth: list[Any],
    state: dict[str, object],
    on_error: Callable[[STAEError, int], None] | None = None,
) -> APIRouter:
    """The v2 routes (metadata and inference need the decoder token, as the v1 routes do); ``on_error`` sees
    every library error they answer (the service's metrics)."""
    r = APIRouter()

    def _as_error(exc: Exception) -> JSONResponse:
        if on_error is not None and isinstance(exc, STAEError):
            on_error(exc, status_of(exc))
        return _protocol_error(exc)

    def serving(request: Request) -> Serving:
        if not state["ready"]:
            raise NotReadyError("not ready: still loading and warming up", retry_after_s=1.0)
        s: Serving = request.app.state.serving
        return s

    def model_metadata(s: Serving) -> ModelMetadata:
        c = s.decoder.config
        return ModelMetadata(
            name=MODEL,
            versions=[VERSION],
            platform="pytorch",
            inputs=[TensorMetadata(name=INPUT, datatype="BYTES", shape=[1])],
            outputs=[TensorMetadata(name=n, datatype=d, shape=[-1]) for n, d in OUTPUTS.items()],
            parameters={
                "model": c.name,
                "trained": s.trained,
                "wire_versions": list(wire.VERSIONS),
                "labels": [c.label(i) for i in range(c.vit.num_classes)],
                "input_geometry": {
                    "frames": c.num_frames,
                    "channels": c.vit.in_chans,
                    "height": c.img_size,
                    "width": c.img_size,
                },
                "alphas": list(c.alphas),
                "betas": list(c.betas),
                "device": str(s.decoder.device),
            },
        )

    @r.get("/v2", dependencies=auth, response_model=ServerMetadata)
    async def server_metadata() -> ServerMetadata:
        """Server name, version and the protocol extensions it supports."""
        extensions = ["binary_tensor_data", "schedule_policy"]
        return ServerMetadata(name="stae-decoder", version="0.1.0", extensions=extensions)

    for prefix in (f"/v2/models/{MODEL}", f"/v2/models/{MODEL}/versions/{VERSION}"):
        main = "versions" not in prefix  # the versioned paths are aliases, left out of the OpenAPI document

        @r.get(
            prefix,
            dependencies=auth,
            name="model_metadata",
            include_in_schema=main,
            response_model=ModelMetadata,
            responses={503: {"description": "not ready"}},
        )
        async def metadata(request: Request) -> ModelMetadata | JSONResponse:
            """The model's inputs and outputs in the protocol's shape, and what else a client needs to know."""
            try:
                return model_metadata(serving(request))
            except STAEError as exc:
                return _as_error(exc)

        @r.get(
            f"{prefix}/ready",
            dependencies=auth,
            name="model_ready",
            include_in_schema=main,
            responses={503: {"description": "not ready"}},
        )
        async def model_ready() -> Response:
            """200 once the model is loaded and warmed up, else 503."""
            ok = bool(state["ready"])
            return JSONResponse({"name": MODEL, "ready": ok}, status_code=200 if ok else 503)

        @r.get(
            f"{prefix}/config",
            dependencies=auth,
            name="model_config",
            include_in_schema=main,
            responses={503: {"description": "not ready"}},
        )
        async def model_config(request: Request) -> Response:
            """The model's configuration as Triton reports one."""
            try:
                s = serving(request)
            except STAEError as exc:
                return _as_error(exc)
            return JSONResponse(
                {
                    "name": MODEL,
                    "platform": "pytorch",
                    "max_batch_size": 0,  # one payload per request; the server batches requests itself
                    "input": [{"name": INPUT, "data_type": "TYPE_STRING", "dims": [1]}],
                    "output": [{"name": n, "data_type": CONFIG_TYPES[d], "dims": [-1]} for n, d in OUTPUTS.items()],
                    "dynamic_batching": {
                        "max_queue_delay_microseconds": int(cfg.max_delay_ms * 1e3),
                        "preferred_batch_size": [cfg.max_batch],
                        "default_queue_policy": {"timeout_action": "REJECT", "allow_timeout_override": True},
                    },
                    "parameters": {"device": {"string_value": str(s.decoder.device)}},
                }
            )

        @r.post(
            f"{prefix}/infer",
            dependencies=auth,
            name="model_infer",
            include_in_schema=main,
            responses=INFER_ERRORS,
            openapi_extra=octet_stream_body(
                f"KServe v2 binary tensor data: a JSON inference request of {HEADER} bytes, then the BYTES "
                f"input {INPUT!r} (a 4-byte little-endian length and the wire payload)"
            ),
        )
        async def infer(request: Request) -> Response:
            """Classify one wire payload sent as the BYTES input PAYLOAD (binary tensor data extension)."""
            arrived = time.perf_counter()
            try:
                s = serving(request)
                received = await read_body(request, cfg.max_payload_bytes + MAX_HEADER_BYTES, cfg.body_timeout_s)
                payload, doc = parse_request(received.data, request.headers.get(HEADER.lower()))
                deadline = _timeout_ms(doc) or _header_ms(request.headers.get("x-deadline-ms"))
                rid = request_id(request)
                answer = await s.infer(payload, _top_k(doc), deadline, arrived, rid, received.delivery_bps)
                outputs: dict[str, list[Any]] = {
                    "LABELS": [t.label for t in answer.top],
                    "SCORES": [t.score for t in answer.top],
                    "CLASS_IDS": [t.class_id for t in answer.top],
                }
                return build_response(doc, answer.request_id, outputs)
            except (STAEError, StarletteHTTPException) as exc:
                return _as_error(exc)

    return r
