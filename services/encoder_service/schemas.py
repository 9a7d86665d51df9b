"""The encoder service's HTTP contract: request documentation, response schemas (the OpenAPI document and the
generated SDK are made from these) and their construction from the library's results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from stae.control.estimator import estimate_bps, estimate_latency_ms

if TYPE_CHECKING:
    from stae.camera.recognition import Recognition, RecognitionService
    from stae.control.controller import Controller

CAMERA_DOC = "camera whose uplink is measured (1-64 of A-Z a-z 0-9 _ . : -)"
ALPHA_DOC = "fixed frame budget; give beta too, or neither"
BETA_DOC = "fixed spatial budget; give alpha too, or neither"
SHAPE_DOC = "F,H,W,3 of raw frames: required when the body is application/octet-stream"
RECOGNIZE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "a video file as multipart field `file`, or raw uint8 RGB frames (F, H, W, 3) as "
        "application/octet-stream with their shape in the X-Frame-Shape header (e.g. `32,240,320,3`)",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
RECOGNIZE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "malformed request: alpha without beta (or the reverse), a budget outside the "
        "profile, a bad X-Frame-Shape"
    },
    401: {"description": "missing or wrong API key"},
    403: {"description": "the API key is bound to other cameras than camera_id"},
    408: {"description": "the body did not arrive within the body timeout"},
    413: {"description": "upload too large"},
    415: {"description": "the body is neither multipart/form-data nor application/octet-stream"},
    422: {"description": "the clip cannot be decoded, or a query parameter is out of range"},
    503: {"description": "decoder unavailable or controller not ready; see Retry-After"},
}


class Label(BaseModel):
    label: str
    score: float


class Budget(BaseModel):
    alpha: int
    beta: float
    entropy: str
    frame_indices: list[int]
    fixed: bool
    encoding: Literal["lossless", "h264", "latent"] = "lossless"  # wire v1, v2 or v3
    max_bytes: int | None = None  # h264: the byte budget the controller set
    scale: int = 1  # h264: frames coded at 1/scale of the side
    crf: int | None = None  # h264: the CRF that met the budget
    level: int | None = None  # latent: the rate level the controller chose


class DecisionInfo(BaseModel):
    mode: Literal["offload", "local"]
    reason: str
    bandwidth_bps: float
    bandwidth_source: Literal["measured", "prior"]
    latency_ms: float = Field(0.0, description="the camera's measured fixed cost per transfer, planned on top")
    deadline_ms: float
    predicted_ms: float
    predicted_accuracy: float
    accuracy_source: str


class PayloadInfo(BaseModel):
    bytes: int
    eq1_bytes: int
    ratio_vs_float32: float
    ratio_vs_uint8: float


class RecognizeResponse(BaseModel):
    request_id: str
    camera_id: str
    top: list[Label]
    budget: Budget
    decision: DecisionInfo
    payload: PayloadInfo
    timings_ms: dict[str, float]
    total_ms: float
    deadline_met: bool
    model: str
    trained: bool


class CameraState(BaseModel):
    camera_id: str
    bandwidth_bps: float | None
    last_sample_bps: float | None
    latency_ms: float = Field(0.0, description="median of the last latency samples (transfers of small payloads)")
    samples: int
    updated_at: float | None


class ControllerState(BaseModel):
    store: str
    redis_up: bool
    redis_error: str | None
    profile_model: str | None
    accuracy_source: str | None
    prior_bandwidth_bps: float
    local_computing: bool
    cameras: list[CameraState]


def recognize_response(
    rid: str, camera_id: str, rec: Recognition, svc: RecognitionService, fixed: bool
) -> RecognizeResponse:
    d, result, profile = rec.choice.decision, rec.result, svc.controller.profile
    return RecognizeResponse(
        request_id=rid,
        camera_id=camera_id,
        top=[Label(label=lab, score=s) for lab, s in rec.labels],
        budget=Budget(
            alpha=d.alpha,
            beta=d.beta,
            entropy=d.entropy,
            frame_indices=result.frame_indices,
            fixed=fixed,
            encoding=d.encoding,
            max_bytes=d.max_bytes,
            scale=d.scale,
            crf=result.crf,
            level=d.level,
        ),
        decision=DecisionInfo(
            mode=d.mode,
            reason=d.reason,
            bandwidth_bps=rec.choice.bandwidth_bps,
            bandwidth_source=rec.choice.bandwidth_source,
            latency_ms=round(rec.choice.latency_ms, 3),
            deadline_ms=rec.deadline_ms,
            predicted_ms=round(d.predicted_ms + rec.timings_ms["decode_video"], 3),
            predicted_accuracy=d.accuracy,
            accuracy_source=profile.accuracy_source if profile else "",
        ),
        payload=PayloadInfo(
            bytes=result.payload_bytes,
            eq1_bytes=result.eq1_bytes,
            ratio_vs_float32=round(result.ratio_float32, 2),
            ratio_vs_uint8=round(result.ratio_uint8, 2),
        ),
        timings_ms={k: round(v, 3) for k, v in rec.timings_ms.items()},
        total_ms=round(rec.total_ms, 3),
        deadline_met=rec.deadline_met,
        model=svc.encoder.config.name,
        trained=rec.trained,
    )


async def controller_state(controller: Controller) -> ControllerState:
    store = controller.store
    cameras = [
        CameraState(
            camera_id=cam,
            bandwidth_bps=estimate_bps(st, store.estimator),
            last_sample_bps=st.last_bps if st else None,
            latency_ms=estimate_latency_ms(st, store.estimator),
            samples=st.samples if st else 0,
            updated_at=st.updated_at if st else None,
        )
        for cam, st in (await store.get_many(await store.cameras())).items()
    ]
    status, profile = store.status(), controller.profile
    return ControllerState(
        store=status.backend,
        redis_up=status.redis_up,
        redis_error=status.last_error,
        profile_model=profile.model if profile else None,
        accuracy_source=profile.accuracy_source if profile else None,
        prior_bandwidth_bps=controller.prior_bps,
        local_computing=controller.local is not None,
        cameras=cameras,
    )
