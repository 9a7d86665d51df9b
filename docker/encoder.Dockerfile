# Camera-side encoder service: linux/amd64 and linux/arm64 (Raspberry Pi 4/5 class boards). No PyTorch: FA and
# SA run on ONNX Runtime from the checkpoint's fa.onnx and sa.onnx (`stae export-onnx`), video through PyAV.
#   docker buildx bake -f docker-bake.hcl encoder      (multi-arch: buildx with QEMU or arm64 builders)
# Build arguments (defaults: what a user with internet access wants):
#   BASE_IMAGE   the runtime stage's base (a Python 3.11 with venv);   BUILD_IMAGE  the build stage's (default: same)
#   EXTRAS=server  adds PyTorch for the local-computing fallback (STAE_ENCODER_LOCAL_CHECKPOINT), ~1 GB more;
#   EXTRAS=fast    adds Numba for wire v3's entropy coder (~10x faster, the same bytes; ~170 MB more): worth it
#                  at vit-base geometry, where plain Python's rANS is most of the camera's time;
#   TORCH_INDEX / TORCH_FIND_LINKS  where that torch comes from (PyTorch's CPU index by default: PyPI's pulls CUDA).
ARG BASE_IMAGE=python:3.11.11-slim-bookworm
ARG BUILD_IMAGE=${BASE_IMAGE}
FROM ${BUILD_IMAGE} AS build
ARG EXTRAS=
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ARG TORCH_FIND_LINKS=
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# torch is pinned (==2.13.0) in the project's extra; hadolint cannot see through the optional arguments
# hadolint ignore=DL3013
RUN if [ "${EXTRAS#*server}" != "$EXTRAS" ]; then pip install --no-cache-dir ${TORCH_INDEX:+--index-url "$TORCH_INDEX"} \
        ${TORCH_FIND_LINKS:+--find-links "$TORCH_FIND_LINKS"} torch==2.13.0; fi
COPY pyproject.toml README.md /src/
COPY services /src/services
# strip (binutils) for the shared libraries below; this stage only, so its size does not matter.
# hadolint ignore=DL3008
RUN apt-get update && apt-get install --yes --no-install-recommends binutils && rm -rf /var/lib/apt/lists/*
# The runtime needs neither pip nor test suites nor ONNX Runtime's model-conversion tools (~45 MB) nor its C API
# library (libonnxruntime.so, 35 MB: the Python binding carries its own copy), nor the symbol tables and debug
# sections of the wheels' shared libraries (~30 MB; stripping keeps what the dynamic linker needs).
RUN pip install --no-cache-dir "/src${EXTRAS:+[$EXTRAS]}" \
    && ort=/opt/venv/lib/python3.11/site-packages/onnxruntime \
    && rm -rf "$ort/transformers" "$ort/quantization" "$ort/tools" "$ort"/capi/libonnxruntime.so.* \
    && find /opt/venv -depth -type d -name tests -exec rm -rf {} + \
    && find /opt/venv -type f -name '*.so*' -not -path '*.libs/*' -exec strip --strip-unneeded {} + \
    && pip uninstall --yes --quiet pip setuptools

FROM ${BASE_IMAGE}
RUN useradd --system --uid 10001 --home-dir /app --create-home stae
COPY --from=build /opt/venv /opt/venv
# The shipped model, so the image answers on its own (Kubernetes); compose mounts ./models over it.
COPY models/tiny-conv-latent /models/tiny-conv-latent
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 STAE_ENCODER_CHECKPOINT=/models/tiny-conv-latent
WORKDIR /app
USER 10001
EXPOSE 8000
# Other checkpoints: mount a directory and set STAE_ENCODER_CHECKPOINT to it (docker-compose.yml mounts ./models).
HEALTHCHECK --interval=10s --timeout=3s --start-period=180s --retries=3 \
    CMD ["stae-probe", "encoder"]
ENTRYPOINT ["stae-encoder", "--host", "0.0.0.0", "--port", "8000"]
