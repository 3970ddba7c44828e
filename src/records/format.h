// Structured bodies as records: format detection, parsing (JSON, JSONL, YAML, CSV, text)
// and the summary `stat` shows (record count, schema, sample).
//
// Pure functions over borrowed bytes; safe from any thread. Parse errors are
// InvalidArgument naming the line (and column when known), 1-based. Details of every
// format, including how CSV cells are typed, are in docs/index-rules.md ("Record formats").
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace nokv::records {

enum class RecordFormat { kJson, kJsonl, kYaml, kCsv, kText };

// Limits every parse observes, so memory follows them and not what a parser library
// would build (docs/index-rules.md, "Parse limits"). Exceeding one is a parse error
// naming the line where it happened.
// Values (scalars, arrays, objects, CSV cells, text lines) over all records of a body.
inline constexpr size_t kMaxParsedValues = size_t{1} << 20;  // 1,048,576
// Arrays and objects inside one another.
inline constexpr size_t kMaxParseNesting = 128;

// By extension, case-insensitive: .json; .jsonl and .ndjson; .yaml and .yml; .csv; else
// text. `file_name` may be a bare name or a path.
RecordFormat DetectFormat(std::string_view file_name);

// The records of one body, in body order.
struct Records {
  // Objects for JSON/JSONL/YAML/CSV rows; JSON/YAML may also yield scalars or arrays;
  // text yields one string per line (without its line terminator).
  std::vector<nlohmann::json> records;
  // "json_array" | "json_object" (any non-array JSON document) | "jsonl" | "yaml" | "csv"
  // | "text".
  std::string record_type;
};

// Parses `body` (a leading UTF-8 BOM is ignored) as `format`:
//   kJson   an array gives its elements, anything else one record; empty body: error.
//   kJsonl  one record per line that is not blank; a bad line is an error naming it.
//   kYaml   each document: a sequence gives its elements, anything else one record;
//           empty documents are skipped. Plain scalars follow the YAML 1.2 core schema.
//   kCsv    RFC 4180; the header row names the fields; each later row is an object.
//           Unquoted cells are typed (JSON numbers, true/false any case); quoted cells are
//           strings; empty unquoted cells are left out of the row.
//   kText   one string record per line; invalid UTF-8 is replaced by U+FFFD.
// Errors: InvalidArgument("line L, column C: ...").
Result<Records> ParseRecords(std::string_view body, RecordFormat format);

// What `stat` shows about a structured body.
struct Summary {
  std::string record_type;
  size_t record_count = 0;
  // Union of the top-level field names of the first kSchemaRecords records, in order of
  // first appearance (within one record, nlohmann::json's sorted key order).
  std::vector<std::string> schema;
  // The first `sample` records.
  std::vector<nlohmann::json> sample;
};

inline constexpr size_t kSchemaRecords = 100;

Summary Summarize(const Records& records, size_t sample = 3);

}  // namespace nokv::records
