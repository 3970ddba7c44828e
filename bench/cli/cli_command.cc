// `nokv-bench cli`: `nokv put` / `nokv cat` of one large file against cp / cat.
// The nokv binary is --nokv, else <build>/src/cli/nokv next to this binary's
// <build>/bench/nokv-bench.
#include "cli_command.h"

#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <iostream>

#include "bench/common/command.h"
#include "cli_suite.h"

namespace nokv::bench {

namespace {

std::string DefaultNokv() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  return (self.parent_path().parent_path() / "src" / "cli" / "nokv").string();
}

bool ParseCount(const std::string& text, uint64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && *out > 0;
}

}  // namespace

int RunCliCommand(const std::vector<std::string>& argv, const std::string& command) {
  CommonArgs common;
  std::string nokv, baseline, bytes, repeats;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (ParseCommonFlag(argv, &i, &common)) continue;
    std::string* value = argv[i] == "--nokv"       ? &nokv
                         : argv[i] == "--baseline" ? &baseline
                         : argv[i] == "--bytes"    ? &bytes
                         : argv[i] == "--repeats"  ? &repeats
                                                   : nullptr;
    if (value != nullptr && i + 1 < argv.size()) {
      *value = argv[++i];
      continue;
    }
    std::cerr << "nokv-bench: unknown or incomplete argument '" << argv[i] << "'\n" << kCliUsage;
    return 2;
  }
  CliBenchConfig config = common.quick ? CliBenchConfig::Quick() : CliBenchConfig{};
  uint64_t n = 0;
  if (!bytes.empty() && !ParseCount(bytes, &config.bytes)) {
    std::cerr << "nokv-bench: bad --bytes '" << bytes << "'\n" << kCliUsage;
    return 2;
  }
  if (!repeats.empty()) {
    if (!ParseCount(repeats, &n)) {
      std::cerr << "nokv-bench: bad --repeats '" << repeats << "'\n" << kCliUsage;
      return 2;
    }
    config.repeats = static_cast<int>(n);
  }
  config.nokv = nokv.empty() ? DefaultNokv() : nokv;
  if (access(config.nokv.c_str(), X_OK) != 0) {
    std::cerr << "nokv-bench: no nokv binary at '" << config.nokv << "' (use --nokv)\n";
    return 2;
  }
  config.nokv = std::filesystem::absolute(config.nokv).string();
  if (!baseline.empty()) {
    if (access(baseline.c_str(), X_OK) != 0) {
      std::cerr << "nokv-bench: no baseline nokv binary at '" << baseline << "'\n";
      return 2;
    }
    config.baseline = std::filesystem::absolute(baseline).string();
  }
  auto suite = [&](const std::string& scratch, std::vector<Row>* rows) {
    config.data_root = scratch;
    return RunCliSuite(config, rows);
  };
  ReportLabels labels;
  labels.nokv_column = "NoKV (`nokv`)";
  labels.peer_column = "peer (coreutils)";
  labels.rows_note =
      "value: median over repeats of bytes / wall time of the command (fork to exit); spread: "
      "min .. max; cold: page cache dropped before each command; warm: input in the page cache.";
  return RunAndReport(common, command, "nokv-bench-cli-", suite, ComputeCliVerdicts, labels);
}

}  // namespace nokv::bench
