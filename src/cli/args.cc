// The parsed arguments of a command (filled in by dispatch.cc).
#include <iterator>

#include "cli/cli.h"
#include "query/text_codec.h"

namespace nokv::cli {

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
