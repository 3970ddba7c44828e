#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz (what NoKV decodes from untrusted or
# damaged bytes: WAL segments, checkpoint images, metadata values and blocks,
# backup descriptors,
# structured bodies and index rules, evidence URIs and cursors, S3 XML, MCP
# lines, RPC frames and payloads) under AddressSanitizer and UBSan.
#
#   scripts/fuzz.sh [target|all] [seconds]     default: all, 60 seconds each
#
# Targets: holt_wal holt_checkpoint meta backup records query s3_xml mcp rpc.
# Configures and builds the `fuzz` CMake preset (clang-14 with its libFuzzer
# runtime, build/fuzz), then runs each target alone (one process: the machine
# is shared) with its seeds from tests/fuzz/corpus/<target> (read only). New
# interesting inputs go to build/fuzz/corpus/<target>, crashes, leaks and
# hangs to build/fuzz/artifacts/<target>/ and make the script exit non-zero.
# Each run ends with a line "fuzz <target>: runs R, exec/s E, cov C, ft F,
# corpus N, crashes K" (the figures docs/reliability.md records); the full
# libFuzzer log is build/fuzz/logs/<target>.log. Copy a useful new input into
# tests/fuzz/corpus/<target>/ so its replay test (the short run in CI)
# replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(holt_wal holt_checkpoint meta backup records query s3_xml mcp rpc)
which=${1:-all}
seconds=${2:-60}
if [[ $which == all ]]; then
  targets=("${all_targets[@]}")
elif [[ " ${all_targets[*]} " == *" $which "* ]]; then
  targets=("$which")
else
  echo "usage: scripts/fuzz.sh [target|all] [seconds]; targets: ${all_targets[*]}" >&2
  exit 2
fi

out=build/fuzz
cmake --preset fuzz >/dev/null
cmake --build "$out" -j2 --target "${targets[@]/%/_fuzz}"

failed=0
for target in "${targets[@]}"; do
  corpus=$out/corpus/$target
  artifacts=$out/artifacts/$target
  log=$out/logs/$target.log
  rm -rf "$artifacts"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  status=0
  # The first directory receives new inputs; the committed seeds are read only.
  TMPDIR=${TMPDIR:-/tmp} "$out/tests/fuzz/${target}_fuzz" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 \
    "$corpus" "tests/fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  done_line=$(grep -E '^#[0-9]+ +DONE' "$log" | tail -1 || true)
  runs=$(grep -oP 'stat::number_of_executed_units: \K[0-9]+' "$log" || echo "?")
  speed=$(grep -oP 'stat::average_exec_per_sec: +\K[0-9]+' "$log" || echo "?")
  cov=$(grep -oP 'cov: \K[0-9]+' <<<"$done_line" || echo "?")
  ft=$(grep -oP 'ft: \K[0-9]+' <<<"$done_line" || echo "?")
  files=$(find "$corpus" -type f | wc -l)
  crashes=$(find "$artifacts" -type f | wc -l)
  echo "fuzz $target: runs $runs, exec/s $speed, cov $cov, ft $ft, corpus $files, crashes $crashes"
  if [[ $status -ne 0 || $crashes -ne 0 ]]; then
    echo "fuzz $target: FAILED (exit $status); see $log and $artifacts/" >&2
    failed=1
  fi
done
exit $failed
