// HostileInputTest: a data directory driven through the `nokv` binary, with
// `nokv mcp` sessions whose answers are collected by request id and whose
// peak RSS (wait4) and wall time are measured. Shared by the hostile-input
// tests of issue #19.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "run_nokv.h"
#include "test_dir.h"

namespace nokv::testing {

// NOKV_HOSTILE_SCALE=full: the sizes the issue names (ctest cli_hostile_full).
using Json = nlohmann::json;

inline bool FullScale() {
  const char* scale = std::getenv("NOKV_HOSTILE_SCALE");
  return scale != nullptr && std::string(scale) == "full";
}

// A sanitizer build (scripts/sanitize.sh) runs `nokv` instrumented: freed
// memory sits in quarantine and every allocation grows redzones and
// shadow, so memory bounds are scaled and the largest inputs shrunk there.
// The default build enforces the real bounds.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
constexpr long kMemoryFactor = 16;
#else
constexpr bool kSanitized = false;
constexpr long kMemoryFactor = 1;
#endif

// Peak RSS bounds (KiB): generous multiples of the measured figures in
// docs/reliability.md, far below what an unbounded parse would take.
constexpr long kCliPeakKib = (256 << 10) * kMemoryFactor;
constexpr long kMcpPeakKib = (512 << 10) * kMemoryFactor;

// The answers of one `nokv mcp` session, by request id.
struct McpRun {
  RunResult process;
  std::map<int64_t, Json> answers;
  double seconds = 0;

  // structuredContent of the tools/call answer `id` (null when missing).
  Json Result(int64_t id) const {
    auto it = answers.find(id);
    if (it == answers.end() || !it->second.contains("result")) return nullptr;
    return it->second["result"].value("structuredContent", Json());
  }
  std::string ErrorCode(int64_t id) const {
    Json r = Result(id);
    return r.is_object() && r.contains("error") ? r["error"]["code"].get<std::string>() : "";
  }
  std::string ErrorMessage(int64_t id) const {
    Json r = Result(id);
    return r.is_object() && r.contains("error") ? r["error"]["message"].get<std::string>() : "";
  }
};

using Call = std::pair<std::string, Json>;  // tool, arguments

class HostileInputTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(Nokv({"init"}).exit_code, 0); }

  RunResult Nokv(std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), {NOKV_BINARY, "--data-dir", dir_.Sub("data")});
    return RunProgram(args, input);
  }

  // Puts `bytes` at `path` from stdin; the put must succeed within the CLI
  // memory bound.
  RunResult Put(const std::string& path, const std::string& bytes) {
    RunResult put = Nokv({"put", "-", path}, bytes);
    EXPECT_EQ(put.exit_code, 0) << path << ": " << put.err;
    EXPECT_LT(put.peak_rss_kib, kCliPeakKib) << path;
    return put;
  }

  // One `nokv mcp` session: initialize, then `calls` with ids 10, 11, ...,
  // then `extra` raw lines, then a final `ls /` (id 9999) that proves the
  // server still answers. Every output line must be valid JSON.
  McpRun Mcp(const std::vector<Call>& calls, std::vector<std::string> flags = {},
             const std::string& extra = {}) {
    std::string input =
        R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":)"
        R"("2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})"
        "\n";
    for (size_t i = 0; i < calls.size(); ++i) {
      input += Json{{"jsonrpc", "2.0"},
                    {"id", 10 + static_cast<int64_t>(i)},
                    {"method", "tools/call"},
                    {"params", {{"name", calls[i].first}, {"arguments", calls[i].second}}}}
                   .dump() +
               "\n";
    }
    input += extra;
    input += R"({"jsonrpc":"2.0","id":9999,"method":"tools/call","params":{"name":"ls",)"
             R"("arguments":{"path":"/"}}})"
             "\n";
    std::vector<std::string> args = {NOKV_BINARY, "--data-dir", dir_.Sub("data"), "mcp"};
    args.insert(args.end(), flags.begin(), flags.end());
    McpRun run;
    auto start = std::chrono::steady_clock::now();
    // Stdin stays open until every id is answered: at end of input the
    // server cancels what still runs after a grace period.
    size_t expected = calls.size() + 2;  // initialize, the calls, the last ls
    run.process = RunProgram(args, input, {}, [expected](const std::string& out) {
      size_t answered = 0;  // lines that answer a numbered request (keys are sorted)
      for (size_t at = 0; at < out.size(); at = out.find('\n', at) + 1) {
        answered +=
            out.compare(at, 6, R"({"id":)") == 0 && out.compare(at, 10, R"({"id":null)") != 0;
        if (out.find('\n', at) == std::string::npos) break;
      }
      return answered >= expected;
    });
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    size_t pos = 0;
    while (pos < run.process.out.size()) {
      size_t end = run.process.out.find('\n', pos);
      if (end == std::string::npos) end = run.process.out.size();
      Json line = Json::parse(run.process.out.substr(pos, end - pos), nullptr, false);
      EXPECT_FALSE(line.is_discarded()) << run.process.out.substr(pos, 200);
      if (line.is_object() && line.contains("id") && line["id"].is_number_integer()) {
        run.answers[line["id"].get<int64_t>()] = line;
      }
      pos = end + 1;
    }
    EXPECT_EQ(run.process.exit_code, 0) << run.process.err;
    EXPECT_LT(run.process.peak_rss_kib, kMcpPeakKib);
    EXPECT_TRUE(run.Result(9999).is_object()) << "the server stopped answering";
    RecordProperty("mcp_peak_rss_kib", std::to_string(run.process.peak_rss_kib));
    return run;
  }

  TempDir dir_;
};

}  // namespace nokv::testing
