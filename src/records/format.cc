// Format detection, JSON/JSONL/text parsing, dispatch to the YAML and CSV parsers, and
// summaries.
#include "records/format.h"

#include <algorithm>
#include <exception>
#include <set>
#include <utility>
#include <vector>

#include "records/csv_records.h"
#include "records/parse_error.h"
#include "records/utf8.h"
#include "records/yaml_records.h"

namespace nokv::records {
namespace {

using nlohmann::json;

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
// Deeper documents are rejected: nlohmann::json copies and compares recursively.
constexpr size_t kMaxJsonDepth = 128;

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// nlohmann's message without its "[json.exception...] parse error at line 1, column 2: "
// prefix, since we report our own position.
std::string JsonErrorText(const json::exception& e) {
  std::string_view what = e.what();
  size_t bracket = what.find("] ");
  if (bracket != std::string_view::npos) what.remove_prefix(bracket + 2);
  if (what.starts_with("parse error")) {
    size_t colon = what.find(": ");
    if (colon != std::string_view::npos) what.remove_prefix(colon + 2);
  }
  return std::string(what);
}

// 1-based line and column of the byte at 0-based `offset` in `text`.
void LineColumn(std::string_view text, size_t offset, size_t* line, size_t* column) {
  offset = std::min(offset, text.size());
  std::string_view before = text.substr(0, offset);
  *line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
  size_t last_newline = before.rfind('\n');
  *column = offset - (last_newline == std::string_view::npos ? 0 : last_newline + 1) + 1;
}

// The first place where `text` nests deeper than kMaxJsonDepth or starts a value over
// `budget`, found before nlohmann builds anything: (offset, what) or npos. Counts values
// as they start: containers, scalars after '[', ',' or ':' (or at the start), strings
// that are not object keys. Malformed text is left to the parser.
std::pair<size_t, std::string> ScanJsonLimits(std::string_view text, ValueBudget* budget) {
  std::vector<bool> in_object;  // per open container
  bool expect_key = false;      // inside an object, after '{' or ','
  char last = '\0';             // last significant character outside strings
  auto value = [&](size_t i) -> std::pair<size_t, std::string> {
    if (!budget->Take()) return {i, budget->Exceeded()};
    return {std::string_view::npos, {}};
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    std::pair<size_t, std::string> problem{std::string_view::npos, {}};
    if (c == '"') {
      bool key = !in_object.empty() && in_object.back() && expect_key;
      if (!key) problem = value(i);
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
      }
      last = '"';
    } else if (c == '[' || c == '{') {
      problem = value(i);
      if (in_object.size() >= kMaxJsonDepth) {
        return {i, "nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
      }
      in_object.push_back(c == '{');
      expect_key = c == '{';
      last = c;
    } else if (c == ']' || c == '}') {
      if (!in_object.empty()) in_object.pop_back();
      expect_key = false;
      last = c;
    } else if (c == ',' || c == ':') {
      expect_key = c == ',' && !in_object.empty() && in_object.back();
      last = c;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      continue;
    } else {
      if (last == '\0' || last == '[' || last == ',' || last == ':') problem = value(i);
      last = c;
    }
    if (problem.first != std::string_view::npos) return problem;
  }
  return {std::string_view::npos, {}};
}

// Parses one JSON document, charging its values to `budget`; `first_line` numbers the
// lines of `text` in the error.
Result<json> ParseJsonDocument(std::string_view text, size_t first_line, ValueBudget* budget) {
  if (auto [offset, what] = ScanJsonLimits(text, budget); offset != std::string_view::npos) {
    size_t line = 0, column = 0;
    LineColumn(text, offset, &line, &column);
    return ParseError(first_line + line - 1, column, what);
  }
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    size_t line = 0, column = 0;
    LineColumn(text, e.byte > 0 ? e.byte - 1 : 0, &line, &column);
    return ParseError(first_line + line - 1, column, JsonErrorText(e));
  } catch (const json::exception& e) {
    return ParseError(first_line, 0, JsonErrorText(e));
  }
}

Status ParseJson(std::string_view body, Records* out) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return ParseError(1, 1, "empty JSON body");
  }
  ValueBudget budget(kMaxParsedValues);
  NOKV_ASSIGN_OR_RETURN(json document, ParseJsonDocument(body, 1, &budget));
  if (document.is_array()) {
    out->record_type = "json_array";
    out->records.reserve(document.size());
    for (json& element : document) out->records.push_back(std::move(element));
  } else {
    out->record_type = "json_object";
    out->records.push_back(std::move(document));
  }
  return Status::Ok();
}

