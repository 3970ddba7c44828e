// Index rule administration: add, remove, reindex, resumable back-fill, and bulk rows
// registered by external ETL.
//
// Every step is persisted in the rule record (index_keys.h, RuleRecord) before the
// in-memory rule map follows it, and the same code finishes a step after a crash
// (ResumeRule, called at open):
//
//   add / reindex:  record = resetting (leaves the map) -> old rows dropped in pages ->
//                   record = backfilling, cursor "" (enters the map) -> back-fill commits,
//                   each advancing the cursor -> record = ready
//   remove:         record = removing (leaves the map) -> rows dropped -> record deleted
//
// Changes of map membership also rewrite kIndexRulesKey, whose version every maintaining
// command guards, so no command built with the old rule set can commit after them.
#include <span>
#include <thread>

#include "common/logging.h"
#include "meta/command.h"
#include "meta/index_edits.h"
#include "meta/index_keys.h"
#include "meta/path.h"
#include "meta/resolved.h"
#include "records/extract.h"
#include "records/glob.h"

namespace nokv::meta {
namespace {
constexpr size_t kBatchKeys = 1024;
constexpr size_t kBackfillBatch = 128;
constexpr size_t kDirPage = 1024;
}  // namespace

Result<std::vector<RuleRecord>> MetaService::IndexRuleRecords() {
  holt::ScanOptions scan;
  scan.prefix = std::string(1, family::kRule);
  scan.limit = SIZE_MAX;
  NOKV_ASSIGN_OR_RETURN(auto rows, engine_->Scan(scan));
  std::vector<RuleRecord> out;
  for (const auto& row : rows) {
    auto record = DecodeRuleRecord(row.value);
    if (!record.ok()) return record.status().WithContext("stored index rule " + row.key.substr(1));
    out.push_back(std::move(record).value());
  }
  return out;
}

void MetaService::SetBackfillHook(std::function<void(size_t files)> hook) {
  backfill_hook_ = std::move(hook);
}

Status MetaService::CommitRuleRecord(const RuleRecord& record, bool rules_changed, uint64_t* seq) {
  holt::Batch batch;
  batch.Put(RuleKey(record.rule.id), EncodeRuleRecord(record));
  if (rules_changed) batch.Put(kIndexRulesKey, "");
  NOKV_ASSIGN_OR_RETURN(uint64_t committed, engine_->Commit(batch));
  if (seq != nullptr) *seq = committed;
  return Status::Ok();
}

void MetaService::SetActiveRule(const records::IndexRule* rule, std::string_view id,
                                uint64_t version) {
  std::lock_guard lock(rules_mu_);
  if (rule != nullptr) {
    rules_[std::string(id)] = *rule;
  } else {
    rules_.erase(std::string(id));
  }
  rules_version_ = version;
}

bool MetaService::GuardPathAbsent(std::string_view path, holt::Batch* batch) {
  auto parts = SplitPath(path);
  if (!parts.ok()) return false;
  InodeId dir = kRootInode;
  for (const auto& part : *parts) {
    uint64_t version = 0;
    auto entry = ReadDentry(dir, part, nullptr, &version);
    batch->RequireVersion(DentryKey(dir, part), version);
    if (!entry.ok() || entry->type != FileType::kDirectory) return true;
    dir = entry->inode;
  }
  return false;
}

Status MetaService::AddIndexRule(const records::IndexRule& rule) {
  NOKV_ASSIGN_OR_RETURN(records::IndexRule checked,
                        records::RuleFromJson(records::RuleToJson(rule)));
  std::lock_guard admin(index_admin_mu_);
  uint64_t seq = 0;
  if (!engine_->Get(RuleKey(checked.id)).ok()) {
    // A new rule whose root does not exist yet has nothing to drop or back-fill: one
    // commit makes it ready, guarded on the root still being absent.
    holt::Batch batch;
    if (GuardPathAbsent(checked.root, &batch)) {
      batch.Put(RuleKey(checked.id), EncodeRuleRecord({checked, IndexRuleState::kReady, ""}));
      batch.Put(kIndexRulesKey, "");
      auto committed = engine_->Commit(batch);
      if (committed.ok()) {
        SetActiveRule(&checked, checked.id, *committed);
        return Status::Ok();
      }
      if (!committed.status().Is(Reason::kPredicateFailed)) return committed.status();
    }
  }
  RuleRecord record{checked, IndexRuleState::kResetting, ""};
  NOKV_RETURN_IF_ERROR(CommitRuleRecord(record, /*rules_changed=*/true, &seq));
  SetActiveRule(nullptr, checked.id, seq);
  return ResumeRule(std::move(record));
}

// The stored record of `id`; NotFound when there is none or it is being removed.
static Result<RuleRecord> LiveRecord(holt::Engine* engine, std::string_view id) {
  auto value = engine->Get(RuleKey(id));
  if (!value.ok()) return Status::NotFound("no index rule '" + std::string(id) + "'");
  NOKV_ASSIGN_OR_RETURN(RuleRecord record, DecodeRuleRecord(value->bytes));
  if (record.state == IndexRuleState::kRemoving) {
    return Status::NotFound("index rule '" + std::string(id) + "' is being removed");
  }
  return record;
}

Status MetaService::RemoveIndexRule(std::string_view id) {
  std::lock_guard admin(index_admin_mu_);
  auto record = LiveRecord(engine_.get(), id);
  if (!record.ok()) {
    // Finish an interrupted removal before reporting that the rule is gone.
    if (auto value = engine_->Get(RuleKey(id)); value.ok()) {
      if (auto stored = DecodeRuleRecord(value->bytes); stored.ok()) {
        NOKV_RETURN_IF_ERROR(ResumeRule(*stored));
      }
    }
    return record.status();
  }
  record->state = IndexRuleState::kRemoving;
  record->cursor.clear();
  uint64_t seq = 0;
  NOKV_RETURN_IF_ERROR(CommitRuleRecord(*record, /*rules_changed=*/true, &seq));
  SetActiveRule(nullptr, id, seq);
  return ResumeRule(std::move(record).value());
}

Status MetaService::Reindex(std::string_view id) {
  std::lock_guard admin(index_admin_mu_);
  NOKV_ASSIGN_OR_RETURN(RuleRecord record, LiveRecord(engine_.get(), id));
  record.state = IndexRuleState::kResetting;
  record.cursor.clear();
  uint64_t seq = 0;
  NOKV_RETURN_IF_ERROR(CommitRuleRecord(record, /*rules_changed=*/true, &seq));
  SetActiveRule(nullptr, id, seq);
  return ResumeRule(std::move(record));
}

Status MetaService::ResumeRule(RuleRecord record) {
  const std::string id = record.rule.id;
  switch (record.state) {
    case IndexRuleState::kReady:
      return Status::Ok();
    case IndexRuleState::kRemoving: {
      NOKV_RETURN_IF_ERROR(DropRuleRows(id));
      holt::Batch batch;
      batch.Delete(RuleKey(id));
      return engine_->Commit(batch).status();
    }
    case IndexRuleState::kResetting: {
      NOKV_RETURN_IF_ERROR(DropRuleRows(id));
      record.state = IndexRuleState::kBackfilling;
      record.cursor.clear();
      uint64_t seq = 0;
      NOKV_RETURN_IF_ERROR(CommitRuleRecord(record, /*rules_changed=*/true, &seq));
      SetActiveRule(&record.rule, id, seq);  // publishes maintain it from now on
      break;
    }
    case IndexRuleState::kBackfilling:
      break;
  }
  Status filled = BackfillRule(record.rule, record.cursor);
  if (!filled.ok()) {
    return filled.WithContext("back-fill of index rule " + id +
                              " stopped; it resumes at the next open or with "
                              "`nokv index reindex " +
                              id + "`");
  }
  record.state = IndexRuleState::kReady;
  record.cursor.clear();
  return CommitRuleRecord(record, /*rules_changed=*/false, nullptr);
}

// Deletes every row, contribution and value entry of `rule_id`, a page per commit.
Status MetaService::DropRuleRows(std::string_view rule_id) {
  for (const std::string& prefix :
       {RowPrefix(rule_id), ContributionRulePrefix(rule_id), ValueRulePrefix(rule_id)}) {
    holt::ScanOptions scan;
    scan.prefix = prefix;
    scan.keys_only = true;
    scan.limit = kBatchKeys;
    for (;;) {
      NOKV_ASSIGN_OR_RETURN(auto page, engine_->Scan(scan));
      if (page.empty()) break;
      holt::Batch batch;
      for (const auto& e : page) batch.Delete(e.key);
      NOKV_RETURN_IF_ERROR(engine_->Commit(batch).status());
      if (page.size() < scan.limit) break;
    }
  }
  return Status::Ok();
}

namespace {

// Files `rule` covers after `cursor` in walk order (depth first, entries by name bytes),
// at most `limit`, read from the current namespace. `after` holds the cursor's components
// below `dir` (empty: the whole directory).
Status CollectFiles(MetaService& meta, const records::IndexRule& rule, InodeId dir,
                    const std::string& dir_path, std::span<const std::string> after, size_t limit,
                    std::vector<std::string>* out) {
  std::string start_after;
  if (!after.empty()) {
    start_after = after.front();
    if (after.size() > 1) {  // the cursor lies inside this child: finish it first
      auto child = meta.Lookup(dir, after.front());
      if (child.ok() && child->type == FileType::kDirectory) {
        NOKV_RETURN_IF_ERROR(CollectFiles(meta, rule, child->inode,
                                          ChildPath(dir_path, after.front()), after.subspan(1),
                                          limit, out));
      }
    }
  }
  while (out->size() < limit) {
    auto page = meta.ReadDir(dir, start_after, kDirPage, /*with_attrs=*/false);
    if (!page.ok()) return page.status().code() == Code::kNotFound ? Status::Ok() : page.status();
    for (const auto& entry : page->entries) {
      if (out->size() >= limit) return Status::Ok();
      std::string path = ChildPath(dir_path, entry.name);
      if (entry.type == FileType::kDirectory) {
        NOKV_RETURN_IF_ERROR(CollectFiles(meta, rule, entry.inode, path, {}, limit, out));
      } else if (entry.type == FileType::kFile && records::RuleCovers(rule, path, nullptr)) {
        out->push_back(std::move(path));
      }
    }
    if (!page->more || page->entries.empty()) break;
    start_after = page->entries.back().name;
  }
  return Status::Ok();
}

}  // namespace

Status MetaService::BackfillRule(const records::IndexRule& rule, std::string cursor) {
  for (;;) {
    auto root = ResolveFull(rule.root, nullptr);
    if (!root.ok() || root->attr.type != FileType::kDirectory) return Status::Ok();
    NOKV_ASSIGN_OR_RETURN(auto root_parts, SplitPath(rule.root));
    std::vector<std::string> after;
    if (!cursor.empty() && PathIsUnder(cursor, rule.root)) {
      NOKV_ASSIGN_OR_RETURN(after, SplitPath(cursor));
      after.erase(after.begin(), after.begin() + static_cast<ptrdiff_t>(root_parts.size()));
    }
    std::vector<std::string> files;
    NOKV_RETURN_IF_ERROR(
        CollectFiles(*this, rule, root->inode, root->path, after, kBackfillBatch, &files));
    if (files.empty()) return Status::Ok();
    NOKV_RETURN_IF_ERROR(BackfillBatch(rule, &files, &cursor));
  }
}

// Commits rows for `files` in as few commits as guards allow: a batch that conflicts is
// halved, down to one file; a single file that conflicts max_retries times in a row fails
// the back-fill (resumable). Each commit advances the stored cursor to its last file.
Status MetaService::BackfillBatch(const records::IndexRule& rule, std::vector<std::string>* files,
                                  std::string* cursor) {
  size_t size = files->size();
  int single_failures = 0;
  while (!files->empty()) {
    size = std::min(size, files->size());
    Command cmd(this, Now());
    for (size_t i = 0; i < size; ++i) {
      const std::string& path = (*files)[i];
      auto r = ResolveFull(path, nullptr);
      // Removed or replaced by a directory since the walk: nothing to fill; a file moved
      // elsewhere is found there by the walk or got its row from the rename.
      if (!r.ok() || r->attr.type != FileType::kFile) continue;
      for (const auto& [key, version] : r->chain) cmd.Guard(key, version);
      cmd.Guard(InodeKey(r->inode), r->attr_version);
      auto rows = ExtractFile({rule}, path, r->inode);
      NOKV_RETURN_IF_ERROR(cmd.index().SetPiece(rule, path, std::move(rows.front())));
    }
    RuleRecord progress{rule, IndexRuleState::kBackfilling, (*files)[size - 1]};
    cmd.batch().Put(RuleKey(rule.id), EncodeRuleRecord(progress));
    cmd.Finish();
    if (backfill_hook_) backfill_hook_(size);
    auto committed = engine_->Commit(cmd.batch());
    if (committed.ok()) {
      *cursor = progress.cursor;
      files->erase(files->begin(), files->begin() + static_cast<ptrdiff_t>(size));
      single_failures = 0;
      continue;
    }
    if (!committed.status().Is(Reason::kPredicateFailed)) return committed.status();
    if (size > 1) {
      size /= 2;
    } else if (++single_failures >= options_.max_retries) {
      return Status::Aborted("back-fill of " + (*files)[0] + " kept conflicting with writers");
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50 << std::min(single_failures, 10)));
    }
  }
  return Status::Ok();
}

