// MetaService::Fsck: a check, and with repair the fixes of what it found, in
// stages (fsck_check.h): entries, orphans and stale manifests first; then a
// second check recounts and the counts (link and child counts, totals, block
// references) are set to what it counted; then index rules with wrong rows are
// rebuilt, leaked blocks left to one collector run, and a last check says
// what remains. Every fix is one commit guarded on the version its check
// read, so a concurrent change is never overwritten: the fix is dropped and
// the finding says so.
#include "meta/codec.h"
#include "meta/fsck_check.h"
#include "meta/guarded_commit.h"

namespace nokv::meta {
namespace {

constexpr std::string_view kLostAndFound = "/lost+found";

std::string FindingKey(const FsckFinding& f) {
  return std::string(FsckKindName(f.kind)) + '\0' + f.subject;
}

}  // namespace

Result<InodeId> MetaService::LostAndFound() {
  auto made = Mkdir(kLostAndFound);
  if (made.ok()) return made->inode;
  if (!made.status().Is(Code::kAlreadyExists)) return made.status();
  NOKV_ASSIGN_OR_RETURN(Attr attr, Stat(kLostAndFound));
  if (attr.type != FileType::kDirectory) {
    return Status::FailedPrecondition(std::string(kLostAndFound) + " is not a directory");
  }
  return attr.inode;
}

Status MetaService::FsckApply(FsckIssue& issue) {
  FsckFinding& finding = issue.finding;
  if (issue.orphan != 0) {
    NOKV_ASSIGN_OR_RETURN(InodeId dir, LostAndFound());
    std::string name = "#" + std::to_string(issue.orphan);
    uint64_t version = 0;
    auto attr = ReadAttr(issue.orphan, nullptr, &version);
    holt::Batch batch;
    batch.RequireVersion(issue.guard_key, issue.guard_version);
    batch.RequireNotExists(DentryKey(dir, name));
    if (attr.ok()) {
      Attr moved = *attr;
      moved.parent = dir;
      moved.name = name;
      batch.Put(DentryKey(dir, name), EncodeDentry(issue.orphan, moved.type));
      batch.Put(InodeKey(issue.orphan), EncodeAttr(moved));
    }
    auto committed = attr.ok() ? engine_->Commit(batch) : Result<uint64_t>(attr.status());
    finding.repaired = committed.ok();
    if (!committed.ok() && !committed.status().Is(Reason::kPredicateFailed) &&
        !committed.status().Is(Code::kNotFound)) {
      return committed.status();
    }
  } else if (issue.apply) {
    NOKV_ASSIGN_OR_RETURN(
        auto committed,
        CommitGuarded(engine_.get(),
                      {GuardedOp{issue.guard_key, issue.guard_version, issue.apply}}));
    finding.repaired = !committed.second.empty();
  } else {
    finding.repaired = true;  // nothing to write (the collector run does it)
  }
  finding.repair = finding.repaired ? issue.fix
                                    : "not repaired: " + FsckKeyText(issue.guard_key) +
                                          " changed since the check; run fsck again";
  return Status::Ok();
}

Result<FsckReport> MetaService::Fsck(const FsckOptions& options) {
  NOKV_ASSIGN_OR_RETURN(FsckScan first, FsckChecker(this, options).Run());
  FsckReport report = std::move(first.report);
  std::vector<FsckIssue>& issues = first.issues;
  if (options.repair) {
    FsckOptions recheck;  // what the fixes changed needs no block reads
    bool restructured = false;
    for (auto& issue : issues) {
      if (issue.stage != FsckStage::kStructure) continue;
      NOKV_RETURN_IF_ERROR(FsckApply(issue));
      restructured |= issue.finding.repaired;
    }
    // Counts are set from a check after the structural fixes; its findings
    // stand for the first check's, and what it alone saw is added.
    std::vector<FsckIssue> later;
    std::vector<size_t> stands_for;  // later[i] is issues[stands_for[i]] again (or SIZE_MAX)
    if (restructured) {
      NOKV_ASSIGN_OR_RETURN(FsckScan second, FsckChecker(this, recheck).Run());
      std::map<std::string, size_t> index;
      for (size_t i = 0; i < issues.size(); ++i) index[FindingKey(issues[i].finding)] = i;
      for (auto& issue : second.issues) {
        if (issue.stage != FsckStage::kCount && issue.stage != FsckStage::kIndex) continue;
        auto same = index.find(FindingKey(issue.finding));
        stands_for.push_back(same == index.end() ? SIZE_MAX : same->second);
        if (same != index.end()) issues[same->second].stage = FsckStage::kNone;
        later.push_back(std::move(issue));
      }
      for (auto& issue : issues) {
        if (issue.stage == FsckStage::kCount || issue.stage == FsckStage::kIndex) {
          issue.stage = FsckStage::kNone;
          issue.finding.repaired = true;
          issue.finding.repair = "resolved by the fixes above";
        }
      }
    }
    std::vector<FsckIssue*> rest;
    for (auto& issue : issues) rest.push_back(&issue);
    for (auto& issue : later) rest.push_back(&issue);
    std::map<std::string, std::pair<bool, std::string>> done;  // guard key or rule -> outcome
    bool leaked = false;
    for (FsckIssue* issue : rest) {
      if (issue->stage != FsckStage::kCount && issue->stage != FsckStage::kIndex) continue;
      std::string what =
          issue->stage == FsckStage::kIndex ? "rule\0" + issue->rule_id : issue->guard_key;
      if (auto it = done.find(what); !what.empty() && it != done.end()) {
        // One fix covers every finding about the same key (or rule).
        issue->finding.repaired = it->second.first;
        issue->finding.repair = it->second.second;
        continue;
      }
      if (issue->stage == FsckStage::kIndex) {
        Status s = Reindex(issue->rule_id);
        issue->finding.repaired = s.ok();
        issue->finding.repair = s.ok() ? issue->fix : "not repaired: " + s.ToString();
      } else {
        NOKV_RETURN_IF_ERROR(FsckApply(*issue));
        leaked |= issue->finding.kind == FsckKind::kLeakedBlock;
      }
      if (!what.empty()) done[what] = {issue->finding.repaired, issue->finding.repair};
    }
    if (leaked) NOKV_RETURN_IF_ERROR(CollectGarbage().status());
    for (auto& issue : issues) {
      if (issue.finding.repair.empty()) issue.finding.repair = issue.fix;
    }
    for (size_t i = 0; i < later.size(); ++i) {
      if (stands_for[i] != SIZE_MAX) {
        FsckFinding& first_seen = issues[stands_for[i]].finding;
        first_seen.repaired = later[i].finding.repaired;
        first_seen.repair = later[i].finding.repair;
        continue;
      }
      later[i].finding.detail = "after the fixes above: " + later[i].finding.detail;
      issues.push_back(std::move(later[i]));
    }
    NOKV_ASSIGN_OR_RETURN(FsckScan last, FsckChecker(this, recheck).Run());
    report.remaining = last.issues.size();
    // Damaged bytes are not read again; they stay damaged.
    for (const auto& issue : issues) {
      report.remaining += issue.finding.kind == FsckKind::kDamagedBlock ? 1 : 0;
    }
  }
  for (auto& issue : issues) report.findings.push_back(std::move(issue.finding));
  return report;
}

}  // namespace nokv::meta
