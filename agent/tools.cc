// The tool table built from the embedded schemas, and tools/call result
// shaping.
#include "agent/tools.h"

#include <iterator>
#include <utility>
#include <vector>

#include "agent/json_rpc.h"
#include "agent/schemas.h"
#include "common/media_type.h"

namespace nokv::agent {
namespace {

using nlohmann::json;

struct VerbInfo {
  const char* name;
  const char* title;
  bool read_only;
  bool destructive;  // may replace or delete what exists (MCP destructiveHint)
  bool idempotent;   // the same call again changes nothing more
};

// The seven read verbs in the order agents should meet them (AGENT_TOOLS.md).
constexpr VerbInfo kReadVerbs[] = {
    {"ls", "List a directory", true, false, true},
    {"stat", "Describe a path", true, false, true},
    {"catalog", "List queryable fields", true, false, true},
    {"find", "Find rows by predicates", true, false, true},
    {"aggregate", "Group and measure rows", true, false, true},
    {"read", "Read a file", true, false, true},
    {"grep", "Search file contents", true, false, true},
};

// The write profile (fs/agent_writes.h). write and edit replace a body,
// move may replace its destination, remove deletes; append, mkdir and
// snapshot only add. mkdir (parents) and remove end in the same state when
// repeated; the others make a new generation, entry or snapshot each time.
constexpr VerbInfo kWriteVerbs[] = {
    {"write", "Write a file", false, true, false},
    {"append", "Append to a file", false, false, false},
    {"edit", "Edit text in a file", false, true, false},
    {"mkdir", "Make a directory", false, false, true},
    {"move", "Move or rename", false, true, false},
    {"remove", "Remove a path", false, true, true},
    {"snapshot", "Create or list snapshots", false, false, false},
};

// Every tool acts on this filesystem only: a closed world.
json Annotations(const VerbInfo& verb) {
  return json{{"title", verb.title},
              {"readOnlyHint", verb.read_only},
              {"destructiveHint", verb.destructive},
              {"idempotentHint", verb.idempotent},
              {"openWorldHint", false}};
}

Result<json> LoadSchema(const std::string& name) {
  for (const SchemaFile& file : EmbeddedSchemas()) {
    if (file.name != name) continue;
    json schema = json::parse(file.text.begin(), file.text.end(), nullptr, false);
    if (schema.is_discarded() || !schema.is_object()) {
      return Status::Corruption("embedded schema " + name + " is not a JSON object");
    }
    return schema;
  }
  return Status::Corruption("schema " + name + " was not embedded (agent/CMakeLists.txt)");
}

// Drops the prose of a schema (description and title keywords), not the
// properties that happen to bear those names.
void DropProse(json& schema) {
  if (schema.is_array()) {
    for (json& item : schema) DropProse(item);
    return;
  }
  if (!schema.is_object()) return;
  for (auto it = schema.begin(); it != schema.end();) {
    if ((it.key() == "description" || it.key() == "title") && it->is_string()) {
      it = schema.erase(it);
      continue;
    }
    if (it.key() == "properties" && it->is_object()) {
      for (auto& [name, property] : it->items()) DropProse(property);
    } else {
      DropProse(*it);
    }
    ++it;
  }
}

// The outputSchema of a tool: the verb's result schema or the error schema
// (a tools/call result with isError: true still carries the structured
// error). Some clients validate structuredContent against outputSchema even
// for errors, so both shapes must pass. Both files' bodies are kept as they
// are; their $defs move to the root, where their "#/$defs/..." refs resolve,
// and their $schema and $id are dropped, so the document has one dialect
// and no embedded resources. Their prose is dropped too: it documents the
// results for people (schemas/, docs/mcp.md) and was half of tools/list.
json OutputSchema(json result, json error) {
  json defs = json::object();
  for (json* schema : {&result, &error}) {
    DropProse(*schema);
    if (auto it = schema->find("$defs"); it != schema->end() && it->is_object()) {
      defs.update(*it);
      schema->erase("$defs");
    }
    schema->erase("$schema");
    schema->erase("$id");
  }
  json wrapper{{"$schema", "https://json-schema.org/draft/2020-12/schema"},
               {"type", "object"},
               {"description",
                "The verb's result, or {\"error\": {code, message, hint}} when the "
                "call failed (then isError is true)."},
               {"anyOf", json::array({std::move(result), std::move(error)})}};
  if (!defs.empty()) wrapper["$defs"] = std::move(defs);
  return wrapper;
}

// The first sentence of a schema's description, as a one-line summary.
std::string OneLine(const json& schema) {
  auto it = schema.find("description");
  if (it == schema.end() || !it->is_string()) return "";
  std::string text = it->get<std::string>();
  if (auto end = text.find(". "); end != std::string::npos) text.resize(end + 1);
  return text;
}

}  // namespace

Result<ToolTable> ToolTable::Load(bool write_profile) {
  ToolTable table;
  std::vector<VerbInfo> verbs(std::begin(kReadVerbs), std::end(kReadVerbs));
  if (write_profile) verbs.insert(verbs.end(), std::begin(kWriteVerbs), std::end(kWriteVerbs));
  for (const VerbInfo& verb : verbs) {
    Tool tool;
    tool.name = verb.name;
    tool.title = verb.title;
    NOKV_ASSIGN_OR_RETURN(tool.input_schema, LoadSchema(tool.name + ".input.json"));
    // The arguments keep their descriptions (agents choose arguments by them);
    // the document's own identity and title say nothing to a client.
    for (const char* key : {"$schema", "$id", "title"}) tool.input_schema.erase(key);
    NOKV_ASSIGN_OR_RETURN(json result, LoadSchema(tool.name + ".output.json"));
    NOKV_ASSIGN_OR_RETURN(json error, LoadSchema("error.json"));
    tool.output_schema = OutputSchema(std::move(result), std::move(error));
    tool.description = OneLine(tool.input_schema);
    tool.annotations = Annotations(verb);
    table.tools_.push_back(std::move(tool));
  }
  return table;
}

const Tool* ToolTable::Find(std::string_view name) const {
  for (const Tool& tool : tools_) {
    if (tool.name == name) return &tool;
  }
  return nullptr;
}

std::string ToolTable::NameList() const {
  std::string names;
  for (const Tool& tool : tools_) {
    if (!names.empty()) names += ", ";
    names += tool.name;
  }
  return names;
}

json ToolTable::ListResult() const {
  json list = json::array();
  for (const Tool& tool : tools_) {
    list.push_back(json{{"name", tool.name},
                        {"title", tool.title},
                        {"description", tool.description},
                        {"inputSchema", tool.input_schema},
                        {"outputSchema", tool.output_schema},
                        {"annotations", tool.annotations}});
  }
  return json{{"tools", std::move(list)}};
}

json ToolCallResult(json verb_result) {
  if (!verb_result.is_object()) {
    verb_result = json{
        {"error", {{"code", "internal"}, {"message", "the verb returned a non-object result"}}}};
  }
  const bool is_error = verb_result.contains("error") && verb_result["error"].is_object();
  json content = json::array();
  auto string_of = [&](const char* key) {
    auto it = verb_result.find(key);
    return it != verb_result.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string format = string_of("format");
  if (!is_error && string_of("encoding") == "base64" && verb_result.contains("data") &&
      (format == "image" || format == "bytes")) {
    json data = std::move(verb_result["data"]);
    verb_result.erase("data");
    if (format == "image") {
      content.push_back(
          {{"type", "image"}, {"data", std::move(data)}, {"mimeType", string_of("media_type")}});
    } else {
      std::string_view type = MediaTypeOf(string_of("path"));
      content.push_back({{"type", "resource"},
                         {"resource",
                          {{"uri", string_of("evidence")},
                           {"mimeType", std::string(type.empty() ? kOctetStream : type)},
                           {"blob", std::move(data)}}}});
    }
  }
  content.push_back({{"type", "text"}, {"text", Serialize(verb_result)}});
  json result{{"content", std::move(content)}, {"structuredContent", std::move(verb_result)}};
  if (is_error) result["isError"] = true;
  return result;
}

}  // namespace nokv::agent
