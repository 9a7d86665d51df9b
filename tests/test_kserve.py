"""The decoder under Triton's own Python client (tritonclient.http): the KServe v2 protocol end to end against a
real uvicorn process, inference through the binary tensor data extension matching /v1/infer's answer, and bad
tensors refused with the protocol's error object."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
import tritonclient.http as triton
from helpers import TOKEN, Service, decoder_env, random_model_payloads
from tritonclient.utils import InferenceServerException

pytestmark = pytest.mark.slow
AUTH = {"Authorization": f"Bearer {TOKEN}"}  # tritonclient writes into a headers dict: pass copies


@pytest.fixture(scope="module")
def decoder() -> Iterator[Service]:
    with Service("decoder", decoder_env(STAE_DECODER_MAX_PAYLOAD_BYTES="200000")) as svc:
        yield svc


@pytest.fixture(scope="module")
def client(decoder: Service) -> Iterator[triton.InferenceServerClient]:
    c = triton.InferenceServerClient(url=decoder.url.removeprefix("http://"), network_timeout=30.0)
    yield c
    c.close()


@pytest.fixture(scope="module")
def payload() -> bytes:
    return random_model_payloads(1)[0]


def _inputs(payload: bytes) -> list[triton.InferInput]:
    tensor = triton.InferInput("PAYLOAD", [1], "BYTES")
    tensor.set_data_from_numpy(np.array([payload], dtype=np.object_), binary_data=True)
    return [tensor]


def test_metadata_readiness_and_config(client: triton.InferenceServerClient) -> None:
    assert client.is_server_live() and client.is_server_ready()
    server = client.get_server_metadata(headers=AUTH)
    assert server["name"] == "stae-decoder" and "binary_tensor_data" in server["extensions"]
    assert client.is_model_ready("stae", headers=AUTH) and client.is_model_ready("stae", "1", headers=AUTH)
    meta = client.get_model_metadata("stae", headers=AUTH)
    assert meta["name"] == "stae" and meta["versions"] == ["1"]
    assert meta["inputs"] == [{"name": "PAYLOAD", "datatype": "BYTES", "shape": [1]}]
    assert {o["name"]: o["datatype"] for o in meta["outputs"]} == {
        "LABELS": "BYTES",
        "SCORES": "FP32",
        "CLASS_IDS": "INT64",
    }
    assert meta["parameters"]["wire_versions"] == [1, 2, 3]
    assert meta["parameters"]["input_geometry"] == {"frames": 16, "channels": 3, "height": 64, "width": 64}
    config = client.get_model_config("stae", headers=AUTH)
    assert config["name"] == "stae" and config["input"][0]["data_type"] == "TYPE_STRING"
    assert not client.is_model_ready("other", headers=AUTH)
    with pytest.raises(InferenceServerException):
        client.get_server_metadata()  # no token


@pytest.mark.parametrize("binary", [True, False], ids=["binary-outputs", "json-outputs"])
def test_v2_inference_matches_v1(
    client: triton.InferenceServerClient, decoder: Service, payload: bytes, binary: bool
) -> None:
    outputs = [triton.InferRequestedOutput(n, binary_data=binary) for n in ("LABELS", "SCORES", "CLASS_IDS")]
    result = client.infer(
        "stae", _inputs(payload), outputs=outputs, headers=dict(AUTH), parameters={"top_k": 3}
    )  # it adds to the dict
    v1 = httpx.post(
        f"{decoder.url}/v1/infer",
        content=payload,
        params={"top_k": 3},
        headers={**AUTH, "Content-Type": "application/octet-stream"},
        timeout=30,
    ).json()
    labels = [b.decode() if isinstance(b, bytes) else b for b in result.as_numpy("LABELS").tolist()]
    assert labels == [t["label"] for t in v1["top"]]
    np.testing.assert_allclose(result.as_numpy("SCORES"), [t["score"] for t in v1["top"]], rtol=1e-5)
    assert result.as_numpy("CLASS_IDS").tolist() == [t["class_id"] for t in v1["top"]]
    assert result.get_response()["model_name"] == "stae"


def _raw(decoder: Service, tensor: dict[str, object], data: bytes, **extra: object) -> httpx.Response:
    head = json.dumps({"inputs": [tensor], **extra}).encode()
    return httpx.post(
        f"{decoder.url}/v2/models/stae/infer",
        content=head + data,
        headers={**AUTH, "Inference-Header-Content-Length": str(len(head))},
        timeout=30,
    )


def test_bad_tensors_get_clear_4xx(decoder: Service, payload: bytes) -> None:
    element = struct.pack("<I", len(payload)) + payload
    ok = {"name": "PAYLOAD", "datatype": "BYTES", "shape": [1], "parameters": {"binary_data_size": len(element)}}
    assert _raw(decoder, ok, element).status_code == 200
    cases = {
        "wrong datatype": ({**ok, "datatype": "FP32"}, element, 400, "must be BYTES"),
        "wrong shape": ({**ok, "shape": [2]}, element, 400, "shape [1]"),
        "wrong name": ({**ok, "name": "INPUT0"}, element, 400, "named 'PAYLOAD'"),
        "size mismatch": (ok, element[:-3], 400, "binary_data_size"),
        "bad prefix": (ok, struct.pack("<I", 7) + payload, 400, "length prefix"),
        "not a payload": (
            {**ok, "parameters": {"binary_data_size": 24}},
            struct.pack("<I", 20) + b"STAE" + b"\0" * 16,
            400,
            "bad payload",
        ),
    }
    for why, (tensor, data, status, message) in cases.items():
        resp = _raw(decoder, tensor, data)
        assert resp.status_code == status and message in resp.json()["error"], (why, resp.text)
    json_only = httpx.post(
        f"{decoder.url}/v2/models/stae/infer",
        json={"inputs": [{"name": "PAYLOAD", "datatype": "BYTES", "shape": [1], "data": ["abc"]}]},
        headers=AUTH,
        timeout=30,
    )
    assert json_only.status_code == 400 and "binary tensor data" in json_only.json()["error"]
    big = b"\0" * 300_000
    oversize = _raw(decoder, {**ok, "parameters": {"binary_data_size": len(big)}}, big)
    assert oversize.status_code == 413 and "limit" in oversize.json()["error"]
    assert _raw(decoder, ok, element, outputs=[{"name": "NOPE"}]).status_code == 400
    unauthorised = httpx.post(f"{decoder.url}/v2/models/stae/infer", content=b"{}", timeout=30)
    assert unauthorised.status_code == 401 and "token" in unauthorised.json()["error"]
