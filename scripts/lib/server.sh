# Sourced by the test scripts that run hrnn-server on loopback (routing-test, retrain-test,
# console-test, node-client-test). Needs, when its functions run, BIN (the tools' folder), WORK
# (a scratch folder), a `fail` function and a PIDS array (stop_servers stops what it holds).
#
# start_server NAME ARGS...: starts "$BIN/hrnn-server" --host=127.0.0.1 --port=0
# --metrics_port=0 ARGS... (stdout and stderr in $WORK/NAME.out, .err), waits until it prints its
# ports and reports SERVING, and sets ${NAME}_PID, ${NAME}_TARGET (gRPC), ${NAME}_METRICS and,
# with --http_port, ${NAME}_HTTP.
start_server() {
  local name=$1 target="" metrics="" http=""
  shift
  # Created here, not only by the background redirect: the loop below may read them first.
  : >"$WORK/$name.out"
  : >"$WORK/$name.err"
  "$BIN/hrnn-server" --host=127.0.0.1 --port=0 --metrics_port=0 "$@" \
    >"$WORK/$name.out" 2>"$WORK/$name.err" &
  local pid=$!
  PIDS+=("$pid")
  printf -v "${name}_PID" '%s' "$pid"
  for _ in $(seq 300); do
    target=$(sed -n 's/^listening on \([^ ]*:[0-9]*\)$/\1/p;T;q' "$WORK/$name.out")
    metrics=$(sed -n 's/^metrics on \([^ ]*:[0-9]*\)$/\1/p;T;q' "$WORK/$name.out")
    [ -n "$target" ] && [ -n "$metrics" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$WORK/$name.err" >&2; fail "$name exited at start-up"; }
    sleep 0.1
  done
  [ -n "$target" ] || fail "$name did not print its ports"
  http=$(sed -n 's/^http on \([^ ]*:[0-9]*\)$/\1/p;T;q' "$WORK/$name.out")
  printf -v "${name}_TARGET" '%s' "$target"
  printf -v "${name}_METRICS" '%s' "$metrics"
  printf -v "${name}_HTTP" '%s' "$http"
  local i
  for i in $(seq 100); do
    "$BIN/hrnn-cli" --target="$target" --deadline=1s health >/dev/null 2>&1 && break
    [ "$i" -lt 100 ] || fail "$name never became SERVING"
    sleep 0.2
  done
  echo "$name: gRPC $target, metrics $metrics${http:+, http $http}"
}

# stop_servers: SIGTERM to every pid in PIDS (servers and anything else the script started),
# then waits up to 15 s for each before SIGKILL. For the callers' EXIT traps; never fails.
stop_servers() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  return 0
}
