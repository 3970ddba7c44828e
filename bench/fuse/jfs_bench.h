// F2: our own clone of `juicefs bench` (one thread), plain POSIX calls.
//
// Phases, each timed on its own, with the machine's caches dropped before
// each (sync, then `echo 3 > /proc/sys/vm/drop_caches`, as `juicefs bench`
// does as root):
//   write big file    create, `block`-sized writes up to `big` bytes, close
//   read big file     open, `block`-sized reads to the end, close
//   write small files `small_count` files: create, write `small` bytes, close
//   read small files  open, read to the end, close, each
//   stat small files  stat(2) each
// Written bytes are pseudo-random and every 1 MiB differs from every other
// in the run (a block index and a per-run nonce are stamped into it), so no
// content-addressed store can deduplicate them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace nokv::bench {

struct JfsShape {
  uint64_t block = 1ull << 20;  // --block-size 1 MiB
  uint64_t big = 1ull << 30;    // --big-file-size 1 GiB
  uint64_t small = 128ull << 10;
  int small_count = 100;
};

enum class JfsPhase { kWriteBig, kReadBig, kWriteSmall, kReadSmall, kStatSmall };
inline constexpr JfsPhase kJfsPhases[] = {JfsPhase::kWriteBig, JfsPhase::kReadBig,
                                          JfsPhase::kWriteSmall, JfsPhase::kReadSmall,
                                          JfsPhase::kStatSmall};

// `juicefs bench`'s own label, e.g. "Write big file".
const char* JfsPhaseName(JfsPhase phase);
bool JfsPhaseIsBytes(JfsPhase phase);  // big-file phases: MiB/s; others: files/s

struct JfsPhaseTiming {
  JfsPhase phase;
  uint64_t units = 0;  // bytes (big-file phases) or files
  double seconds = 0;
};

struct JfsOptions {
  JfsShape shape;
  uint64_t nonce = 1;       // distinguishes the bytes of one run from another's
  bool drop_caches = true;  // needs root; else the phases run warm
  bool keep_big = false;    // leave "big" behind (for a later read by other means)
};

// The big file's name under the run's directory.
inline constexpr const char* kJfsBigName = "big";

// Runs every phase in `dir` (an existing directory); removes what it wrote
// (except the big file with keep_big), untimed.
Result<std::vector<JfsPhaseTiming>> RunJfsBench(const std::string& dir, const JfsOptions& options);

}  // namespace nokv::bench
