// VerbBackend: what the MCP server calls to run a verb. The production
// backend forwards to a Filesystem (service_backend.cc); tests substitute fakes
// (a grep that blocks until cancelled, progress that ticks).
//
// Thread-safety: Call() must be safe to run concurrently from many threads.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fs/filesystem.h"

namespace nokv::agent {

// The client's roots (MCP roots/list) as absolute paths; nullopt when the
// client offers none (the server's root alone confines). An empty list
// allows nothing.
using ClientRoots = std::optional<std::vector<std::string>>;

class VerbBackend {
 public:
  virtual ~VerbBackend() = default;
  // Runs verb `name` (a read verb, or a write verb of the write profile)
  // with `args`, confined to the server's scope and, when given, to `roots`
  // within it; returns its result object or {"error": {code, message,
  // hint?}}. Never throws.
  virtual nlohmann::json Call(std::string_view name, const nlohmann::json& args,
                              const query::CallControl& control, const ClientRoots& roots) = 0;
};

// The production backend: the verbs of `fs` (which must outlive it),
// confined to `scope` (and the client's roots within it: each read verb
// runs in the root that holds its paths, query/roots.h); the write verbs (fs/agent_writes.h) only
// when `write_profile`.
std::unique_ptr<VerbBackend> NewFilesystemBackend(fs::Filesystem* fs, query::ServiceOptions scope,
                                                  bool write_profile = false);

}  // namespace nokv::agent
