// The MCP session over in-memory streams: handshake, dispatch, errors,
// concurrency (ping during a blocked grep), cancellation, progress, EOF.
#include "agent/server.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <thread>

#include "agent/json_rpc.h"
#include "fake_backend.h"

namespace nokv::agent {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr milliseconds kWait{5000};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.progress_interval = milliseconds(0);
    server_ = std::make_unique<Server>(&backend_, options);
    runner_ = std::thread([this] { run_status_ = server_->Run(&in_, &out_); });
  }
  void TearDown() override {
    backend_.Release();
    in_.Close();
    if (runner_.joinable()) runner_.join();
  }

  void SendLine(const std::string& line) { in_.Push(line + "\n"); }
  void Send(const json& message) { SendLine(message.dump()); }
  void Request(const json& id, const std::string& method, json params = nullptr) {
    json m{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
    if (!params.is_null()) m["params"] = std::move(params);
    Send(m);
  }
  // The next response whose id is `id` (null for id-less errors).
  json Response(const json& id) {
    std::string line = out_.WaitFor(
        [&](const std::string& l) {
          json v = json::parse(l, nullptr, false);
          return v.is_object() && v.contains("id") && v["id"] == id;
        },
        kWait);
    EXPECT_FALSE(line.empty()) << "no response for id " << id.dump();
    return line.empty() ? json() : json::parse(line);
  }
  json Call(const json& id, const std::string& method, json params = nullptr) {
    Request(id, method, std::move(params));
    return Response(id);
  }
  void Initialize(const std::string& version = "2025-06-18") {
    json r = Call(0, "initialize",
                  {{"protocolVersion", version},
                   {"capabilities", json::object()},
                   {"clientInfo", {{"name", "test"}, {"version", "1"}}}});
    ASSERT_TRUE(r.contains("result")) << r.dump();
    Send({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  }
  int ErrorCode(const json& response) {
    return response.contains("error") ? response["error"]["code"].get<int>() : 0;
  }

  FakeBackend backend_;
  MemorySource in_;
  MemorySink out_;
  std::unique_ptr<Server> server_;
  std::thread runner_;
  Status run_status_;
};

TEST_F(ServerTest, InitializeEchoesSupportedVersion) {
  json r =
      Call(1, "initialize", {{"protocolVersion", "2025-03-26"}, {"capabilities", json::object()}});
  EXPECT_EQ(r["result"]["protocolVersion"], "2025-03-26");
  EXPECT_EQ(r["result"]["serverInfo"]["name"], "nokv");
  EXPECT_EQ(r["result"]["capabilities"]["tools"]["listChanged"], false);
  EXPECT_TRUE(r["result"]["capabilities"].contains("resources"));
  EXPECT_NE(r["result"]["instructions"].get<std::string>().find("catalog"), std::string::npos);
}

TEST_F(ServerTest, InitializeAnswersNewestForUnknownVersion) {
  json r = Call(1, "initialize", {{"protocolVersion", "2030-01-01"}});
  EXPECT_EQ(r["result"]["protocolVersion"], SupportedProtocolVersions().front());
}

TEST_F(ServerTest, InitializeWithoutVersionIsInvalidParams) {
  EXPECT_EQ(ErrorCode(Call(1, "initialize", json::object())), kInvalidParams);
  EXPECT_EQ(ErrorCode(Call(2, "initialize")), kInvalidParams);
}

TEST_F(ServerTest, SecondInitializeIsRefused) {
  Initialize();
  EXPECT_EQ(ErrorCode(Call(1, "initialize", {{"protocolVersion", "2025-06-18"}})), kInvalidRequest);
}

TEST_F(ServerTest, RequestsBeforeInitializeAreRefusedButPingWorks) {
  json r = Call(1, "tools/list");
  EXPECT_EQ(ErrorCode(r), kInvalidRequest);
  EXPECT_NE(r["error"]["message"].get<std::string>().find("initialize"), std::string::npos);
  EXPECT_EQ(ErrorCode(Call(2, "tools/call", {{"name", "ls"}})), kInvalidRequest);
  EXPECT_EQ(Call(3, "ping")["result"], json::object());
  EXPECT_EQ(backend_.calls, 0);
}

// The 2026-07-28 probe: answered when it carries the era's _meta fields,
// malformed (naming the 2025 way in) without them.
TEST_F(ServerTest, ServerDiscoverIsAnsweredWithTheEraFields) {
  json bare = Call("d", "server/discover", json::object());
  EXPECT_EQ(ErrorCode(bare), kInvalidParams);
  EXPECT_NE(bare["error"]["message"].get<std::string>().find("initialize"), std::string::npos);
  json meta{{"io.modelcontextprotocol/protocolVersion", kStatelessVersion},
            {"io.modelcontextprotocol/clientCapabilities", json::object()}};
  json r = Call("e", "server/discover", json{{"_meta", meta}});
  ASSERT_TRUE(r.contains("result")) << r.dump();
  EXPECT_EQ(r["result"]["resultType"], "complete");
  EXPECT_EQ(r["result"]["supportedVersions"][0], kStatelessVersion);
}

// Issue #14 counts tools/list bytes: the results' prose stays in schemas/
// and docs/, the arguments keep theirs.
TEST_F(ServerTest, ToolsListKeepsArgumentProseAndDropsResultProse) {
  Initialize();
  json list = Call(1, "tools/list")["result"];
  std::function<bool(const json&)> has_prose = [&](const json& schema) {
    if (schema.is_array()) return std::any_of(schema.begin(), schema.end(), has_prose);
    if (!schema.is_object()) return false;
    for (const auto& [key, value] : schema.items()) {
      if ((key == "description" || key == "title") && value.is_string()) return true;
      if (key == "properties") {
        for (const auto& [name, property] : value.items()) {
          if (has_prose(property)) return true;
        }
      } else if (has_prose(value)) {
        return true;
      }
    }
    return false;
  };
  for (json tool : list["tools"]) {
    json output = tool["outputSchema"];
    output.erase("description");  // the wrapper's one line about the error branch
    EXPECT_FALSE(has_prose(output)) << tool["name"];
    EXPECT_FALSE(tool["inputSchema"].contains("title")) << tool["name"];
    EXPECT_TRUE(tool["inputSchema"]["properties"]["path"].contains("description")) << tool["name"];
  }
  EXPECT_LT(list.dump().size(), 30u * 1024) << "issue #14 aims at 15 KiB; it was 37 KiB";
}

TEST_F(ServerTest, ToolsListHasSevenReadOnlyTools) {
  Initialize();
  json tools = Call(1, "tools/list")["result"]["tools"];
  ASSERT_EQ(tools.size(), 7u);
  for (const json& t : tools) {
    EXPECT_EQ(t["inputSchema"]["type"], "object") << t["name"];
    EXPECT_EQ(t["outputSchema"]["type"], "object") << t["name"];
    EXPECT_FALSE(t["description"].get<std::string>().empty());
    EXPECT_EQ(t["annotations"]["readOnlyHint"], true);
    EXPECT_EQ(t["annotations"]["openWorldHint"], false);
  }
}

TEST_F(ServerTest, ToolsCallReturnsStructuredContentAndSameText) {
  Initialize();
  json r = Call(1, "tools/call", {{"name", "find"}, {"arguments", {{"path", "/runs"}}}});
  json result = r["result"];
  EXPECT_FALSE(result.contains("isError"));
  EXPECT_EQ(result["structuredContent"]["verb"], "find");
  EXPECT_EQ(result["structuredContent"]["args"]["path"], "/runs");
  ASSERT_EQ(result["content"].size(), 1u);
  EXPECT_EQ(result["content"][0]["type"], "text");
  EXPECT_EQ(json::parse(result["content"][0]["text"].get<std::string>()),
            result["structuredContent"]);
}

TEST_F(ServerTest, VerbErrorIsAToolErrorResult) {
  Initialize();
  json result =
      Call(1, "tools/call", {{"name", "stat"}, {"arguments", {{"path", "/missing"}}}})["result"];
  EXPECT_EQ(result["isError"], true);
  EXPECT_EQ(result["structuredContent"]["error"]["code"], "not_found");
  EXPECT_NE(result["content"][0]["text"].get<std::string>().find("hint"), std::string::npos);
}

TEST_F(ServerTest, MalformedToolCallsAreInvalidParams) {
  Initialize();
  EXPECT_EQ(ErrorCode(Call(1, "tools/call", {{"name", "rm"}})), kInvalidParams);
  EXPECT_EQ(ErrorCode(Call(2, "tools/call", json::object())), kInvalidParams);
  EXPECT_EQ(ErrorCode(Call(3, "tools/call", {{"name", 5}})), kInvalidParams);
  EXPECT_EQ(ErrorCode(Call(4, "tools/call", {{"name", "ls"}, {"arguments", "x"}})), kInvalidParams);
  EXPECT_EQ(ErrorCode(Call(5, "tools/call")), kInvalidParams);
  EXPECT_EQ(ErrorCode(Call(6, "tools/call", json::array({1}))), kInvalidParams);
  EXPECT_EQ(backend_.calls, 0);
}

TEST_F(ServerTest, MissingArgumentsMeanAnEmptyObject) {
  Initialize();
  json r = Call(1, "tools/call", {{"name", "catalog"}});
  EXPECT_EQ(r["result"]["structuredContent"]["args"], json::object());
}

TEST_F(ServerTest, MalformedLinesGetErrorsAndTheServerKeepsServing) {
  Initialize();
  SendLine("not json");
  SendLine(R"({"jsonrpc":"2.0","id":1,"meth)");
  SendLine("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}");
  SendLine(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
  SendLine(R"({"jsonrpc":"2.0","id":null,"method":"ping"})");
  SendLine(std::string(5u << 20, 'z'));
  SendLine(R"({"jsonrpc":"1.0","id":11,"method":"ping"})");
  const int expected[] = {kParseError,     kParseError,     kParseError,
                          kInvalidRequest, kInvalidRequest, kInvalidRequest};
  for (int code : expected) EXPECT_EQ(ErrorCode(Response(nullptr)), code);
  EXPECT_EQ(ErrorCode(Response(11)), kInvalidRequest);
  EXPECT_EQ(ErrorCode(Call(12, "no/such/method")), kMethodNotFound);
  EXPECT_EQ(Call(13, "ping")["result"], json::object());
}

TEST_F(ServerTest, NotificationsNeverGetResponses) {
  Initialize();
  Send({{"jsonrpc", "2.0"}, {"method", "no/such/notification"}});
  Send(
      {{"jsonrpc", "2.0"}, {"method", "notifications/cancelled"}, {"params", {{"requestId", 99}}}});
  Send({{"jsonrpc", "2.0"}, {"id", 50}, {"result", json::object()}});  // a stray response
  EXPECT_EQ(Call(1, "ping")["result"], json::object());
  EXPECT_EQ(out_.Lines().size(), 2u);  // initialize + ping
}

TEST_F(ServerTest, PingIsAnsweredDuringABlockedGrep) {
  Initialize();
  Request(1, "tools/call",
          {{"name", "grep"}, {"arguments", {{"path", "/"}, {"pattern", "block"}}}});
  ASSERT_TRUE(backend_.WaitGrepStarted());
  EXPECT_EQ(Call(2, "ping")["result"], json::object());
  EXPECT_EQ(ErrorCode(Call(1, "ping")), kInvalidRequest);  // id 1 is still in flight
  backend_.Release();
  json r = Response(1);
  EXPECT_EQ(r["result"]["structuredContent"]["files_scanned"], 0);
}

TEST_F(ServerTest, CancelledRequestStopsAndGetsNoResponse) {
  Initialize();
  Request("g", "tools/call",
          {{"name", "grep"}, {"arguments", {{"path", "/"}, {"pattern", "block"}}}});
  ASSERT_TRUE(backend_.WaitGrepStarted());
  Send({{"jsonrpc", "2.0"},
        {"method", "notifications/cancelled"},
        {"params", {{"requestId", "g"}, {"reason", "user"}}}});
  EXPECT_TRUE(backend_.WaitGrepSawCancel());
  EXPECT_EQ(Call(3, "ping")["result"], json::object());
  in_.Close();
  runner_.join();
  for (const std::string& line : out_.Lines()) {
    EXPECT_EQ(line.find("\"id\":\"g\""), std::string::npos) << line;
  }
}

TEST_F(ServerTest, ProgressNotificationsCarryTheToken) {
  Initialize();
  json r = Call(
      1, "tools/call",
      {{"name", "find"}, {"arguments", {{"path", "/"}}}, {"_meta", {{"progressToken", "tok"}}}});
  ASSERT_TRUE(r.contains("result"));
  int seen = 0;
  uint64_t last = 0;
  for (const std::string& line : out_.Lines()) {
    json v = json::parse(line);
    if (v.value("method", "") != "notifications/progress") continue;
    EXPECT_EQ(v["params"]["progressToken"], "tok");
    EXPECT_GT(v["params"]["progress"].get<uint64_t>(), last);
    last = v["params"]["progress"].get<uint64_t>();
    EXPECT_EQ(v["params"]["total"], 5);
    ++seen;
  }
  EXPECT_EQ(seen, 5);
}

TEST_F(ServerTest, NoProgressWithoutToken) {
  Initialize();
  Call(1, "tools/call", {{"name", "find"}, {"arguments", {{"path", "/"}}}});
  for (const std::string& line : out_.Lines()) {
    EXPECT_EQ(line.find("notifications/progress"), std::string::npos);
  }
}

TEST_F(ServerTest, EndOfInputFinishesRequestsInFlight) {
  Initialize();
  Request(1, "tools/call", {{"name", "ls"}, {"arguments", {{"path", "/"}}}});
  in_.Close();
  runner_.join();
  EXPECT_TRUE(run_status_.ok());
  EXPECT_FALSE(Response(1).is_null());
}

// Closing stdin is how a stdio client shuts the server down: work still
// running after the grace period is cancelled, queued work never starts, and
// Run returns without waiting for it.
TEST_F(ServerTest, EndOfInputCancelsWorkStillRunningAfterTheGrace) {
  Initialize();
  Request(1, "tools/call",
          {{"name", "grep"}, {"arguments", {{"path", "/"}, {"pattern", "block"}}}});
  ASSERT_TRUE(backend_.WaitGrepStarted());
  for (int id = 2; id < 40; ++id) {  // more than the workers: most stay queued
    Request(id, "tools/call",
            {{"name", "grep"}, {"arguments", {{"path", "/"}, {"pattern", "block"}}}});
  }
  in_.Close();
  runner_.join();  // never released: only cancellation lets the greps end
  EXPECT_TRUE(run_status_.ok());
  EXPECT_TRUE(backend_.grep_saw_cancel);
  EXPECT_LT(backend_.calls.load(), 40);
  for (const std::string& line : out_.Lines()) {
    EXPECT_EQ(line.find("\"id\":1,"), std::string::npos) << line;
  }
}

TEST_F(ServerTest, EveryOutputLineIsOneCompactJsonRpcMessage) {
  Initialize();
  Call(1, "tools/list");
  Call(2, "tools/call", {{"name", "ls"}, {"arguments", {{"path", "/"}}}});
  for (const std::string& line : out_.Lines()) {
    json v = json::parse(line, nullptr, false);
    ASSERT_TRUE(v.is_object()) << line;
    EXPECT_EQ(v["jsonrpc"], "2.0");
    EXPECT_EQ(v.dump(), line);  // compact: re-serializing changes nothing
  }
}

TEST_F(ServerTest, ResourcesListTemplatesAndRead) {
  Initialize();
  json list = Call(1, "resources/list")["result"]["resources"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["uri"], "nokv-native:///runs");
  EXPECT_EQ(list[1]["mimeType"], "application/json");
  json templates = Call(2, "resources/templates/list")["result"]["resourceTemplates"];
  EXPECT_EQ(templates[0]["uriTemplate"], "nokv-native://{+path}");
  json file = Call(3, "resources/read", {{"uri", "nokv-native:///a.json"}})["result"];
  EXPECT_EQ(file["contents"][0]["text"], "{}\n");
  json dir = Call(4, "resources/read", {{"uri", "nokv-native:///runs"}})["result"];
  EXPECT_EQ(dir["contents"][0]["mimeType"], "application/json");
  EXPECT_EQ(ErrorCode(Call(5, "resources/read", {{"uri", "nokv-native:///missing"}})),
            kResourceNotFound);
  EXPECT_EQ(ErrorCode(Call(6, "resources/read", {{"uri", "file:///etc/passwd"}})), kInvalidParams);
  EXPECT_EQ(ErrorCode(Call(7, "resources/read")), kInvalidParams);
}

}  // namespace
}  // namespace nokv::agent

namespace nokv::agent {
namespace {

// A server that could not start still answers: ping works, everything else
// (initialize first) is the start-up error with its reason and hint, and the
// backend (null here) is never called.
TEST(StartupFailureTest, EveryRequestButPingCarriesTheReason) {
  ServerOptions options;
  options.startup_failure = StartupFailure{"/d is not a NoKV data directory", "run nokv init"};
  Server server(nullptr, options);
  MemorySource in;
  MemorySink out;
  in.Push(
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}})"
      "\n"
      R"({"jsonrpc":"2.0","id":2,"method":"ping"})"
      "\n"
      R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"ls"}})"
      "\n");
  in.Close();
  ASSERT_TRUE(server.Run(&in, &out).ok());
  std::vector<std::string> lines = out.Lines();
  ASSERT_EQ(lines.size(), 3u);
  nlohmann::json init = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(init["error"]["code"], kServerNotStarted);
  EXPECT_EQ(init["error"]["message"], "nokv mcp could not start: /d is not a NoKV data directory");
  EXPECT_EQ(init["error"]["data"]["hint"], "run nokv init");
  EXPECT_EQ(nlohmann::json::parse(lines[1])["result"], nlohmann::json::object());
  EXPECT_EQ(nlohmann::json::parse(lines[2])["error"]["code"], kServerNotStarted);
}

}  // namespace
}  // namespace nokv::agent

