#!/usr/bin/env bash
# Fails when clang-format (the repo's .clang-format) would change any C++ file of ours: every
# tracked .cc/.h except the fuzz corpus. Fix with: clang-format -i FILE (in a commit of its own).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "clang-format not found (scripts/setup.sh installs it)"; exit 1; }
bad=()
while IFS= read -r file; do
  [ -f "$file" ] || continue
  clang-format --dry-run -Werror "$file" >/dev/null 2>&1 || bad+=("$file")
done < <(git ls-files '*.cc' '*.h' | grep -v '^tests/fuzz/corpus/')
if [ ${#bad[@]} -gt 0 ]; then
  echo "format check: FAILED, clang-format would change ${#bad[@]} file(s):"
  printf '  %s\n' "${bad[@]}"
  clang-format --dry-run -Werror "${bad[0]}" 2>&1 | head -n 20
  exit 1
fi
echo "format check: ok ($(git ls-files '*.cc' '*.h' | grep -vc '^tests/fuzz/corpus/') files)"
