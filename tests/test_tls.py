"""The secured uplink with real handshakes on loopback (issue 18): TLS on the camera-facing API and on the
encoder-to-decoder hop, mutual TLS on the uplink, API keys bound to cameras, two keys valid while rotating,
secrets from files. Certificates come from ``stae dev-certs`` (a development CA made here, per test session)."""

from __future__ import annotations

import datetime as dt
import http.server
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from helpers import TOKEN, RedisServer, Service, decoder_env, encoder_env

from service_common.security import tls_context
from stae.cli.certs import issue, make_stack

pytestmark = pytest.mark.slow
KEY_A, KEY_B, KEY_NEW = "key-of-camera-a", "key-of-camera-b", "rotated-key-of-camera-b"


def _ctx(ca: Path, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    return tls_context(str(ca), str(cert) if cert else None, str(key) if key else None)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("certs")
    make_stack(out, ["localhost", "127.0.0.1"])
    return out


@pytest.fixture(scope="module")
def secrets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("secrets")


@pytest.fixture(scope="module")
def stack(certs: Path, secrets: Path) -> Iterator[tuple[Service, Service]]:
    """Decoder with TLS and mutual TLS; encoder with TLS towards cameras, verifying the decoder and presenting
    its client certificate; the decoder's token and the encoder's keys read from files."""
    (secrets / "token").write_text(TOKEN + "\n")
    (secrets / "keys").write_text(f"{KEY_A}@cam-a,{KEY_B}@cam-b,{KEY_NEW}@cam-b\n")
    c = {n: str(certs / f"{n}.pem") for n in ("ca", "decoder", "encoder", "encoder-client")}
    k = {n: str(certs / f"{n}-key.pem") for n in ("decoder", "encoder", "encoder-client")}
    dec_env = decoder_env(
        STAE_DECODER_TOKEN_FILE=str(secrets / "token"),
        STAE_DECODER_TLS_CERT_FILE=c["decoder"],
        STAE_DECODER_TLS_KEY_FILE=k["decoder"],
        STAE_DECODER_TLS_CLIENT_CA_FILE=c["ca"],
    )
    del dec_env["STAE_DECODER_TOKEN"]
    probe = _ctx(certs / "ca.pem", certs / "encoder-client.pem", certs / "encoder-client-key.pem")
    redis = RedisServer().start()
    try:
        with Service("decoder", dec_env, verify=probe) as dec:
            env = encoder_env(
                dec.url,
                redis.url,
                STAE_ENCODER_API_KEYS_FILE=str(secrets / "keys"),
                STAE_ENCODER_TLS_CERT_FILE=c["encoder"],
                STAE_ENCODER_TLS_KEY_FILE=k["encoder"],
                STAE_ENCODER_DECODER_CA_FILE=c["ca"],
                STAE_ENCODER_DECODER_CLIENT_CERT_FILE=c["encoder-client"],
                STAE_ENCODER_DECODER_CLIENT_KEY_FILE=k["encoder-client"],
            )
            del env["STAE_ENCODER_API_KEYS"]
            with Service("encoder", env, verify=_ctx(certs / "ca.pem")) as enc:
                yield dec, enc
    finally:
        redis.stop()


def _recognize(enc: Service, ca: Path, clip: Path, key: str, camera: str) -> httpx.Response:
    with clip.open("rb") as f:
        return httpx.post(
            f"{enc.url}/recognize",
            files={"file": (clip.name, f)},
            params={"camera_id": camera, "deadline_ms": 5000},
            headers={"X-API-Key": key},
            verify=_ctx(ca),
            timeout=60,
        )


def test_a_real_clip_over_tls_on_both_hops(stack: tuple[Service, Service], certs: Path, clips: list[Path]) -> None:
    dec, enc = stack
    assert enc.url.startswith("https://") and dec.url.startswith("https://")
    resp = _recognize(enc, certs / "ca.pem", clips[0], KEY_A, "cam-a")
    assert resp.status_code == 200, resp.text
    assert resp.json()["decision"]["mode"] == "offload"  # it crossed the mutual-TLS uplink
    # The decoder knows which encoder sent it: the subject of the client certificate, counted per client.
    probe = _ctx(certs / "ca.pem", certs / "encoder-client.pem", certs / "encoder-client-key.pem")
    metrics = httpx.get(f"{dec.url}/metrics", verify=probe, timeout=10).text
    assert 'stae_decoder_client_requests_total{client="CN=stae dev encoder-client"}' in metrics


def test_plain_http_and_untrusted_or_missing_certificates_are_refused(
    stack: tuple[Service, Service], certs: Path, tmp_path: Path
) -> None:
    dec, enc = stack
    with pytest.raises(httpx.TransportError):  # clear text to a TLS port: no answer
        httpx.get(enc.url.replace("https://", "http://") + "/v2/health/live", timeout=5)
    other = tmp_path / "other"
    make_stack(other, ["localhost", "127.0.0.1"])  # another CA
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{enc.url}/v2/health/live", verify=_ctx(other / "ca.pem"), timeout=5)
    # Mutual TLS: the decoder hands no session to a client without a certificate, or with one another CA signed.
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{dec.url}/v2/health/live", verify=_ctx(certs / "ca.pem"), timeout=5)
    with pytest.raises(httpx.TransportError):
        stranger = _ctx(certs / "ca.pem", other / "encoder-client.pem", other / "encoder-client-key.pem")
        httpx.get(f"{dec.url}/v2/health/live", verify=stranger, timeout=5)
    ok = _ctx(certs / "ca.pem", certs / "encoder-client.pem", certs / "encoder-client-key.pem")
    assert httpx.get(f"{dec.url}/v2/health/live", verify=ok, timeout=5).status_code == 200


def test_an_expired_certificate_is_refused(certs: Path, tmp_path: Path) -> None:
    """Our client context (the encoder's towards the decoder) refuses a server whose certificate has expired."""
    from cryptography import x509

    ca_cert = x509.load_pem_x509_certificate((certs / "ca.pem").read_bytes())
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    ca_key = load_pem_private_key((certs / "ca-key.pem").read_bytes(), None)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    issue(tmp_path, "expired", ca=(ca_cert, ca_key), names=["127.0.0.1"], days=1, not_before=past)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(str(tmp_path / "expired.pem"), str(tmp_path / "expired-key.pem"))
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(httpx.ConnectError, match="expired"):
            httpx.get(f"https://127.0.0.1:{server.server_address[1]}/", verify=_ctx(certs / "ca.pem"), timeout=5)
    finally:
        server.shutdown()


def test_a_key_speaks_only_for_its_cameras_and_two_keys_rotate(
    stack: tuple[Service, Service], certs: Path, clips: list[Path]
) -> None:
    _, enc = stack
    ca = certs / "ca.pem"
    forged = _recognize(enc, ca, clips[0], KEY_A, "cam-b")
    assert forged.status_code == 403 and "cam-a" in forged.json()["detail"] and "cam-b" in forged.json()["detail"]
    state = httpx.get(f"{enc.url}/v1/controller", headers={"X-API-Key": KEY_A}, verify=_ctx(ca), timeout=10).json()
    assert "cam-b" not in [c["camera_id"] for c in state["cameras"]]  # camera B's estimate untouched
    for key in (KEY_B, KEY_NEW):  # the old and the new key of camera B, both valid during the rotation
        assert _recognize(enc, ca, clips[0], key, "cam-b").status_code == 200
    assert _recognize(enc, ca, clips[0], "no-such-key", "cam-b").status_code == 401


def _until(check: Callable[[], bool], what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds:.0f} s")
        time.sleep(0.2)


def _served_certificate(url: str, ca: Path) -> bytes:
    host, port = url.removeprefix("https://").rsplit(":", 1)
    with (
        socket.create_connection((host, int(port)), timeout=5) as raw,
        _ctx(ca).wrap_socket(raw, server_hostname=host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return der


def test_keys_and_certificates_rotate_without_a_restart(
    stack: tuple[Service, Service], certs: Path, secrets: Path, clips: list[Path]
) -> None:
    """Rewriting the key file retires a key and admits a new one; rewriting the server certificate's files serves
    the new certificate to new connections; the same processes throughout (runs last: it changes the stack)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, load_pem_private_key

    _, enc = stack
    assert enc.proc is not None
    pid, ca = enc.proc.pid, certs / "ca.pem"
    (secrets / "keys").write_text(f"{KEY_A}@cam-a,{KEY_NEW}@cam-b,brand-new-key@cam-c\n")  # KEY_B retired
    _until(lambda: _recognize(enc, ca, clips[0], KEY_B, "cam-b").status_code == 401, "the retired key refused")
    assert _recognize(enc, ca, clips[0], "brand-new-key", "cam-c").status_code == 200
    assert _recognize(enc, ca, clips[0], KEY_NEW, "cam-b").status_code == 200

    before = _served_certificate(enc.url, ca)
    ca_pair = (
        x509.load_pem_x509_certificate(ca.read_bytes()),
        load_pem_private_key((certs / "ca-key.pem").read_bytes(), None),
    )
    new_cert, _ = issue(certs, "encoder", ca=ca_pair, names=["localhost", "127.0.0.1"])
    fresh = new_cert.public_bytes(Encoding.DER)
    assert fresh != before
    _until(lambda: _served_certificate(enc.url, ca) == fresh, "the rotated certificate served")
    assert _recognize(enc, ca, clips[0], KEY_A, "cam-a").status_code == 200
    assert enc.proc.pid == pid and enc.proc.poll() is None


def test_a_rotated_certificate_keeps_mutual_tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After ReloadingServerTLS swaps in the renewed certificate, a client without a certificate is still refused
    and one with the CA's client certificate gets the new server certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, load_pem_private_key

    import service_common.security as security

    monkeypatch.setattr(security, "CHECK_EVERY_S", 0.0)
    make_stack(tmp_path, ["127.0.0.1"])
    cert, key, ca = (str(tmp_path / n) for n in ("decoder.pem", "decoder-key.pem", "ca.pem"))
    base = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    base.load_cert_chain(cert, key)
    base.load_verify_locations(ca)
    base.verify_mode = ssl.CERT_REQUIRED
    security.ReloadingServerTLS(base, cert, key, ca)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                with base.wrap_socket(conn, server_side=True) as tls:
                    tls.sendall(b"ok")
            except (ssl.SSLError, OSError):
                pass

    threading.Thread(target=serve, daemon=True).start()

    def served(with_cert: bool) -> bytes | None:
        ctx = _ctx(tmp_path / "ca.pem", *(
            (tmp_path / "encoder-client.pem", tmp_path / "encoder-client-key.pem") if with_cert else ()
        ))  # fmt: skip
        try:
            with (
                socket.create_connection(listener.getsockname(), timeout=5) as raw,
                ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
            ):
                return tls.getpeercert(binary_form=True) if tls.recv(2) == b"ok" else None
        except (ssl.SSLError, OSError):
            return None

    try:
        before = served(True)
        assert before is not None and served(False) is None
        pair = (
            x509.load_pem_x509_certificate((tmp_path / "ca.pem").read_bytes()),
            load_pem_private_key((tmp_path / "ca-key.pem").read_bytes(), None),
        )
        renewed, _ = issue(tmp_path, "decoder", ca=pair, names=["127.0.0.1"])
        _until(lambda: served(True) == renewed.public_bytes(Encoding.DER), "the renewed certificate served")
        assert served(False) is None  # still mutual TLS
    finally:
        listener.close()
