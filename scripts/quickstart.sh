#!/usr/bin/env bash
# The README's run command: installs dependencies, builds `nokv`, and runs the
# quick start from the README in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${NOKV_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target nokv -j"$(nproc)"
scripts/readme-quickstart.sh "$build/src/cli"
