"""Real service processes on loopback for end-to-end tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

STAE_BIN = Path(sys.executable).parent / "stae"
TOKEN = "decoder-token-for-tests"
API_KEY = "camera-key-for-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    """``stae serve NAME`` in a child process, stopped on exit."""

    def __init__(self, name: str, env: dict[str, str], port: int | None = None) -> None:
        self.name = name
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = Path(os.environ.get("TMPDIR", "/tmp")) / f"stae-{name}-{self.port}.log"

    def start(self, timeout: float = 120.0) -> Service:
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [str(STAE_BIN), "serve", self.name, "--port", str(self.port), "--log-level", "warning"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/v2/health/ready", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RedisServer:
    """A private redis-server on a free port, so a test may stop and restart it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


def decoder_env(**extra: str) -> dict[str, str]:
    return {"STAE_DECODER_TOKEN": TOKEN, "STAE_DECODER_DEVICE": "cpu", "STAE_DECODER_WARMUP_REPS": "1", **extra}


def encoder_env(decoder_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    return {
        "STAE_ENCODER_API_KEYS": f"{API_KEY},second-camera-key",
        "STAE_ENCODER_DECODER_TOKEN": TOKEN,
        "STAE_ENCODER_DECODER_URL": decoder_url,
        "STAE_ENCODER_REDIS_URL": redis_url,
        "STAE_ENCODER_REDIS_PREFIX": f"stae-test-{os.getpid()}-{free_port()}",
        "STAE_ENCODER_PROFILE_REPS": "1",
        **extra,
    }
