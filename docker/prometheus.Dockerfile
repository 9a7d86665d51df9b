# Prometheus for the stack (docker-compose.yml's `prometheus` service): Debian's package, the project's scrape
# config, recording and alerting rules (docker/prometheus/). Offline builds pass a base image that already holds
# the package (docker/ci/stack.sh makes one with mmdebstrap --include=prometheus); otherwise it is installed here.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
# hadolint ignore=DL3008
RUN command -v prometheus >/dev/null || (apt-get update && apt-get install --yes --no-install-recommends prometheus \
        && rm -rf /var/lib/apt/lists/*)
RUN mkdir -p /prometheus && chown 10001 /prometheus
COPY docker/prometheus/prometheus.yml docker/prometheus/rules.yml docker/prometheus/alerts.yml /etc/stae-prometheus/
# The stack's secrets (CA, client certificate, metrics token) are handed to uid 10001, like the services'.
USER 10001
EXPOSE 9090
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["promtool", "query", "instant", "http://127.0.0.1:9090", "vector(1)"]
ENTRYPOINT ["prometheus"]
CMD ["--config.file=/etc/stae-prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus", \
    "--storage.tsdb.retention.time=15d", "--web.listen-address=:9090"]
