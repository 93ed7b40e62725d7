#!/usr/bin/env bash
# Tests the web console (GET /console on hrnn-server's HTTP/JSON port) in a headless browser:
# trains a small model (hrnn-synth + hrnn-train), starts hrnn-server with --http_port=0 (and a
# named filter) on free loopback ports (scripts/lib/server.sh), posts a few clicks with curl,
# then loads
#   1. /console?user=USER&n=5 in headless Chromium (--dump-dom after a virtual-time budget) and
#      checks the rendered page: the model version in the header, the filter in its select, 5
#      ranked rows with the very items curl gets, state "session", a 32-hex recommendation id,
#      an empty, hidden error box, and under "Compare recipes" one column per recipe the model
#      serves (the test model serves five), each with the items and answering recipe curl gets
#      for that recipe, in order, the main table's items marked "in-main"; the page's own
#      counters: #rendered-ms < 1000, #csp-violations 0 and #outside-requests 0;
#   2. the same page with Chromium driven over --remote-debugging-pipe (python3) on the real
#      clock, polling until #rendered-ms is written: < 1000 ms (--virtual-time-budget in 1 stops
#      the page's clock while its fetches are in flight, so 1's figure leaves the waits out);
#   3. /console?user=USER&n=5&compare=0: no compare section and no compare columns;
#   4. /console?user=USER&n=9999 and checks that the API's INVALID_ARGUMENT message is shown in
#      the error box (once: each compare column shows the same error in the column itself);
#   5. /console?user=<i>x</i>&n=3 and checks that the user id is rendered as text, not markup;
#   6. a screenshot (--screenshot, 1400x1000) of /console?user=USER&n=5&item=ITEM: a PNG over
#      10 kB, copied to $CONSOLE_SCREENSHOT_DIR/console.png when that is set (docs/images).
# Prints a PASS or FAIL line per check; exits 0 when all pass, 1 otherwise. Without a Chromium
# binary (scripts/setup.sh installs Debian's `chromium`) it prints a SKIP line and exits 0;
# without python3 check 2 prints a SKIP line.
# Environment: CHROMIUM (the browser binary; default: the first of chromium, chromium-browser,
#   google-chrome on PATH), JOBS (build parallelism, default 2), KEEP=1 keeps the temp folder,
#   CONSOLE_SCREENSHOT_DIR (a folder, relative to the current directory: where to copy the
#   screenshot).
set -euo pipefail
SHOT_DIR="${CONSOLE_SCREENSHOT_DIR:-}"
if [ -n "$SHOT_DIR" ]; then
  mkdir -p "$SHOT_DIR"
  SHOT_DIR=$(cd "$SHOT_DIR" && pwd)
