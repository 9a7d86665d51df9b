"""Service processes on loopback: what ``stae demo``, the tests and the benchmarks start.

``ServiceProcess`` runs ``python -m encoder_service`` or ``python -m decoder_service`` as a child process and
waits for its readiness; nothing here imports the services.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

# The checkpoint trained by the repository's own commands on its synthetic dataset (README, Training).
SHIPPED_CHECKPOINT = Path(__file__).resolve().parents[2] / "models" / "tiny-conv-latent"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_answers(host: str = "127.0.0.1", port: int = 6379, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class ServiceProcess:
    """``python -m NAME_service`` (``stae-NAME``) as a child process; ``start`` returns once
    ``/v2/health/ready`` answers 200."""

    def __init__(
        self,
        name: str,
        env: dict[str, str],
        port: int | None = None,
        log_dir: Path | None = None,
        *,
        host: str = "127.0.0.1",
        wrapper: Sequence[str] = (),
        verify: ssl.SSLContext | None = None,
    ) -> None:
        """``wrapper`` prefixes the command (e.g. ``ip netns exec NS`` to run it in a network namespace);
        ``verify``: the service serves HTTPS, and readiness is probed with this context (its CA, and a client
        certificate when the service demands one)."""
        self.name = name
        self.port = port or free_port()
        self.host, self.wrapper = host, list(wrapper)
        self.verify: ssl.SSLContext | bool = verify if verify is not None else True
        self.url = f"{'https' if verify is not None else 'http'}://{host}:{self.port}"
        self.env = {**os.environ, **env}
        if name == "decoder":  # big parallel ops: let idle OpenMP workers sleep instead of spinning on shared cores
            self.env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        self.log = (log_dir or Path(tempfile.gettempdir())) / f"stae-{name}-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 180.0) -> ServiceProcess:
        cmd = [*self.wrapper, sys.executable, "-m", f"{self.name}_service", "--host", self.host]
        cmd += ["--port", str(self.port), "--log-level", "warning"]
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/v2/health/ready", timeout=1.0, verify=self.verify).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"{self.name} was not ready after {timeout:.0f} s:\n{self.tail()}")

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
