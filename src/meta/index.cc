// Index rules: rows and value-index entries maintained in the same commit as
// the publish, remove or rename that changed a covered file; back-fill when
// a rule is added; bulk rows from external ETL.
#include "common/logging.h"
#include "meta/command.h"
#include "meta/index_keys.h"
#include "meta/path.h"
#include "meta/resolved.h"
#include "object/block_reader.h"
#include "records/extract.h"
#include "records/glob.h"

namespace nokv::meta {
namespace {

constexpr size_t kScanPage = 4096;

std::string BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(path.substr(slash + 1));
}

// Deletes the row at `row_path` (and its value-index entries) if present.
void DeleteRow(holt::Engine* engine, holt::Batch* batch, std::string_view rule,
               std::string_view row_path) {
  auto current = engine->Get(RowKey(rule, row_path));
  if (!current.ok()) return;
  batch->Delete(RowKey(rule, row_path));
  auto stored = DecodeStoredRow(current->bytes);
  if (!stored.ok()) return;
  for (const auto& [field, values] : stored->row.fields) {
    for (const auto& value : values) batch->Delete(ValueKey(rule, field, value, row_path));
  }
}

void WriteRow(holt::Engine* engine, holt::Batch* batch, std::string_view rule,
              std::string_view row_path, const StoredRow& row) {
  DeleteRow(engine, batch, rule, row_path);
  batch->Put(RowKey(rule, row_path), EncodeStoredRow(row));
  for (const auto& [field, values] : row.row.fields) {
    for (const auto& value : values) batch->Put(ValueKey(rule, field, value, row_path), "");
  }
}

// Rows of `rule` whose row path is `path` or lies below it.
Result<std::vector<holt::Entry>> RowsUnder(holt::Engine* engine, std::string_view rule,
                                           std::string_view path) {
  std::vector<holt::Entry> out;
  if (auto exact = engine->Get(RowKey(rule, path)); exact.ok()) {
    out.push_back({RowKey(rule, path), exact->bytes, exact->seq});
  }
  holt::ScanOptions scan;
  scan.prefix = RowPrefix(rule, path == "/" ? std::string("/") : std::string(path) + "/");
  scan.limit = kScanPage;
  for (;;) {
    NOKV_ASSIGN_OR_RETURN(auto page, engine->Scan(scan));
    for (auto& e : page) out.push_back(std::move(e));
    if (page.size() < scan.limit) break;
    scan.start_after = out.back().key;
  }
  return out;
}

}  // namespace

Status MetaService::LoadRules() {
  holt::ScanOptions scan;
  scan.prefix = std::string(1, family::kRule);
  scan.limit = 100000;
  NOKV_ASSIGN_OR_RETURN(auto rows, engine_->Scan(scan));
  std::lock_guard lock(rules_mu_);
  rules_.clear();
  for (const auto& row : rows) {
    nlohmann::json json = nlohmann::json::parse(row.value, nullptr, /*allow_exceptions=*/false);
    auto rule = records::RuleFromJson(json);
    if (!rule.ok()) return rule.status().WithContext("stored index rule " + row.key.substr(1));
    rules_[rule->id] = std::move(rule).value();
  }
  return Status::Ok();
}

std::vector<records::IndexRule> MetaService::IndexRules() {
  std::lock_guard lock(rules_mu_);
  std::vector<records::IndexRule> out;
  for (const auto& [id, rule] : rules_) out.push_back(rule);
  return out;
}

Result<std::string> MetaService::ReadBody(const Manifest& manifest) {
  if (manifest.layout.size == 0) return std::string();
  if (options_.store == nullptr) return Status::FailedPrecondition("no object store to read from");
  object::BlockReader reader(options_.store, &read_pool_, manifest.layout);
  std::string body;
  NOKV_RETURN_IF_ERROR(reader.Read(0, manifest.layout.size, &body));
  return body;
}

// The stored row of `rule` for file `path` with body `body` (or why not).
static StoredRow ExtractRow(const records::IndexRule& rule, std::string_view path,
                            const Result<std::string>& body) {
  StoredRow row;
  row.source = BaseName(path);
  auto fail = [&](std::string message) {
    NOKV_LOG(kWarn) << "index rule " << rule.id << " on " << path << ": " << message;
    row.row.fields["_error"] = {records::TypedValue::String(message)};
  };
  if (!body.ok()) {
    fail(body.status().ToString());
    return row;
  }
  records::ExtractReport report;
  auto extracted = records::ExtractFromBody(rule, row.source, *body, &report);
  if (!extracted.ok()) {
    fail(std::string(extracted.status().message()));
    return row;
  }
  row.row = std::move(extracted).value();
  if (!report.error.empty()) {
    row.row.fields["_warning"] = {records::TypedValue::String(report.error)};
  }
  return row;
}

