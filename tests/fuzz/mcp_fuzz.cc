// libFuzzer target for the MCP server's input (agent/json_rpc.h,
// agent/server.h; docs/mcp.md): the rest of the input is what a client
// writes to `nokv mcp` on stdin, served by a real Server session whose
// backend echoes its arguments (the verbs themselves have targets of their
// own). The first byte's low bit turns on the write profile, the next one
// asks a client that offers roots for them (roots/list; the server's first
// such request has id "nokv-roots-1", so seeds answer it). Properties:
// every line parses to a message or an error response without an exception;
// a parsed request serializes back to a line that parses to the same
// method, id and params; every line the server writes is one JSON-RPC 2.0
// object; the session ends when input ends.
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>

#include "agent/backend.h"
#include "agent/json_rpc.h"
#include "agent/server.h"
#include "agent/stdio.h"
#include "fuzz/fuzz_check.h"

namespace nokv::fuzz {
namespace {

using nlohmann::json;

// Answers every verb with its name and arguments. Thread-safe: no state.
class EchoBackend : public agent::VerbBackend {
 public:
  json Call(std::string_view name, const json& args, const query::CallControl&,
            const agent::ClientRoots&) override {
    return json{{"as_of", 1}, {"verb", std::string(name)}, {"args", args}};
  }
};

void CheckLine(std::string_view line) {
  agent::ParsedLine parsed = agent::ParseLine(line);
  if (!parsed.message || parsed.message->kind != agent::RpcMessage::Kind::kRequest) return;
  const agent::RpcMessage& m = *parsed.message;
  json request = {{"jsonrpc", "2.0"}, {"id", m.id}, {"method", m.method}};
  if (!m.params.is_null()) request["params"] = m.params;
  agent::ParsedLine back = agent::ParseLine(agent::Serialize(request));
  Require(back.message.has_value(), "a serialized request parses");
  Require(back.message->method == m.method && back.message->id == m.id &&
              back.message->params == m.params,
          "a request round-trips");
}

void FuzzSession(std::string_view input, bool write_profile, bool ask_roots) {
  std::istringstream lines{std::string(input)};
  for (std::string line; std::getline(lines, line);) CheckLine(line);

  EchoBackend backend;
  agent::ServerOptions options;
  options.worker_threads = 1;
  options.max_line_bytes = 1 << 16;
  options.progress_interval = std::chrono::milliseconds(0);
  options.shutdown_grace = std::chrono::milliseconds(0);
  options.ask_roots = ask_roots;
  options.roots_timeout = std::chrono::milliseconds(20);
  options.write_profile = write_profile;
  agent::Server server(&backend, options);
  agent::MemorySource in;
  in.Push(input);
  in.Close();
  agent::MemorySink out;
  Require(server.Run(&in, &out).ok(), "the session runs to the end of input");
  for (const std::string& line : out.Lines()) {
    json message = json::parse(line, nullptr, false);
    Require(message.is_object() && message.value("jsonrpc", json()) == "2.0",
            "the server writes JSON-RPC 2.0 objects");
  }
}

}  // namespace
}  // namespace nokv::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  nokv::fuzz::FuzzSession(nokv::fuzz::Rest(data, size), data[0] & 1, data[0] & 2);
  return 0;
}
