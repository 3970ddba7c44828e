// JSON-RPC 2.0 framing for the MCP server: turning one input line into a
// request, notification or error, and building compact response lines.
//
// Every function here is pure and thread-compatible. No nlohmann exception
// escapes: parsing uses allow_exceptions=false, types are checked before
// access, and serialization replaces invalid UTF-8.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace nokv::agent {

// Standard JSON-RPC 2.0 error codes, plus the one MCP uses for a missing
// resource.
enum RpcErrorCode : int {
  kParseError = -32700,
  kInvalidRequest = -32600,
  kMethodNotFound = -32601,
  kInvalidParams = -32602,
  kInternalError = -32603,
  kResourceNotFound = -32002,  // the 2025 eras; 2026-07-28 uses kInvalidParams
  // 2026-07-28: the request names a protocol version this server does not
  // serve; data {supported, requested}.
  kUnsupportedProtocolVersion = -32022,
  // 2026-07-28 over HTTP: a header does not repeat what the body says.
  kHeaderMismatch = -32020,
  // nokv: the server could not start (docs/mcp.md, "Start-up errors").
  kServerNotStarted = -32000,
};

// A protocol-level failure: the error object of a response.
struct RpcError {
  int code = kInternalError;
  std::string message;
  nlohmann::json data;  // null = left out
};

// What a method handler produces: a result object or an error.
struct RpcOutcome {
  static RpcOutcome Ok(nlohmann::json result) { return RpcOutcome{true, std::move(result), {}}; }
  static RpcOutcome Fail(int code, std::string message) {
    return RpcOutcome{false, nullptr, RpcError{code, std::move(message), nullptr}};
  }
  bool ok = true;
  nlohmann::json result;
  RpcError error;
};

// One well-formed incoming message.
struct RpcMessage {
  enum class Kind { kRequest, kNotification, kResponse };
  Kind kind = Kind::kRequest;
  nlohmann::json id;      // string or integer for requests and responses
  std::string method;     // empty for responses
  nlohmann::json params;  // object, or null when absent
  // Responses: the result, or the error object (the other one is null).
  nlohmann::json result = nullptr;
  nlohmann::json error = nullptr;
};

// Either a message, or the error response to send for the line (with the
// id it carries when one could be read, else null).
struct ParsedLine {
  std::optional<RpcMessage> message;
  RpcError error;
  nlohmann::json error_id;  // null when the line had no usable id
};

// Deepest nesting of arrays and objects accepted on a line. Deeper input is
// refused before parsing, so nothing downstream recurses without bound.
inline constexpr int kMaxJsonDepth = 64;

// Parses and validates one line (without its newline). Non-JSON, truncated
// JSON and invalid UTF-8 give kParseError; batches, a wrong or missing
// "jsonrpc", a null or non-scalar id, a non-string method and non-structured
// params give kInvalidRequest.
ParsedLine ParseLine(std::string_view line);

// A request id the server can echo: a string or an integer.
bool IsValidId(const nlohmann::json& id);

// Compact serialization (invalid UTF-8 replaced by U+FFFD); never throws.
std::string Serialize(const nlohmann::json& value);

// Response and notification objects.
nlohmann::json ResultResponse(const nlohmann::json& id, nlohmann::json result);
nlohmann::json ErrorResponse(const nlohmann::json& id, const RpcError& error);
nlohmann::json Notification(std::string_view method, nlohmann::json params);

}  // namespace nokv::agent
