# hrnn container image: hrnn-server (the entrypoint), hrnn-cli (used by the HEALTHCHECK and for
# debugging), hrnn-train, hrnn-synth, hrnn-batch (campaign lists: deploy/batch), hrnn-report
# (experiment reports from the event log), and hrnn-retrain (scripts/retrain.sh: hrnn-export ->
# hrnn-train -> hrnn-eval gate; deploy/retrain).
#
#   docker build --build-arg JOBS=2 -t hrnn:dev .
#   docker run --rm -v "$PWD/models/shop:/models:ro" -p 8500:8500 -p 9100:9100 hrnn:dev
#
# The model root (models/<name>/ holding integer version folders) is mounted at /models; /state
# is reserved for the event log and snapshots (the server keeps user state in memory in this
# version). Every hrnn-server flag can be given as an HRNN_<FLAG> environment variable or as
# arguments after the image name (`docker run ... hrnn:dev --max_users=1000000`).
# Nothing here needs BuildKit: it builds with the classic builder of Debian's docker.io 20.10.

# ---- build stage: the Debian packages of scripts/setup.sh needed to compile (no test,
# benchmark or demo packages), then a Release build of the seven tools only.
FROM debian:bookworm AS build
ARG JOBS=2
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends \
      g++ cmake ninja-build pkg-config ca-certificates \
      libabsl-dev libeigen3-dev nlohmann-json3-dev zlib1g-dev \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
      prometheus-cpp-dev libhiredis-dev libcpp-httplib-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Sources in the order they change least often; .dockerignore keeps everything else out.
COPY CMakeLists.txt ./
COPY proto proto
COPY core core
COPY server server
COPY client client
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DHRNN_BUILD_TESTS=OFF -DHRNN_BUILD_BENCHMARKS=OFF \
 && ninja -C /build -j "${JOBS}" hrnn-server hrnn-cli hrnn-train hrnn-synth hrnn-batch \
      hrnn-export hrnn-eval hrnn-report \
 && mkdir -p /out \
 && for tool in hrnn-server hrnn-cli hrnn-train hrnn-synth hrnn-batch hrnn-export hrnn-eval \
      hrnn-report; do \
      strip --strip-unneeded -o "/out/${tool}" "/build/bin/${tool}"; \
    done

# ---- runtime stage: only the shared libraries the binaries load (found with ldd + dpkg -S on
# the built tools: `readelf -d` NEEDED -> `dpkg -S`; their own dependencies, e.g. libc-ares2,
# libssl3, libre2-9, libcivetweb1, come with them).
FROM debian:bookworm-slim
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends \
      libgrpc++1.51 libgrpc29 libprotobuf32 libprometheus-cpp-pull1.0 libprometheus-cpp-core1.0 \
      libabsl20220623 zlib1g libhiredis0.14 libcpp-httplib0.11 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb

# A fixed non-root uid/gid (10001) so that Kubernetes' runAsUser/fsGroup and host-mounted
# volumes can name it.
RUN groupadd --system --gid 10001 hrnn \
 && useradd --system --uid 10001 --gid hrnn --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin hrnn \
 && mkdir -p /models /state \
 && chown hrnn:hrnn /models /state

COPY --from=build /out/ /usr/local/bin/
# The retraining gate is a bash script of the tools above (bash, coreutils, sed and awk are in
# bookworm-slim).
COPY scripts/retrain.sh /usr/local/bin/hrnn-retrain
RUN chmod 0755 /usr/local/bin/hrnn-retrain

# Defaults for a container: listen on every interface (the server's own default is 127.0.0.1),
# serve the model root mounted at /models. Override any of them with -e HRNN_...=... .
ENV HRNN_HOST=0.0.0.0 \
    HRNN_PORT=8500 \
    HRNN_METRICS_PORT=9100 \
    HRNN_MODEL_DIR=/models

VOLUME ["/models", "/state"]
EXPOSE 8500 9100
USER 10001:10001
WORKDIR /state

# SERVING once a model is loaded; NOT_SERVING (unhealthy) before that and while draining.
# (Kubernetes ignores HEALTHCHECK: deploy/ uses its native gRPC probes on the same service.)
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD hrnn-cli --target="127.0.0.1:${HRNN_PORT}" --deadline=3s --max_attempts=1 health \
      --service=hrnn.v1.Recommender || exit 1

# hrnn-server runs as PID 1 (exec form, no shell): it blocks SIGTERM/SIGINT and waits for them
# with sigwait, so the kernel delivers them to PID 1; on SIGTERM it reports NOT_SERVING, drains
# calls for up to --drain_deadline (10 s), stops /metrics (<= 2 s) and exits 0. Give `docker stop`
# more than that: `docker stop -t 15` (its default of 10 s would SIGKILL a full drain).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/hrnn-server"]
