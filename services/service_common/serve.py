"""Run one service under uvicorn with its settings from the environment: ``stae-encoder``, ``stae-decoder``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, Literal

import uvicorn
from pydantic import ValidationError

from service_common.protocol import with_header_timeout
from service_common.security import ReloadingServerTLS, server_tls

Service = Literal["encoder", "decoder"]
PORTS = {"encoder": 8000, "decoder": 8001}


def serve(service: Service, host: str, port: int, log_level: str = "info") -> None:
    """Build the service from its ``STAE_<SERVICE>_*`` settings and serve it; bad settings raise ValueError
    naming each variable and what is wrong with it."""
    try:
        if service == "encoder":
            from encoder_service.app import create_app as create_encoder
            from encoder_service.settings import EncoderSettings

            settings: Any = EncoderSettings()
            app = create_encoder(settings)
        else:
            from decoder_service.app import create_app as create_decoder
            from decoder_service.settings import DecoderSettings

            settings = DecoderSettings()
            app = create_decoder(settings)
    except ValidationError as exc:
        prefix = f"STAE_{service.upper()}_"
        problems = "; ".join(f"{prefix}{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"bad settings: {problems}") from None
    client_ca = getattr(settings, "tls_client_ca_file", None)
    tls = server_tls(settings.tls_cert_file, settings.tls_key_file, client_ca)  # set: HTTPS only
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        timeout_graceful_shutdown=5,
        http=with_header_timeout(settings.header_timeout_s),
        limit_concurrency=settings.max_connections,
        **tls,
    )
    config.load()
    if config.ssl is not None:  # rotated certificate files are served to new connections, no restart
        ReloadingServerTLS(config.ssl, settings.tls_cert_file, settings.tls_key_file, client_ca)
    uvicorn.Server(config).run()


def main(service: Service, argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog=f"stae-{service}", description=f"Run the STAE {service} service (settings: STAE_{service.upper()}_*)."
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=PORTS[service])
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    args = p.parse_args(argv)
    try:
        serve(service, args.host, args.port, args.log_level)
    except ValueError as exc:
        print(f"stae-{service}: error: {exc}", file=sys.stderr)
        return 2
    return 0


def encoder_main() -> int:
    return main("encoder")


def decoder_main() -> int:
    return main("decoder")
