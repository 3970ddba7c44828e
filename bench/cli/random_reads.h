// Row C3 of the CLI suite (issue 13): random reads of a stored file, warm
// page cache, fio-shaped (one reader, aligned offsets, fixed size), against
// pread(2) of the same bytes in a plain file:
//   - in process: fs::Reader::Read through the Filesystem API (the data
//     directory opened embedded, read-only; one reader, as fio keeps its file
//     open) vs pread of the copy;
//   - one process per read: `nokv cat --range OFF:LEN` vs `dd` of the same
//     range of the copy (both pay their start-up).
#pragma once

#include <string>
#include <vector>

#include "bench/common/report.h"

namespace nokv::bench {

struct RandomReadConfig {
  std::string nokv;      // the nokv binary (process rows)
  std::string baseline;  // optional second nokv binary ("nokv-before" process rows)
  std::string data_dir;  // holds the stored file
  std::string baseline_data_dir;
  std::string stored;  // its NoKV path
  std::string copy;    // the same bytes in a plain file
  uint64_t bytes = 0;  // file size
  double load1 = 0;
};

// Appends C3 rows (value: reads/s; latency: us per read).
Status RunRandomReads(const RandomReadConfig& config, std::vector<Row>* rows);

}  // namespace nokv::bench
