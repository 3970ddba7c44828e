// JSON-RPC framing: every malformed line maps to the right error, and valid
// lines to requests, notifications and responses.
#include "agent/json_rpc.h"

#include <gtest/gtest.h>

namespace nokv::agent {
namespace {

using nlohmann::json;

TEST(JsonRpcTest, RequestWithIntegerAndStringIds) {
  auto a = ParseLine(R"({"jsonrpc":"2.0","id":7,"method":"ping"})");
  ASSERT_TRUE(a.message);
  EXPECT_EQ(a.message->kind, RpcMessage::Kind::kRequest);
  EXPECT_EQ(a.message->id, 7);
  EXPECT_EQ(a.message->method, "ping");
  EXPECT_TRUE(a.message->params.is_null());
  auto b = ParseLine(R"({"jsonrpc":"2.0","id":"x-1","method":"tools/list","params":{}})");
  ASSERT_TRUE(b.message);
  EXPECT_EQ(b.message->id, "x-1");
  EXPECT_TRUE(b.message->params.is_object());
}

TEST(JsonRpcTest, NotificationHasNoId) {
  auto p = ParseLine(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  ASSERT_TRUE(p.message);
  EXPECT_EQ(p.message->kind, RpcMessage::Kind::kNotification);
}

TEST(JsonRpcTest, ResponseIsRecognized) {
  auto p = ParseLine(R"({"jsonrpc":"2.0","id":3,"result":{}})");
  ASSERT_TRUE(p.message);
  EXPECT_EQ(p.message->kind, RpcMessage::Kind::kResponse);
}

struct BadLine {
  const char* line;
  int code;
  json id;
};

TEST(JsonRpcTest, MalformedLinesGetTheRightError) {
  const BadLine cases[] = {
      {"hello", kParseError, nullptr},
      {R"({"jsonrpc":"2.0","id":1,"method":"pi)", kParseError, nullptr},  // truncated
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"p\xff\"}", kParseError, nullptr},
      {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xc3\x28\"}", kParseError, nullptr},
      {R"({"jsonrpc":"1.0","id":4,"method":"ping"})", kInvalidRequest, 4},
      {R"({"id":5,"method":"ping"})", kInvalidRequest, 5},
      {R"({"jsonrpc":"2.0","id":null,"method":"ping"})", kInvalidRequest, nullptr},
      {R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})", kInvalidRequest, nullptr},
      {R"({"jsonrpc":"2.0","id":{"a":1},"method":"ping"})", kInvalidRequest, nullptr},
      {R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", kInvalidRequest, nullptr},
      {"[]", kInvalidRequest, nullptr},
      {"42", kInvalidRequest, nullptr},
      {R"({"jsonrpc":"2.0","id":6})", kInvalidRequest, 6},
      {R"({"jsonrpc":"2.0","id":7,"method":12})", kInvalidRequest, 7},
      {R"({"jsonrpc":"2.0","id":8,"method":"ping","params":"x"})", kInvalidRequest, 8},
  };
  for (const BadLine& c : cases) {
    SCOPED_TRACE(c.line);
    ParsedLine p = ParseLine(c.line);
    ASSERT_FALSE(p.message);
    EXPECT_EQ(p.error.code, c.code);
    EXPECT_EQ(p.error_id, c.id);
    EXPECT_FALSE(p.error.message.empty());
  }
}

TEST(JsonRpcTest, ParseErrorMessageExplainsTheProblem) {
  ParsedLine p = ParseLine("{\"a\":\"\xff\"}");
  EXPECT_NE(p.error.message.find("UTF-8"), std::string::npos) << p.error.message;
}

TEST(JsonRpcTest, DeepNestingIsRefusedBeforeParsing) {
  std::string deep(100000, '[');
  ParsedLine p = ParseLine(deep);
  ASSERT_FALSE(p.message);
  EXPECT_EQ(p.error.code, kInvalidRequest);
  // Brackets inside strings do not count.
  std::string quoted =
      R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":")" + std::string(500, '[') + "\"}}";
  EXPECT_TRUE(ParseLine(quoted).message);
}

TEST(JsonRpcTest, SerializeIsCompactAndReplacesInvalidUtf8) {
  json v{{"a", std::string("x\xff")}, {"b", json::array({1, 2})}};
  std::string s = Serialize(v);
  EXPECT_EQ(s.find('\n'), std::string::npos);
  EXPECT_EQ(s.find(' '), std::string::npos);
  EXPECT_NE(s.find("\xef\xbf\xbd"), std::string::npos);  // U+FFFD
}

TEST(JsonRpcTest, ResponsesCarryVersionAndId) {
  json r = ResultResponse(3, json::object());
  EXPECT_EQ(r["jsonrpc"], "2.0");
  EXPECT_EQ(r["id"], 3);
  json e = ErrorResponse(nullptr, RpcError{kParseError, "Parse error", nullptr});
  EXPECT_TRUE(e["id"].is_null());
  EXPECT_EQ(e["error"]["code"], kParseError);
  EXPECT_FALSE(e["error"].contains("data"));
}

}  // namespace
}  // namespace nokv::agent
