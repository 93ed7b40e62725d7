#!/usr/bin/env bash
# Scale-out test: three hrnn-server replicas behind nginx, which hashes the hrnn-user-id gRPC
# metadata consistently onto them (deploy/nginx/hrnn.conf), all on 127.0.0.1:
#   1. trains a small model (hrnn-synth + hrnn-train) and starts 3 replicas and 1 reference
#      server on free loopback ports (port 0; the "listening on" lines are parsed), plus nginx
#      (Debian's package, run as this user with a temp prefix and config);
#   2. sends every user's events through the proxy with `hrnn-cli event` (each PutEvents call
#      carries its user's id as hrnn-user-id metadata) and the same log to the reference server
#      in one `hrnn-cli replay`;
#   3. checks, by asking every replica directly, that each user's state lives on exactly one
#      replica (the others answer state "new_user"), that the replicas' hrnn_active_users add up
#      to the number of users and that every replica got some, and that the recommendations read
#      through the proxy equal the reference server's (items and scores) for every user;
#   4. catalogue updates (the replicas share a Redis stream, --catalog_stream, on a redis-server
#      started here): an item marked out of stock on one replica is gone from every replica's
#      recommendations within 1 s, stays gone on a replica restarted afterwards, and comes back
#      everywhere when another replica marks it available.
# Exits 0 when all checks pass, 1 otherwise. Needs nginx and redis-server (installed with apt-get
# if missing).
# Environment: USERS (default 40), EVENTS_PER_USER (default 25), JOBS (build, default 2),
#   PARALLEL (concurrent hrnn-cli senders, default 4), KEEP=1 keeps the temp folder.
set -euo pipefail
cd "$(dirname "$0")/.."

USERS="${USERS:-40}"
EVENTS_PER_USER="${EVENTS_PER_USER:-25}"
JOBS="${JOBS:-2}"
PARALLEL="${PARALLEL:-4}"
BIN=build/bin
START=$(date +%s)

say() { printf '\n== %s\n' "$*"; }
fail() { echo "routing-test: FAIL: $*" >&2; exit 1; }

