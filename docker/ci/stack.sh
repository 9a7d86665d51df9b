#!/usr/bin/env bash
# Build every image and prove `docker compose up` with real clips, without Docker Hub (CI stage; also how a
# developer checks the images locally, as root on Debian bookworm):
#   bash docker/ci/stack.sh            [--keep-cache is the default; STAE_DOCKER_CLEAN=1 removes the data root after]
# 1. installs the engine (Debian's docker.io), mmdebstrap, and Compose v2 (Debian trixie's plugin, unpacked);
# 2. starts its own dockerd (own data root and socket, no bridge, no iptables changes);
# 3. makes base images with mmdebstrap (Python; Redis) and a build-only base that trusts this machine's extra CA
#    certificates (they never reach a runtime image);
# 4. builds the decoder (torch from this machine's wheel, served on loopback) and the torch-free encoder;
# 5. makes the stack's TLS material and secrets (stae dev-certs), brings the stack up with docker-compose.yml +
#    docker-compose.cpu.yml + docker/ci/compose.ci.yml (host networking, local images; TLS on both hops, mutual
#    TLS on the uplink, secrets as files), waits for health, runs docker/ci/check_stack.py (real clips through
#    the SDK over TLS; clear text and a certificate-less client refused) and docker/ci/check_monitoring.py
#    (Prometheus, built from Debian's package, scraped both services; rules and dashboard queries answer);
# 6. tears down: compose down, its dockerd stopped by PID; nothing of it left running.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
STATE=${STAE_DOCKER_STATE:-/var/lib/stae-ci-docker}
RUN=/run/stae-ci-docker
SOCK=$RUN/docker.sock
PY=${PY:-$ROOT/.venv/bin/python}
WHEELS=${STAE_TORCH_WHEELS:-/opt/wheels}   # a folder holding torch-2.13.0+cpu for the decoder image
WHEEL_PORT=18099
BINFMT=/proc/sys/fs/binfmt_misc
BINFMT_NAME=""  # the binfmt_misc entry this script registered (removed at the end)
COMPOSE_FILES=(-f docker-compose.yml -f docker-compose.cpu.yml -f docker/ci/compose.ci.yml)
export DOCKER_HOST=unix://$SOCK DOCKER_BUILDKIT=0 COMPOSE_PROJECT_NAME=stae-ci
# The stack's TLS material and secrets (a development CA, random token and key), fresh for every run, handed to
# the images' user; Compose mounts them as files (docker-compose.yml's secrets).
export STAE_SECRETS=$RUN/secrets
T0=$(date +%s)
stamp() { echo "[stack $(($(date +%s) - T0)) s] $*"; }

# --- 1. tools -----------------------------------------------------------------------------------------------
PACKAGES=(docker.io mmdebstrap arch-test)  # arch-test: mmdebstrap's check that arm64 binaries run (QEMU)
if ! command -v dockerd >/dev/null || ! command -v mmdebstrap >/dev/null || ! command -v arch-test >/dev/null; then
    stamp "installing ${PACKAGES[*]}"
    (apt-get install -y -qq "${PACKAGES[@]}" || (apt-get update -qq && apt-get install -y -qq "${PACKAGES[@]}")) >/dev/null
fi
TOOLS=$STATE/tools
COMPOSE=$TOOLS/docker-compose
QEMU=$TOOLS/qemu-aarch64
trixie_tool() {  # package, path inside it, destination: one binary from a Debian trixie package, unpacked
    local apt_dir
    apt_dir=$(mktemp -d)
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$TOOLS"
    echo "deb http://deb.debian.org/debian trixie main" >"$apt_dir/sources.list"
    local apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o APT::Sandbox::User=root)
    apt-get "${apt_opts[@]}" update -qq
    (cd "$apt_dir" && apt-get "${apt_opts[@]}" download "$1" >/dev/null)
    dpkg-deb -x "$apt_dir/$1"_*.deb "$apt_dir/x"
    cp "$apt_dir/x/$2" "$3"
    rm -rf "$apt_dir"
}
if [ ! -x "$COMPOSE" ]; then
    stamp "fetching Compose v2 from Debian trixie (bookworm packages only v1)"
    trixie_tool docker-compose usr/libexec/docker/cli-plugins/docker-compose "$COMPOSE"
fi
"$COMPOSE" version

