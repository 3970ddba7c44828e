// MCP resources over the verbs: files and directories as nokv-native://
// resources, the nokv-native://{+path} template, and resources/read of a
// path or an evidence URI (docs/mcp.md "Resources").
//
// Stateless functions; thread-safe when the backend is.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "agent/backend.h"
#include "agent/json_rpc.h"

namespace nokv::agent {

inline constexpr std::string_view kUriScheme = "nokv-native://";

// Most bytes resources/read returns for one file (the read verb's hard cap).
inline constexpr size_t kMaxResourceBytes = 1u << 20;

// The resources/templates/list result.
nlohmann::json ResourceTemplatesResult();

// resources/list: one page of the entries of `root` (params.cursor pages
// on); with client roots that narrow `root`, those roots, as directories.
RpcOutcome ListResources(VerbBackend* backend, const std::string& root,
                         const nlohmann::json& params, const query::CallControl& control,
                         const ClientRoots& roots);

// resources/read {uri}: a file's bytes (text, or base64 blob when not
// UTF-8), the exact lines or record an evidence URI names, or a directory's
// listing as JSON. A missing path is kResourceNotFound; a bad URI
// kInvalidParams.
RpcOutcome ReadResource(VerbBackend* backend, const nlohmann::json& params,
                        const query::CallControl& control, const ClientRoots& roots);

}  // namespace nokv::agent