Status MetaService::RegisterBulkRows(std::string_view rule_id,
                                     const std::map<std::string, records::Row>& rows) {
  std::map<std::string, records::Row> normalized;
  for (const auto& [path, row] : rows) {
    NOKV_ASSIGN_OR_RETURN(std::string p, NormalizePath(path));
    for (const auto& [field, values] : row.fields) {
      NOKV_RETURN_IF_ERROR(records::ValidateId(field, "field id"));
    }
    normalized[p] = row;
  }
  // One command: the old rows go and the new ones appear together.
  return Run(
      [&](Command& cmd) -> Status {
        IndexEdits& edits = cmd.index();
        const records::IndexRule* rule = nullptr;
        for (const auto& r : edits.rules()) rule = r.id == rule_id ? &r : rule;
        if (rule == nullptr)
          return Status::NotFound("no index rule '" + std::string(rule_id) + "'");
        NOKV_ASSIGN_OR_RETURN(auto existing, edits.RowPathsUnder(*rule, "/"));
        for (const auto& path : existing) NOKV_RETURN_IF_ERROR(edits.TakeRow(*rule, path).status());
        for (const auto& [path, row] : normalized) {
          NOKV_RETURN_IF_ERROR(edits.PutDirect(*rule, path, StoredRow{"(bulk)", row}));
        }
        return Status::Ok();
      },
      {});
}

}  // namespace nokv::meta