// Calls fn(line_number, line) for every line of `body` without its LF / CRLF terminator; a
// final line is visited only when not empty. Stops at and returns fn's first error.
template <typename Fn>
Status ForEachLine(std::string_view body, Fn&& fn) {
  size_t line_number = 0;
  while (!body.empty()) {
    ++line_number;
    size_t end = body.find('\n');
    std::string_view line = body.substr(0, end);
    body.remove_prefix(end == std::string_view::npos ? body.size() : end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    NOKV_RETURN_IF_ERROR(fn(line_number, line));
  }
  return Status::Ok();
}

Status ParseJsonl(std::string_view body, Records* out) {
  out->record_type = "jsonl";
  ValueBudget budget(kMaxParsedValues);
  return ForEachLine(body, [&](size_t line_number, std::string_view line) -> Status {
    if (line.find_first_not_of(" \t") == std::string_view::npos) return Status::Ok();
    NOKV_ASSIGN_OR_RETURN(json record, ParseJsonDocument(line, line_number, &budget));
    out->records.push_back(std::move(record));
    return Status::Ok();
  });
}

Status ParseText(std::string_view body, Records* out) {
  out->record_type = "text";
  ValueBudget budget(kMaxParsedValues);
  return ForEachLine(body, [&](size_t line_number, std::string_view line) {
    if (!budget.Take()) return ParseError(line_number, 0, budget.Exceeded());
    out->records.emplace_back(SanitizeUtf8(line));
    return Status::Ok();
  });
}

Status ParseStructured(std::string_view body, RecordFormat format, Records* out) {
  switch (format) {
    case RecordFormat::kJson:
      return ParseJson(body, out);
    case RecordFormat::kJsonl:
      return ParseJsonl(body, out);
    case RecordFormat::kYaml: {
      out->record_type = "yaml";
      NOKV_ASSIGN_OR_RETURN(out->records, ParseYamlRecords(body));
      return Status::Ok();
    }
    case RecordFormat::kCsv: {
      out->record_type = "csv";
      NOKV_ASSIGN_OR_RETURN(out->records, ParseCsvRecords(body));
      return Status::Ok();
    }
    case RecordFormat::kText:
      return ParseText(body, out);
  }
  return Status::InvalidArgument("unknown record format");
}

}  // namespace

RecordFormat DetectFormat(std::string_view file_name) {
  size_t slash = file_name.rfind('/');
  if (slash != std::string_view::npos) file_name.remove_prefix(slash + 1);
  std::string name = LowerAscii(file_name);
  if (EndsWith(name, ".json")) return RecordFormat::kJson;
  if (EndsWith(name, ".jsonl") || EndsWith(name, ".ndjson")) return RecordFormat::kJsonl;
  if (EndsWith(name, ".yaml") || EndsWith(name, ".yml")) return RecordFormat::kYaml;
  if (EndsWith(name, ".csv")) return RecordFormat::kCsv;
  return RecordFormat::kText;
}

Result<Records> ParseRecords(std::string_view body, RecordFormat format) {
  if (body.starts_with(kUtf8Bom)) body.remove_prefix(kUtf8Bom.size());
  Records records;
  try {
    NOKV_RETURN_IF_ERROR(ParseStructured(body, format, &records));
  } catch (const std::exception& e) {
    // The parsers catch their libraries' exceptions; this is the last line of defence.
    return Status::InvalidArgument(std::string("cannot parse body: ") + e.what());
  }
  return records;
}

Summary Summarize(const Records& records, size_t sample) {
  Summary summary;
  summary.record_type = records.record_type;
  summary.record_count = records.records.size();
  std::set<std::string> seen;
  size_t schema_records = std::min(records.records.size(), kSchemaRecords);
  for (size_t i = 0; i < schema_records; ++i) {
    const json& record = records.records[i];
    if (!record.is_object()) continue;
    for (const auto& item : record.items()) {
      if (seen.insert(item.key()).second) summary.schema.push_back(item.key());
    }
  }
  size_t sample_count = std::min(records.records.size(), sample);
  summary.sample.assign(records.records.begin(), records.records.begin() + sample_count);
  return summary;
}

}  // namespace nokv::records