fi
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
# shellcheck source=scripts/lib/server.sh
source scripts/lib/server.sh
PIDS=()
cleanup() {
  local status=$?
  set +e
  stop_servers
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
# The main table's item ids (its rows are built on the <tbody id="rec-rows"> line).
GOT=$(grep -o '<tbody id="rec-rows">.*</tbody>' "$WORK/ok.html" \
      | grep -o '<td class="id">[^<]*</td>' | sed 's/<td class="id">\(.*\)<\/td>/\1/' | paste -sd' ')
[ "$GOT" = "$EXPECTED" ] || fail "rows $GOT, curl's $EXPECTED"
pass "the rows are curl's items in order ($GOT)"
check ok "a 32-hex recommendation id" 'id="rec-id">[0-9a-f]{32}</dd>'
check ok "state session (the clicks count)" 'id="rec-state">session</dd>'
check ok "the response's model version" "id=\"rec-model-version\">$VERSION</dd>"
check ok "no error" '<div id="errors" role="alert" hidden="">'
check ok "an empty error list" '<ul id="error-list"></ul>'

# Compare recipes: one column per recipe the model serves, in the model's order, each equal to
# curl's answer for that recipe (same user and n), the main table's items marked "in-main".
read -r -a RECIPES <<<"$(curl -s "$BASE/v1/model" \
  | sed -n 's/.*"recipes":\[\([^]]*\)\].*/\1/p' | tr -d '"' | tr ',' ' ')"
[ "${#RECIPES[@]}" -ge 2 ] || fail "the test model serves ${#RECIPES[@]} recipes, want several"
check ok "the compare section is shown" '<section class="wide" id="compare">'
# One line per column (the columns are built on the <div id="compare-columns"> line).
grep -o '<div id="compare-columns">.*' "$WORK/ok.html" | sed 's/<div class="compare-col"/\n&/g' \
  | tail -n +2 >"$WORK/ok.columns"
COLUMNS=$(sed -n 's/^<div class="compare-col" data-recipe="\([^"]*\)".*/\1/p' "$WORK/ok.columns" \
          | paste -sd' ')
[ "$COLUMNS" = "${RECIPES[*]}" ] \
  || fail "compare columns '$COLUMNS', the model serves '${RECIPES[*]}'"
pass "one compare column per served recipe ($COLUMNS)"
for recipe in "${RECIPES[@]}"; do
  answer=$(post /v1/recommendations \
           "{\"user_id\":\"$USER_ID\",\"num_results\":5,\"recipe\":\"$recipe\"}")
  want=$(grep -o '"item_id":"[^"]*"' <<<"$answer" | sed 's/"item_id":"\(.*\)"/\1/' | paste -sd' ')
  want_recipe=$(sed -n 's/.*"recipe":"\([^"]*\)".*/\1/p' <<<"$answer")
  column=$(grep "^<div class=\"compare-col\" data-recipe=\"$recipe\">" "$WORK/ok.columns")
  got=$(grep -o '<td class="id cmp-id">[^<]*</td>' <<<"$column" \
        | sed 's/<td class="id cmp-id">\(.*\)<\/td>/\1/' | paste -sd' ')
  got_recipe=$(grep -o '<b class="answered-recipe">[^<]*</b>' <<<"$column" \
               | sed 's/<b class="answered-recipe">\(.*\)<\/b>/\1/')
  if [ -z "$want" ] || [ "$got" != "$want" ]; then
    fail "column $recipe: items '$got', curl's '$want'"
  fi
  [ "$got_recipe" = "$want_recipe" ] \
    || fail "column $recipe: answered by '$got_recipe', curl's answer by '$want_recipe'"
  # Each row: "in-main" exactly when the main table shows the item.
  while read -r class item; do
    if [[ " $EXPECTED " == *" $item "* ]]; then want_class=cmp-row-in-main; else want_class=cmp-row; fi
    [ "$class" = "$want_class" ] || fail "column $recipe: item $item has class '$class', want '$want_class'"
  done < <(grep -o '<tr class="cmp-row[^"]*"><td class="num">[0-9]*</td><td class="id cmp-id">[^<]*</td>' \
             <<<"$column" | sed 's/<tr class="\([^"]*\)">.*<td class="id cmp-id">\(.*\)<\/td>/\1 \2/' \
             | sed 's/^cmp-row in-main /cmp-row-in-main /')
  pass "column $recipe: curl's items in order ($got), answered by $got_recipe, highlights right"
done
if grep -q 'class="column-error"' "$WORK/ok.columns"; then fail "a compare column shows an error"; fi
pass "no compare column shows an error"

# The page's own counters (written with textContent once the load's calls are rendered).
RENDERED=$(sed -n 's/.*id="rendered-ms">\([0-9]*\)<.*/\1/p' "$WORK/ok.html")
[ -n "$RENDERED" ] || fail "no number in #rendered-ms"
[ "$RENDERED" -lt 1000 ] || fail "#rendered-ms is $RENDERED, want < 1000"
pass "rendered in $RENDERED ms on Chromium's virtual clock (fetch waits not counted), < 1000"
check ok "no CSP violation" 'id="csp-violations">0</b>'
check ok "no request outside the server" 'id="outside-requests">0</b>'

say "chromium on the real clock: /console?user=$USER_ID&n=5"
if command -v python3 >/dev/null 2>&1; then
  # Opens URL in headless Chromium driven over --remote-debugging-pipe (fds 3 and 4, messages
  # ended by NUL) and prints #rendered-ms once the page has written a number there.
  REAL_MS=$(timeout 60 python3 - "$BROWSER" "$BASE/console?user=$USER_ID&n=5" \
            "$WORK/chromium-real" 2>"$WORK/real.log" <<'PYTHON'
import json, os, subprocess, sys, time

browser, url, profile = sys.argv[1:4]
to_browser, from_browser = os.pipe(), os.pipe()


def pipe_fds():  # in the child: the browser reads fd 3 and writes fd 4
    read_end, write_end = os.dup(to_browser[0]), os.dup(from_browser[1])
    os.dup2(read_end, 3)
    os.dup2(write_end, 4)


proc = subprocess.Popen(
    [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
     "--disable-extensions", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
     "--remote-debugging-pipe", url],
    preexec_fn=pipe_fds, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.close(to_browser[0])
os.close(from_browser[1])
out = os.fdopen(to_browser[1], "wb", buffering=0)
inp = os.fdopen(from_browser[0], "rb", buffering=0)
pending = b""
last_id = 0


def call(method, params=None, session=None):
    global pending, last_id
    last_id += 1
    message = {"id": last_id, "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    out.write(json.dumps(message).encode() + b"\0")
    while True:
        while b"\0" not in pending:
            chunk = inp.read(65536)
            if not chunk:
                sys.exit("the browser closed its pipe")
            pending += chunk
        raw, pending = pending.split(b"\0", 1)
        reply = json.loads(raw)
        if reply.get("id") == last_id:
            if "error" in reply:
                sys.exit(f"{method}: {reply['error']}")
            return reply["result"]


try:
    deadline = time.time() + 30
    target = None
    while target is None:
        if time.time() > deadline:
            sys.exit("no page target")
        pages = [t for t in call("Target.getTargets")["targetInfos"] if t["type"] == "page"]
        target = pages[0]["targetId"] if pages else None
        time.sleep(0 if target else 0.05)
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    read = ("location.href === %s && document.getElementById('rendered-ms') ? "
            "document.getElementById('rendered-ms').textContent : ''" % json.dumps(url))
    while True:
        if time.time() > deadline:
            sys.exit("#rendered-ms was never written")
        result = call("Runtime.evaluate", {"expression": read, "returnByValue": True}, session)
        value = result["result"].get("value") or ""
        if value.isdigit():
            print(value)
            break
        time.sleep(0.02)
finally:
    try:
        call("Browser.close")
    except BaseException:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
PYTHON
  ) || { cat "$WORK/real.log" >&2; fail "driving chromium over --remote-debugging-pipe failed"; }
  if [ -z "$REAL_MS" ] || [ "$REAL_MS" -ge 1000 ]; then
    fail "#rendered-ms on the real clock is '$REAL_MS', want < 1000"
  fi
  pass "rendered in $REAL_MS ms on the real clock (DOMContentLoaded to model, table and columns), < 1000"
else
  echo "console-test: SKIP: no python3 to drive chromium on the real clock"
fi

say "chromium: /console?user=$USER_ID&n=5&compare=0"
dump nocompare "user=$USER_ID&n=5&compare=0"
check nocompare "the compare section is hidden" '<section class="wide" id="compare" hidden="">'
check nocompare "no compare columns" '<div id="compare-columns"></div>'
ROWS=$(grep -o 'class="rec-row' "$WORK/nocompare.html" | wc -l)
[ "$ROWS" -eq 5 ] || fail "compare=0: $ROWS ranked rows, want 5"
pass "compare=0: still 5 ranked rows"

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
ERRORS=$(grep -o '<li class="error">' "$WORK/bad.html" | wc -l)
[ "$ERRORS" -eq 1 ] || fail "$ERRORS entries in the error box, want 1 (the columns keep theirs)"
COLUMN_ERRORS=$(grep -o "<div class=\"column-error\">POST /v1/recommendations: HTTP 400 INVALID_ARGUMENT: $MESSAGE</div>" \
                "$WORK/bad.html" | wc -l)
[ "$COLUMN_ERRORS" -eq "${#RECIPES[@]}" ] \
  || fail "$COLUMN_ERRORS compare columns show the error, want ${#RECIPES[@]}"
pass "each compare column shows the error in itself ($COLUMN_ERRORS), the error box once"

say "chromium: a user id with markup is rendered as text"
dump markup "user=%3Ci%3Ex%3C%2Fi%3E&n=3"
check markup "the user id is escaped" 'id="rec-status">3 items for user &lt;i&gt;x&lt;/i&gt; at'
if grep -q '<i>x</i>' "$WORK/markup.html"; then fail "the user id was rendered as markup"; fi
pass "no <i> element from the user id"

say "chromium: a screenshot"
SHOT_URL="$BASE/console?user=$USER_ID&n=5&item=${ITEMS[0]}"
timeout 45 "$BROWSER" --headless=new --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
  --disable-extensions --disable-dev-shm-usage --user-data-dir="$WORK/chromium-shot" \
  --window-size=1400,1000 --virtual-time-budget=5000 --screenshot="$WORK/console.png" \
  "$SHOT_URL" >"$WORK/shot.chromium.log" 2>&1 \
  || { cat "$WORK/shot.chromium.log" >&2; fail "chromium --screenshot failed"; }
[ -f "$WORK/console.png" ] || { cat "$WORK/shot.chromium.log" >&2; fail "no screenshot"; }
SHOT_BYTES=$(stat -c %s "$WORK/console.png")
[ "$(head -c 8 "$WORK/console.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] \
  || fail "console.png is not a PNG"
[ "$SHOT_BYTES" -gt 10240 ] || fail "console.png is $SHOT_BYTES bytes, want > 10 kB"
pass "a 1400x1000 PNG screenshot of $SHOT_BYTES bytes"
if [ -n "$SHOT_DIR" ]; then
  cp "$WORK/console.png" "$SHOT_DIR/console.png"
  echo "console-test: copied the screenshot to $SHOT_DIR/console.png"
fi
