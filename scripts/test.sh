#!/usr/bin/env bash
# The README's test command: installs dependencies, builds, runs every test
# except the `slow` label. Pass a ctest label expression to narrow it, e.g.
#   scripts/test.sh -L unit        scripts/test.sh -L slow (the slow suites)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
# Relative paths in ccache keys, and no working directory in them (it would
# enter through the debug info): a fresh clone elsewhere still hits the cache.
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=1
build=${NOKV_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"

if [ $# -eq 0 ]; then
  set -- -LE slow
fi
cd "$build"
ctest --output-on-failure -j"$(nproc)" "$@"
