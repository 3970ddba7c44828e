#!/usr/bin/env bash
# Builds a Release nokv-bench (and the nokv binary for the CLI rows) and runs
# the benchmarks side by side with their peers, writing the tables
# docs/benchmarks.md quotes.
#   scripts/bench.sh [engine|meta|cli|rpc|all] [--quick] [subcommand flags, e.g. --rows E1,E3]
# Default: all. Results: build-bench/results/<subcommand>.{jsonl,md}
# (<subcommand>-quick.* with --quick, so a smoke run never replaces a full one).
set -euo pipefail
cd "$(dirname "$0")/.."
which=all
case "${1:-}" in
  engine | meta | cli | rpc | all) which=$1; shift ;;
esac
build=${NOKV_BENCH_BUILD:-build-bench}
scripts/install-deps.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
targets=(nokv-bench)
if [[ $which == cli || $which == all ]]; then targets+=(nokv); fi
cmake --build "$build" --target "${targets[@]}" -j"$(nproc)"
mkdir -p "$build/results"
suffix=
for arg in "$@"; do
  if [[ $arg == --quick ]]; then suffix=-quick; fi
done
run() {
  local sub=$1
  shift
  local out="$build/results/$sub$suffix"
  "$build/bench/nokv-bench" "$sub" "$@" --json "$out.jsonl" --md "$out.md"
  echo "tables: $out.md"
}
if [[ $which == all ]]; then
  # Flags after the subcommand name apply to each suite; --rows only makes sense for one.
  run engine "$@"
  run meta "$@"
  run cli --nokv "$build/src/cli/nokv" "$@"
  run rpc "$@"
elif [[ $which == cli ]]; then
  run cli --nokv "$build/src/cli/nokv" "$@"
else
  run "$which" "$@"
fi
