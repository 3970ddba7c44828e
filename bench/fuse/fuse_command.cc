// `nokv-bench fuse`: flags, then the FUSE suite with its report. The nokv
// binary is --nokv, else <build>/src/cli/nokv next to this binary's
// <build>/bench/nokv-bench; the no-op filesystem is served by this binary.
#include "fuse_command.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "bench/common/command.h"
#include "fuse_suite.h"

namespace nokv::bench {
namespace {

std::string SelfPath() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : self.string();
}

bool ParseCount(const std::string& text, uint64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && *out > 0;
}

int Usage(const std::string& why) {
  std::cerr << "nokv-bench: " << why << "\n" << kFuseUsage;
  return 2;
}

}  // namespace

int RunFuseCommand(const std::vector<std::string>& argv, const std::string& command) {
  CommonArgs common;
  std::string nokv, s3_env, targets, rows, repeats, peer_repeats, big, stonewall;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (ParseCommonFlag(argv, &i, &common)) continue;
    std::string* value = argv[i] == "--nokv"              ? &nokv
                         : argv[i] == "--s3-env"          ? &s3_env
                         : argv[i] == "--targets"         ? &targets
                         : argv[i] == "--rows"            ? &rows
                         : argv[i] == "--repeats"         ? &repeats
                         : argv[i] == "--peer-f1-repeats" ? &peer_repeats
                         : argv[i] == "--stonewall"       ? &stonewall
                         : argv[i] == "--big-bytes"       ? &big
                                                          : nullptr;
    if (value == nullptr || i + 1 >= argv.size()) {
      return Usage("unknown or incomplete argument '" + argv[i] + "'");
    }
    *value = argv[++i];
  }
  FuseBenchConfig config = common.quick ? FuseBenchConfig::Quick() : FuseBenchConfig{};
  if (!targets.empty()) {
    config.targets.clear();
    std::stringstream in(targets);
    for (std::string t; std::getline(in, t, ',');) {
      if (std::find(kFuseTargets.begin(), kFuseTargets.end(), t) == kFuseTargets.end()) {
        return Usage("unknown target '" + t + "'");
      }
      config.targets.push_back(t);
    }
  }
  if (!rows.empty()) {
    config.rows = SplitIds(rows);
    for (const std::string& id : config.rows) {
      if (id != "F1" && id != "F2") return Usage("unknown row '" + id + "'");
    }
  }
  uint64_t n = 0;
  if (!repeats.empty()) {
    if (!ParseCount(repeats, &n)) return Usage("bad --repeats '" + repeats + "'");
    config.repeats = static_cast<int>(n);
  }
  if (!peer_repeats.empty()) {
    if (!ParseCount(peer_repeats, &n)) return Usage("bad --peer-f1-repeats '" + peer_repeats + "'");
    config.peer_f1_repeats = static_cast<int>(n);
  }
  if (!stonewall.empty()) {
    char* end = nullptr;
    config.stonewall_s = std::strtod(stonewall.c_str(), &end);
    if (*end != '\0' || !(config.stonewall_s >= 0))
      return Usage("bad --stonewall '" + stonewall + "'");
  }
  if (!big.empty() && !ParseCount(big, &config.jfs.big))
    return Usage("bad --big-bytes '" + big + "'");
  if (::geteuid() != 0) return Usage("the FUSE suite mounts filesystems: run it as root");
  config.self = SelfPath();
  std::error_code ec;
  auto bin = std::filesystem::path(config.self).parent_path().parent_path() / "src/cli/nokv";
  config.nokv = nokv.empty() ? bin.string() : std::filesystem::absolute(nokv, ec).string();
  if (::access(config.nokv.c_str(), X_OK) != 0) {
    return Usage("no nokv binary at '" + config.nokv + "' (use --nokv)");
  }
  config.s3_env = s3_env;
  auto suite = [&](const std::string& scratch, std::vector<Row>* out) {
    config.data_root = scratch;
    return RunFuseSuite(config, out);
  };
  ReportLabels labels;
  labels.nokv_column = "NoKV (mount)";
  labels.peer_column = "peer / ceiling";
  labels.rows_note =
      "value: median over repeats of (items or bytes) / phase wall time; spread: min .. max; "
      "one task; F2 phases start with the page cache, dentries and inodes dropped.";
  return RunAndReport(common, command, "nokv-bench-fuse-", suite, ComputeFuseVerdicts, labels);
}

}  // namespace nokv::bench
