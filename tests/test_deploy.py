"""Deployment files, validated without a Docker engine: compose against the compose-spec schema, Dockerfiles
with hadolint, Kubernetes overlays rendered by kustomize and validated strictly, and every image's entrypoint
and healthcheck run outside a container."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from conftest import ROOT
from helpers import API_KEY, TOKEN, free_port, prerequisite

BIN = Path(sys.executable).parent
DOCKERFILES = [ROOT / "docker" / f"{name}.Dockerfile" for name in ("decoder", "encoder")]  # the services


class _ComposeLoader(yaml.SafeLoader):
    """YAML with compose's ``!reset`` tag (used by override files)."""


_ComposeLoader.add_constructor("!reset", lambda loader, node: None)


def load_compose(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_ComposeLoader)


def test_compose_file_matches_the_compose_spec(tmp_path: Path) -> None:
    check = [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec"]
    ok = subprocess.run([*check, str(ROOT / "docker-compose.yml")], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = tmp_path / "docker-compose.yml"  # the validator does reject a wrong file
    broken.write_text((ROOT / "docker-compose.yml").read_text().replace("depends_on:", "depends_onn:"))
    assert subprocess.run([*check, str(broken)], capture_output=True).returncode != 0


def test_compose_wiring() -> None:
    compose = load_compose(ROOT / "docker-compose.yml")
    services = compose["services"]
    assert set(services) == {"redis", "decoder", "encoder", "prometheus", "grafana"}
    assert services["grafana"]["profiles"] == ["grafana"]  # only where the operator asks (and has its image)
    assert set(services["prometheus"]["secrets"]) <= set(compose["secrets"])
    gpu = services["decoder"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["driver"] == "nvidia" and gpu["capabilities"] == ["gpu"]
    for name, dep in services["encoder"]["depends_on"].items():
        assert dep["condition"] == "service_healthy" and "healthcheck" in services[name]
    # Issue 18: no secret in an environment variable; keys, tokens and TLS material as files; TLS on both hops.
    declared = set(compose["secrets"])
    for name in ("decoder", "encoder"):
        env = services[name]["environment"]
        assert not [k for k in env if re.search(r"TOKEN$|KEYS$|KEY$", k)], env
        for var, path in env.items():
            if var.endswith("_FILE"):
                assert path.startswith("/run/secrets/") and path.removeprefix("/run/secrets/") in declared, var
        assert set(services[name]["secrets"]) <= declared
    dec, enc = services["decoder"]["environment"], services["encoder"]["environment"]
    assert dec["STAE_DECODER_TLS_CLIENT_CA_FILE"] and enc["STAE_ENCODER_TLS_CERT_FILE"]
    assert enc["STAE_ENCODER_DECODER_URL"].startswith("https://") and enc["STAE_ENCODER_DECODER_CLIENT_CERT_FILE"]
    cpu = load_compose(ROOT / "docker-compose.cpu.yml")["services"]["decoder"]
    assert cpu["deploy"] is None and cpu["environment"]["STAE_DECODER_DEVICE"] == "cpu"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfiles_pass_hadolint(dockerfile: Path) -> None:
    proc = subprocess.run([str(BIN / "hadolint"), str(dockerfile)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = dockerfile.read_text()
    assert re.search(r"^USER 10001$", text, re.M), "images run as a non-root user"
    assert "HEALTHCHECK" in text and "torch==2.13.0" in text  # torch pinned wherever it is installed


def test_the_prometheus_image_and_its_config(tmp_path: Path) -> None:
    """The stack's Prometheus: hadolint-clean, non-root, its scrape config valid for this Prometheus."""
    dockerfile = ROOT / "docker" / "prometheus.Dockerfile"
    proc = subprocess.run([str(BIN / "hadolint"), str(dockerfile)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^USER 10001$", dockerfile.read_text(), re.M) and "HEALTHCHECK" in dockerfile.read_text()
    promtool = ROOT / ".tools" / "promtool"
    prerequisite(None if promtool.exists() else f"{promtool} is missing: make setup unpacks it")
    config = ROOT / "docker" / "prometheus" / "prometheus.yml"
    check = subprocess.run(
        [str(promtool), "check", "config", "--syntax-only", str(config)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    jobs = {j["job_name"]: j for j in yaml.safe_load(config.read_text())["scrape_configs"]}
    assert {j["scheme"] for j in jobs.values()} == {"https"}  # no scrape in clear text
    assert jobs["stae-decoder"]["tls_config"]["cert_file"]  # mutual TLS towards the decoder


def _instruction(dockerfile: Path, name: str) -> list[str]:
    """The exec-form JSON array of a Dockerfile instruction (line continuations joined)."""
    text = dockerfile.read_text().replace("\\\n", " ")
    match = re.search(rf"^{name}\b.*?(\[.*\])\s*$", text, re.M)
    assert match, f"{dockerfile.name} has no exec-form {name}"
    return list(json.loads(match.group(1)))


@pytest.mark.slow
@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_image_entrypoint_and_healthcheck_run(dockerfile: Path, redis_server: Any) -> None:
    """Run each image's ENTRYPOINT and HEALTHCHECK outside a container (ports moved to free ones)."""
    entry = _instruction(dockerfile, "ENTRYPOINT")
    health = _instruction(dockerfile, "HEALTHCHECK")
    assert shutil.which(entry[0], path=str(BIN)), f"{entry[0]} is not installed by the project"
    port = str(free_port())
    entry[entry.index("--port") + 1] = port
    entry[entry.index("--host") + 1] = "127.0.0.1"
    entry[0] = str(BIN / entry[0])
    env = {
        "STAE_DECODER_TOKEN": TOKEN,
        "STAE_DECODER_DEVICE": "cpu",
        "STAE_DECODER_WARMUP_REPS": "1",
        "STAE_ENCODER_API_KEYS": API_KEY,
        "STAE_ENCODER_DECODER_TOKEN": TOKEN,
        "STAE_ENCODER_REDIS_URL": redis_server.url,
        "STAE_ENCODER_PROFILE_PATH": "",
        "PATH": f"{BIN}:/usr/bin:/bin",
    }
    proc = subprocess.Popen(entry, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/v2/health/live"
        for _ in range(240):
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.25)
        else:
            pytest.fail(f"{' '.join(entry)} did not start")
        assert proc.poll() is None
        if "decoder" in dockerfile.name:  # the encoder's readiness needs a decoder; the decoder's needs nothing
            assert health[:2] == ["stae-probe", "decoder"], health
            cmd = [str(BIN / health[0]), *health[1:], "--port", port]
            for _ in range(240):
                if subprocess.run(cmd, capture_output=True).returncode == 0:
                    break
                time.sleep(0.25)
            else:
                pytest.fail("the HEALTHCHECK command never succeeded")
    finally:
        proc.terminate()
        proc.wait(10)


KUBECTL = shutil.which("kubectl")


@pytest.mark.parametrize("overlay", ["gpu", "cpu"])
def test_kubernetes_overlays_render_and_validate_strictly(overlay: str, tmp_path: Path) -> None:
    prerequisite(None if KUBECTL else "kubectl (for `kubectl kustomize`) is not installed on this machine")
    assert KUBECTL is not None
    rendered = subprocess.run(
        [KUBECTL, "kustomize", str(ROOT / "k8s" / "overlays" / overlay)], capture_output=True, text=True, check=True
    ).stdout
    out = tmp_path / f"{overlay}.yaml"
    out.write_text(rendered)
    proc = subprocess.run([str(BIN / "kubernetes-validate"), "--strict", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    docs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(rendered) if d}
    kinds = {k for k, _ in docs}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"} <= kinds
    for name in ("decoder", "encoder"):
        spec = docs[("Deployment", name)]["spec"]["template"]["spec"]
        c = spec["containers"][0]
        probes = {
            k: c[k].get("httpGet", {}).get("path") or c[k]["exec"]["command"][-1]
            for k in ("readinessProbe", "livenessProbe")
        }
        assert probes == {"readinessProbe": "/v2/health/ready", "livenessProbe": "/v2/health/live"}
        assert c["resources"]["requests"] and c["resources"]["limits"]
        # Issue 18: secrets as files from the mounted Secret, TLS on both hops, never a secret in a variable.
        env = {e["name"]: e.get("value") for e in c["env"]}
        assert not [k for k in env if re.search(r"TOKEN$|KEYS$|KEY$", k)] and all(
            "valueFrom" not in e for e in c["env"]
        )
        mounted = {v["name"]: v for v in spec["volumes"]}["secrets"]["secret"]
        paths = {f"/run/secrets/stae/{i['path']}" for i in mounted["items"]}
        assert {v for k, v in env.items() if k.endswith("_FILE")} <= paths
        assert "ca-key.pem" not in {i["key"] for i in mounted["items"]}  # the CA's key never reaches a pod
    assert (
        docs[("Deployment", "encoder")]["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"][
            "scheme"
        ]
        == "HTTPS"
    )
    dec = docs[("Deployment", "decoder")]["spec"]["template"]["spec"]
    enc = docs[("Deployment", "encoder")]["spec"]["template"]["spec"]
    if overlay == "gpu":
        assert dec["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1
        assert dec["tolerations"][0]["key"] == "nvidia.com/gpu"
        assert enc["nodeSelector"] == {"kubernetes.io/arch": "arm64"}
    policy = docs[("NetworkPolicy", "decoder-from-encoder")]["spec"]
    assert policy["ingress"][0]["from"][0]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "stae-encoder"}
    hpa = docs[("HorizontalPodAutoscaler", "decoder")]["spec"]
    assert hpa["metrics"][0]["pods"]["metric"]["name"] == "stae_decoder_queue_depth"
