#!/usr/bin/env bash
# Tests the Python client package (client/python, `hrnn`) against a local hrnn-server: installs
# the Debian packages it needs if missing (python3-grpcio, python3-protobuf, python3-venv, the
# protobuf compilers), creates a venv that sees Debian's packages
# (python3 -m venv --system-site-packages) and pip-installs the package into it from the tree
# (--no-build-isolation --no-index: nothing is downloaded; the gRPC code is generated from proto/
# by the package's build step, never committed), trains a small model, starts hrnn-server on free
# loopback ports (with a named filter), runs client/python/example.py and checks its output, runs
# client/python/tests/test_client.py (unittest) against the server, then stops the server with
# SIGTERM. Exits 0 on success, 1 on failure.
# Environment: JOBS (build parallelism, default 2), KEEP=1 keeps the temp folder.
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS="${JOBS:-2}"
BIN=build/bin
PYTHON=/usr/bin/python3  # Debian's interpreter, where python3-grpcio lives (not a pyenv one).
say() { printf '\n== %s\n' "$*"; }
fail() { echo "python-client-test: FAIL: $*" >&2; exit 1; }

WORK=$(mktemp -d -t hrnn-python.XXXXXX)
SERVER_PIDS=()
cleanup() {
  local status=$?
  set +e
  local pid
  for pid in "${SERVER_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid"
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [ "${KEEP:-0}" = "1" ]; then echo "python-client-test: kept $WORK"; else rm -rf "$WORK"; fi
  [ "$status" -ne 0 ] || echo "python-client-test: PASS"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "packages"
missing=()
# python3-venv: the venv (with pip); python3-setuptools, python3-wheel: the package's build
# without build isolation; protobuf-compiler(-grpc): its build step's protoc and gRPC plugin.
for pkg in python3 python3-grpcio python3-protobuf python3-venv python3-setuptools python3-wheel \
           protobuf-compiler protobuf-compiler-grpc; do
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

say "pip install ./client/python into a venv ($WORK/venv)"
"$PYTHON" -m venv --system-site-packages "$WORK/venv"
VENV_PYTHON="$WORK/venv/bin/python"
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the tree
"$VENV_PYTHON" -m pip install -q --no-build-isolation --no-index ./client/python \
  >"$WORK/pip.log" 2>&1 || { cat "$WORK/pip.log" >&2; fail "pip install ./client/python failed"; }
# setuptools builds in-tree: leave the tree as it was (the outputs are also .gitignored).
rm -rf client/python/build client/python/src/hrnn_client.egg-info
(cd "$WORK" && "$VENV_PYTHON" -c 'import hrnn, hrnn.v1.recommender_pb2_grpc; print("hrnn", hrnn.__version__, "from", hrnn.__file__)')

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
# A named filter with a parameter, for the tests' ListFilters and Filter.name.
echo 'not_clicked: EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($TYPES)' >"$WORK/filters.txt"
# start_server NAME FLAG...: starts hrnn-server on free loopback ports with the model and FLAGs,
# and sets TARGET to its HOST:PORT once it listens.
start_server() {
  local name=$1 pid
  shift
  "$BIN/hrnn-server" --model_dir="$WORK/models/shop" --host=127.0.0.1 --port=0 --metrics_port=0 \
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  pid=$!
  SERVER_PIDS+=("$pid")
  TARGET=""
  for _ in $(seq 300); do
    TARGET=$(sed -n 's/^listening on \([^ ]*:[0-9]*\)$/\1/p;T;q' "$WORK/$name.out")
    [ -n "$TARGET" ] && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$WORK/$name.err" >&2; fail "hrnn-server ($name) exited"; }
    sleep 0.1
  done
  fail "hrnn-server ($name) did not print its port"
}
# A second server that wants a bearer token, for the client's token= (tests only).
TOKEN="py-client-test-token-$RANDOM$RANDOM"
echo "$TOKEN" >"$WORK/tokens.txt"
start_server auth --auth_tokens_file="$WORK/tokens.txt"
AUTH_TARGET=$TARGET
echo "hrnn-server with --auth_tokens_file on $AUTH_TARGET"
start_server server --filters_file="$WORK/filters.txt"
echo "hrnn-server on $TARGET"
# Three items the model knows (items.tsv: index, item_id, popularity).
ITEMS=$(awk -F'\t' 'NR > 1 && NR <= 4 { printf "%s%s", sep, $2; sep = "," }' \
        "$WORK/models/shop/1/items.tsv")

say "client/python/example.py --target=$TARGET --user=py-user-1 --items=$ITEMS"
OUT=$("$VENV_PYTHON" client/python/example.py --target="$TARGET" \
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
grep -q '^stream: accepted 3, rejected 0$' <<<"$OUT" \
  || fail "the stream's events were not all accepted"

say "client/python/tests/test_client.py against $TARGET"
HRNN_TARGET="$TARGET" HRNN_ITEMS="$ITEMS" HRNN_FILTERS=1 \
  HRNN_AUTH_TARGET="$AUTH_TARGET" HRNN_TOKEN="$TOKEN" \
  "$VENV_PYTHON" -m unittest discover -s client/python/tests -t client/python/tests -v \
  >"$WORK/unittest.log" 2>&1 || { cat "$WORK/unittest.log"; fail "client/python tests failed"; }
cat "$WORK/unittest.log"
if grep -q 'skipped' "$WORK/unittest.log"; then fail "live tests were skipped"; fi
