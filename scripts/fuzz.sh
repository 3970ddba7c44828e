#!/usr/bin/env bash
# Fuzzes what the RPC transport decodes from a peer (frames, hello, hello
# reply, MessagePack payloads and the direct readers of hot metadata values:
# tests/rpc/rpc_fuzz_target.cc) with libFuzzer,
# AddressSanitizer and UBSan.
#
#   scripts/fuzz.sh [seconds]        default 60
#
# Needs clang with its libFuzzer runtime (Debian: clang-14 ships
# libclang_rt.fuzzer). New interesting inputs go to $NOKV_FUZZ_DIR/corpus
# (default build-fuzz/corpus), crashes to $NOKV_FUZZ_DIR/crash-*; copy a
# useful new input into tests/rpc/fuzz_corpus/ so rpc_fuzz_replay_test (the
# short run in CI) replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
out=${NOKV_FUZZ_DIR:-build-fuzz}
cxx=${CXX_FUZZ:-clang++}
mkdir -p "$out/corpus"

"$cxx" -std=c++20 -O1 -g -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I src \
  tests/rpc/rpc_fuzz_target.cc src/rpc/wire.cc src/rpc/payload.cc src/rpc/msgpack.cc \
  src/server/fast_codec.cc \
  src/common/status.cc src/common/coding.cc \
  -o "$out/rpc_fuzz"

# The first directory receives new inputs; the committed seeds are read only.
"$out/rpc_fuzz" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
  -artifact_prefix="$out/" -print_final_stats=1 \
  "$out/corpus" tests/rpc/fuzz_corpus
