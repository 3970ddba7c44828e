// The MCP tool table: the seven read-only verbs as tools, and with the write
// profile (`nokv mcp --write`) the seven write verbs after them, described by
// the embedded schemas (schemas/<verb>.input.json and .output.json) and
// annotated with what they may change; and the shaping of a verb's JSON
// result into a tools/call result.
//
// Thread-safety: a ToolTable is immutable after Load() and may be shared by
// any number of threads.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace nokv::agent {

struct Tool {
  std::string name;             // the verb: "find"
  std::string title;            // "Find rows"
  std::string description;      // one line, from the input schema
  nlohmann::json input_schema;  // schemas/<verb>.input.json as is
  // anyOf [schemas/<verb>.output.json, schemas/error.json] (see tools.cc).
  nlohmann::json output_schema;
  nlohmann::json annotations;  // readOnlyHint, destructiveHint, ... (tools.cc)
};

class ToolTable {
 public:
  // Builds the table from the embedded schemas: the read verbs, and the
  // write verbs too when `write_profile`. Corruption when a schema is
  // missing or not a JSON object (a build problem, reported at startup).
  static Result<ToolTable> Load(bool write_profile = false);

  const std::vector<Tool>& tools() const { return tools_; }
  // nullptr for an unknown name.
  const Tool* Find(std::string_view name) const;
  // "ls, stat, catalog, find, aggregate, read, grep" (then the write verbs).
  std::string NameList() const;
  // The tools/list result: {"tools": [...]}.
  nlohmann::json ListResult() const;

 private:
  std::vector<Tool> tools_;
};

// Shapes a verb result as a tools/call result: the object as
// structuredContent plus the same compact JSON as one text content block.
// The base64 bytes of a read travel once, as a content block before the
// text: an image block for format "image" (a multimodal client shows it),
// an embedded resource for binary bytes; they are then left out of the JSON.
// A result of the form {"error": {...}} is a tool execution error
// (isError: true), so the agent sees the message and hint and can retry.
nlohmann::json ToolCallResult(nlohmann::json verb_result);

}  // namespace nokv::agent
