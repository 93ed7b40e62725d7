#!/usr/bin/env bash
# Clang's thread-safety analysis over core/ and server/ (STYLE.md: lock annotations checked by
# clang): every .cc of ours in the build's compile_commands.json is parsed by clang++ with
# -fsyntax-only -Wthread-safety -Werror, so an access to an ABSL_GUARDED_BY member without its
# lock, or a call that breaks ABSL_LOCKS_EXCLUDED / ABSL_EXCLUSIVE_LOCKS_REQUIRED, fails here.
# Usage: scripts/thread_safety_check.sh [BUILD_DIR]   (default build/; needs a configured and
#        built tree for the generated protobuf headers)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
[ -f "$BUILD/compile_commands.json" ] || { echo "no $BUILD/compile_commands.json"; exit 1; }
command -v clang++ >/dev/null || { echo "clang++ not found (scripts/setup.sh installs clang)"; exit 1; }
python3 scripts/lib/clang_commands.py "$BUILD/compile_commands.json" "$PWD" core server \
  -- -fsyntax-only -Wthread-safety -Wthread-safety-beta -Werror >"$BUILD/thread_safety_commands.txt"
count=$(wc -l <"$BUILD/thread_safety_commands.txt")
failed=0
# One clang per file, two at a time; each prints its diagnostics.
xargs -P "${JOBS:-2}" -d '\n' -n 1 sh -c '$0 || exit 255' <"$BUILD/thread_safety_commands.txt" \
  || failed=1
if [ "$failed" != 0 ]; then
  echo "thread-safety check: FAILED (clang -Wthread-safety over core/ and server/)"
  exit 1
fi
echo "thread-safety check: ok ($count files of core/ and server/)"
