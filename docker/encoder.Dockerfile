# Camera-side encoder service: linux/amd64 and linux/arm64 (Raspberry Pi 4/5 class boards).
#   docker buildx bake encoder          (see docker-bake.hcl; multi-arch needs buildx with QEMU or arm64 builders)
# torch comes from PyTorch's CPU wheel index: from the public index, arm64 torch pulls the whole CUDA stack.
# Build arguments (defaults: what a user with internet access wants): BASE_IMAGE for both stages; TORCH_INDEX
# (a pip index URL, empty for PyPI) and TORCH_FIND_LINKS (a folder or URL of wheels, e.g. a local mirror).
ARG BASE_IMAGE=python:3.11.11-slim-bookworm
FROM ${BASE_IMAGE} AS build
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
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
RUN pip install --no-cache-dir /src

FROM ${BASE_IMAGE}
RUN useradd --system --uid 10001 --home-dir /app --create-home stae
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1
WORKDIR /app
USER 10001
EXPOSE 8000
# Checkpoints: mount a directory and set STAE_ENCODER_CHECKPOINT (and the decoder's) to it, or bake one in with
#   COPY models/ /models/   and   ENV STAE_ENCODER_CHECKPOINT=/models/<name>
HEALTHCHECK --interval=10s --timeout=3s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request as u; sys.exit(u.urlopen('http://127.0.0.1:8000/v2/health/ready', timeout=2).status != 200)"]
ENTRYPOINT ["stae", "serve", "encoder", "--host", "0.0.0.0", "--port", "8000"]
