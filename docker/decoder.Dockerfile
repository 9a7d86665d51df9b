# Edge-server decoder service for a CUDA GPU host (linux/amd64; the host needs the NVIDIA driver and the
# NVIDIA Container Toolkit). torch 2.13.0 from PyPI carries its CUDA runtime as wheels, so a slim Python base
# suffices. Without a GPU the same image runs on CPU (STAE_DECODER_DEVICE=cpu, docker-compose.cpu.yml).
# Build arguments (defaults: what a user with internet access wants): BASE_IMAGE (runtime stage), BUILD_IMAGE
# (build stage; default: the same); TORCH_INDEX (a pip index URL, empty for PyPI) and TORCH_FIND_LINKS (a folder
# or URL of wheels, e.g. a local mirror).
ARG BASE_IMAGE=python:3.11.11-slim-bookworm
ARG BUILD_IMAGE=${BASE_IMAGE}
FROM ${BUILD_IMAGE} AS build
ARG TORCH_INDEX=
ARG TORCH_FIND_LINKS=
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# torch is pinned (==2.13.0); hadolint cannot see it through the optional index arguments
# hadolint ignore=DL3013
RUN pip install --no-cache-dir ${TORCH_INDEX:+--index-url "$TORCH_INDEX"} \
    ${TORCH_FIND_LINKS:+--find-links "$TORCH_FIND_LINKS"} torch==2.13.0
COPY pyproject.toml README.md /src/
COPY services /src/services
RUN pip install --no-cache-dir "/src[server]"

FROM ${BASE_IMAGE}
RUN useradd --system --uid 10001 --home-dir /app --create-home stae
COPY --from=build /opt/venv /opt/venv
# The shipped model, so the image answers on its own (Kubernetes); compose mounts ./models over it.
COPY models/tiny-conv-latent /models/tiny-conv-latent
# Idle OpenMP workers sleep instead of spinning (matters when the decoder shares CPU cores).
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 OMP_WAIT_POLICY=PASSIVE STAE_DECODER_CHECKPOINT=/models/tiny-conv-latent
WORKDIR /app
USER 10001
EXPOSE 8001
HEALTHCHECK --interval=10s --timeout=3s --start-period=300s --retries=3 \
    CMD ["stae-probe", "decoder"]
ENTRYPOINT ["stae-decoder", "--host", "0.0.0.0", "--port", "8001"]
