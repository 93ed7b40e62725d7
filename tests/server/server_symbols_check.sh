#!/usr/bin/env bash
# Fails when the hrnn-server binary holds a function defined in a training or evaluation library
# (DESIGN §1: the server links serving, state and model only). Compares the strong text symbols
# that the libraries define with the text symbols of the binary.
# Usage: server_symbols_check.sh SERVER_BINARY LIBRARY.a [LIBRARY.a ...]
set -euo pipefail
server=$1
shift
forbidden=$(mktemp)
present=$(mktemp)
trap 'rm -f "$forbidden" "$present"' EXIT
for library in "$@"; do
  # Strong (T) definitions only: inline and template code (W) may legitimately be in both.
  nm --defined-only -g "$library" 2>/dev/null | awk '$2 == "T" {print $3}'
done | sort -u >"$forbidden"
nm --defined-only "$server" | awk '$2 == "T" || $2 == "t" {print $3}' | sort -u >"$present"
[ -s "$forbidden" ] || { echo "no symbols read from: $*"; exit 1; }
found=$(comm -12 "$forbidden" "$present")
if [ -n "$found" ]; then
  echo "$server holds $(echo "$found" | wc -l) function(s) of $(for l in "$@"; do basename "$l"; done | tr '\n' ' '):"
  echo "$found" | head -n 20 | c++filt | sed 's/^/  /'
  exit 1
fi
echo "ok: $(basename "$server") holds none of the $(wc -l <"$forbidden") functions of $(for l in "$@"; do basename "$l"; done | tr '\n' ' ')"
