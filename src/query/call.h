// How callers steer and scope the agent verbs: shared by query::Service and
// the metadata seam (src/fs/metadata.h), which runs verbs in-process or in a
// server. Plain data; nothing here knows the engine.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace nokv::query {

// How a caller steers a running verb.
struct CallControl {
  // Set (by another thread) to stop the work; the verb then returns a
  // "cancelled" error promptly.
  const std::atomic<bool>* cancelled = nullptr;
  // Called now and then by long verbs (grep, find over many rows); may be empty.
  std::function<void(uint64_t done, uint64_t total, std::string_view message)> progress;
};

struct ServiceOptions {
  // Every verb is confined to this subtree; paths in arguments and results
  // stay absolute in the filesystem's namespace.
  std::string root = "/";
  // Read at this snapshot unless the call names one ("" = latest).
  std::string snapshot;
  // Result size bounds (AGENT_TOOLS.md "Common rules").
  size_t default_max_result_bytes = 64 * 1024;
  size_t hard_max_result_bytes = 1024 * 1024;
};

}  // namespace nokv::query
