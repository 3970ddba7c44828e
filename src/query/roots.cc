// Client roots: URI to path, intersection with the server's root, and the
// root one call runs in.
#include "query/roots.h"

#include <algorithm>

#include "common/coding.h"
#include "meta/path.h"
#include "query/args.h"
#include "query/evidence.h"
#include "query/text_codec.h"

namespace nokv::query {
namespace {

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    std::string byte;
    if (i + 2 >= text.size() || !HexDecode(text.substr(i + 1, 2), &byte)) return std::nullopt;
    out += byte;
    i += 2;
  }
  return out;
}

// The paths a call names, as given.
std::vector<std::string> PathsOfCall(const nlohmann::json& args) {
  std::vector<std::string> paths;
  if (!args.is_object()) return paths;
  for (const char* key : {"path", "from", "to"}) {
    if (auto it = args.find(key); it != args.end() && it->is_string()) paths.push_back(*it);
  }
  if (auto it = args.find("paths"); it != args.end() && it->is_array()) {
    for (const auto& p : *it) {
      if (p.is_string()) paths.push_back(p);
    }
  }
  if (auto it = args.find("evidence"); it != args.end() && it->is_string()) {
    Evidence evidence;
    if (ParseEvidence(it->get<std::string>(), &evidence).ok()) paths.push_back(evidence.path);
  }
  return paths;
}

}  // namespace

std::optional<std::string> RootUriPath(std::string_view uri) {
  std::string_view rest;
  for (std::string_view scheme : {"file://", "nokv-native://"}) {
    if (uri.starts_with(scheme)) rest = uri.substr(scheme.size());
  }
  if (rest.empty() || rest.front() != '/') return std::nullopt;  // no scheme, or a host part
  if (auto cut = rest.find_first_of("?#"); cut != std::string_view::npos)
    rest = rest.substr(0, cut);
  auto decoded = PercentDecode(rest);
  if (!decoded) return std::nullopt;
  auto normalized = meta::NormalizePath(*decoded);
  if (!normalized.ok()) return std::nullopt;
  return std::move(normalized).value();
}

std::vector<std::string> IntersectRoots(std::string_view server_root,
                                        const std::vector<std::string>& client_roots) {
  std::vector<std::string> meet;
  for (const std::string& root : client_roots) {
    if (PathUnder(root, server_root)) {
      meet.push_back(root);
    } else if (PathUnder(server_root, root)) {
      meet.emplace_back(server_root);
    }
  }
  std::sort(meet.begin(), meet.end());
  meet.erase(std::unique(meet.begin(), meet.end()), meet.end());
  // Drop roots inside another one: after sorting, an ancestor comes first.
  std::vector<std::string> out;
  for (std::string& root : meet) {
    bool nested = std::any_of(out.begin(), out.end(),
                              [&](const std::string& kept) { return PathUnder(root, kept); });
    if (!nested) out.push_back(std::move(root));
  }
  return out;
}

VerbError RootForCall(const nlohmann::json& args, const std::vector<std::string>& roots,
                      std::string* root) {
  std::string list;
  for (const std::string& r : roots) list += (list.empty() ? "" : ", ") + r;
  if (roots.empty()) {
    return VerbError::NotFound("the client's roots leave nothing of the served tree",
                               "the client's roots and the server's --root do not meet");
  }
  std::vector<std::string> paths;
  for (const std::string& raw : PathsOfCall(args)) {
    auto normalized = meta::NormalizePath(UnescapeBytes(raw));
    if (normalized.ok()) paths.push_back(std::move(normalized).value());
  }
  for (const std::string& candidate : roots) {
    if (std::all_of(paths.begin(), paths.end(),
                    [&](const std::string& p) { return PathUnder(p, candidate); })) {
      *root = candidate;
      return VerbError::Ok();
    }
  }
  for (const std::string& p : paths) {
    bool inside = std::any_of(roots.begin(), roots.end(),
                              [&](const std::string& r) { return PathUnder(p, r); });
    if (!inside) {
      return VerbError::NotFound(p + " is outside the client's roots (" + list + ")",
                                 "use a path under one of them");
    }
  }
  return VerbError::InvalidArgument(
      "the paths of this call lie under different roots (" + list + ")", "call once per root");
}

}  // namespace nokv::query
