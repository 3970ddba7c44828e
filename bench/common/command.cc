// Common flags, scratch directory and report output of every nokv-bench subcommand.
#include "bench/common/command.h"

#include <charconv>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace nokv::bench {

bool ParseCommonFlag(const std::vector<std::string>& argv, size_t* i, CommonArgs* args) {
  const std::string& flag = argv[*i];
  bool has_value = *i + 1 < argv.size();
  if (flag == "--quick") {
    args->quick = true;
    return true;
  }
  std::string* value = flag == "--json"  ? &args->json_path
                       : flag == "--md"  ? &args->md_path
                       : flag == "--dir" ? &args->dir
                                         : nullptr;
  if (value == nullptr || !has_value) return false;
  *value = argv[++*i];
  return true;
}

bool ParseFilesAndDir(const std::vector<std::string>& argv, uint64_t* files, std::string* dir,
                      const char* usage) {
  for (size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] == "--files" && i + 1 < argv.size()) {
      const std::string& n = argv[++i];
      auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), *files);
      if (ec == std::errc() && end == n.data() + n.size() && *files > 0) continue;
    }
    if (argv[i] == "--dir" && i + 1 < argv.size()) {
      *dir = argv[++i];
      continue;
    }
    std::cerr << "nokv-bench: unknown or incomplete argument '" << argv[i] << "'\n" << usage;
    return false;
  }
  return true;
}

std::set<std::string> SplitIds(const std::string& list) {
  std::set<std::string> ids;
  std::stringstream in(list);
  for (std::string id; std::getline(in, id, ',');) {
    if (!id.empty()) ids.insert(id);
  }
  return ids;
}

std::string DefaultScratchParent() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
}

int RunAndReport(const CommonArgs& args, const std::string& command, const std::string& prefix,
                 const SuiteFn& suite, const VerdictFn& verdicts, const ReportLabels& labels) {
  auto scratch = TempDir::Create(args.dir.empty() ? DefaultScratchParent() : args.dir, prefix);
  if (!scratch.ok()) {
    std::cerr << "nokv-bench: " << scratch.status().ToString() << "\n";
    return 1;
  }
  MachineFacts machine = CollectMachineFacts(scratch->path());
  std::vector<Row> rows;
  Status run = suite(scratch->path(), &rows);
  std::string md = RenderMarkdown(machine, command, verdicts(rows), rows, labels);
  std::cout << md;
  Status out;
  if (!args.json_path.empty()) out = WriteJsonLines(args.json_path, rows);
  if (out.ok() && !args.md_path.empty()) out = WriteFile(args.md_path, md);
  if (!out.ok()) std::cerr << "nokv-bench: " << out.ToString() << "\n";
  return run.ok() && out.ok() ? 0 : 1;
}

}  // namespace nokv::bench
