// Hostile input through the front doors (issue #19): bodies built to hurt the
// parsers, put under index rules and read through `nokv mcp`; paths and names
// that try to escape or overflow, through the CLI and MCP (also `--root` with
// symbolic links leading out of it); and requests built to exhaust memory or
// time (huge grep results, regexes that blow up backtracking engines, 20 MiB
// MCP lines, a large directory). Each child's peak RSS is measured with
// wait4; sizes grow with NOKV_HOSTILE_SCALE=full (ctest `cli_hostile_full`,
// label slow).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "hostile_fixture.h"

namespace nokv::testing {
namespace {

std::string DeepJson(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// "Billion laughs": ten levels of nine aliases of the level below.
std::string YamlAliasBomb() {
  std::string yaml =
      "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    yaml += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 9; ++i) yaml += (i ? ",*" : "*") + prev;
    yaml += "]\n";
  }
  return yaml;
}

// One CSV line of `bytes` bytes: a header of many columns and no newline.
std::string SingleLineCsv(size_t bytes) {
  std::string csv;
  csv.reserve(bytes + 16);
  for (size_t i = 0; csv.size() < bytes; ++i) csv += "c" + std::to_string(i) + ",";
  csv.back() = 'z';
  return csv;
}

TEST_F(HostileInputTest, ParserBombsAreParseErrorsInBoundedMemoryAndTheServerAnswersAfter) {
  for (const char* rule : {"j:*.json", "y:*.yaml", "l:*.jsonl", "c:*.csv"}) {
    std::string id(rule, 1), glob(rule + 2);
    ASSERT_EQ(Nokv({"index", "add", "--id", id, "--root", "/b", "--glob", glob, "--field", "v=$.v"})
                  .exit_code,
              0);
  }
  const size_t csv_bytes = FullScale() ? (100u << 20) : (8u << 20);
  struct Body {
    std::string path, bytes, parse_error;
  };
  std::vector<Body> bodies = {
      {"/b/deep.json", DeepJson(100000), "nesting deeper than 128 levels"},
      {"/b/bomb.yaml", YamlAliasBomb(), "more than 1048576 values"},
      {"/b/utf8.json", std::string("{\"v\": \"\xff\xfe\xc3\x28\"}\n"), "ill-formed UTF-8"},
      {"/b/nul.jsonl", std::string("{\"v\":1}\n\0\0\0\n{\"v\":2}\n", 20), "line 2"},
      {"/b/line.csv", SingleLineCsv(csv_bytes), "over the 4194304-byte index limit"},
  };
  for (const Body& body : bodies) {
    RunResult put = Put(body.path, body.bytes);
    ASSERT_EQ(put.exit_code, 0) << "the file is kept: " << put.err;
    RecordProperty("put_peak_rss_kib" + body.path, std::to_string(put.peak_rss_kib));
  }
  // Each rule names the body it could not parse, and why.
  std::string problems;
  for (const auto& rule : nlohmann::json::parse(Nokv({"--json", "index", "ls"}).out)) {
    for (const auto& e : rule["problems"]["not_indexed_examples"]) {
      problems += e["path"].get<std::string>() + ": " + e["message"].get<std::string>() + "\n";
    }
  }
  for (const Body& body : bodies) {
    EXPECT_NE(problems.find(body.path + ": "), std::string::npos) << problems;
    EXPECT_NE(problems.find(body.parse_error), std::string::npos) << problems;
  }
  std::vector<Call> calls;
  for (const Body& body : bodies) {
    calls.push_back({"read", {{"path", body.path}, {"format", "structured"}}});
    calls.push_back({"read", {{"path", body.path}}});
    calls.push_back({"stat", {{"path", body.path}}});
    calls.push_back({"grep", {{"path", body.path}, {"pattern", "v|lol|c1"}}});
  }
  calls.push_back({"find", {{"path", "/b"}, {"predicates", {{{"field", "v"}, {"op", "exists"}}}}}});
  calls.push_back({"aggregate", {{"path", "/b"}, {"measures", {{{"op", "count"}}}}}});
  calls.push_back({"catalog", {{"path", "/b"}}});
  McpRun run = Mcp(calls);
  EXPECT_LT(run.seconds, 120) << "bounded time";
  for (size_t i = 0; i < bodies.size(); ++i) {
    int64_t id = 10 + static_cast<int64_t>(4 * i);
    const Body& body = bodies[i];
    // A structured read refuses the body with the parser's reason (or its size).
    EXPECT_FALSE(run.ErrorCode(id).empty()) << body.path << run.Result(id);
    if (body.path != "/b/line.csv") {
      EXPECT_NE(run.ErrorMessage(id).find(body.parse_error), std::string::npos) << run.Result(id);
      EXPECT_NE(run.Result(id + 2).value("parse_error", "").find(body.parse_error),
                std::string::npos)
          << "stat " << run.Result(id + 2);
    } else {
      EXPECT_EQ(run.ErrorCode(id), "too_large") << run.Result(id);
    }
    // The default read falls back to text; grep answers (matches or skips).
    EXPECT_TRUE(run.Result(id + 1).contains("lines")) << body.path << run.Result(id + 1);
    EXPECT_TRUE(run.Result(id + 3).contains("bytes_scanned")) << body.path << run.Result(id + 3);
  }
  int64_t after = 10 + static_cast<int64_t>(4 * bodies.size());
  EXPECT_EQ(run.Result(after)["match_count"], 0) << "no row came from an unparsable body";
  EXPECT_EQ(run.Result(after + 1)["groups"][0]["values"]["count"], bodies.size());
  EXPECT_TRUE(run.Result(after + 2).contains("fields"));
}

TEST_F(HostileInputTest, CliPathsThatEscapeOrOverflowAreRefusedAndCreateNothing) {
  const std::string name255(255, 'n'), name256(256, 'n');
  struct Refused {
    std::vector<std::string> args;
    std::string message;
  };
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "/d";
  std::vector<Refused> refused = {
      {{"put", "-", "/a/../b"}, "'..' is not allowed"},
      {{"mkdir", "-p", "/x/../../y"}, "'..' is not allowed"},
      {{"cat", "/../../etc/passwd"}, "'..' is not allowed"},
      {{"ln", "-s", "/", "/a/../l"}, "'..' is not allowed"},
      {{"put", "-", "/" + name256}, "name longer than 255 bytes"},
      {{"mkdir", "/" + name256}, "name longer than 255 bytes"},
      {{"mkdir", "-p", deep}, "the limit is 4096"},
  };
  for (const Refused& r : refused) {
    RunResult run = Nokv(r.args, "x");
    EXPECT_EQ(run.exit_code, 2) << r.args[0] << ": " << run.err.substr(0, 300);
    EXPECT_NE(run.err.find(r.message), std::string::npos) << run.err.substr(0, 300);
    EXPECT_LT(run.err.size(), 2048u) << "a 20 KB path is not echoed whole";
  }
  EXPECT_EQ(Nokv({"ls", "/"}).out, "") << "nothing was created";
  // A name of exactly 255 bytes is a name.
  Put("/" + name255, "ok");
  EXPECT_EQ(Nokv({"cat", "/" + name255}).out, "ok");
}

// The defect issue #19 found: `--root` confined writes through links but not
// reads, so `read /r/link/secret` with `link -> /outside` served /outside.
TEST_F(HostileInputTest, McpRootConfinesReadsThroughSymlinksAndRefusesHostilePaths) {
  Put("/outside/secret", "secret\n");
  Put("/r/in/file", "inside\n");
  for (const auto& [target, link] :
       std::vector<std::pair<std::string, std::string>>{{"/outside", "/r/abs"},
                                                        {"../outside/secret", "/r/rel"},
                                                        {"../../outside", "/r/in/up"},
                                                        {"in", "/r/inner"},
                                                        {"loop2", "/r/loop1"},
                                                        {"loop1", "/r/loop2"}}) {
    ASSERT_EQ(Nokv({"ln", "-s", target, link}).exit_code, 0) << link;
  }
  Put("/outside/sub/secret", "secret\n");
  auto stat = Json::parse(Nokv({"--json", "stat", "/outside/secret"}).out, nullptr, false);
  ASSERT_TRUE(stat.is_object());
  std::string evidence =
      "nokv-native:///r/abs/secret@generation:" + std::to_string(stat["generation"].get<int>());
  std::vector<Call> escapes = {
      {"read", {{"path", "/r/abs/secret"}}},
      {"read", {{"path", "/r/in/up/secret"}}},
      {"stat", {{"path", "/r/abs/secret"}}},
      {"ls", {{"path", "/r/in/up/sub"}}},
      {"grep", {{"path", "/r/abs/sub"}, {"pattern", "secret"}}},
      {"grep", {{"paths", {"/r/in/file", "/r/abs/secret"}}, {"pattern", "secret"}}},
      {"find", {{"path", "/r/abs/sub"}}},
      {"aggregate", {{"path", "/r/abs/sub"}, {"measures", {{{"op", "count"}}}}}},
      {"catalog", {{"path", "/r/in/up/sub"}}},
      {"read", {{"evidence", evidence}}},
  };
  std::vector<Call> calls = escapes;
  const std::string long_name(256, 'n');
  std::string long_path = "/r";
  while (long_path.size() <= 4096) long_path += "/pppppppppp";
  std::vector<Call> malformed = {
      {"read", {{"path", std::string("/r/in/file\0x", 12)}}},
      {"read", {{"path", "/r/../outside/secret"}}},
      {"read", {{"path", "/r/" + long_name}}},
      {"read", {{"path", long_path}}},
  };
  calls.insert(calls.end(), malformed.begin(), malformed.end());
  calls.push_back({"read", {{"path", "/outside/secret"}}});
  calls.push_back({"read", {{"path", "/r/rel"}}});
  calls.push_back({"read", {{"path", "/r/loop1/x"}}});
  calls.push_back({"read", {{"path", "/r/inner/file"}}});  // a link that stays inside
  McpRun run = Mcp(calls, {"--root", "/r"});
  int64_t id = 10;
  for (const Call& call : escapes) {
    EXPECT_EQ(run.ErrorCode(id), "permission_denied")
        << call.first << call.second << run.Result(id);
    EXPECT_NE(run.ErrorMessage(id).find("outside the served root /r"), std::string::npos);
    EXPECT_EQ(run.process.out.find(R"("text":"secret")"), std::string::npos) << "bytes leaked";
    ++id;
  }
  for (const Call& call : malformed) {
    EXPECT_EQ(run.ErrorCode(id), "invalid_argument") << call.second.dump().substr(0, 80);
    EXPECT_LE(run.ErrorMessage(id).size(), 1024u);
    ++id;
  }
  EXPECT_EQ(run.ErrorCode(id), "not_found");  // lexically outside
  EXPECT_NE(run.ErrorMessage(id).find("outside the served root /r"), std::string::npos);
  EXPECT_EQ(run.ErrorCode(id + 1), "not_a_file");  // the link itself is not read
  // A loop was an "internal" error naming failed_precondition.
  EXPECT_EQ(run.ErrorCode(id + 2), "invalid_argument") << run.Result(id + 2);
  EXPECT_NE(run.ErrorMessage(id + 2).find("too many levels of symbolic links"), std::string::npos)
      << run.Result(id + 2);
  EXPECT_EQ(run.Result(id + 3)["lines"][0]["text"], "inside");
  // The same paths at the root of the namespace are served: only the scope
  // made them refusals.
  McpRun open = Mcp({{"read", {{"path", "/r/abs/secret"}}}});
  EXPECT_EQ(open.Result(10)["lines"][0]["text"], "secret");
}

}  // namespace
}  // namespace nokv::testing
