// VerbBackend: what the MCP server calls to run a verb. The production
// backend wraps query::Service (service_backend.h); tests substitute fakes
// (a grep that blocks until cancelled, progress that ticks).
//
// Thread-safety: Call() must be safe to run concurrently from many threads.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "query/service.h"

namespace nokv::agent {

class VerbBackend {
 public:
  virtual ~VerbBackend() = default;
  // Runs verb `name` (one of the seven) with `args`; returns its result
  // object or {"error": {code, message, hint?}}. Never throws.
  virtual nlohmann::json Call(std::string_view name, const nlohmann::json& args,
                              const query::CallControl& control) = 0;
};

// The production backend over a verb service (owned).
std::unique_ptr<VerbBackend> NewServiceBackend(std::unique_ptr<query::Service> service);

}  // namespace nokv::agent
