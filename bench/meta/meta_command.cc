// `nokv-bench meta`: MetaService (L0-meta) mdtest shapes, big directories and
// footprint, side by side with SQLite in the JuiceFS shape.
#include "meta_command.h"

#include <algorithm>
#include <charconv>
#include <iostream>

#include "bench/common/command.h"
#include "meta_suite.h"

namespace nokv::bench {

namespace {

// "1024,65536" -> {1024, 65536}; false on anything but positive integers.
bool ParseSizes(const std::string& list, std::vector<uint64_t>* out) {
  for (const std::string& item : SplitIds(list)) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
    if (ec != std::errc() || end != item.data() + item.size() || n == 0) return false;
    out->push_back(n);
  }
  return !out->empty();
}

}  // namespace

int RunMetaCommand(const std::vector<std::string>& argv, const std::string& command) {
  CommonArgs common;
  std::set<std::string> ids = {"M1", "M3", "E5"};
  std::vector<uint64_t> sizes;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (ParseCommonFlag(argv, &i, &common)) continue;
    if (argv[i] == "--rows" && i + 1 < argv.size()) {
      ids = SplitIds(argv[++i]);
      continue;
    }
    if (argv[i] == "--dir-sizes" && i + 1 < argv.size() && ParseSizes(argv[++i], &sizes)) {
      continue;
    }
    std::cerr << "nokv-bench: unknown or incomplete argument '" << argv[i] << "'\n" << kMetaUsage;
    return 2;
  }
  for (const std::string& id : ids) {
    if (id != "M1" && id != "M3" && id != "E5") {
      std::cerr << "nokv-bench: unknown row '" << id << "'\n" << kMetaUsage;
      return 2;
    }
  }
  MetaBenchConfig config = common.quick ? MetaBenchConfig::Quick() : MetaBenchConfig{};
  if (!sizes.empty()) {
    config.dir_sizes = sizes;
    config.footprint_entries = *std::max_element(sizes.begin(), sizes.end());
  }
  auto suite = [&](const std::string& scratch, std::vector<Row>* rows) {
    config.data_root = scratch;
    return RunMetaSuite(config, ids, rows);
  };
  ReportLabels labels;
  labels.nokv_column = "NoKV (MetaService)";
  labels.peer_column = "peer (SQLite, JuiceFS shape)";
  labels.rows_note =
      "value: median over repeats (lookup rows: over every lookup); spread: min .. max of the "
      "same; latency: p50 / p95 over every commit or call.";
  return RunAndReport(common, command, "nokv-bench-meta-", suite, ComputeMetaVerdicts, labels);
}

}  // namespace nokv::bench
