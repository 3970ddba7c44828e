// Client roots (MCP `roots`): the subtrees an agent's host allows, and how
// one call is confined to them within the server's own root.
//
// Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "query/verb_error.h"

namespace nokv::query {

// The path a root URI names: file:///a/b and nokv-native:///a/b are /a/b
// (percent-escapes decoded, normalized); nullopt for other schemes, a host
// part, a relative or malformed path.
std::optional<std::string> RootUriPath(std::string_view uri);

// The subtrees both `server_root` and one of `client_roots` allow: a client
// root under the server's root, or the server's root under a client root.
// Sorted, without duplicates or roots nested in another one; empty when
// they do not meet.
std::vector<std::string> IntersectRoots(std::string_view server_root,
                                        const std::vector<std::string>& client_roots);

// The one of `roots` that holds every path the call names ("path", "paths",
// the path of an "evidence" URI, "from" and "to"): not_found naming the
// roots when none does, and `roots`' first when the call names no path.
// The paths are compared after lexical normalization; the verb itself still
// checks them (and links) against the root it is then given.
VerbError RootForCall(const nlohmann::json& args, const std::vector<std::string>& roots,
                      std::string* root);

}  // namespace nokv::query