# --- 2. our own daemon --------------------------------------------------------------------------------------
mkdir -p "$STATE/data" "$RUN"
dockerd_pid=""
wheel_pid=""
cleanup() {
    rc=$?
    set +e
    if [ -S "$SOCK" ]; then
        "$COMPOSE" "${COMPOSE_FILES[@]}" logs --no-color --tail 40 >"$STATE/compose.log" 2>&1
        docker rm -f stae-ci-encoder-arm64 >/dev/null 2>&1
        "$COMPOSE" "${COMPOSE_FILES[@]}" down --volumes --timeout 10 >/dev/null 2>&1
    fi
    [ -n "$wheel_pid" ] && kill "$wheel_pid" 2>/dev/null
    [ -n "$BINFMT_NAME" ] && [ -e "$BINFMT/$BINFMT_NAME" ] && echo -1 >"$BINFMT/$BINFMT_NAME"
    if [ -n "$dockerd_pid" ]; then
        kill "$dockerd_pid" 2>/dev/null
        for _ in $(seq 60); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$dockerd_pid" 2>/dev/null
    fi
    rm -rf "$STAE_SECRETS"
    [ "${STAE_DOCKER_CLEAN:-0}" = 1 ] && rm -rf "$STATE"
    if [ $rc -ne 0 ]; then echo "docker stack stage FAILED (rc $rc); compose logs: $STATE/compose.log" >&2; fi
    exit $rc
}
trap cleanup EXIT
if [ -f "$RUN/dockerd.pid" ] && kill -0 "$(cat "$RUN/dockerd.pid")" 2>/dev/null; then
    echo "a dockerd from an earlier run is still up (pid $(cat "$RUN/dockerd.pid")): stopping it" >&2
    kill "$(cat "$RUN/dockerd.pid")"; sleep 3
fi
rm -f "$RUN/dockerd.pid"  # a stale one (a killed run) stops dockerd from starting
stamp "starting dockerd (data root $STATE/data)"
dockerd --data-root "$STATE/data" --exec-root "$RUN/exec" --pidfile "$RUN/dockerd.pid" -H "unix://$SOCK" \
    --storage-driver=overlay2 --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    >"$STATE/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 120); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
docker version --format 'engine {{.Server.Version}}'

