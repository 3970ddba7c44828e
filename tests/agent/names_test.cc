// Names that are not UTF-8 over MCP, against a real embedded filesystem: every
// line the server writes is valid JSON, names carry the byte escape, and a name
// (or resource URI) a result printed can be passed back (docs/mcp.md).
#include <gtest/gtest.h>

#include <thread>

#include "agent/backend.h"
#include "agent/server.h"
#include "agent/stdio.h"
#include "fs/embedded.h"
#include "test_dir.h"

namespace nokv::agent {
namespace {

using nlohmann::json;

const std::string kRoot = "/odd\xff";                 // the served root: raw bytes
const std::string kRootEscaped = "/odd\xEF\x9F\xBF";  // ... as results print it
const std::string kInvalid = "bad\xff\xfe";           // a name that is not UTF-8
const std::string kInvalidEscaped = "bad\xEF\x9F\xBF\xEF\x9F\xBE";
const std::string kLiteral = "pua\xEF\x9F\xBF";  // a literal U+F7FF
const std::string kLiteralEscaped = "pua\xEF\x9F\xAF\xEF\x9E\x9F\xEF\x9E\xBF";

class McpNamesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::EmbeddedOptions options;
    options.data_dir = dir_.path();
    options.create_if_missing = true;
    auto opened = fs::OpenEmbedded(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    fs_ = std::move(opened).value();
    for (const auto& [name, body] : {std::pair{kInvalid, "invalid\n"},
                                     {kLiteral, "literal\n"},
                                     {std::string("caf\xC3\xA9"), "cafe\n"}}) {
      fs::WriteOptions write;
      write.parents = true;
      auto writer = fs_->OpenWriter(kRoot + "/" + name, write);
      ASSERT_TRUE(writer.ok()) << writer.status().ToString();
      ASSERT_TRUE((*writer)->Append(body).ok());
      ASSERT_TRUE((*writer)->Commit().ok());
    }
    query::ServiceOptions scope;
    scope.root = kRoot;
    backend_ = NewFilesystemBackend(fs_.get(), scope);
    ServerOptions server_options;
    server_options.root = kRoot;
    server_ = std::make_unique<Server>(backend_.get(), server_options);
    runner_ = std::thread([this] { (void)server_->Run(&in_, &out_); });
    ASSERT_TRUE(Call(0, "initialize", {{"protocolVersion", "2025-06-18"}}).contains("result"));
    in_.Push(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
             "\n");
  }
  void TearDown() override {
    in_.Close();
    if (runner_.joinable()) runner_.join();
  }

  // Sends a request and returns its response, parsed from the line the server wrote
  // (json::parse throws on invalid UTF-8, so this also checks the line is valid).
  json Call(int id, const std::string& method, json params) {
    in_.Push(json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}.dump() +
             "\n");
    std::string line = out_.WaitFor(
        [&](const std::string& l) {
          json v = json::parse(l, nullptr, false);
          return v.is_object() && v.contains("id") && v["id"] == id;
        },
        std::chrono::milliseconds(10000));
    EXPECT_FALSE(line.empty()) << "no response to " << method;
    return line.empty() ? json() : json::parse(line);
  }
  json Tool(int id, const std::string& verb, json args) {
    json r = Call(id, "tools/call", {{"name", verb}, {"arguments", std::move(args)}});
    EXPECT_FALSE(r["result"].value("isError", false)) << r.dump();
    // The text block is the same result as JSON text; it must parse too.
    EXPECT_EQ(json::parse(r["result"]["content"][0]["text"].get<std::string>()),
              r["result"]["structuredContent"]);
    return r["result"]["structuredContent"];
  }

  nokv::testing::TempDir dir_;
  std::unique_ptr<fs::Filesystem> fs_;
  std::unique_ptr<VerbBackend> backend_;
  MemorySource in_;
  MemorySink out_;
  std::unique_ptr<Server> server_;
  std::thread runner_;
};

TEST_F(McpNamesTest, ToolResultsAreValidJsonAndNamesComeBackToStat) {
  json listed = Tool(1, "ls", {{"path", kRootEscaped}});
  EXPECT_EQ(listed["path"], kRootEscaped);
  std::vector<std::string> names;
  for (const auto& e : listed["entries"]) names.push_back(e["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{kInvalidEscaped, "caf\xC3\xA9", kLiteralEscaped}));
  int id = 2;
  for (const auto& name : names) {
    json st = Tool(id++, "stat", {{"path", kRootEscaped + "/" + name}});
    EXPECT_EQ(st["path"], kRootEscaped + "/" + name);
  }
  for (const std::string& line : out_.Lines()) {
    EXPECT_EQ(line.find("\xEF\xBF\xBD"), std::string::npos) << "U+FFFD in " << line;
  }
}

TEST_F(McpNamesTest, ResourceUrisCarryTheEscapeAndReadBack) {
  json list = Call(1, "resources/list", json::object());
  ASSERT_TRUE(list.contains("result")) << list.dump();
  std::vector<std::string> uris;
  for (const auto& r : list["result"]["resources"]) uris.push_back(r["uri"]);
  ASSERT_EQ(uris.size(), 3u) << list.dump();
  EXPECT_EQ(uris[0], "nokv-native://" + kRootEscaped + "/" + kInvalidEscaped);
  json read = Call(2, "resources/read", {{"uri", uris[0]}});
  ASSERT_TRUE(read.contains("result")) << read.dump();
  EXPECT_EQ(read["result"]["contents"][0]["text"], "invalid\n");
  json literal = Call(3, "resources/read", {{"uri", uris[2]}});
  ASSERT_TRUE(literal.contains("result")) << literal.dump();
  EXPECT_EQ(literal["result"]["contents"][0]["text"], "literal\n");
}

}  // namespace
}  // namespace nokv::agent
