#!/usr/bin/env bash
# Builds a Release nokv-bench and runs the engine benchmarks side by side
# with SQLite, writing the tables docs/benchmarks.md quotes.
#   scripts/bench.sh [--quick] [--rows E1,E3]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench --target nokv-bench -j"$(nproc)"
mkdir -p build-bench/results
build-bench/bench/engine/nokv-bench engine "$@" \
  --json build-bench/results/engine.jsonl --md build-bench/results/engine.md
echo "tables: build-bench/results/engine.md"
