// stat: a card for one path: attributes, body, structured summary, the index
// row that covers it, and for directories the ids of the queryable fields.
#include "object/block.h"
#include "query/args.h"
#include "query/evidence.h"
#include "query/fields.h"
#include "query/file_body.h"
#include "query/text_codec.h"
#include "query/verbs.h"
#include "records/format.h"
#include "records/glob.h"

namespace nokv::query {
namespace {

constexpr uint64_t kSummaryMaxBytes = uint64_t{4} << 20;
constexpr size_t kSampleRecords = 3;
constexpr size_t kMaxCatalogIds = 100;

// record_type, record_count, schema and sample, or parse_error.
VerbError Summarize(const std::string& path, FileBody* body, ResultBudget* budget,
                    nlohmann::json* card) {
  auto format = records::DetectFormat(path);
  if (format == records::RecordFormat::kText) return VerbError::Ok();
  if (body->size() > kSummaryMaxBytes) {
    (*card)["summary_skipped"] = "body of " + std::to_string(body->size()) +
                                 " bytes is over the 4 MiB summary limit; use read";
    return VerbError::Ok();
  }
  std::string bytes;
  NOKV_VERB_TRY(body->ReadAll(kSummaryMaxBytes, &bytes));
  auto parsed = records::ParseRecords(bytes, format);
  if (!parsed.ok()) {
    (*card)["record_type"] = "text";
    (*card)["parse_error"] = std::string(parsed.status().message());
    return VerbError::Ok();
  }
  records::Summary summary = records::Summarize(*parsed, kSampleRecords);
  (*card)["record_type"] = summary.record_type;
  (*card)["record_count"] = summary.record_count;
  nlohmann::json schema = summary.schema;
  if (budget->TryAdd(schema)) (*card)["schema"] = std::move(schema);
  nlohmann::json sample = nlohmann::json::array();
  for (auto& record : summary.sample) {
    if (!budget->TryAdd(record)) {
      (*card)["truncated"] = true;
      break;
    }
    sample.push_back(std::move(record));
  }
  if (!sample.empty()) (*card)["sample"] = std::move(sample);
  return VerbError::Ok();
}

// The merged row of `row_path` over every rule, if it has one.
bool RowValues(const Invocation& inv, std::string_view row_path, FieldValues* values) {
  FieldSet fields;
  if (!FieldSet::Load(inv, row_path, &fields).ok()) return false;
  bool found = false;
  return fields.LoadIndexValues(row_path, {}, values, &found).ok() && found;
}

void IndexedValues(const Invocation& inv, const std::string& path, nlohmann::json* card) {
  auto rules = inv.meta->IndexRules();
  std::vector<std::string> rows = {path};
  for (const auto& rule : rules) {
    if (records::RuleCovers(rule, path, nullptr)) rows.push_back(records::RowPath(rule, path));
  }
  for (const auto& row : rows) {
    FieldValues values;
    if (!RowValues(inv, row, &values)) continue;
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [id, v] : values) out[id] = ValuesJson(v);
    (*card)["indexed_values"] = {{"row", row}, {"values", std::move(out)}};
    return;
  }
}

void CatalogIds(const Invocation& inv, const std::string& path, nlohmann::json* card) {
  FieldSet fields;
  if (!FieldSet::Load(inv, path, &fields).ok()) return;
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& id : fields.Ids()) {
    if (fields.Find(id)->builtin) continue;
    if (ids.size() == kMaxCatalogIds) {
      (*card)["catalog_truncated"] = true;
      break;
    }
    ids.push_back(id);
  }
  if (!ids.empty()) (*card)["catalog"] = std::move(ids);
}

}  // namespace

VerbError RunStat(Invocation& inv, const nlohmann::json& args, nlohmann::json* out) {
  std::string path;
  meta::Attr attr;
  NOKV_VERB_TRY(ResolvePathArg(inv, args, &path, &attr));
  nlohmann::json card = EntryJson(path == "/" ? "/" : BaseName(path), attr);
  card["path"] = path;
  ResultBudget budget(inv.max_result_bytes);
  if (attr.type == meta::FileType::kFile) {
    card["evidence"] = VersionUri(path, attr.generation);
    std::unique_ptr<FileBody> body;
    NOKV_VERB_TRY(FileBody::Open(inv, attr, attr.generation, &body));
    nlohmann::json b = {{"digest", object::BodyDigestString(body->manifest().layout)},
                        {"size", body->size()}};
    if (!body->manifest().content_type.empty()) b["content_type"] = body->manifest().content_type;
    if (!body->manifest().producer.empty()) b["producer"] = body->manifest().producer;
    card["body"] = std::move(b);
    NOKV_VERB_TRY(Summarize(path, body.get(), &budget, &card));
  }
  IndexedValues(inv, path, &card);
  if (attr.type == meta::FileType::kDirectory) CatalogIds(inv, path, &card);
  *out = std::move(card);
  return VerbError::Ok();
}

}  // namespace nokv::query
