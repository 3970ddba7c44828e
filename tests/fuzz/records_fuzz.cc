// libFuzzer target for structured bodies and index-rule specs (records/,
// docs/index-rules.md): what any writer of a file under an indexed root or
// any caller of `nokv index add` controls. The first byte picks the mode
// (modulo 4) and, for bodies, the format (the next bits):
//   0  ParseRecords of the rest in one of the five formats, then Summarize
//   1  a compact field spec (u8-length-prefixed) and a body: the field parses
//      back from its own string, and ExtractFromBody of a rule holding it
//   2  a rule as JSON: RuleFromJson(RuleToJson(r)) == r
//   3  an ordered value encoding and a predicate literal
// Properties: errors are a Status (no exception escapes, no abort); a parsed
// body re-serializes as JSONL that parses to as many records; extracted rows
// have no nulls, respect the value cap and survive EncodeRow/DecodeRow.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "records/extract.h"
#include "records/format.h"
#include "records/row.h"
#include "records/rule.h"
#include "records/value.h"

namespace nokv::fuzz {
namespace {

using records::RecordFormat;

constexpr RecordFormat kFormats[] = {RecordFormat::kJson, RecordFormat::kJsonl, RecordFormat::kYaml,
                                     RecordFormat::kCsv, RecordFormat::kText};
constexpr const char* kFileNames[] = {"a.json", "a.jsonl", "a.yaml", "a.csv", "a.txt"};

void FuzzParse(std::string_view body, size_t format) {
  Result<records::Records> parsed = records::ParseRecords(body, kFormats[format]);
  if (!parsed.ok()) return;
  Require(parsed->records.size() <= records::kMaxParsedValues, "records within the value cap");
  (void)records::Summarize(*parsed);
  std::string jsonl;
  for (const nlohmann::json& record : parsed->records) {
    jsonl += record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    jsonl += '\n';
  }
  Result<records::Records> again = records::ParseRecords(jsonl, RecordFormat::kJsonl);
  Require(again.ok(), "parsed records re-serialize as valid JSONL");
  Require(again->records.size() == parsed->records.size(), "JSONL keeps the record count");
}

void FuzzExtract(std::string_view in, size_t format) {
  if (in.empty()) return;
  size_t n = std::min<size_t>(static_cast<uint8_t>(in[0]), in.size() - 1);
  std::string_view spec = in.substr(1, n);
  std::string_view body = in.substr(1 + n);
  records::IndexRule rule;
  rule.id = "fuzz";
  rule.root = "/";
  rule.glob = "**";
  Result<records::FieldSpec> field = records::ParseFieldSpec(spec);
  if (field.ok()) {
    Result<records::FieldSpec> back = records::ParseFieldSpec(records::FieldSpecToString(*field));
    Require(back.ok() && *back == *field, "a field spec parses back from its string");
    rule.fields.push_back(*field);
  } else {
    records::FieldSpec all;
    all.id = "all";
    all.source = "$";
    rule.fields.push_back(all);
  }
  records::ExtractReport report;
  Result<records::Row> row = records::ExtractFromBody(rule, kFileNames[format], body, &report);
  if (!row.ok()) return;
  for (const auto& [id, values] : row->fields) {
    Require(!values.empty(), "an extracted field has values");
    for (const records::TypedValue& value : values) Require(!value.is_null(), "no null values");
    if (!rule.fields[0].flatten) {
      Require(values.size() <= records::kMaxValuesPerField, "values within the per-field cap");
    }
  }
  std::string encoded;
  records::EncodeRow(*row, &encoded);
  Result<records::Row> decoded = records::DecodeRow(encoded);
  Require(decoded.ok() && *decoded == *row, "an extracted row round-trips");
}

void FuzzRule(std::string_view in) {
  nlohmann::json json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded()) return;
  Result<records::IndexRule> rule = records::RuleFromJson(json);
  if (!rule.ok()) return;
  Result<records::IndexRule> back = records::RuleFromJson(records::RuleToJson(*rule));
  Require(back.ok() && *back == *rule, "a rule round-trips through its JSON");
}

void FuzzValues(std::string_view in) {
  std::string_view rest = in;
  records::TypedValue value;
  if (records::DecodeOrdered(&rest, &value)) {
    std::string again;
    records::EncodeOrdered(value, &again);
    std::string_view view = again;
    records::TypedValue back;
    Require(records::DecodeOrdered(&view, &back) && view.empty() && back == value,
            "an ordered value round-trips");
    Require(again == in.substr(0, in.size() - rest.size()), "ordered encodings are canonical");
  }
  records::TypedValue literal = records::ParseLiteral(in);
  (void)records::ToJson(literal);
}

}  // namespace
}  // namespace nokv::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in = nokv::fuzz::Rest(data, size);
  size_t format = (data[0] >> 2) % 5;
  switch (data[0] & 3) {
    case 0:
      nokv::fuzz::FuzzParse(in, format);
      break;
    case 1:
      nokv::fuzz::FuzzExtract(in, format);
      break;
    case 2:
      nokv::fuzz::FuzzRule(in);
      break;
    default:
      nokv::fuzz::FuzzValues(in);
      break;
  }
  return 0;
}