void MetaService::IndexOnPublish(Command& cmd, std::string_view path, const Manifest* manifest,
                                 std::optional<std::string_view> body) {
  std::vector<records::IndexRule> covering;
  uint64_t largest_limit = 0;
  for (auto& rule : IndexRules()) {
    if (!records::RuleCovers(rule, path, nullptr)) continue;
    largest_limit = std::max(largest_limit, rule.max_body_bytes);
    covering.push_back(std::move(rule));
  }
  if (covering.empty()) return;
  uint64_t size = body ? body->size() : manifest ? manifest->layout.size : 0;
  // The body is read once, if any covering rule accepts its size.
  Result<std::string> loaded = std::string();
  if (body) {
    loaded = std::string(*body);
  } else if (manifest != nullptr && size <= largest_limit) {
    loaded = ReadBody(*manifest);
  }
  for (const auto& rule : covering) {
    Result<std::string> input =
        size > rule.max_body_bytes
            ? Result<std::string>(Status::TooLarge(
                  "body of " + std::to_string(size) + " bytes is over the " +
                  std::to_string(rule.max_body_bytes) + "-byte index limit; not parsed"))
            : loaded;
    WriteRow(engine_.get(), &cmd.batch(), rule.id, records::RowPath(rule, path),
             ExtractRow(rule, path, input));
  }
}

void MetaService::IndexOnRemove(Command& cmd, std::string_view path, bool directory) {
  for (const auto& rule : IndexRules()) {
    if (directory) {
      auto rows = RowsUnder(engine_.get(), rule.id, path);
      if (!rows.ok()) continue;
      for (const auto& e : *rows) {
        std::string_view id, row_path;
        if (ParseRowKey(e.key, &id, &row_path))
          DeleteRow(engine_.get(), &cmd.batch(), id, row_path);
      }
    } else if (records::RuleCovers(rule, path, nullptr)) {
      DeleteRow(engine_.get(), &cmd.batch(), rule.id, records::RowPath(rule, path));
    }
  }
}

void MetaService::IndexOnRename(Command& cmd, std::string_view from, std::string_view to) {
  for (const auto& rule : IndexRules()) {
    bool from_is_file_row = records::RuleCovers(rule, from, nullptr);
    // Rows at or below `from` move with it when their source stays covered.
    auto rows = RowsUnder(engine_.get(), rule.id, from);
    std::vector<std::pair<std::string, StoredRow>> moved;
    if (rows.ok()) {
      for (const auto& e : *rows) {
        std::string_view id, row_path;
        if (!ParseRowKey(e.key, &id, &row_path)) continue;
        auto stored = DecodeStoredRow(e.value);
        std::string new_row = std::string(to) + std::string(row_path.substr(from.size()));
        DeleteRow(engine_.get(), &cmd.batch(), rule.id, row_path);
        if (!stored.ok()) continue;
        std::string source = rule.target == records::IndexRule::Target::kFile
                                 ? new_row
                                 : ChildPath(new_row, stored->source);
        if (records::RuleCovers(rule, source, nullptr)) moved.emplace_back(new_row, *stored);
      }
    }
    // A file whose parent-target row sat outside the moved path.
    if (from_is_file_row && rule.target == records::IndexRule::Target::kParent) {
      DeleteRow(engine_.get(), &cmd.batch(), rule.id, records::RowPath(rule, from));
    }
    for (const auto& [row_path, stored] : moved) {
      WriteRow(engine_.get(), &cmd.batch(), rule.id, row_path, stored);
    }
    // A single file that becomes covered gets extracted now.
    bool was_moved_row = !moved.empty();
    if (!was_moved_row && records::RuleCovers(rule, to, nullptr)) {
      auto r = ResolveFull(from, nullptr);
      if (r.ok() && r->attr.type == FileType::kFile) {
        auto manifest = GetManifest(r->inode, r->attr.generation);
        Result<std::string> body =
            manifest.ok()
                ? (manifest->layout.size > rule.max_body_bytes
                       ? Result<std::string>(Status::TooLarge("body over the index limit"))
                       : ReadBody(*manifest))
                : Result<std::string>(std::string());
        WriteRow(engine_.get(), &cmd.batch(), rule.id, records::RowPath(rule, to),
                 ExtractRow(rule, to, body));
      }
    }
  }
}

void MetaService::IndexOnExchange(Command& cmd, std::string_view a, std::string_view b) {
  // Rows swap sides unchanged (both entries exist before and after, so each
  // row path keeps a source); re-extraction is `nokv index reindex`.
  for (const auto& rule : IndexRules()) {
    auto rows_a = RowsUnder(engine_.get(), rule.id, a);
    auto rows_b = RowsUnder(engine_.get(), rule.id, b);
    if (!rows_a.ok() || !rows_b.ok()) continue;
    std::vector<std::pair<std::string, StoredRow>> rewritten;
    auto take = [&](const std::vector<holt::Entry>& rows, std::string_view from,
                    std::string_view to) {
      for (const auto& e : rows) {
        std::string_view id, row_path;
        if (!ParseRowKey(e.key, &id, &row_path)) continue;
        DeleteRow(engine_.get(), &cmd.batch(), rule.id, row_path);
        auto stored = DecodeStoredRow(e.value);
        if (!stored.ok()) continue;
        rewritten.emplace_back(std::string(to) + std::string(row_path.substr(from.size())),
                               *stored);
      }
    };
    take(*rows_a, a, b);
    take(*rows_b, b, a);
    for (const auto& [row_path, stored] : rewritten) {
      WriteRow(engine_.get(), &cmd.batch(), rule.id, row_path, stored);
    }
  }
}

}  // namespace nokv::meta
