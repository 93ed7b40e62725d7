#!/usr/bin/env bash
# Builds the hrnn container image and tests it for real on this machine
# (../shared/notes/containers.md, docs/deploy.md):
#   1. installs Debian's docker.io and debootstrap if missing and starts a private dockerd
#      (its own socket, data root and exec root under a temp folder; no bridge, no iptables:
#      every container here runs with --network host);
#   2. makes the base image debian:bookworm (+ the tag debian:bookworm-slim) with debootstrap
#      when the engine has none, and builds the image from the Dockerfile;
#   3. checks the image: runtime libraries all resolve, non-root user, no compiler inside;
#   4. makes a small model with hrnn-synth + hrnn-train from the local build (building them if
#      needed), runs the image (read-only root filesystem, no capabilities, as in deploy/) with
#      the model mounted read-only, waits for the gRPC health
#      service (hrnn-cli over 127.0.0.1) and for Docker's HEALTHCHECK to say healthy, checks that
#      hrnn-server is PID 1 as uid 10001, sends events, replays a log, reads recommendations,
#      reads /metrics with curl;
#   5. sends SIGTERM (docker kill -s TERM) and checks exit status 0 within the drain deadline
#      (10 s) + 2 s;
#   6. cleans up: container and image removed, images pruned, dockerd stopped by its pid, the
#      base rootfs and the temp folder removed.
# Exits 0 when every check passed, 1 when one failed. It prints "container-test: SKIP: <why>"
# and exits 0 only when a Docker engine cannot run on this machine at all (not root and no
# sudo, docker.io not installable, dockerd does not start, or it cannot start any container).
#
# Environment: JOBS (compile jobs inside the image build, default 2);
#   HRNN_DOCKER_DATA_ROOT=DIR keeps the engine's images and build cache in DIR between runs
#   (default: a temp folder, removed at the end, so every run builds from scratch).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

JOBS="${JOBS:-2}"
IMAGE=hrnn:container-test
NAME="hrnn-container-test-$$"
DRAIN_DEADLINE_S=10
START=$(date +%s)

say() { printf '\n== %s\n' "$*"; }
fail() { echo "container-test: FAIL: $*" >&2; exit 1; }
skip() { echo "container-test: SKIP: $*"; SKIPPED=1; exit 0; }

SKIPPED=0
WORK=$(mktemp -d -t hrnn-container.XXXXXX)
DATA_ROOT="${HRNN_DOCKER_DATA_ROOT:-$WORK/docker-data}"
SOCK="$WORK/docker.sock"
export DOCKER_HOST="unix://$SOCK"
DOCKERD_PID=""
CLI_LOCAL=build/bin/hrnn-cli

SUDO=""
# The docker client that matches Debian's engine (another client may be first on PATH).
DOCKER="/usr/bin/docker"

cleanup() {
  local status=$?
  set +e
  if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    $DOCKER rm -f "$NAME" >/dev/null 2>&1
    if [ -z "${HRNN_DOCKER_DATA_ROOT:-}" ]; then
      $DOCKER rmi -f "$IMAGE" debian:bookworm debian:bookworm-slim >/dev/null 2>&1
      $DOCKER builder prune -f >/dev/null 2>&1
      $DOCKER image prune -f >/dev/null 2>&1
    fi  # (else the image and its build cache, untagged stage images included, stay in the
        # kept data root)
    $SUDO kill -TERM "$DOCKERD_PID"
    for _ in $(seq 100); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$DOCKERD_PID" 2>/dev/null; then
      echo "container-test: dockerd did not stop in 20 s; killing it" >&2
      $SUDO kill -KILL "$DOCKERD_PID"
    fi
  fi
  # Anything the engine left mounted under the temp folder, deepest first, then the folder
  # (rootfs included: it is root-owned).
  grep -F " $WORK/" /proc/mounts 2>/dev/null | awk '{print $2}' | sort -r |
    while read -r mount_point; do $SUDO umount -l "$mount_point"; done
  $SUDO rm -rf "$WORK"
  if [ "$status" -eq 0 ] && [ "$SKIPPED" -eq 0 ]; then
    echo "container-test: PASS in $(($(date +%s) - START)) s"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    skip "dockerd needs root: running as uid $(id -u) without passwordless sudo"
  fi
fi

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "container-test: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null; then
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q || return 1
  fi
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" \
    || { $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q &&
         $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
           "${missing[@]}"; }
}

