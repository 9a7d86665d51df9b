"""The encoder service's response schemas (the OpenAPI document and the generated SDK are made from these)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Label(BaseModel):
    label: str
    score: float


class Budget(BaseModel):
    alpha: int
    beta: float
    entropy: str
    frame_indices: list[int]
    fixed: bool
    encoding: Literal["lossless", "h264"] = "lossless"  # wire v1 or v2
    max_bytes: int | None = None  # h264: the byte budget the controller set
    scale: int = 1  # h264: frames coded at 1/scale of the side
    crf: int | None = None  # h264: the CRF that met the budget


class DecisionInfo(BaseModel):
    mode: Literal["offload", "local"]
    reason: str
    bandwidth_bps: float
    bandwidth_source: Literal["measured", "prior"]
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
