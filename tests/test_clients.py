"""The generated Python SDK: current with the services' OpenAPI documents, and working against live services."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import av
import httpx
import numpy as np
import pytest

# Installed by `make setup`: a missing SDK fails these tests (CI promises it), it does not skip them.
import stae_decoder_client as decoder_client
import stae_encoder_client as encoder_client
from conftest import ROOT
from helpers import API_KEY, TOKEN, Service
from stae_decoder_client import models as decoder_models
from stae_decoder_client.api.default import model_metadata
from stae_encoder_client.api.default import controller_state, recognize
from stae_encoder_client.models import RecognizeFilesBody, RecognizeResponse
from stae_encoder_client.types import File


def test_committed_sdk_is_current() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "clients" / "generate.py"), "--check"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_upload_schema_is_binary() -> None:
    """The trap in openapi-python-client 0.29.1: an upload typed as text fails with 422."""
    import json

    spec = json.loads((ROOT / "clients" / "openapi" / "encoder.json").read_text())
    body = spec["paths"]["/recognize"]["post"]["requestBody"]["content"]
    assert body["multipart/form-data"]["schema"]["properties"]["file"]["format"] == "binary"
    assert body["application/octet-stream"]["schema"]["format"] == "binary"


@pytest.mark.slow
def test_sdk_recognizes_a_real_clip(encoder: Service, clips: list[Path]) -> None:
    client = encoder_client.Client(base_url=encoder.url, timeout=httpx.Timeout(120))
    with clips[0].open("rb") as f:
        body = RecognizeFilesBody(file=File(payload=f, file_name=clips[0].name, mime_type="video/mp4"))
        resp = recognize.sync_detailed(client=client, body=body, camera_id="sdk-cam", x_api_key=API_KEY)
    assert resp.status_code == 200, resp.content
    answer = resp.parsed
    assert isinstance(answer, RecognizeResponse)
    assert len(answer.top) == 5 and answer.budget.alpha == len(answer.budget.frame_indices)
    assert answer.payload.bytes_ > 0 and answer.decision.mode == "offload"
    state = controller_state.sync(client=client, x_api_key=API_KEY)
    assert state is not None and state.store == "redis"


@pytest.mark.slow
def test_sdk_sends_raw_frames(encoder: Service, clips: list[Path]) -> None:
    with av.open(str(clips[1])) as c:
        frames = np.stack(
            [
                f.to_ndarray(format="rgb24", width=96, height=72)
                for _, f in zip(range(20), c.decode(video=0), strict=False)
            ]
        )
    client = encoder_client.Client(base_url=encoder.url, timeout=httpx.Timeout(120))
    body = File(payload=io.BytesIO(frames.tobytes()), mime_type="application/octet-stream")
    resp = recognize.sync_detailed(
        client=client, body=body, x_frame_shape=",".join(map(str, frames.shape)), x_api_key=API_KEY
    )
    assert resp.status_code == 200, resp.content
    again = File(payload=io.BytesIO(frames.tobytes()), mime_type="application/octet-stream")
    unauthorized = recognize.sync_detailed(client=client, body=again, x_frame_shape="20,72,96,3", x_api_key="wrong")
    assert unauthorized.status_code == 401


@pytest.mark.slow
def test_decoder_sdk_reads_metadata(decoder: Service) -> None:
    client = decoder_client.AuthenticatedClient(base_url=decoder.url, token=TOKEN, timeout=httpx.Timeout(30))
    meta = model_metadata.sync(client=client)
    assert isinstance(meta, decoder_models.ModelMetadata) and meta.inputs[0].name == "PAYLOAD"
    params = meta.parameters.to_dict()
    assert params["input_geometry"]["height"] == 64 and params["input_geometry"]["frames"] == 16
    assert len(params["labels"]) == 10 and params["trained"] is False and params["wire_versions"] == [1, 2, 3]