# --- 3. base images, made here ------------------------------------------------------------------------------
base_image() {  # name, packages[, architecture]
    local arch=${3:-amd64}
    if ! docker image inspect "$1" >/dev/null 2>&1; then
        stamp "mmdebstrap $1 ($arch)"
        # no documentation, manual pages or translations: an image has no reader for them
        # merged /usr by mmdebstrap's hook, not the usrmerge package (which pulls in 47 MB of perl)
        mmdebstrap --quiet --variant=minbase --architectures="$arch" --include="$2" \
            --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
            --dpkgopt='path-exclude=/usr/share/doc/*' \
            --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
            --dpkgopt='path-exclude=/usr/share/info/*' bookworm - 2>"$STATE/mmdebstrap-${1//[\/:]/-}.log" |
            docker import --platform "linux/$arch" - "$1" >/dev/null
    fi
}
base_image stae-ci/base:bookworm python3,python3-venv,python-is-python3,ca-certificates &
base_pid=$!
base_image stae-ci/redis:bookworm redis-tools,redis-server
base_image stae-ci/prometheus:bookworm prometheus  # Debian's package: the stack's Prometheus, offline
wait "$base_pid"
build_base() {  # base image, build image: the base plus this machine's extra CA certificates, for pip
    local ctx
    ctx=$(mktemp -d)
    cp /usr/local/share/ca-certificates/*.crt "$ctx/" 2>/dev/null || true
    printf 'FROM %s\n' "$1" >"$ctx/Dockerfile"
    if [ -n "$(ls "$ctx"/*.crt 2>/dev/null)" ]; then
        printf 'COPY *.crt /usr/local/share/ca-certificates/\nRUN update-ca-certificates >/dev/null\n' >>"$ctx/Dockerfile"
        printf 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt\n' >>"$ctx/Dockerfile"
    fi
    docker build -q -t "$2" "$ctx" >/dev/null
    rm -rf "$ctx"
}
build_base stae-ci/base:bookworm stae-ci/build:bookworm

# --- 4. the project's images --------------------------------------------------------------------------------
(cd "$WHEELS" && exec python3 -m http.server "$WHEEL_PORT" --bind 127.0.0.1 >/dev/null 2>&1) &
wheel_pid=$!
build() {  # image, dockerfile, gzip-size?, extra args...
    local image=$1 file=$2 zipped=$3 start size
    shift 3
    start=$(date +%s)
    docker build --network host -q -f "$file" -t "$image" \
        --build-arg BASE_IMAGE=stae-ci/base:bookworm --build-arg BUILD_IMAGE=stae-ci/build:bookworm "$@" . >/dev/null
    size=$(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')
    if [ "$zipped" = zipped ]; then  # what a camera downloads
        size="$size, $(docker save "$image" | gzip -1 | wc -c | awk '{printf "%.0f MB", $1/1e6}') gzipped"
    fi
    stamp "built $image in $(($(date +%s) - start)) s: $size"
}
build stae-decoder:0.1.0 docker/decoder.Dockerfile - --build-arg TORCH_FIND_LINKS=http://127.0.0.1:$WHEEL_PORT/
build stae-encoder:0.1.0 docker/encoder.Dockerfile zipped
start=$(date +%s)
docker build -q -f docker/prometheus.Dockerfile -t stae-prometheus:0.1.0 --build-arg BASE_IMAGE=stae-ci/prometheus:bookworm . >/dev/null
stamp "built stae-prometheus:0.1.0 in $(($(date +%s) - start)) s"
kill "$wheel_pid"; wheel_pid=""

# --- 5. the stack -------------------------------------------------------------------------------------------
rm -rf "$STAE_SECRETS"
"$ROOT/.venv/bin/stae" dev-certs "$STAE_SECRETS" --names localhost 127.0.0.1 decoder encoder --uid 10001 >/dev/null
export STAE_CI_PROMETHEUS_CONFIG=$RUN/prometheus.ci.yml  # the shipped scrape config, CI's ports
sed 's/encoder:8000/127.0.0.1:18000/; s/decoder:8001/127.0.0.1:18001/' docker/prometheus/prometheus.yml >"$STAE_CI_PROMETHEUS_CONFIG"
up=$(date +%s)
"$COMPOSE" "${COMPOSE_FILES[@]}" up -d --wait --wait-timeout 300
stamp "stack healthy $(($(date +%s) - up)) s after up"
"$PY" docker/ci/check_stack.py --encoder https://127.0.0.1:18000 --redis redis://127.0.0.1:16379/0 \
    --api-key-file "$STAE_SECRETS/api-keys" --ca "$STAE_SECRETS/ca.pem" --decoder https://127.0.0.1:18001 \
    --clips ../shared/data/clips
# The operator's view: Prometheus found both services' series after the clips, the recording rules evaluate,
# every dashboard panel's query runs.
"$PY" docker/ci/check_monitoring.py --prometheus http://127.0.0.1:19090 --dashboard docker/grafana/dashboards/stae.json \
    --encoder https://127.0.0.1:18000 --ca "$STAE_SECRETS/ca.pem" --api-key-file "$STAE_SECRETS/api-keys" \
    --clip ../shared/data/clips/arm_wrestling_k400.mp4 --expect-client encoder-client
docker stop -t 5 stae-ci-encoder-1 >/dev/null
"$PY" - <<'PYEOF'
import os, ssl, subprocess, time, urllib.request
tls = ssl.create_default_context(cafile=os.environ["STAE_SECRETS"] + "/ca.pem")
start = time.perf_counter()
subprocess.run(["docker", "start", "stae-ci-encoder-1"], check=True, capture_output=True)
while True:
    try:
        urllib.request.urlopen("https://127.0.0.1:18000/v2/health/live", timeout=1, context=tls)
        break
    except OSError:
        time.sleep(0.02)
print(f"encoder container: docker start -> /v2/health/live in {time.perf_counter() - start:.2f} s")
PYEOF

# --- 6. the arm64 camera image, built and run under QEMU ----------------------------------------------------
if [ "${STAE_CI_ARM64:-1}" = 1 ]; then
    # QEMU 10 (trixie's static qemu-user): bookworm's 7.2 passes the host's /proc/cpuinfo through, and ONNX
    # Runtime's CPU detection then crashes at import. Registered with the F flag (the kernel holds the binary,
    # so containers need no copy of it) as qemu-aarch64, which mmdebstrap looks for; where the host already has
    # a qemu-aarch64 entry, under our own name (the newest entry wins). Removed again at the end.
    if [ ! -x "$QEMU" ]; then
        stamp "fetching qemu-user 10 from Debian trixie"
        trixie_tool qemu-user usr/bin/qemu-aarch64 "$QEMU"
    fi
    [ -e "$BINFMT/register" ] || mount -t binfmt_misc binfmt_misc "$BINFMT"
    [ -e "$BINFMT/stae-ci-aarch64" ] && echo -1 >"$BINFMT/stae-ci-aarch64"
    BINFMT_NAME=qemu-aarch64
    [ -e "$BINFMT/qemu-aarch64" ] && BINFMT_NAME=stae-ci-aarch64
    printf ':%s:M::%s:%s:%s:OCF\n' "$BINFMT_NAME" \
        '\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00' \
        '\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff' "$QEMU" >"$BINFMT/register"
    base_image stae-ci/base:bookworm-arm64 python3,python3-venv,python-is-python3,ca-certificates arm64
    build_base stae-ci/base:bookworm-arm64 stae-ci/build:bookworm-arm64
    start=$(date +%s)
    docker build --network host -q -f docker/encoder.Dockerfile -t stae-encoder:0.1.0-arm64 \
        --build-arg BASE_IMAGE=stae-ci/base:bookworm-arm64 --build-arg BUILD_IMAGE=stae-ci/build:bookworm-arm64 . >/dev/null
    stamp "built stae-encoder:0.1.0-arm64 in $(($(date +%s) - start)) s: $(docker image inspect -f '{{.Size}}' stae-encoder:0.1.0-arm64 | awk '{printf "%.0f MB", $1/1e6}')"
    machine=$(docker run --rm --entrypoint python stae-encoder:0.1.0-arm64 -c 'import platform; print(platform.machine())')
    [ "$machine" = aarch64 ] || { echo "the arm64 image runs as $machine, not aarch64" >&2; exit 1; }
    stamp "arm64 image: its Python runs as $machine (engine 20.10's legacy builder labels the image with the host's architecture)"
    s=/run/secrets  # the same files, mounted as Compose mounts them
    docker run -d --name stae-ci-encoder-arm64 --network host -v "$ROOT/models:/models:ro" -v "$STAE_SECRETS:$s:ro" \
        -e STAE_ENCODER_API_KEYS_FILE=$s/api-keys -e STAE_ENCODER_DECODER_TOKEN_FILE=$s/decoder-token \
        -e STAE_ENCODER_TLS_CERT_FILE=$s/encoder.pem -e STAE_ENCODER_TLS_KEY_FILE=$s/encoder-key.pem \
        -e STAE_ENCODER_DECODER_CA_FILE=$s/ca.pem -e STAE_ENCODER_DECODER_CLIENT_CERT_FILE=$s/encoder-client.pem \
        -e STAE_ENCODER_DECODER_CLIENT_KEY_FILE=$s/encoder-client-key.pem \
        -e STAE_ENCODER_DECODER_URL=https://127.0.0.1:18001 -e STAE_ENCODER_REDIS_URL=redis://127.0.0.1:16379/0 \
        -e STAE_ENCODER_CHECKPOINT=/models/tiny-conv-latent -e STAE_ENCODER_PROFILE_PATH=/models/tiny-conv-latent/profile.json \
        stae-encoder:0.1.0-arm64 --host 127.0.0.1 --port 18002 >/dev/null
    "$PY" docker/ci/check_stack.py --encoder https://127.0.0.1:18002 --redis redis://127.0.0.1:16379/0 \
        --api-key-file "$STAE_SECRETS/api-keys" --ca "$STAE_SECRETS/ca.pem" --clips ../shared/data/clips \
        --wait-ready 300
    docker rm -f stae-ci-encoder-arm64 >/dev/null
    # Wire v3 across CPUs: the arm64 camera codes the real clips, this amd64 edge decodes every symbol back
    # (a seeded random latent codec with tables of every level, then the shipped model's trained one).
    latent_dir=$(mktemp -d)
    "$PY" docker/ci/latent_agreement.py make --checkpoint "$latent_dir/ck"
    chmod -R a+rX "$latent_dir"
    docker run --rm --network none --entrypoint python -v "$latent_dir/ck:/ck:ro" -v "$ROOT/docker/ci:/ci:ro" \
        -v "$(cd ../shared/data/clips && pwd):/clips:ro" stae-encoder:0.1.0-arm64 \
        /ci/latent_agreement.py camera --checkpoint /ck --clips /clips >"$latent_dir/coded.json"
    "$PY" docker/ci/latent_agreement.py edge --checkpoint "$latent_dir/ck" --clips ../shared/data/clips \
        --coded "$latent_dir/coded.json"
    # and the shipped model's trained codec and tables, as the arm64 camera image loads them
    docker run --rm --network none --entrypoint python -v "$ROOT/models:/models:ro" -v "$ROOT/docker/ci:/ci:ro" \
        -v "$(cd ../shared/data/clips && pwd):/clips:ro" stae-encoder:0.1.0-arm64 \
        /ci/latent_agreement.py camera --checkpoint /models/tiny-conv-latent --clips /clips >"$latent_dir/shipped.json"
    "$PY" docker/ci/latent_agreement.py edge --checkpoint models/tiny-conv-latent --clips ../shared/data/clips \
        --coded "$latent_dir/shipped.json"
    rm -rf "$latent_dir"
    stamp "wire v3: arm64 camera and amd64 edge agree on every symbol of the real clips (a seeded codec, the shipped one)"
fi
stamp "docker stack stage passed"
