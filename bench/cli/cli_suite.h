// The CLI suite (`nokv-bench cli`, issue 5): `nokv put` of a large file into
// the local store against `cp` to the same disk, and `nokv cat` of it to
// /dev/null against `cat`, in the same run, cold and warm page cache.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/common/report.h"

namespace nokv::bench {

struct CliBenchConfig {
  std::string nokv;             // the nokv binary
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

// Rows: C1 (put vs cp) and C2 (cat vs cat), for NoKV and the coreutils
// peer, cold (page cache dropped before every timed command; needs root,
// else skipped) and warm (source or stored bytes in the page cache).
Status RunCliSuite(const CliBenchConfig& config, std::vector<Row>* rows);

// C1 / C2 verdicts: NoKV throughput >= 70% of the peer's, cold and warm.
std::vector<Verdict> ComputeCliVerdicts(const std::vector<Row>& rows);

}  // namespace nokv::bench
