#!/usr/bin/env bash
# Tests the Node package (client/node, `hrnn-client`) against a local hrnn-server: checks that
# node (>= 18) and npm are on PATH, trains a small model (hrnn-synth + hrnn-train), starts two
# hrnn-servers on free loopback ports (scripts/lib/server.sh): one with a named filter, one with
# --auth_tokens_file, installs the package's npm dependencies from its package-lock.json
# (`npm ci`, with an npm cache in the temp folder), and runs `npm test` (tsc build, then
# node --test dist/test/: unit tests, an in-process fake gRPC server for routing metadata and
# retries, and the live tests against the servers), then stops the servers with SIGTERM.
# Fails when a live test is skipped. Exits 0 on success, 1 on failure.
# Environment: JOBS (build parallelism, default 2), KEEP=1 keeps the temp folder,
#   HRNN_NPM_CACHE (npm's cache folder; default: one in the temp folder, so a fresh download).
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS="${JOBS:-2}"
BIN=build/bin
START=$(date +%s)
say() { printf '\n== %s\n' "$*"; }
fail() { echo "node-client-test: FAIL: $*" >&2; exit 1; }

WORK=$(mktemp -d -t hrnn-node.XXXXXX)
# shellcheck source=scripts/lib/server.sh
source scripts/lib/server.sh
PIDS=()
cleanup() {
  local status=$?
  set +e
  stop_servers
  if [ "${KEEP:-0}" = "1" ]; then echo "node-client-test: kept $WORK"; else rm -rf "$WORK"; fi
  [ "$status" -ne 0 ] || [ -n "${SKIPPED:-}" ] \
    || echo "node-client-test: PASS in $(($(date +%s) - START)) s"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "tools"
for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 \
    || fail "$tool is missing (Node.js 18 or newer with npm; Debian 12's nodejs is 18)"
done
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
[ "$NODE_MAJOR" -ge 18 ] || fail "node $(node --version) is too old: node:test needs 18 or newer"
echo "node $(node --version), npm $(npm --version)"
for tool in hrnn-server hrnn-cli hrnn-synth hrnn-train; do
  if [ ! -x "$BIN/$tool" ]; then
    bash scripts/setup.sh
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    ninja -C build -j "$JOBS" hrnn-server hrnn-cli hrnn-synth hrnn-train
    break
  fi
done

say "npm ci in client/node"
export npm_config_cache="${HRNN_NPM_CACHE:-$WORK/npm-cache}"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
# The dependencies come from the npm registry: on a machine that cannot reach it (and has no
# cache), say so and stop, as the browser test does without a browser.
if [ -z "${HRNN_NPM_CACHE:-}" ] && ! timeout 30 npm ping >"$WORK/npm-ping.log" 2>&1; then
  cat "$WORK/npm-ping.log"
  echo "node-client-test: SKIP: the npm registry ($(npm config get registry)) cannot be reached"
  SKIPPED=1
  exit 0
fi
# `npm ci` installs exactly package-lock.json's versions, and runs the package's `prepare`
# (the build: protos copied into client/node/proto, tsc into client/node/dist; both ignored).
(cd client/node && npm ci --no-audit --no-fund) >"$WORK/npm.log" 2>&1 \
  || { cat "$WORK/npm.log" >&2; fail "npm ci in client/node failed"; }
tail -n 3 "$WORK/npm.log"

say "a model and two servers"
"$BIN/hrnn-synth" --out="$WORK/log.csv" --users=100 --items=80 --events=4000 --seed=5 \
  2>"$WORK/synth.log" || { cat "$WORK/synth.log" >&2; fail "hrnn-synth failed"; }
"$BIN/hrnn-train" --input="$WORK/log.csv" --output="$WORK/models/shop" --mode=hrnn-init \
  --hidden=32 --user_hidden=32 --epochs=1 --threads="$JOBS" --recipes=hrnn,sknn,sr,personal,trending \
  2>"$WORK/train.log" || { cat "$WORK/train.log" >&2; fail "hrnn-train failed"; }
# shellcheck disable=SC2016  # $TYPES is the filter's parameter, not a shell variable.
echo 'not_clicked: EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($TYPES)' >"$WORK/filters.txt"
TOKEN="node-client-test-token-$RANDOM$RANDOM"
echo "$TOKEN" >"$WORK/tokens.txt"
start_server server --model_dir="$WORK/models/shop" --filters_file="$WORK/filters.txt"
start_server auth --model_dir="$WORK/models/shop" --auth_tokens_file="$WORK/tokens.txt"
# Three items the model knows (items.tsv: index, item_id, popularity).
ITEMS=$(awk -F'\t' 'NR > 1 && NR <= 4 { printf "%s%s", sep, $2; sep = "," }' \
        "$WORK/models/shop/1/items.tsv")

# shellcheck disable=SC2154  # server_TARGET, auth_TARGET: set by start_server
say "npm test against $server_TARGET (and $auth_TARGET with a token)"
(cd client/node && HRNN_TARGET="$server_TARGET" HRNN_ITEMS="$ITEMS" HRNN_FILTERS=1 \
   HRNN_AUTH_TARGET="$auth_TARGET" HRNN_TOKEN="$TOKEN" npm test) >"$WORK/test.log" 2>&1 \
  || { cat "$WORK/test.log"; fail "npm test in client/node failed"; }
grep -E '^# (tests|suites|pass|fail|cancelled|skipped|todo) ' "$WORK/test.log"
if grep -q '# SKIP' "$WORK/test.log"; then
  grep '# SKIP' "$WORK/test.log"
  fail "tests were skipped"
fi
grep -q '^# fail 0$' "$WORK/test.log" || { cat "$WORK/test.log"; fail "npm test reported failures"; }
