// fsck's index check (fsck_check.h): for every ready rule, the row (`f`),
// contribution (`p`) and value (`v`) keys a rebuild would write from the
// files at the checked view, compared with the stored ones. Rules of bulk rows
// (registered from outside, not extracted from files) have only their value
// keys checked against their rows.
#include "meta/codec.h"
#include "meta/fsck_check.h"
#include "meta/index_edits.h"
#include "meta/path.h"
#include "records/combine.h"
#include "records/glob.h"

namespace nokv::meta {
namespace {

constexpr size_t kDirPage = 1024;
constexpr std::string_view kBulkSource = "(bulk)";

// The value keys of `row` at `row_path`.
void AddValueKeys(const std::string& rule_id, const std::string& row_path, const StoredRow& row,
                  std::map<std::string, std::string>* keys) {
  for (const auto& [field, values] : row.row.fields) {
    for (const auto& value : values) (*keys)[ValueKey(rule_id, field, value, row_path)] = "";
  }
}

}  // namespace

Status FsckChecker::CheckIndex() {
  std::vector<records::IndexRule> rules;
  NOKV_RETURN_IF_ERROR(
      ScanFamily(std::string(1, family::kRule), false, [&](const holt::Entry& row) {
        auto record = DecodeRuleRecord(row.value);  // a malformed one is CheckRecords' finding
        if (record.ok() && record->state == IndexRuleState::kReady) rules.push_back(record->rule);
        return Status::Ok();
      }));
  if (rules.empty()) return Status::Ok();
  // Every file reachable at the view, by path.
  std::vector<std::pair<std::string, InodeId>> files;
  std::vector<std::pair<InodeId, std::string>> dirs = {{kRootInode, "/"}};
  while (!dirs.empty()) {
    auto [dir, path] = dirs.back();
    dirs.pop_back();
    std::string after;
    for (;;) {
      NOKV_ASSIGN_OR_RETURN(auto page, meta_->ReadDir(dir, after, kDirPage, false, &at_));
      for (const auto& entry : page.entries) {
        std::string child = ChildPath(path, entry.name);
        if (entry.type == FileType::kDirectory) dirs.emplace_back(entry.inode, child);
        if (entry.type == FileType::kFile) files.emplace_back(std::move(child), entry.inode);
      }
      if (!page.more || page.entries.empty()) break;
      after = page.entries.back().name;
    }
  }
  for (const auto& rule : rules) NOKV_RETURN_IF_ERROR(CheckRule(rule, files));
  return Status::Ok();
}

Status FsckChecker::CheckRule(const records::IndexRule& rule,
                              const std::vector<std::pair<std::string, InodeId>>& files) {
  struct Stored {
    std::string value;
    uint64_t version = 0;
  };
  std::map<std::string, Stored> stored;
  bool bulk = false;
  for (const std::string& prefix :
       {RowPrefix(rule.id), ContributionRulePrefix(rule.id), ValueRulePrefix(rule.id)}) {
    NOKV_RETURN_IF_ERROR(ScanFamily(prefix, false, [&](const holt::Entry& row) {
      if (row.key[0] == family::kRow) {
        auto decoded = DecodeStoredRow(row.value);
        bulk |= decoded.ok() && decoded->source == kBulkSource;
      }
      stored[row.key] = Stored{row.value, row.seq};
      return Status::Ok();
    }));
  }
  scan_.report.index_rows += stored.size();
  std::map<std::string, std::string> expected;
  if (bulk) {
    for (const auto& [key, value] : stored) {
      std::string_view rule_id, row_path;
      if (key[0] != family::kRow || !ParseRowKey(key, &rule_id, &row_path)) continue;
      auto row = DecodeStoredRow(value.value);
      if (!row.ok()) continue;
      expected[key] = value.value;
      AddValueKeys(rule.id, std::string(row_path), *row, &expected);
    }
  } else {
    std::map<std::string, StoredRow> rows;
    std::map<std::string, std::map<std::string, StoredRow>> parts;  // row path -> file -> piece
    for (const auto& [path, inode] : files) {
      auto node = nodes_.find(inode);
      if (node == nodes_.end() || !records::RuleCovers(rule, path, nullptr)) continue;
      auto manifest = meta_->GetManifest(inode, node->second.attr.generation, &at_);
      auto pieces = meta_->ExtractBody({rule}, path, manifest.ok() ? &*manifest : nullptr);
      if (IsParentRule(rule)) {
        parts[ParentOf(path)][BaseOf(path)] = std::move(pieces.front());
      } else {
        rows[path] = std::move(pieces.front());
      }
    }
    for (const auto& [row_path, pieces] : parts) {
      std::vector<const records::Row*> combined;
      for (const auto& [name, piece] : pieces) {
        expected[ContributionKey(rule.id, row_path, name)] = EncodeStoredRow(piece);
        combined.push_back(&piece.row);
      }
      rows[row_path] = StoredRow{pieces.begin()->first, records::CombineRows(rule, combined)};
    }
    for (const auto& [row_path, row] : rows) {
      expected[RowKey(rule.id, row_path)] = EncodeStoredRow(row);
      AddValueKeys(rule.id, row_path, row, &expected);
    }
  }
  auto add = [&](FsckKind kind, const std::string& key, std::string detail) {
    Add(kind, "rule " + rule.id + " key " + FsckKeyText(key), std::move(detail));
    FsckIssue& issue = Last();
    if (bulk) {
      issue.fix = "left as is: bulk rows are not rebuilt from files; register them again";
      return;
    }
    issue.stage = FsckStage::kIndex;
    issue.rule_id = rule.id;
    issue.fix = "rebuilt the rows of rule " + rule.id;
  };
  for (const auto& [key, value] : stored) {
    auto want = expected.find(key);
    if (want == expected.end()) {
      add(FsckKind::kStaleIndexRow, key, "a rebuild would not write it");
    } else if (want->second != value.value) {
      add(FsckKind::kStaleIndexRow, key, "a rebuild would write a different value");
    }
  }
  for (const auto& [key, value] : expected) {
    if (!stored.contains(key)) add(FsckKind::kMissingIndexRow, key, "a rebuild would write it");
  }
  return Status::Ok();
}

}  // namespace nokv::meta
