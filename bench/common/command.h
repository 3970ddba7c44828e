// The shape every nokv-bench subcommand shares: common flags (--quick,
// --json, --md, --dir), a scratch directory removed afterwards, machine
// facts, and the Markdown report printed and written with the JSON lines.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "bench/common/report.h"

namespace nokv::bench {

struct CommonArgs {
  bool quick = false;
  std::string json_path;
  std::string md_path;
  std::string dir;  // parent of the scratch directory ($TMPDIR or /tmp when empty)
};

// If argv[*i] is a common flag, consumes it (and its value, advancing *i)
// into *args and returns true.
bool ParseCommonFlag(const std::vector<std::string>& argv, size_t* i, CommonArgs* args);
// The flags of the one-table commands (retention, backup): `--files N`
// (N > 0) and `--dir DIR`. On anything else prints the argument and `usage`
// to stderr and returns false.
bool ParseFilesAndDir(const std::vector<std::string>& argv, uint64_t* files, std::string* dir,
                      const char* usage);
// "a,b,c" -> {"a", "b", "c"} (empty items dropped).
std::set<std::string> SplitIds(const std::string& list);
// $TMPDIR, else /tmp.
std::string DefaultScratchParent();

// What a subcommand runs: its rows under `scratch`, appended to *rows; the
// first failure is returned after the remaining rows ran.
using SuiteFn = std::function<Status(const std::string& scratch, std::vector<Row>* rows)>;
using VerdictFn = std::function<std::vector<Verdict>(const std::vector<Row>& rows)>;

// Creates the scratch directory "<dir>/<prefix>XXXXXX", collects machine
// facts, runs `suite`, prints the Markdown report and writes the requested
// files. Returns the process exit code (0 when every row ran and was written).
int RunAndReport(const CommonArgs& args, const std::string& command, const std::string& prefix,
                 const SuiteFn& suite, const VerdictFn& verdicts, const ReportLabels& labels = {});

}  // namespace nokv::bench
