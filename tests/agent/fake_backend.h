// A VerbBackend for server tests: canned results, a grep that blocks until
// it is cancelled or released, and a find that reports progress.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "agent/backend.h"

namespace nokv::agent {

class FakeBackend : public VerbBackend {
 public:
  nlohmann::json Call(std::string_view name, const nlohmann::json& args,
                      const query::CallControl& control, const ClientRoots& roots) override {
    using nlohmann::json;
    calls++;
    {
      std::lock_guard lock(roots_mu);
      last_roots = roots;
    }
    std::string path =
        args.contains("path") && args["path"].is_string() ? args["path"].get<std::string>() : "";
    if (path == "/missing") {
      return json{
          {"error",
           {{"code", "not_found"}, {"message", "no such path: /missing"}, {"hint", "see ls /"}}}};
    }
    if (name == "grep" && args.value("pattern", "") == "block") return BlockingGrep(control);
    if (name == "find" && control.progress) {
      for (uint64_t i = 1; i <= 5; ++i) control.progress(i, 5, "rows");
    }
    if (name == "ls") {
      return json{
          {"as_of", 1},
          {"path", path},
          {"entry_count", 2},
          {"entries",
           json::array(
               {{{"name", "runs"}, {"kind", "directory"}, {"mtime", "2026-01-01T00:00:00.000Z"}},
                {{"name", "a.json"},
                 {"kind", "file"},
                 {"size_bytes", 3},
                 {"mtime", "2026-01-01T00:00:00.000Z"}}})}};
    }
    if (name == "read") {
      if (path == "/runs") return json{{"error", {{"code", "not_a_file"}, {"message", "dir"}}}};
      return json{{"as_of", 1},         {"path", path},
                  {"generation", 4},    {"size_bytes", 3},
                  {"format", "bytes"},  {"evidence", "nokv-native://" + path + "@generation:4"},
                  {"encoding", "utf8"}, {"data", "{}\n"},
                  {"length", 3}};
    }
    return json{{"as_of", 1}, {"verb", name}, {"args", args}};
  }

  // Lets a blocked grep finish normally.
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

  // Block until a grep has started / has seen its cancellation; false when
  // that did not happen within `timeout` (a failure, not a pacing device).
  bool WaitGrepStarted(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return grep_started.load(); });
  }
  bool WaitGrepSawCancel(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return grep_saw_cancel.load(); });
  }

  std::atomic<int> calls{0};
  std::mutex roots_mu;
  ClientRoots last_roots;  // guarded by roots_mu: the roots of the last call
  std::atomic<bool> grep_started{false};
  std::atomic<bool> grep_saw_cancel{false};

 private:
  nlohmann::json BlockingGrep(const query::CallControl& control) {
    std::unique_lock lock(mu_);
    grep_started = true;
    cv_.notify_all();
    while (!released_) {
      // The verb's own cancellation check: CallControl offers a flag, so a
      // verb looks at it between units of work (here, every 5 ms).
      if (control.cancelled != nullptr && control.cancelled->load()) {
        grep_saw_cancel = true;
        cv_.notify_all();
        return {{"error", {{"code", "cancelled"}, {"message", "cancelled"}}}};
      }
      cv_.wait_for(lock, std::chrono::milliseconds(5));
    }
    return {{"as_of", 1},
            {"matches", nlohmann::json::array()},
            {"files_scanned", 0},
            {"bytes_scanned", 0}};
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;  // guarded by mu_
};

}  // namespace nokv::agent
