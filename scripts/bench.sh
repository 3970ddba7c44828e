#!/usr/bin/env bash
# Builds a Release nokv-bench (and the nokv binary for the CLI rows) and runs
# the benchmarks side by side with their peers, writing the tables
# docs/benchmarks.md quotes.
#   scripts/bench.sh [engine|meta|cli|rpc|fuse|all] [--quick] [subcommand flags, e.g. --rows E1,E3]
# Default: all (engine, meta, cli, rpc). Results: build-bench/results/<subcommand>.{jsonl,md}
# (<subcommand>-quick.* with --quick, so a smoke run never replaces a full one).
# fuse (F1, F2; root only) mounts nokv, s3fs, rclone, tmpfs and a no-op FUSE
# filesystem, and starts a private Ceph RGW (scripts/start-s3.sh) for the S3
# targets, stopped again on exit; no mount outlives the script.
set -euo pipefail
cd "$(dirname "$0")/.."
which=all
case "${1:-}" in
  engine | meta | cli | rpc | fuse | all) which=$1; shift ;;
esac
build=${NOKV_BENCH_BUILD:-build-bench}
scripts/install-deps.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
targets=(nokv-bench)
if [[ $which == cli || $which == fuse || $which == all ]]; then targets+=(nokv); fi
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
elif [[ $which == fuse ]]; then
  s3_state="$PWD/$build/s3-fuse"
  scratch="$PWD/$build/fuse-scratch"
  mkdir -p "$scratch"
  cleanup() {
    # nokv-bench unmounts what it mounted, even when signalled; this covers a
    # SIGKILL of it. Deepest mount points first.
    awk -v dir="$scratch/" 'index($2, dir) == 1 { print $2 }' /proc/mounts | sort -r |
      while read -r mp; do umount -l "$mp" || true; done
    scripts/stop-s3.sh "$s3_state" >/dev/null || true
  }
  trap cleanup EXIT
  # Room for three 1 GiB big files of the nokv-s3 target (its deleted blocks
  # stay until `nokv gc`) besides the peers' transient ones.
  NOKV_S3_MEMSTORE_BYTES=${NOKV_S3_MEMSTORE_BYTES:-12884901888} scripts/start-s3.sh "$s3_state"
  run fuse --nokv "$build/src/cli/nokv" --s3-env "$s3_state/s3.env" --dir "$scratch" "$@"
else
  run "$which" "$@"
fi
