// The CLI suite (`nokv-bench cli`, issues 5 and 13): `nokv put` of a large
// file into the local store against `cp` + `sync` to the same disk, and `nokv
// cat` of it to /dev/null and into a pipe against `cat`, in the same run, cold
// and warm page cache; optionally beside a baseline nokv binary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/common/report.h"

namespace nokv::bench {

struct CliBenchConfig {
  std::string nokv;  // the nokv binary
  // Another nokv binary (say, the build before a change) run beside it in
  // the same repeats, on its own data directories: rows "nokv-before".
  std::string baseline;
  uint64_t bytes = 1ull << 30;  // size of the file moved
  int repeats = 3;
  std::string data_root;  // scratch parent: source, copies and data dirs

  static CliBenchConfig Quick() {
    CliBenchConfig c;
    c.bytes = 64ull << 20;
    c.repeats = 1;
    return c;
  }
};

// Rows: C1 (put vs cp + sync) and C2 (cat vs cat, into /dev/null and into a
// pipe read by `wc -c`), for NoKV, the coreutils peer and the baseline, cold
// (page cache dropped before every timed command; needs root, else skipped)
// and warm (source or stored bytes in the page cache).
Status RunCliSuite(const CliBenchConfig& config, std::vector<Row>* rows);

// Issue 13's targets, NoKV against the coreutils peer of the same row:
// C1 >= 0.9x cold and warm; C2 >= 0.8x cold (into /dev/null), >= 0.5x warm
// into a pipe; the other C2 rows and NoKV against its baseline are context.
std::vector<Verdict> ComputeCliVerdicts(const std::vector<Row>& rows);

}  // namespace nokv::bench