WORK=$(mktemp -d -t hrnn-routing.XXXXXX)
# shellcheck source=scripts/lib/server.sh
source scripts/lib/server.sh
PIDS=()
cleanup() {
  local status=$?
  set +e
  stop_servers
  if [ "${KEEP:-0}" = "1" ]; then echo "routing-test: kept $WORK"; else rm -rf "$WORK"; fi
  [ "$status" -ne 0 ] || echo "routing-test: PASS in $(($(date +%s) - START)) s"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "tools"
for package in nginx redis-server; do
  if ! command -v "$package" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$package" ] \
      && [ ! -x "/usr/bin/$package" ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null \
      || $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "$package"
  fi
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
"$NGINX" -v
redis-server --version
for tool in hrnn-server hrnn-cli hrnn-synth hrnn-train; do
  if [ ! -x "$BIN/$tool" ]; then
    bash scripts/setup.sh
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    ninja -C build -j "$JOBS" hrnn-server hrnn-cli hrnn-synth hrnn-train
    break
  fi
done

say "model: hrnn-synth ($USERS users) + hrnn-train"
"$BIN/hrnn-synth" --out="$WORK/log.csv" --users="$USERS" --items=60 \
  --events=$((USERS * EVENTS_PER_USER)) --seed=11 2>"$WORK/synth.log" \
  || { cat "$WORK/synth.log" >&2; fail "hrnn-synth failed"; }
"$BIN/hrnn-train" --input="$WORK/log.csv" --output="$WORK/models/shop" --mode=hrnn-init \
  --hidden=32 --user_hidden=32 --epochs=1 --threads="$JOBS" --recipes=hrnn,sknn,sr,personal,trending \
  2>"$WORK/train.log" \
  || { cat "$WORK/train.log" >&2; fail "hrnn-train failed"; }
echo "$(($(wc -l < "$WORK/log.csv") - 1)) events; model in $WORK/models/shop"

say "redis-server (the replicas' catalogue stream) on 127.0.0.1"
REDIS_PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
  >"$WORK/redis.log" 2>&1 &
PIDS+=("$!")
for i in $(seq 100); do
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
  [ "$i" -lt 100 ] || { cat "$WORK/redis.log" >&2; fail "redis-server did not start"; }
  sleep 0.1
done
CATALOG_STREAM="redis://127.0.0.1:$REDIS_PORT/hrnn-catalog"
echo "catalogue stream: $CATALOG_STREAM"

# start_server NAME ARGS... (scripts/lib/server.sh): ${NAME}_TARGET, ${NAME}_METRICS, ${NAME}_PID.

say "3 replicas and a reference server on 127.0.0.1"
REPLICAS=(r0 r1 r2)
for r in "${REPLICAS[@]}"; do
  start_server "$r" --model_dir="$WORK/models/shop" --catalog_stream="$CATALOG_STREAM"
done
start_server ref --model_dir="$WORK/models/shop"

say "nginx: hash \$http_hrnn_user_id consistent over the 3 replicas"
PROXY_PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/nginx/logs"
for r in "${REPLICAS[@]}"; do
  t="${r}_TARGET"
  echo "    server ${!t};"
done > "$WORK/nginx/upstreams"
# deploy/nginx/hrnn.conf with this run's replicas and proxy port; run as this user with a temp
# prefix.
sed -e '/^    server 127\.0\.0\.1:[0-9]*;$/d' -e "/^    # replicas:\$/r $WORK/nginx/upstreams" \
    -e "s|listen 127\.0\.0\.1:8500 http2;|listen 127.0.0.1:${PROXY_PORT} http2;|" \
    deploy/nginx/hrnn.conf > "$WORK/nginx/hrnn.conf"
cat > "$WORK/nginx/nginx.conf" <<EOF
# Generated by scripts/routing-test.sh.
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
daemon off;
$( [ "$(id -u)" -ne 0 ] || echo "user $(id -un) $(id -gn);" )
events { worker_connections 1024; }
http {
  access_log $WORK/nginx/logs/access.log;
  client_body_temp_path $WORK/nginx/client_body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  include $WORK/nginx/hrnn.conf;
}
EOF
"$NGINX" -p "$WORK/nginx" -e "$WORK/nginx/logs/error.log" -c "$WORK/nginx/nginx.conf" -t \
  2>"$WORK/nginx/test.log" || { cat "$WORK/nginx/test.log" >&2; fail "nginx -t failed"; }
"$NGINX" -p "$WORK/nginx" -e "$WORK/nginx/logs/error.log" -c "$WORK/nginx/nginx.conf" &
PIDS+=("$!")
PROXY="127.0.0.1:$PROXY_PORT"
for i in $(seq 100); do
  "$BIN/hrnn-cli" --target="$PROXY" --deadline=1s health >/dev/null 2>&1 && break
  [ "$i" -lt 100 ] || { cat "$WORK/nginx/logs/error.log" >&2; fail "no health answer through nginx"; }
  sleep 0.2
done
echo "nginx on $PROXY:"
sed -n '/^upstream/,/^}/p' "$WORK/nginx/hrnn.conf" | grep -v '^ *#'

say "events: per user through the proxy (hrnn-cli event), all in one replay to the reference"
awk -F, 'NR > 1 { print $1 }' "$WORK/log.csv" | sort -u > "$WORK/users.txt"
NUM_USERS=$(wc -l < "$WORK/users.txt")
mkdir -p "$WORK/per-user"
awk -F, -v dir="$WORK/per-user" 'NR > 1 { print > (dir "/" $1 ".csv") }' "$WORK/log.csv"
# One user's events in file order, one PutEvents each (TIMESTAMP is in seconds).
send_user() {
  local user=$1 item ts type value args
  while IFS=, read -r _ item ts type value; do
    args=(--user="$user" --item="$item" --timestamp_ms="${ts}000")
    [ -z "$type" ] || args+=(--type="$type")
    [ -z "$value" ] || args+=(--value="$value")
    "$BIN/hrnn-cli" --target="$PROXY" event "${args[@]}" >/dev/null \
      || { echo "event for $user failed" >&2; return 1; }
  done < "$WORK/per-user/$user.csv"
}
export -f send_user
export BIN PROXY WORK
SEND_START=$(date +%s)
xargs -P "$PARALLEL" -I{} bash -c 'send_user "$1"' _ {} < "$WORK/users.txt" \
  || fail "sending events through the proxy failed"
echo "sent $(($(wc -l < "$WORK/log.csv") - 1)) events for $NUM_USERS users through nginx" \
     "in $(($(date +%s) - SEND_START)) s"
"$BIN/hrnn-cli" --target="$ref_TARGET" replay --input="$WORK/log.csv" \
  || fail "replay to the reference server failed"

say "ownership: each user's state on exactly one replica"
# hrnn-cli --json recommend: the state ("session", "user" or "new_user") of a user on a target.
state_on() {
  "$BIN/hrnn-cli" --target="$1" --json recommend --user="$2" --n=1 |
    sed -n 's/.*"state": *"\([a-z_]*\)".*/\1/p'
}
# The reference server says which users hold state at all: a user whose every event named an
# item the model does not know (hrnn-train drops rare items) holds none anywhere.
declare -A OWNED=()
MISPLACED=0
STATEFUL=0
while read -r user; do
  expected=1
  [ "$(state_on "$ref_TARGET" "$user")" != "new_user" ] || expected=0
  STATEFUL=$((STATEFUL + expected))
  owners=()
  for r in "${REPLICAS[@]}"; do
    t="${r}_TARGET"
    state=$(state_on "${!t}" "$user")
    [ -n "$state" ] || fail "no state in the answer of $r for $user"
    [ "$state" = "new_user" ] || owners+=("$r")
  done
  if [ ${#owners[@]} -ne "$expected" ]; then
    echo "user $user is held by ${#owners[@]} replicas (${owners[*]:-none}), expected $expected" >&2
    MISPLACED=$((MISPLACED + 1))
  elif [ "$expected" -eq 1 ]; then
    OWNED[${owners[0]}]=$(( ${OWNED[${owners[0]}]:-0} + 1 ))
  fi
done < "$WORK/users.txt"
[ "$MISPLACED" -eq 0 ] || fail "$MISPLACED of $NUM_USERS users are not where they should be"
[ "$STATEFUL" -ge $((NUM_USERS * 3 / 4)) ] \
  || fail "only $STATEFUL of $NUM_USERS users hold state on the reference server (model too sparse)"

TOTAL=0
sleep 1  # The store gauges (hrnn_active_users, ...) are refreshed every 0.5 s.
for r in "${REPLICAS[@]}"; do
  m="${r}_METRICS"
  curl -fsS "http://${!m}/metrics" > "$WORK/$r.metrics" || fail "GET /metrics of $r failed"
  active=$(awk '$1 == "hrnn_active_users" { printf "%d", $2 }' "$WORK/$r.metrics")
  bytes=$(awk '$1 == "hrnn_user_state_bytes" { printf "%d", $2 }' "$WORK/$r.metrics")
  per_user=$(awk -v b="$bytes" -v a="$active" 'BEGIN { if (a > 0) printf "%.0f", b / a; else print "-" }')
  echo "$r: ${OWNED[$r]:-0} users by direct calls; hrnn_active_users $active," \
       "hrnn_user_state_bytes $bytes ($per_user bytes/user at H = 32)"
  [ "${OWNED[$r]:-0}" -gt 0 ] || fail "replica $r got no users (the hash does not spread them)"
  [ "$active" -eq "${OWNED[$r]:-0}" ] || fail "$r: hrnn_active_users $active != ${OWNED[$r]:-0}"
  TOTAL=$((TOTAL + active))
done
REF_ACTIVE=$(curl -fsS "http://$ref_METRICS/metrics" | awk '$1 == "hrnn_active_users" { printf "%d", $2 }')
[ "$TOTAL" -eq "$STATEFUL" ] && [ "$TOTAL" -eq "$REF_ACTIVE" ] \
  || fail "the replicas hold $TOTAL users, the reference $REF_ACTIVE, expected $STATEFUL"
echo "each of the $STATEFUL users with state is on exactly one replica (the other" \
     "$((NUM_USERS - STATEFUL)) clicked only items unknown to the model: on none);" \
     "hrnn_active_users: replicas sum $TOTAL = single server $REF_ACTIVE"

say "recommendations through the proxy equal the single server's"
# Items and scores of a --json recommend answer (the recommendation_id differs per call).
items_of() {
  "$BIN/hrnn-cli" --target="$1" --json recommend --user="$2" --n=10 --exclude_history |
    grep -o '"item_id": *"[^"]*", *"score": *[-0-9.eE+]*\|"state": *"[a-z_]*"' | tr '\n' ' '
}
DIFFER=0
while read -r user; do
  via_proxy=$(items_of "$PROXY" "$user")
  single=$(items_of "$ref_TARGET" "$user")
  [ -n "$via_proxy" ] || fail "no recommendations for $user through the proxy"
  if [ "$via_proxy" != "$single" ]; then
    DIFFER=$((DIFFER + 1))
    echo "user $user differs:" >&2
    echo "  proxy:  $via_proxy" >&2
    echo "  single: $single" >&2
  fi
done < "$WORK/users.txt"
[ "$DIFFER" -eq 0 ] || fail "$DIFFER of $NUM_USERS users get other recommendations through the proxy"
FIRST=$(head -n 1 "$WORK/users.txt")
echo "all $NUM_USERS users: same top 10 (ids and scores) through nginx as from the single server;" \
     "e.g. $FIRST: $(items_of "$PROXY" "$FIRST" | cut -c 1-160)..."
"$BIN/hrnn-cli" --target="$PROXY" model-info >/dev/null || fail "model-info through the proxy failed"
echo "calls without a user (model-info) also pass through the proxy"

say "catalogue updates reach every replica through the Redis stream"
# The items a new user is recommended on a target (trending, availability applied): every item.
listed_on() {
  "$BIN/hrnn-cli" --target="$1" recommend --user=nobody-yet --n=500 | awk 'NR > 2 { print $2 }'
}
# Waits up to 1 s until `item` is (want=yes) or is not (want=no) listed on every target given.
wait_listed() {
  local item=$1 want=$2 start target deadline
  shift 2
  start=$(date +%s%N)
  deadline=$((start + 1000000000))
  for target in "$@"; do
    while true; do
      if listed_on "$target" | grep -qx "$item"; then found=yes; else found=no; fi
      [ "$found" = "$want" ] && break
      [ "$(date +%s%N)" -lt "$deadline" ] || return 1
      sleep 0.02
    done
  done
  echo "$(( ($(date +%s%N) - start) / 1000000 ))"
}
TARGETS=("$r0_TARGET" "$r1_TARGET" "$r2_TARGET")
ITEM=$(listed_on "$r0_TARGET" | head -n 1)
[ -n "$ITEM" ] || fail "no item to mark out of stock"
"$BIN/hrnn-cli" --target="$r0_TARGET" put-items --items="$ITEM" --available=false >/dev/null \
  || fail "put-items on r0 failed"
MS=$(wait_listed "$ITEM" no "${TARGETS[@]}") \
  || fail "$ITEM, out of stock on r0, is still recommended by a replica after 1 s"
echo "$ITEM marked out of stock on r0: gone from all 3 replicas' lists after $MS ms"
kill -TERM "$r1_PID"
wait "$r1_PID" 2>/dev/null || true
start_server r1 --model_dir="$WORK/models/shop" --catalog_stream="$CATALOG_STREAM"
TARGETS=("$r0_TARGET" "$r1_TARGET" "$r2_TARGET")
MS=$(wait_listed "$ITEM" no "$r1_TARGET") \
  || fail "r1, restarted after the update, recommends $ITEM"
echo "r1 restarted afterwards: $ITEM not recommended there either"
"$BIN/hrnn-cli" --target="$r2_TARGET" put-items --items="$ITEM" --available=true >/dev/null \
  || fail "put-items on r2 failed"
MS=$(wait_listed "$ITEM" yes "${TARGETS[@]}") \
  || fail "$ITEM, back in stock on r2, is still missing on a replica after 1 s"
echo "$ITEM back in stock on r2: listed again on all 3 replicas after $MS ms"
ENTRIES=$(redis-cli -p "$REDIS_PORT" XLEN hrnn-catalog)
[ "$ENTRIES" -eq 2 ] || fail "the stream holds $ENTRIES entries, expected 2"
echo "the stream holds the 2 updates"
sleep 1  # Metrics are refreshed every 0.5 s.
for r in r0 r2; do
  m="${r}_METRICS"
  metrics=$(curl -fsS "http://${!m}/metrics")
  applied=$(echo "$metrics" | awk '$1 == "hrnn_catalog_stream_entries_applied_total" { printf "%d", $2 }')
  following=$(echo "$metrics" | awk '$1 == "hrnn_catalog_stream_following" { printf "%d", $2 }')
  [ "$applied" = 2 ] && [ "$following" = 1 ] \
    || fail "$r: hrnn_catalog_stream_entries_applied_total $applied, following $following"
done
echo "r0, r2: hrnn_catalog_stream_entries_applied_total 2, hrnn_catalog_stream_following 1"
