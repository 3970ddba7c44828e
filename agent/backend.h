// VerbBackend: what the MCP server calls to run a verb. The production
// backend forwards to a Filesystem (service_backend.cc); tests substitute fakes
// (a grep that blocks until cancelled, progress that ticks).
//
// Thread-safety: Call() must be safe to run concurrently from many threads.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "fs/filesystem.h"

namespace nokv::agent {

class VerbBackend {
 public:
  virtual ~VerbBackend() = default;
  // Runs verb `name` (a read verb, or a write verb of the write profile)
  // with `args`; returns its result
  // object or {"error": {code, message, hint?}}. Never throws.
  virtual nlohmann::json Call(std::string_view name, const nlohmann::json& args,
                              const query::CallControl& control) = 0;
};

// The production backend: the verbs of `fs` (which must outlive it),
// confined to `scope`; the write verbs (fs/agent_writes.h) only when
// `write_profile`.
std::unique_ptr<VerbBackend> NewFilesystemBackend(fs::Filesystem* fs, query::ServiceOptions scope,
                                                  bool write_profile = false);

}  // namespace nokv::agent
