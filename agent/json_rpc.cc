// JSON-RPC 2.0 framing: line validation and response building.
#include "agent/json_rpc.h"

#include <utility>

namespace nokv::agent {
namespace {

using nlohmann::json;

// Deepest array/object nesting of `line`, counted outside strings; stops
// counting once `limit` is exceeded.
int NestingDepth(std::string_view line, int limit) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : line) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

// A SAX consumer that accepts every event and keeps the parser's message,
// used only to explain a line that failed to parse.
class ErrorRecorder : public nlohmann::json_sax<json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    message = ex.what();
    return false;
  }
  std::string message;
};

std::string ExplainParseFailure(std::string_view line) {
  ErrorRecorder recorder;
  json::sax_parse(line.begin(), line.end(), &recorder, nlohmann::json::input_format_t::json,
                  /*strict=*/true, /*ignore_comments=*/false);
  std::string detail = recorder.message;
  // nlohmann prefixes "[json.exception.parse_error.101] "; the rest is useful.
  if (auto pos = detail.find("] "); pos != std::string::npos) detail = detail.substr(pos + 2);
  if (detail.empty()) detail = "not valid JSON";
  return "Parse error: " + detail;
}

ParsedLine Fail(int code, std::string message, json id = nullptr) {
  ParsedLine out;
  out.error = RpcError{code, std::move(message), nullptr};
  out.error_id = std::move(id);
  return out;
}

// Validates the envelope of a parsed object (JSON-RPC 2.0 section 4).
ParsedLine Classify(json value) {
  if (value.is_array()) {
    return Fail(kInvalidRequest,
                "Invalid Request: batch arrays are not supported; send one JSON-RPC message "
                "per line");
  }
  if (!value.is_object()) return Fail(kInvalidRequest, "Invalid Request: not a JSON object");
  const bool has_id = value.contains("id");
  json id = has_id && IsValidId(value["id"]) ? value["id"] : json(nullptr);
  auto version = value.find("jsonrpc");
  if (version == value.end() || !version->is_string() || *version != "2.0") {
    return Fail(kInvalidRequest, "Invalid Request: \"jsonrpc\" must be \"2.0\"", id);
  }
  if (has_id && !IsValidId(value["id"])) {
    return Fail(kInvalidRequest, "Invalid Request: \"id\" must be a string or an integer");
  }
  auto method = value.find("method");
  if (method == value.end()) {
    if (has_id && (value.contains("result") || value.contains("error"))) {
      ParsedLine out;
      RpcMessage response;
      response.kind = RpcMessage::Kind::kResponse;
      response.id = id;
      if (auto r = value.find("result"); r != value.end()) response.result = *r;
      if (auto e = value.find("error"); e != value.end()) response.error = *e;
      out.message = std::move(response);
      return out;
    }
    return Fail(kInvalidRequest, "Invalid Request: missing \"method\"", id);
  }
  if (!method->is_string()) {
    return Fail(kInvalidRequest, "Invalid Request: \"method\" must be a string", id);
  }
  json params = nullptr;
  if (auto p = value.find("params"); p != value.end() && !p->is_null()) {
    if (!p->is_object() && !p->is_array()) {
      return Fail(kInvalidRequest, "Invalid Request: \"params\" must be an object", id);
    }
    params = std::move(*p);
  }
  RpcMessage message;
  message.kind = has_id ? RpcMessage::Kind::kRequest : RpcMessage::Kind::kNotification;
  message.id = id;
  message.method = method->get<std::string>();
  message.params = std::move(params);
  ParsedLine out;
  out.message = std::move(message);
  return out;
}

}  // namespace

bool IsValidId(const json& id) { return id.is_string() || id.is_number_integer(); }

ParsedLine ParseLine(std::string_view line) {
  if (NestingDepth(line, kMaxJsonDepth) > kMaxJsonDepth) {
    return Fail(kInvalidRequest, "Invalid Request: JSON nested deeper than " +
                                     std::to_string(kMaxJsonDepth) + " levels");
  }
  json value = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return Fail(kParseError, ExplainParseFailure(line));
  return Classify(std::move(value));
}

std::string Serialize(const json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace);
}

json ResultResponse(const json& id, json result) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json ErrorResponse(const json& id, const RpcError& error) {
  json body{{"code", error.code}, {"message", error.message}};
  if (!error.data.is_null()) body["data"] = error.data;
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(body)}};
}

json Notification(std::string_view method, json params) {
  return json{{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
}

}  // namespace nokv::agent
