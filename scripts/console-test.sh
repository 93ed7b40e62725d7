#!/usr/bin/env bash
# Tests the web console (GET /console on hrnn-server's HTTP/JSON port) in a headless browser:
# trains a small model (hrnn-synth + hrnn-train), starts hrnn-server with --http_port=0 (and a
# named filter) on free loopback ports (scripts/lib/server.sh), posts a few clicks with curl,
# then loads
#   1. /console?user=USER&n=5 in headless Chromium (--dump-dom after a virtual-time budget) and
#      checks the rendered page: the model version in the header, the filter in its select, 5
#      ranked rows with the very items curl gets, state "session", a 32-hex recommendation id and
#      an empty, hidden error box;
#   2. /console?user=USER&n=9999 and checks that the API's INVALID_ARGUMENT message is shown in
#      the error box;
#   3. /console?user=<i>x</i>&n=3 and checks that the user id is rendered as text, not markup.
# Prints a PASS or FAIL line per check; exits 0 when all pass, 1 otherwise. Without a Chromium
# binary (scripts/setup.sh installs Debian's `chromium`) it prints a SKIP line and exits 0.
# Environment: CHROMIUM (the browser binary; default: the first of chromium, chromium-browser,
#   google-chrome on PATH), JOBS (build parallelism, default 2), KEEP=1 keeps the temp folder.
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS="${JOBS:-2}"
BIN=build/bin
START=$(date +%s)
USER_ID="console-ann"
say() { printf '\n== %s\n' "$*"; }
fail() { echo "console-test: FAIL: $*" >&2; exit 1; }
pass() { echo "console-test: PASS: $*"; }

BROWSER="${CHROMIUM:-}"
if [ -z "$BROWSER" ]; then
  for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then BROWSER=$(command -v "$candidate"); break; fi
  done
fi
if [ -z "$BROWSER" ] || [ ! -x "$BROWSER" ]; then
  echo "console-test: SKIP: no Chromium binary (chromium, chromium-browser or google-chrome;" \
       "scripts/setup.sh installs Debian's chromium)"
  exit 0
fi

WORK=$(mktemp -d -t hrnn-console.XXXXXX)
PIDS=()
cleanup() {
  local status=$?
  set +e
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [ "${KEEP:-0}" = "1" ]; then echo "console-test: kept $WORK"; else rm -rf "$WORK"; fi
  [ "$status" -ne 0 ] || echo "console-test: PASS in $(($(date +%s) - START)) s"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "tools"
"$BROWSER" --version
for tool in hrnn-server hrnn-cli hrnn-synth hrnn-train; do
  if [ ! -x "$BIN/$tool" ]; then
    bash scripts/setup.sh
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    ninja -C build -j "$JOBS" hrnn-server hrnn-cli hrnn-synth hrnn-train
    break
  fi
done

say "a model and a server"
"$BIN/hrnn-synth" --out="$WORK/log.csv" --users=60 --items=60 --events=2000 --seed=7 \
  2>"$WORK/synth.log" || { cat "$WORK/synth.log" >&2; fail "hrnn-synth failed"; }
"$BIN/hrnn-train" --input="$WORK/log.csv" --output="$WORK/models/shop" --mode=hrnn-init \
  --hidden=16 --user_hidden=16 --epochs=1 --threads="$JOBS" \
  --recipes=hrnn,sknn,sr,personal,trending 2>"$WORK/train.log" \
  || { cat "$WORK/train.log" >&2; fail "hrnn-train failed"; }
# shellcheck disable=SC2016  # $TYPES is the filter's parameter, not a shell variable.
echo 'not_clicked: EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($TYPES)' >"$WORK/filters.txt"
# shellcheck source=scripts/lib/server.sh
source scripts/lib/server.sh
start_server server --model_dir="$WORK/models/shop" --http_port=0 \
  --filters_file="$WORK/filters.txt"
# shellcheck disable=SC2154  # set by start_server
HTTP=$server_HTTP
[ -n "$HTTP" ] || fail "hrnn-server did not print its http port"
BASE="http://$HTTP"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ] \
  || fail "$BASE/healthz is not 200"

