// Argument parsing for `nokv` commands.
#include <algorithm>

#include "cli/cli.h"
#include "query/text_codec.h"

namespace nokv::cli {

Result<Args> Args::Parse(const std::vector<std::string>& argv,
                         const std::vector<std::string>& flags,
                         const std::vector<std::string>& switches) {
  Args args;
  auto is = [](const std::vector<std::string>& set, const std::string& name) {
    return std::find(set.begin(), set.end(), name) != set.end();
  };
  bool only_positional = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (only_positional || arg == "-" || arg.size() < 2 || arg[0] != '-') {
      args.positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    std::string name = arg;
    std::optional<std::string> value;
    if (size_t eq = arg.find('='); eq != std::string::npos && arg.starts_with("--")) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    if (is(switches, name)) {
      if (value) return Status::InvalidArgument(name + " takes no value");
      args.values_.emplace(name, "");
    } else if (is(flags, name)) {
      if (!value) {
        if (i + 1 >= argv.size()) return Status::InvalidArgument(name + " needs a value");
        value = argv[++i];
      }
      args.values_.emplace(name, *value);
    } else {
      return Status::InvalidArgument("unknown flag " + name);
    }
  }
  return args;
}

std::vector<std::string> Args::PathPositionals() const {
  std::vector<std::string> out;
  out.reserve(positional_.size());
  for (const auto& arg : positional_) out.push_back(PathArg(arg));
  return out;
}

std::string PathArg(std::string_view arg) { return query::UnescapeBytes(arg); }

std::optional<std::string> Args::Get(const std::string& name) const {
  auto range = values_.equal_range(name);
  if (range.first == range.second) return std::nullopt;
  return std::prev(range.second)->second;  // the last one wins
}

std::vector<std::string> Args::GetAll(const std::string& name) const {
  std::vector<std::string> out;
  auto range = values_.equal_range(name);
  for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
  return out;
}

}  // namespace nokv::cli