# The Debian mirrors this machine's apt uses for SUITE (deb822 .sources or one-line
# sources.list; comments ignored), or deb.debian.org.
apt_uri() {
  local suite=$1 default=$2 uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v '^[[:space:]]*#' | awk -v s="$suite" '
      /^$/ { uri = "" } /^URIs:/ { uri = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s && uri != "") { print uri; exit } }')
  if [ -z "$uri" ]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
          awk -v s="$suite" '$1 == "deb" && $3 == s { print $2; exit }')
  fi
  echo "${uri:-$default}"
}
debian_mirror() { apt_uri bookworm http://deb.debian.org/debian; }
debian_security_mirror() { apt_uri bookworm-security http://deb.debian.org/debian-security; }

say "engine: Debian docker.io, private dockerd"
apt_install docker.io debootstrap curl ca-certificates \
  || skip "docker.io/debootstrap cannot be installed with apt-get (see above), so no engine can run"
[ -x "$DOCKER" ] || skip "docker.io is installed but $DOCKER is missing"
mkdir -p "$DATA_ROOT" "$WORK/exec"
# No bridge and no iptables rules: this engine never touches the host's network setup, and
# every container (build steps included) uses the host network, where only 127.0.0.1 is used.
$SUDO dockerd --host "$DOCKER_HOST" --pidfile "$WORK/dockerd.pid" --data-root "$DATA_ROOT" \
  --exec-root "$WORK/exec" --bridge none --iptables=false --ip-masq=false \
  >"$WORK/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for i in $(seq 120); do
  [ -S "$SOCK" ] && $SUDO $DOCKER version >/dev/null 2>&1 && break
  if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
    tail -n 20 "$WORK/dockerd.log" >&2
    DOCKERD_PID=""
    skip "dockerd exited during start-up (its log is above)"
  fi
  [ "$i" -lt 120 ] || { tail -n 20 "$WORK/dockerd.log" >&2
                        skip "dockerd did not answer on $SOCK within 60 s (its log is above)"; }
  sleep 0.5
done
# The socket is root's; let this user's client use it.
[ -z "$SUDO" ] || $SUDO chown "$(id -u)" "$SOCK"
# The pid dockerd wrote (the one to stop), in case $! is the sudo wrapper.
[ -s "$WORK/dockerd.pid" ] && DOCKERD_PID=$(cat "$WORK/dockerd.pid")
$DOCKER version --format 'client {{.Client.Version}}, engine {{.Server.Version}}'

say "base image debian:bookworm"
if $DOCKER image inspect debian:bookworm >/dev/null 2>&1; then
  echo "present"
else
  MIRROR=$(debian_mirror)
  SECURITY=$(debian_security_mirror)
  echo "debootstrap --variant=minbase bookworm from $MIRROR"
  $SUDO debootstrap --variant=minbase bookworm "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 20 "$WORK/debootstrap.log" >&2; fail "debootstrap failed (log above)"; }
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
    "$MIRROR" "$MIRROR" "$SECURITY" | $SUDO tee "$WORK/rootfs/etc/apt/sources.list" >/dev/null
  $SUDO rm -rf "$WORK/rootfs/var/cache/apt/archives/"*.deb "$WORK/rootfs/var/lib/apt/lists/"*
  $SUDO tar -C "$WORK/rootfs" --numeric-owner -c . | $DOCKER import - debian:bookworm >/dev/null
  $DOCKER tag debian:bookworm debian:bookworm-slim
  $SUDO rm -rf "$WORK/rootfs"
  echo "imported debian:bookworm ($($DOCKER image inspect -f '{{.Size}}' debian:bookworm) bytes)"
fi
# Can this engine run a container at all? (Kernel features, cgroups, seccomp, ...)
if ! $DOCKER run --rm --network host debian:bookworm true 2>"$WORK/probe.err"; then
  cat "$WORK/probe.err" >&2
  skip "the engine starts but cannot run a container on this machine (error above)"
fi

say "build the image (docker build --build-arg JOBS=$JOBS; compiles the project)"
BUILD_START=$(date +%s)
DOCKER_BUILDKIT=0 $DOCKER build --network host --build-arg "JOBS=$JOBS" -t "$IMAGE" . \
  >"$WORK/build.log" 2>&1 || { tail -n 40 "$WORK/build.log" >&2; fail "docker build failed"; }
grep -E '^Sending build context' "$WORK/build.log" || true
echo "built in $(($(date +%s) - BUILD_START)) s; image size" \
  "$(($($DOCKER image inspect -f '{{.Size}}' "$IMAGE") / 1000000)) MB"

say "inspect the image"
USER_CFG=$($DOCKER image inspect -f '{{.Config.User}}' "$IMAGE")
[ "$USER_CFG" = "10001:10001" ] || fail "image user is '$USER_CFG', not 10001:10001"
$DOCKER image inspect -f 'user {{.Config.User}}, entrypoint {{.Config.Entrypoint}}, volumes {{.Config.Volumes}}, ports {{.Config.ExposedPorts}}' "$IMAGE"
$DOCKER image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE" | grep '^HRNN_' \
  | tr '\n' ' '; echo
$DOCKER run --rm --network host --entrypoint /bin/sh "$IMAGE" -c '
  status=0
  for tool in /usr/local/bin/hrnn-*; do
    if ldd "$tool" | grep "not found"; then echo "$tool: missing libraries"; status=1; fi
  done
  for tool in g++ gcc cmake ninja protoc; do
    if command -v "$tool" >/dev/null; then echo "build tool in the runtime image: $tool"; status=1; fi
  done
  ls /usr/local/bin | tr "\n" " "; echo
  hrnn-retrain --help >/dev/null || { echo "hrnn-retrain --help failed"; status=1; }
  exit $status' || fail "the runtime image lacks a library, carries a build tool or cannot run hrnn-retrain (above)"

say "a model from the local build (hrnn-synth + hrnn-train)"
if [ ! -x build/bin/hrnn-synth ] || [ ! -x build/bin/hrnn-train ] || [ ! -x "$CLI_LOCAL" ]; then
  bash scripts/setup.sh
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C build -j "$JOBS" hrnn-synth hrnn-train hrnn-cli
fi
build/bin/hrnn-synth --out="$WORK/log.csv" --users=200 --items=300 --events=10000 --seed=7 \
  2>"$WORK/synth.log" || { cat "$WORK/synth.log" >&2; fail "hrnn-synth failed"; }
build/bin/hrnn-train --input="$WORK/log.csv" --output="$WORK/models/shop" --mode=hrnn-init \
  --hidden=32 --user_hidden=32 --epochs=1 --threads="$JOBS" --recipes=hrnn,sknn,sr,personal,trending \
  2>"$WORK/train.log" \
  || { cat "$WORK/train.log" >&2; fail "hrnn-train failed"; }
chmod -R a+rX "$WORK/models"
ls "$WORK/models/shop"/*

say "run the container (--network host, read-only root, no capabilities, model mounted read-only)"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
METRICS_PORT=$(free_port)
[ "$PORT" != "$METRICS_PORT" ] || METRICS_PORT=$(free_port)
# --read-only, --cap-drop ALL and no-new-privileges: what the StatefulSet's securityContext
# imposes in Kubernetes (deploy/base/statefulset.yaml).
$DOCKER run -d --name "$NAME" --network host \
  --read-only --cap-drop ALL --security-opt no-new-privileges \
  -v "$WORK/models/shop:/models:ro" \
  -e HRNN_PORT="$PORT" -e HRNN_METRICS_PORT="$METRICS_PORT" \
  --health-interval=1s --health-start-period=30s "$IMAGE" >/dev/null
CLI=("$CLI_LOCAL" --target="127.0.0.1:$PORT")
for i in $(seq 120); do
  "${CLI[@]}" --deadline=1s --max_attempts=1 health >/dev/null 2>&1 && break
  [ "$($DOCKER inspect -f '{{.State.Running}}' "$NAME")" = "true" ] \
    || { $DOCKER logs "$NAME" >&2; fail "the container exited during start-up"; }
  [ "$i" -lt 120 ] || { $DOCKER logs "$NAME" >&2; fail "not SERVING within 60 s"; }
  sleep 0.5
done
echo "health (gRPC, from the host): $("${CLI[@]}" health)"
for i in $(seq 60); do
  HEALTH=$($DOCKER inspect -f '{{.State.Health.Status}}' "$NAME")
  [ "$HEALTH" = "healthy" ] && break
  [ "$i" -lt 60 ] || { $DOCKER inspect -f '{{json .State.Health}}' "$NAME" >&2
                       fail "Docker HEALTHCHECK says $HEALTH after 30 s"; }
  sleep 0.5
done
echo "Docker HEALTHCHECK (hrnn-cli health inside the container): $HEALTH"
$DOCKER logs "$NAME" > "$WORK/container.log" 2>&1
sed -n 1,5p "$WORK/container.log"
PID1=$($DOCKER exec "$NAME" cat /proc/1/cmdline | tr '\0' ' ')
case "$PID1" in /usr/local/bin/hrnn-server*) ;; *) fail "PID 1 is '$PID1', not hrnn-server" ;; esac
UID_IN=$($DOCKER exec "$NAME" awk '/^Uid:/ { print $2 }' /proc/1/status)
[ "$UID_IN" = "10001" ] || fail "hrnn-server runs as uid $UID_IN, not 10001"
echo "PID 1: $PID1(uid $UID_IN)"

say "events and recommendations over 127.0.0.1:$PORT"
# (No `| head` in pipelines here: with pipefail, a writer killed by SIGPIPE fails the script.)
ITEMS=($(awk -F, 'NR > 1 && !seen[$2]++ { print $2; if (++n == 3) exit }' "$WORK/log.csv"))
[ ${#ITEMS[@]} -eq 3 ] || fail "could not pick 3 items from the log"
for item in "${ITEMS[@]}"; do
  "${CLI[@]}" event --user=container-user --session=s1 --item="$item" >/dev/null \
    || fail "event $item failed"
done
REC=$("${CLI[@]}" --json recommend --user=container-user --session=s1 --n=5 --exclude_session_items) \
  || fail "recommend failed"
echo "$REC"
[ "$(grep -o '"item_id"' <<<"$REC" | wc -l)" -eq 5 ] || fail "expected 5 recommendations"
grep -q '"state": *"session"' <<<"$REC" || fail "expected state \"session\" after 3 events"
sed -n 1,1001p "$WORK/log.csv" > "$WORK/replay.csv"
"${CLI[@]}" replay --input="$WORK/replay.csv" --batch=250 || fail "replay failed"
"${CLI[@]}" model-info > "$WORK/model-info.txt" || fail "model-info failed"
sed -n 1,4p "$WORK/model-info.txt"

say "metrics on 127.0.0.1:$METRICS_PORT"
metric() { awk -v name="$1" '$1 == name { print $2 }' "$WORK/metrics.txt"; }
# The store gauges are refreshed every 0.5 s: read until they show the users (up to 5 s).
for _ in $(seq 10); do
  curl -fsS "http://127.0.0.1:$METRICS_PORT/metrics" > "$WORK/metrics.txt" || fail "GET /metrics failed"
  awk -v u="$(metric hrnn_active_users)" 'BEGIN { exit !(u >= 2) }' && break
  sleep 0.5
done
grep -E '^hrnn_(model_loaded|model_items|active_users|user_state_bytes) ' "$WORK/metrics.txt"
[ "$(metric hrnn_model_loaded)" = "1" ] || fail "hrnn_model_loaded is not 1"
USERS=$(metric hrnn_active_users)
awk -v u="$USERS" 'BEGIN { exit !(u >= 2) }' || fail "hrnn_active_users is '$USERS' (expected >= 2)"
grep -q '^hrnn_events_total{.*outcome="applied"' "$WORK/metrics.txt" \
  || fail "no applied events in hrnn_events_total"

say "SIGTERM: clean exit within the drain deadline (${DRAIN_DEADLINE_S} s) + 2 s"
T0=$(date +%s.%N)
$DOCKER kill -s TERM "$NAME" >/dev/null
CODE=$(timeout $((DRAIN_DEADLINE_S + 10)) $DOCKER wait "$NAME") \
  || fail "the container did not stop within $((DRAIN_DEADLINE_S + 10)) s of SIGTERM"
ELAPSED=$(awk -v t0="$T0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.2f", t1 - t0 }')
$DOCKER logs "$NAME" > "$WORK/container.log" 2>&1
tail -n 3 "$WORK/container.log"
echo "exit status $CODE after $ELAPSED s"
[ "$CODE" = "0" ] || fail "exit status $CODE after SIGTERM (expected 0)"
awk -v e="$ELAPSED" -v d="$DRAIN_DEADLINE_S" 'BEGIN { exit !(e <= d + 2) }' \
  || fail "took $ELAPSED s to stop (drain deadline $DRAIN_DEADLINE_S s + 2 s)"
grep -q "received SIGTERM" "$WORK/container.log" || fail "the server did not log SIGTERM"
