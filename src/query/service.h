// query::Service: the seven read-only agent verbs (ls, stat, catalog, find,
// aggregate, read, grep) over the metadata service and the object store.
//
// The verbs are the contract of shared/design/AGENT_TOOLS.md; their argument
// and result shapes are the JSON Schemas in schemas/ (one input and one
// output schema per verb). Every frontend (MCP server, CLI, RPC server) calls
// Call() and only translates.
//
// Thread-safety: Call() may run concurrently from any number of threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/thread_pool.h"
#include "meta/meta_service.h"
#include "object/object_store.h"
#include "query/call.h"

namespace nokv::query {

class Service {
 public:
  // `meta`, `store` and `io` must outlive the service.
  Service(meta::MetaService* meta, object::ObjectStore* store, ThreadPool* io,
          ServiceOptions options = {});
  ~Service();

  // Runs verb `name` with `args`. Returns the verb's result object, or
  // {"error": {"code": ..., "message": ..., "hint": ...}} for an unknown
  // verb, invalid arguments, missing paths, expired cursors, cancellation.
  nlohmann::json Call(std::string_view name, const nlohmann::json& args,
                      const CallControl& control = {});

  // "ls", "stat", "catalog", "find", "aggregate", "read", "grep".
  static const std::vector<std::string>& VerbNames();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nokv::query
