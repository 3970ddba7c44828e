#!/usr/bin/env bash
# Builds the asan (ASan+UBSan) and tsan presets and runs the unit and server
# (RPC) tests under each. Slow (two extra full builds); not part of the
# default CI run.
#   scripts/sanitize.sh            both
#   scripts/sanitize.sh tsan       one
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
presets=("${@:-asan tsan}")
# Every preset runs even when an earlier one fails; the exit status says
# whether any did.
failed=()
for preset in ${presets[@]}; do
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j"$(nproc)"
  (cd "build/$preset" && ctest --output-on-failure -j"$(nproc)" -L "unit|server") ||
    failed+=("$preset")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "sanitize: failures under ${failed[*]}" >&2
  exit 1
fi