# POST JSON to the API; prints the body, fails on a non-200 answer.
post() {
  local path=$1 body=$2 answer code
  answer=$(curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' -d "$body" \
           "$BASE$path") || fail "curl $path failed"
  code=${answer##*$'\n'}
  [ "$code" = 200 ] || fail "POST $path: HTTP $code: ${answer%$'\n'*}"
  printf '%s' "${answer%$'\n'*}"
}

say "clicks with curl"
mapfile -t ITEMS < <(awk -F'\t' 'NR > 1 && NR <= 4 { print $2 }' "$WORK/models/shop/1/items.tsv")
[ "${#ITEMS[@]}" -eq 3 ] || fail "items.tsv has fewer than 3 items"
EVENTS=""
for item in "${ITEMS[@]}"; do
  EVENTS="$EVENTS${EVENTS:+,}{\"user_id\":\"$USER_ID\",\"session_id\":\"s1\",\"item_id\":\"$item\"}"
done
PUT=$(post /v1/events "{\"events\":[$EVENTS]}")
echo "$PUT"
grep -q '"accepted":3' <<<"$PUT" || fail "the 3 clicks were not all accepted: $PUT"
VERSION=$(curl -s "$BASE/v1/model" | sed -n 's/.*"version":"\([0-9]*\)".*/\1/p')
[ -n "$VERSION" ] || fail "GET /v1/model names no version"
# The items curl gets for the same request, in order (the page must show the same).
EXPECTED=$(post /v1/recommendations "{\"user_id\":\"$USER_ID\",\"num_results\":5}" \
           | grep -o '"item_id":"[^"]*"' | sed 's/"item_id":"\(.*\)"/\1/' | paste -sd' ')
echo "model version $VERSION; curl's recommendations: $EXPECTED"

# dump NAME QUERY: the DOM of /console?QUERY after Chromium ran its scripts, in $WORK/NAME.html.
dump() {
  local name=$1 query=$2
  timeout 45 "$BROWSER" --headless=new --no-sandbox --disable-gpu --no-first-run \
    --disable-extensions --disable-dev-shm-usage --user-data-dir="$WORK/chromium-$name" \
    --virtual-time-budget=5000 --dump-dom "$BASE/console?$query" \
    >"$WORK/$name.html" 2>"$WORK/$name.chromium.log" \
    || { cat "$WORK/$name.chromium.log" >&2; fail "chromium ($name) failed"; }
  [ -s "$WORK/$name.html" ] || { cat "$WORK/$name.chromium.log" >&2; fail "empty DOM ($name)"; }
}
# check NAME DESCRIPTION PATTERN: PASS when the dumped DOM matches the extended regex.
check() {
  if grep -Eq -- "$3" "$WORK/$1.html"; then
    pass "$2"
  else
    echo "--- $WORK/$1.html" >&2
    cat "$WORK/$1.html" >&2
    fail "$2 (no match for: $3)"
  fi
}

say "chromium: /console?user=$USER_ID&n=5"
dump ok "user=$USER_ID&n=5"
check ok "the header shows model version $VERSION" "id=\"model-version\">$VERSION</b>"
check ok "the recipe select lists the model's recipes" '<option value="sknn">sknn</option>'
check ok "the filter select lists the named filter" '<option value="not_clicked"'
ROWS=$(grep -o 'class="rec-row' "$WORK/ok.html" | wc -l)
if [ "$ROWS" -ne 5 ]; then cat "$WORK/ok.html" >&2; fail "$ROWS ranked rows, want 5"; fi
pass "5 ranked rows"
GOT=$(grep -o '<td class="id">[^<]*</td>' "$WORK/ok.html" | sed 's/<td class="id">\(.*\)<\/td>/\1/' \
      | paste -sd' ')
[ "$GOT" = "$EXPECTED" ] || fail "rows $GOT, curl's $EXPECTED"
pass "the rows are curl's items in order ($GOT)"
check ok "a 32-hex recommendation id" 'id="rec-id">[0-9a-f]{32}</dd>'
check ok "state session (the clicks count)" 'id="rec-state">session</dd>'
check ok "the response's model version" "id=\"rec-model-version\">$VERSION</dd>"
check ok "no error" '<div id="errors" role="alert" hidden="">'
check ok "an empty error list" '<ul id="error-list"></ul>'

say "chromium: /console?user=$USER_ID&n=9999"
MESSAGE=$(curl -s -H 'Content-Type: application/json' \
          -d "{\"user_id\":\"$USER_ID\",\"num_results\":9999}" "$BASE/v1/recommendations" \
          | sed -n 's/.*"message": *"\([^"]*\)".*/\1/p')
[ -n "$MESSAGE" ] || fail "num_results=9999 was not refused"
echo "the API answers: $MESSAGE"
dump bad "user=$USER_ID&n=9999"
check bad "the error box is shown" '<div id="errors" role="alert">'
check bad "it holds the API's message" \
  "<li class=\"error\">POST /v1/recommendations: HTTP 400 INVALID_ARGUMENT: $MESSAGE</li>"
check bad "no rows" '<tbody id="rec-rows"></tbody>'

say "chromium: a user id with markup is rendered as text"
dump markup "user=%3Ci%3Ex%3C%2Fi%3E&n=3"
check markup "the user id is escaped" 'id="rec-status">3 items for user &lt;i&gt;x&lt;/i&gt; at'
if grep -q '<i>x</i>' "$WORK/markup.html"; then fail "the user id was rendered as markup"; fi
pass "no <i> element from the user id"
