// The JSON Schemas of schemas/ (one input and one output schema per verb,
// plus error.json), compiled into the binary by embed_schemas.cmake. They are
// the single source for tools/list, the docs and the tests.
#pragma once

#include <span>
#include <string_view>

namespace nokv::agent {

struct SchemaFile {
  std::string_view name;  // "ls.input.json"
  std::string_view text;  // the file's bytes
};

// Every embedded schema file, in the order agent/CMakeLists.txt lists them.
// Static storage; never fails.
std::span<const SchemaFile> EmbeddedSchemas();

}  // namespace nokv::agent