namespace nokv::agent {
namespace {

// A client that offers roots is asked for them after initialized; a tool
// call waits for the answer and runs with those roots.
TEST_F(ServerTest, ClientRootsAreAskedForAndPassedToEveryCall) {
  Call(1, "initialize",
       {{"protocolVersion", "2025-06-18"},
        {"capabilities", {{"roots", {{"listChanged", true}}}}},
        {"clientInfo", {{"name", "t"}, {"version", "1"}}}});
  Send({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  std::string asked = out_.WaitFor(
      [](const std::string& l) { return l.find("\"roots/list\"") != std::string::npos; }, kWait);
  ASSERT_FALSE(asked.empty());
  json request = json::parse(asked);
  Request(2, "tools/call", {{"name", "stat"}, {"arguments", {{"path", "/a/x"}}}});
  Send({{"jsonrpc", "2.0"},
        {"id", request["id"]},
        {"result", {{"roots", {{{"uri", "file:///a"}}, {{"uri", "nokv-native:///b/"}}}}}}});
  json r = Response(2);
  ASSERT_TRUE(r.contains("result")) << r.dump();
  std::lock_guard lock(backend_.roots_mu);
  ASSERT_TRUE(backend_.last_roots.has_value());
  EXPECT_EQ(*backend_.last_roots, (std::vector<std::string>{"/a", "/b"}));
}

TEST_F(ServerTest, WithoutTheRootsCapabilityNoRootsAreAskedOrPassed) {
  Initialize();
  json r = Call(2, "tools/call", {{"name", "stat"}, {"arguments", {{"path", "/a/x"}}}});
  ASSERT_TRUE(r.contains("result")) << r.dump();
  std::lock_guard lock(backend_.roots_mu);
  EXPECT_FALSE(backend_.last_roots.has_value());
  for (const std::string& line : out_.Lines()) {
    EXPECT_EQ(line.find("roots/list"), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace nokv::agent
