// Evidence URI formatting and parsing.
#include "query/evidence.h"

#include <charconv>

namespace nokv::query {
namespace {

constexpr std::string_view kScheme = "nokv-native://";
constexpr std::string_view kGeneration = "@generation:";

bool ParseNumber(std::string_view text, uint64_t* out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

VerbError Bad(std::string_view uri) {
  return VerbError::InvalidArgument(
      "malformed evidence URI '" + std::string(uri.substr(0, 256)) + "'",
      "expected nokv-native://<path>@generation:<N> with optional #L<line>, #L<a>-L<b> or "
      "#item:<i>");
}

bool ParseFragment(std::string_view frag, Evidence* out) {
  if (frag.starts_with("item:")) {
    out->kind = Evidence::Kind::kItem;
    return ParseNumber(frag.substr(5), &out->first);
  }
  if (!frag.starts_with("L")) return false;
  out->kind = Evidence::Kind::kLines;
  size_t dash = frag.find("-L");
  if (dash == std::string_view::npos) {
    if (!ParseNumber(frag.substr(1), &out->first)) return false;
    out->last = out->first;
  } else if (!ParseNumber(frag.substr(1, dash - 1), &out->first) ||
             !ParseNumber(frag.substr(dash + 2), &out->last)) {
    return false;
  }
  return out->first >= 1 && out->last >= out->first;
}

}  // namespace

std::string VersionUri(std::string_view path, uint64_t generation) {
  return std::string(kScheme) + std::string(path) + std::string(kGeneration) +
         std::to_string(generation);
}

std::string LinesUri(std::string_view path, uint64_t generation, uint64_t first, uint64_t last) {
  std::string uri = VersionUri(path, generation) + "#L" + std::to_string(first);
  if (last != first) uri += "-L" + std::to_string(last);
  return uri;
}

std::string ItemUri(std::string_view path, uint64_t generation, uint64_t item) {
  return VersionUri(path, generation) + "#item:" + std::to_string(item);
}

VerbError ParseEvidence(std::string_view uri, Evidence* out) {
  if (!uri.starts_with(kScheme)) return Bad(uri);
  std::string_view rest = uri.substr(kScheme.size());
  size_t at = rest.rfind(kGeneration);
  if (at == std::string_view::npos) return Bad(uri);
  out->path = std::string(rest.substr(0, at));
  std::string_view tail = rest.substr(at + kGeneration.size());
  size_t hash = tail.find('#');
  if (!ParseNumber(tail.substr(0, hash), &out->generation)) return Bad(uri);
  out->kind = Evidence::Kind::kVersion;
  if (hash != std::string_view::npos && !ParseFragment(tail.substr(hash + 1), out)) {
    return Bad(uri);
  }
  return VerbError::Ok();
}

}  // namespace nokv::query
