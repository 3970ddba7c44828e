// FsckChecker: one consistency check of the metadata at one pinned view
// (docs/fsck.md). It reads every inode, entry, manifest, block reference,
// index key, watch event and snapshot record at that view, counts what the
// keys say should be, lists the object store once, and turns every
// difference into an FsckIssue: the typed finding plus, when it can be fixed
// without losing data, how (a write guarded on the version the check read).
// MetaService::Fsck (fsck_repair.cc) applies the fixes.
//
// Internal to src/meta. One checker per check, one thread; the service must
// outlive it.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "holt/batch.h"
#include "meta/fsck.h"
#include "meta/meta_service.h"

namespace nokv::meta {

// When an issue can be fixed, in repair order: entries and orphans first (a
// check after them recounts), then counts, then index rules (rebuilt).
enum class FsckStage : uint8_t { kNone, kStructure, kCount, kIndex };

struct FsckIssue {
  FsckFinding finding;
  FsckStage stage = FsckStage::kNone;
  std::string guard_key;  // the key whose version the fix is guarded on
  uint64_t guard_version = 0;
  std::function<void(holt::Batch&)> apply;  // kStructure and kCount
  InodeId orphan = 0;                       // an orphan to reattach under /lost+found
  std::string rule_id;                      // kIndex: the rule to rebuild
  std::string fix;                          // what the fix does, for the report
};

// A key for a message: printable bytes as they are, the others as \xNN.
std::string FsckKeyText(std::string_view key);

struct FsckScan {
  FsckReport report;  // counters; findings are in `issues`
  std::vector<FsckIssue> issues;
};

class FsckChecker {
 public:
  FsckChecker(MetaService* meta, const FsckOptions& options);
  Result<FsckScan> Run();

 private:
  struct Node {
    Attr attr;
    uint64_t version = 0;      // of the `i` key
    uint64_t links = 0;        // entries naming it
    uint64_t entries = 0;      // directories: entries in it
    uint64_t subdirs = 0;      // directories: entries that are directories
    InodeId entry_parent = 0;  // the first entry naming it
    std::string entry_name;
  };
  struct BlockUse {
    uint64_t refs = 0;    // references from current manifests
    uint64_t length = 0;  // as the first manifest says
  };
  struct StoredObject {
    uint64_t size = 0;
    int64_t last_modified_ns = 0;
  };

  void Add(FsckKind kind, std::string subject, std::string detail);
  FsckIssue& Last() { return scan_.issues.back(); }
  std::string PathOf(InodeId inode);
  // Calls `fn` for every key starting with `prefix` at the checked view.
  Status ScanFamily(std::string prefix, bool keys_only,
                    const std::function<Status(const holt::Entry&)>& fn);
  Status CheckInodes();
  Status CheckEntries();
  void CheckLinks();
  void CheckTotals();
  Status CheckManifests();
  Status CheckBlock(const object::BodyLayout& layout, size_t index, size_t chunk_index);
  Status CheckBlockRefs();
  void AddRefcountFix(const Digest& digest, uint64_t version, uint64_t count, uint64_t refs);
  Status CheckLeaks();
  Status AddAffectedFiles();
  Status CheckRecords();
  Status CheckIndex();  // fsck_index.cc
  Status CheckRule(const records::IndexRule& rule,
                   const std::vector<std::pair<std::string, InodeId>>& files);
  void Pace(uint64_t bytes);

  MetaService* meta_;
  holt::Engine* engine_;
  FsckOptions options_;
  ReadContext at_;
  FsckScan scan_;
  std::map<InodeId, Node> nodes_;
  std::map<Digest, BlockUse> blocks_;
  std::map<Digest, StoredObject> objects_;
  std::set<Digest> hinted_;             // blocks with a GC hint
  std::map<Digest, size_t> bad_issue_;  // missing or damaged block -> its issue
  bool listed_ = false;                 // objects_ holds the store's listing
  std::chrono::steady_clock::time_point pace_start_;
  uint64_t paced_bytes_ = 0;
};

}  // namespace nokv::meta
