// Index rule administration: add (with back-fill), remove, reindex, and
// bulk rows registered by external ETL.
#include "common/logging.h"
#include "meta/command.h"
#include "meta/index_keys.h"
#include "meta/path.h"
#include "meta/resolved.h"
#include "records/extract.h"
#include "records/glob.h"

namespace nokv::meta {
namespace {
constexpr size_t kBatchKeys = 1024;
constexpr size_t kBackfillBatch = 128;
}  // namespace

Status MetaService::AddIndexRule(const records::IndexRule& rule) {
  NOKV_ASSIGN_OR_RETURN(records::IndexRule checked,
                        records::RuleFromJson(records::RuleToJson(rule)));
  holt::Batch batch;
  batch.Put(RuleKey(checked.id), records::RuleToJson(checked).dump());
  NOKV_RETURN_IF_ERROR(DropRuleRows(checked.id, &batch));
  {
    std::lock_guard lock(rules_mu_);
    rules_[checked.id] = checked;  // publishes from now on maintain its rows
  }
  return BackfillRule(checked);
}

Status MetaService::RemoveIndexRule(std::string_view id) {
  {
    std::lock_guard lock(rules_mu_);
    if (rules_.erase(std::string(id)) == 0) {
      return Status::NotFound("no index rule '" + std::string(id) + "'");
    }
  }
  holt::Batch batch;
  batch.Delete(RuleKey(id));
  return DropRuleRows(id, &batch);
}

Status MetaService::Reindex(std::string_view id) {
  records::IndexRule rule;
  {
    std::lock_guard lock(rules_mu_);
    auto it = rules_.find(std::string(id));
    if (it == rules_.end()) return Status::NotFound("no index rule '" + std::string(id) + "'");
    rule = it->second;
  }
  holt::Batch batch;
  NOKV_RETURN_IF_ERROR(DropRuleRows(id, &batch));
  return BackfillRule(rule);
}

// Deletes every row and value entry of `rule_id`; `first_batch` (holding the
// rule change) commits with the first page so the change and the drop start
// together, and later pages follow.
Status MetaService::DropRuleRows(std::string_view rule_id, holt::Batch* first_batch) {
  holt::Batch* batch = first_batch;
  holt::Batch next;
  for (const std::string& prefix :
       {RowPrefix(rule_id), std::string(1, family::kValueIndex) + std::string(rule_id) + '\0'}) {
    holt::ScanOptions scan;
    scan.prefix = prefix;
    scan.keys_only = true;
    scan.limit = kBatchKeys;
    for (;;) {
      NOKV_ASSIGN_OR_RETURN(auto page, engine_->Scan(scan));
      for (const auto& e : page) batch->Delete(e.key);
      if (page.size() < scan.limit) break;
      scan.start_after = page.back().key;
      NOKV_RETURN_IF_ERROR(engine_->Commit(*batch).status());
      next.Clear();
      batch = &next;
    }
  }
  return engine_->Commit(*batch).status();
}

Status MetaService::BackfillRule(const records::IndexRule& rule) {
  auto root = ResolveFull(rule.root, nullptr);
  if (!root.ok()) return Status::Ok();  // nothing to back-fill yet
  // Depth-first over directories under the root; files in bounded batches.
  std::vector<std::pair<InodeId, std::string>> dirs = {{root->inode, root->path}};
  std::vector<std::tuple<std::string, InodeId>> pending;
  auto flush = [&]() -> Status {
    bool done = pending.empty();
    for (int attempt = 0; attempt < options_.max_retries && !done; ++attempt) {
      Command cmd(this, Now());
      for (const auto& [path, inode] : pending) {
        uint64_t version = 0;
        auto attr = ReadAttr(inode, nullptr, &version);
        if (!attr.ok()) continue;  // removed meanwhile: its rows went with it
        cmd.Guard(InodeKey(inode), version);
        auto manifest = GetManifest(inode, attr->generation);
        IndexOnPublish(cmd, path, manifest.ok() ? &*manifest : nullptr,
                       manifest.ok() ? std::nullopt : std::optional<std::string_view>(""));
      }
      auto committed = engine_->Commit(cmd.batch());
      done = committed.ok();
      if (!done && !committed.status().Is(Reason::kPredicateFailed)) {
        return committed.status();
      }
    }
    if (!done) {
      return Status::Aborted("back-fill of rule " + rule.id +
                             " kept conflicting with writers; "
                             "run `nokv index reindex " +
                             rule.id + "`");
    }
    pending.clear();
    return Status::Ok();
  };
  while (!dirs.empty()) {
    auto [dir, dir_path] = dirs.back();
    dirs.pop_back();
    std::string after;
    for (;;) {
      auto page = ReadDir(dir, after, 1024, /*with_attrs=*/false);
      if (!page.ok()) break;
      for (const auto& entry : page->entries) {
        std::string path = ChildPath(dir_path, entry.name);
        if (entry.type == FileType::kDirectory) {
          dirs.emplace_back(entry.inode, path);
        } else if (entry.type == FileType::kFile && records::RuleCovers(rule, path, nullptr)) {
          pending.emplace_back(path, entry.inode);
          if (pending.size() >= kBackfillBatch) NOKV_RETURN_IF_ERROR(flush());
        }
      }
      if (!page->more || page->entries.empty()) break;
      after = page->entries.back().name;
    }
  }
  return flush();
}

Status MetaService::RegisterBulkRows(std::string_view rule_id,
                                     const std::map<std::string, records::Row>& rows) {
  {
    std::lock_guard lock(rules_mu_);
    if (!rules_.contains(std::string(rule_id))) {
      return Status::NotFound("no index rule '" + std::string(rule_id) + "'");
    }
  }
  // One batch: the old rows go and the new ones appear together.
  holt::Batch batch;
  for (const std::string& prefix :
       {RowPrefix(rule_id), std::string(1, family::kValueIndex) + std::string(rule_id) + '\0'}) {
    holt::ScanOptions scan;
    scan.prefix = prefix;
    scan.keys_only = true;
    scan.limit = SIZE_MAX;
    NOKV_ASSIGN_OR_RETURN(auto page, engine_->Scan(scan));
    for (const auto& e : page) batch.Delete(e.key);
  }
  for (const auto& [path, row] : rows) {
    NOKV_ASSIGN_OR_RETURN(std::string normalized, NormalizePath(path));
    StoredRow stored{"(bulk)", row};
    batch.Put(RowKey(rule_id, normalized), EncodeStoredRow(stored));
    for (const auto& [field, values] : row.fields) {
      NOKV_RETURN_IF_ERROR(records::ValidateId(field, "field id"));
      for (const auto& value : values) batch.Put(ValueKey(rule_id, field, value, normalized), "");
    }
  }
  return engine_->Commit(batch).status();
}

}  // namespace nokv::meta
