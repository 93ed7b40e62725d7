#!/usr/bin/env bash
# Tests the Python example client (client/python/example.py) against a local hrnn-server:
# installs Debian's python3-grpcio and python3-protobuf if missing, generates the Python gRPC
# code from proto/ into a temp folder (protoc + grpc_python_plugin; never committed), trains a
# small model, starts hrnn-server on free loopback ports, runs the example and checks its output,
# then stops the server with SIGTERM. Exits 0 on success, 1 on failure.
# Environment: JOBS (build parallelism, default 2), KEEP=1 keeps the temp folder.
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS="${JOBS:-2}"
BIN=build/bin
PYTHON=/usr/bin/python3  # Debian's interpreter, where python3-grpcio lives (not a pyenv one).
say() { printf '\n== %s\n' "$*"; }
fail() { echo "python-client-test: FAIL: $*" >&2; exit 1; }

WORK=$(mktemp -d -t hrnn-python.XXXXXX)
SERVER_PID=""
cleanup() {
  local status=$?
  set +e
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    for _ in $(seq 150); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  if [ "${KEEP:-0}" = "1" ]; then echo "python-client-test: kept $WORK"; else rm -rf "$WORK"; fi
  [ "$status" -ne 0 ] || echo "python-client-test: PASS"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "packages"
missing=()
for pkg in python3 python3-grpcio python3-protobuf protobuf-compiler protobuf-compiler-grpc; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null \
    || $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
fi
"$PYTHON" -c 'import grpc, google.protobuf as p; print("grpcio", grpc.__version__, "protobuf", p.__version__)'

say "generate the Python gRPC code from proto/ into $WORK/gen"
GEN="$WORK/gen"
mkdir -p "$GEN" "$WORK/health/hrnn_health"
PLUGIN=(--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin)
protoc -I proto --python_out="$GEN" --grpc_out="$GEN" "${PLUGIN[@]}" hrnn/v1/recommender.proto
# The health proto under the module hrnn_health (grpc/health/v1 would shadow grpcio's package).
cp proto/grpc/health/v1/health.proto "$WORK/health/hrnn_health/"
protoc -I "$WORK/health" --python_out="$GEN" --grpc_out="$GEN" "${PLUGIN[@]}" \
  hrnn_health/health.proto
(cd "$GEN" && find . -name '*.py' | sort)

say "a model and a server"
for tool in hrnn-server hrnn-synth hrnn-train; do
  if [ ! -x "$BIN/$tool" ]; then
    bash scripts/setup.sh
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    ninja -C build -j "$JOBS" hrnn-server hrnn-synth hrnn-train
    break
  fi
done
"$BIN/hrnn-synth" --out="$WORK/log.csv" --users=100 --items=80 --events=4000 --seed=5 \
  2>"$WORK/synth.log" || { cat "$WORK/synth.log" >&2; fail "hrnn-synth failed"; }
"$BIN/hrnn-train" --input="$WORK/log.csv" --output="$WORK/models/shop" --mode=hrnn-init \
  --hidden=32 --user_hidden=32 --epochs=1 --threads="$JOBS" --recipes=hrnn,sknn,sr,personal,trending \
  2>"$WORK/train.log" \
  || { cat "$WORK/train.log" >&2; fail "hrnn-train failed"; }
"$BIN/hrnn-server" --model_dir="$WORK/models/shop" --host=127.0.0.1 --port=0 --metrics_port=0 \
  >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
TARGET=""
for _ in $(seq 300); do
  TARGET=$(sed -n 's/^listening on \([^ ]*:[0-9]*\)$/\1/p;T;q' "$WORK/server.out")
  [ -n "$TARGET" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.err" >&2; fail "hrnn-server exited"; }
  sleep 0.1
done
[ -n "$TARGET" ] || fail "hrnn-server did not print its port"
echo "hrnn-server on $TARGET"
# Three items the model knows (items.tsv: index, item_id, popularity).
ITEMS=$(awk -F'\t' 'NR > 1 && NR <= 4 { printf "%s%s", sep, $2; sep = "," }' \
        "$WORK/models/shop/1/items.tsv")

say "client/python/example.py --target=$TARGET --user=py-user-1 --items=$ITEMS"
OUT=$(PYTHONPATH="$GEN" "$PYTHON" client/python/example.py --target="$TARGET" \
        --user="py-user-1" --items="$ITEMS" --session=py-s1 --n=5) \
  || { echo "$OUT"; fail "example.py failed"; }
echo "$OUT"
grep -q '^health: SERVING$' <<<"$OUT" || fail "no SERVING health"
grep -q '^events: accepted 3, rejected 0$' <<<"$OUT" || fail "events were not all accepted"
grep -q 'state session, recipe ' <<<"$OUT" || fail "recommendations not from the live session"
grep -Eq "^similar to ${ITEMS##*,} \(recipe (auto|hrnn), 5 items\): [^ ]+( [^ ]+){4}$" <<<"$OUT" \
  || fail "expected 5 similar items of the last item clicked"
[ "$(grep -c '^ *[0-9]*\. ' <<<"$OUT")" -eq 5 ] || fail "expected 5 recommendations"
grep -q 'not-an-item(unknown)$' <<<"$OUT" || fail "ranking did not put the unknown id last"
grep -q '^num_results=900: INVALID_ARGUMENT' <<<"$OUT" || fail "num_results=900 not rejected"
