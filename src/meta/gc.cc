// Garbage collection: blocks whose reference count reached zero (once no
// snapshot or reader older than that can see them), orphaned uploads, watch
// retention, old dedupe records and expired snapshots.
//
// Deleting block objects follows a claim protocol so a concurrent publish of
// the same bytes is never left pointing at a deleted object. Per page of
// candidate blocks:
//   1. claim:   one commit; each block guarded on the version the run read,
//               set to claimed(owner = this run), a GC hint kept or added
//   2. delete the objects (one DeleteMany)
//   3. release: one commit; each block guarded on the claim's version, set to
//               collected(now), its hints replaced by one marker hint
// A publish that meets a claimed block retries later; one that meets a
// collected block revives it when its object exists again (the writer
// re-uploaded it) and otherwise reports it so the writer uploads again.
//
// Runs are single flight (gc_mu_). A claim whose owner is not the running
// collector was left by an interrupted run: it is re-claimed (guarded) and
// finished. Every claimed block has a hint, so the next run finds it.
//
// A dry run (PlanGarbage) walks the same passes with a plan attached: each
// pass counts what it would do into the plan and commits and deletes
// nothing; the orphan sweep's listing gives the sizes.
#include <random>
#include <set>

#include "common/coding.h"
#include "common/logging.h"
#include "meta/command.h"
#include "meta/event_reader.h"
#include "meta/guarded_commit.h"
#include "meta/path.h"
#include "meta/resolved.h"
#include "object/block.h"

namespace nokv::meta {
namespace {

constexpr size_t kPage = 1024;
constexpr int64_t kNanosPerSecond = 1'000'000'000;

int64_t Nanos(std::chrono::seconds s) { return static_cast<int64_t>(s.count()) * kNanosPerSecond; }

uint64_t NewRunId() {
  std::random_device entropy;
  uint64_t id = 0;
  while (id == 0) id = (uint64_t{entropy()} << 32) | entropy();
  return id;
}

// A block this run will delete.
struct Candidate {
  Digest digest{};
  uint64_t version = 0;            // of its `b` key as read (0: absent)
  std::vector<std::string> hints;  // hint keys to drop at release
  bool add_hint = false;           // no hint yet (an orphan): add one with the claim
  bool resumed = false;            // claimed by an interrupted run
};

// Claims, deletes and releases `candidates`; returns how many were deleted.
Result<uint64_t> CollectBlocks(holt::Engine* engine, object::ObjectStore* store,
                               const std::vector<Candidate>& candidates, uint64_t run_id,
                               int64_t now_ns) {
  if (candidates.empty()) return uint64_t{0};
  std::vector<GuardedOp> claims;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = candidates[i];
    std::string key = BlockRefKey(c.digest);
    claims.push_back(
        {key, c.version,
         [key, c, run_id](holt::Batch& b) {
           b.Put(key, EncodeBlockRef({run_id, BlockState::kClaimed}));
           if (c.add_hint) {
             b.Put(GcKey(0, c.digest), "", holt::Stamp{kGcKeySeqOffset, holt::kNoStamp});
           }
         },
         i});
  }
  NOKV_ASSIGN_OR_RETURN(auto claimed, CommitGuarded(engine, std::move(claims)));
  auto [claim_seq, tags] = std::move(claimed);
  if (tags.empty()) return uint64_t{0};  // every block was referenced again meanwhile

  std::vector<std::string> objects;
  for (size_t i : tags) objects.push_back(object::BlockKey(candidates[i].digest));
  // A failure leaves the claims (and their hints): the next run finishes them.
  NOKV_RETURN_IF_ERROR(store->DeleteMany(objects));

  std::vector<GuardedOp> releases;
  for (size_t i : tags) {
    const Candidate& c = candidates[i];
    std::string key = BlockRefKey(c.digest);
    auto seconds = static_cast<uint64_t>(now_ns / kNanosPerSecond);
    releases.push_back(
        {key, claim_seq,
         [key, c, seconds, claim_seq = claim_seq](holt::Batch& b) {
           b.Put(key, EncodeBlockRef({seconds, BlockState::kCollected}));
           for (const auto& hint : c.hints) b.Delete(hint);
           if (c.add_hint) b.Delete(GcKey(claim_seq, c.digest));
           // The marker hint: the collected marker is pruned
           // through it once no upload can still race it.
           b.Put(GcKey(0, c.digest), "", holt::Stamp{kGcKeySeqOffset, holt::kNoStamp});
         },
         i});
  }
  NOKV_ASSIGN_OR_RETURN(auto released, CommitGuarded(engine, std::move(releases)));
  if (released.second.size() != tags.size()) {
    return Status::Aborted("a claimed block changed before its release; another collector ran");
  }
  return static_cast<uint64_t>(tags.size());
}

}  // namespace

// One collection run, real or dry.
struct MetaService::GcRun {
  uint64_t id = 0;
  int64_t cutoff = 0;  // uploads before this time (ns) belong to no live upload
  GcReport report;
  // A dry run: what would be done is counted here, and nothing changes.
  GcPlan* plan = nullptr;
  // Dry run: the blocks that would go, the blocks each pin keeps (parallel
  // to plan->pins), the size of each of them (0 until listed), and the pin
  // of each snapshot or backup by its pin name.
  std::set<Digest> planned;
  std::vector<std::set<Digest>> pinned;
  std::map<Digest, uint64_t> sizes;
  std::map<std::string, size_t> pin_of;

  // Collects `candidates`, or in a dry run counts them.
  Result<uint64_t> Collect(MetaService* service, const std::vector<Candidate>& candidates) {
    if (plan == nullptr) {
      return CollectBlocks(service->engine_.get(), service->options_.store, candidates, id,
                           service->Now());
    }
    for (const Candidate& c : candidates) {
      planned.insert(c.digest);
      sizes.emplace(c.digest, 0);
    }
    plan->blocks += candidates.size();
    return uint64_t{candidates.size()};
  }
  void Pin(size_t pin, const Digest& digest) {
    pinned[pin].insert(digest);
    sizes.emplace(digest, 0);
  }
};

UploadLease::UploadLease(UploadLease&& other) noexcept
    : service_(std::exchange(other.service_, nullptr)), id_(std::exchange(other.id_, 0)) {}

UploadLease& UploadLease::operator=(UploadLease&& other) noexcept {
  if (this != &other) {
    Release();
    service_ = std::exchange(other.service_, nullptr);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

UploadLease::~UploadLease() { Release(); }

void UploadLease::Release() {
  if (service_ != nullptr) service_->EndUpload(id_);
  service_ = nullptr;
}

UploadLease MetaService::BeginUpload() {
  std::lock_guard lock(uploads_mu_);
  uint64_t id = next_upload_++;
  upload_starts_[id] = Now();
  return UploadLease(this, id);
}

void MetaService::EndUpload(uint64_t id) {
  std::lock_guard lock(uploads_mu_);
  upload_starts_.erase(id);
}

int64_t MetaService::OrphanCutoff() {
  int64_t start = Now();
  {
    std::lock_guard lock(uploads_mu_);
    for (const auto& [id, begun] : upload_starts_) start = std::min(start, begun);
  }
  // The grace period also absorbs clock skew between us and the store.
  return start - Nanos(options_.orphan_grace);
}

Status MetaService::ReviveCollectedBlocks(Command& cmd) {
  for (const Digest& digest : cmd.RaisedBlocks()) {
    std::string key = BlockRefKey(digest);
    auto current = engine_->Get(key);
    if (!current.ok()) continue;  // never referenced: live at count 0
    NOKV_ASSIGN_OR_RETURN(BlockRefValue value, DecodeBlockRef(current->bytes));
    // A claim no running collector owns was left by an interrupted run: the
    // object may or may not be gone, as with a collected block.
    bool abandoned = value.state == BlockState::kClaimed && value.count != gc_run_.load();
    if (value.state != BlockState::kCollected && !abandoned) continue;
    // The object was deleted before the marker was written (or is being
    // deleted by nobody); if it exists now, it stays: only a claim by a
    // running collector deletes objects, and that claim changes the `b`
    // version, which the guard then catches.
    auto head = options_.store ? options_.store->Head(object::BlockKey(digest))
                               : Result<object::ObjectInfo>(Status::NotFound("no store"));
    if (!head.ok()) {
      if (!head.status().Is(Code::kNotFound)) return head.status();
      return Status(Code::kAborted,
                    "block " + DigestHex(digest) + " was collected; upload it again",
                    Reason::kBlockCollected);
    }
    cmd.Guard(key, current->seq);
    cmd.Revive(digest);
  }
  return Status::Ok();
}

Status MetaService::RunGc(GcRun& run) {
  // Expired snapshots first: they may be what holds blocks back.
  NOKV_RETURN_IF_ERROR(RetireExpiredSnapshots(run));
  if (options_.store != nullptr) {
    run.cutoff = OrphanCutoff();
    std::map<Digest, uint64_t> held;
    NOKV_RETURN_IF_ERROR(CollectHintedBlocks(run, &held));
    NOKV_RETURN_IF_ERROR(CollectOutsideSnapshots(run, held));
    NOKV_RETURN_IF_ERROR(SweepOrphans(run));
  }
  return PruneHistory(run);
}

Result<GcReport> MetaService::CollectGarbage() {
  std::lock_guard lock(gc_mu_);
  GcRun run;
  run.id = NewRunId();
  gc_run_.store(run.id);
  struct EndRun {
    std::atomic<uint64_t>* run;
    ~EndRun() { run->store(0); }
  } end_run{&gc_run_};
  NOKV_RETURN_IF_ERROR(RunGc(run));
  return run.report;
}

Result<GcPlan> MetaService::PlanGarbage() {
  std::lock_guard lock(gc_mu_);  // a running collection's claims are not ours to count
  GcPlan plan;
  plan.orphan_grace_ns = Nanos(options_.orphan_grace);
  GcRun run;
  run.plan = &plan;
  // The pins: open readers, then every snapshot not about to expire, then every backup.
  plan.pins.push_back({"readers", "", 0, 0, 0});
  int64_t now = Now();
  NOKV_ASSIGN_OR_RETURN(auto snapshots, ListSnapshots());
  for (const auto& s : snapshots) {
    if (s.expires_ns != 0 && s.expires_ns <= now) continue;
    run.pin_of[s.name] = plan.pins.size();
    plan.pins.push_back({"snapshot", s.name, s.seq, 0, 0});
  }
  NOKV_ASSIGN_OR_RETURN(auto backups, ListBackups());
  for (const auto& b : backups) {
    run.pin_of[BackupPinName(b.id)] = plan.pins.size();
    plan.pins.push_back({"backup", b.id, b.seq, 0, 0});
  }
  run.pinned.resize(plan.pins.size());
  NOKV_RETURN_IF_ERROR(RunGc(run));
  for (const Digest& digest : run.planned) plan.block_bytes += run.sizes[digest];
  for (size_t i = 0; i < plan.pins.size(); ++i) {
    plan.pins[i].blocks = run.pinned[i].size();
    for (const Digest& digest : run.pinned[i]) plan.pins[i].bytes += run.sizes[digest];
  }
  return plan;
}

Result<GcReport> MetaService::ExpireAndPrune() {
  std::lock_guard lock(gc_mu_);
  GcRun run;
  NOKV_RETURN_IF_ERROR(RetireExpiredSnapshots(run));
  NOKV_RETURN_IF_ERROR(PruneHistory(run));
  return run.report;
}

// A snapshot retired meanwhile (by its owner) is not counted.
Status MetaService::RetireExpiredSnapshots(GcRun& run) {
  int64_t now = Now();
  NOKV_ASSIGN_OR_RETURN(auto snapshots, ListSnapshots());
  for (const auto& s : snapshots) {
    if (s.expires_ns == 0 || s.expires_ns > now) continue;
    if (run.plan != nullptr) {
      run.plan->snapshots_expiring.push_back(s.name);
    } else if (RetireSnapshot(s.name).ok()) {
      run.report.snapshots_expired++;
    }
  }
  return Status::Ok();
}

// One pass over the GC hints, a page at a time. Unreferenced blocks no pin
// can read are collected; claims of interrupted runs are finished; stale
// hints and old collected markers are dropped. Unreferenced blocks that only
// snapshots may still read go to *held (digest -> version of the `b` key).
Status MetaService::CollectHintedBlocks(GcRun& run, std::map<Digest, uint64_t>* held) {
  GcReport* report = &run.report;
  const uint64_t oldest = engine_->OldestPin();
  const uint64_t oldest_reader = engine_->OldestReaderPin();
  holt::ScanOptions scan;
  scan.prefix = std::string(1, family::kGc);
  scan.keys_only = true;
  scan.limit = kPage;
  for (;;) {
    NOKV_ASSIGN_OR_RETURN(auto hints, engine_->Scan(scan));
    std::map<Digest, std::vector<std::pair<uint64_t, std::string>>> by_block;
    for (const auto& hint : hints) {
      uint64_t seq = 0;
      Digest digest{};
      if (ParseGcKey(hint.key, &seq, &digest)) by_block[digest].emplace_back(seq, hint.key);
    }
    std::vector<Candidate> candidates;
    std::vector<GuardedOp> cleanup;  // stale hints and prunable markers
    for (const auto& [digest, hinted] : by_block) {
      std::vector<std::string> keys;
      for (const auto& [seq, key] : hinted) keys.push_back(key);
      std::string key = BlockRefKey(digest);
      auto current = engine_->Get(key);
      BlockRefValue value;
      if (current.ok()) {
        NOKV_ASSIGN_OR_RETURN(value, DecodeBlockRef(current->bytes));
      }
      bool unreferenced = current.ok() && value.state == BlockState::kLive && value.count == 0;
      if (current.ok() && value.state == BlockState::kClaimed) {
        report->claims_resumed++;
        candidates.push_back(Candidate{digest, current->seq, keys, false, true});
      } else if (unreferenced && current->seq <= oldest) {
        candidates.push_back(Candidate{digest, current->seq, keys, false, false});
      } else if (unreferenced && oldest_reader < current->seq) {
        // A reader older than the last decrement may still read the block.
        report->blocks_waiting_for_snapshots++;
        if (run.plan != nullptr) run.Pin(0, digest);
      } else if (unreferenced) {
        (*held)[digest] = current->seq;  // only snapshots are older: check their scope
      } else if (current.ok() && value.state == BlockState::kCollected) {
        if (static_cast<int64_t>(value.count) * kNanosPerSecond >= run.cutoff) continue;
        // No upload can still race this collection: forget the marker.
        cleanup.push_back({key, current->seq, [key, keys](holt::Batch& b) {
                             b.Delete(key);
                             for (const auto& k : keys) b.Delete(k);
                           }});
        report->collected_markers_pruned++;
      } else {
        // Referenced again (or gone). A hint newer than some pin still says
        // which inode dropped the block, which a snapshot's scope check needs.
        std::vector<std::string> stale;
        for (const auto& [seq, hint_key] : hinted) {
          if (!current.ok() || seq <= oldest) stale.push_back(hint_key);
        }
        report->stale_hints_dropped += stale.size();
        if (!stale.empty()) {
          cleanup.push_back({"", 0, [stale](holt::Batch& b) {
                               for (const auto& k : stale) b.Delete(k);
                             }});
        }
      }
    }
    if (run.plan == nullptr) {
      NOKV_RETURN_IF_ERROR(CommitGuarded(engine_.get(), std::move(cleanup)).status());
    }
    NOKV_ASSIGN_OR_RETURN(uint64_t deleted, run.Collect(this, candidates));
    report->blocks_deleted += deleted;
    if (hints.size() < scan.limit) break;
    scan.start_after = hints.back().key;
  }
  return Status::Ok();
}

// Snapshots pin a subtree, backups the whole namespace. An unreferenced
// block last changed at S is needed by a snapshot or backup at P < S only if
// a manifest that referenced it at P belonged to a file under its root;
// those manifests were all dropped after P, each drop leaving a hint naming
// its inode. A block none of them needs is collected; the others keep
// waiting.
Status MetaService::CollectOutsideSnapshots(GcRun& run, const std::map<Digest, uint64_t>& held) {
  GcReport* report = &run.report;
  if (held.empty()) return Status::Ok();
  NOKV_ASSIGN_OR_RETURN(auto listed, ListSnapshots());
  std::vector<Snapshot> snapshots;
  std::vector<ReadContext> views;
  for (const auto& s : listed) {
    // A dry run leaves the expired snapshots out: a real run retires them first.
    if (run.plan != nullptr && !run.pin_of.contains(s.name)) continue;
    snapshots.push_back(s);
    auto view = AtSnapshot(s.name);
    if (!view.ok()) {  // retired meanwhile: the run after this one sees it gone
      report->blocks_waiting_for_snapshots += held.size();
      return Status::Ok();
    }
    views.push_back(std::move(view).value());
  }
  NOKV_ASSIGN_OR_RETURN(auto backups, ListBackups());
  for (const auto& b : backups) {
    if (run.plan != nullptr && !run.pin_of.contains(BackupPinName(b.id))) continue;  // new
    auto view = AtBackup(b.id);
    if (!view.ok()) {  // dropped meanwhile
      report->blocks_waiting_for_snapshots += held.size();
      return Status::Ok();
    }
    views.push_back(std::move(view).value());
    snapshots.push_back(Snapshot{BackupPinName(b.id), "/", b.seq, b.created_ns, 0});
  }
  // Who dropped each held block, and when.
  std::map<Digest, std::vector<std::pair<uint64_t, InodeId>>> drops;
  std::set<Digest> unknown;  // a hint that names no inode
  holt::ScanOptions scan;
  scan.prefix = std::string(1, family::kGc);
  scan.limit = kPage;
  for (;;) {
    NOKV_ASSIGN_OR_RETURN(auto hints, engine_->Scan(scan));
    for (const auto& hint : hints) {
      uint64_t seq = 0;
      Digest digest{};
      if (!ParseGcKey(hint.key, &seq, &digest) || !held.contains(digest)) continue;
      auto inodes = DecodeGcHint(hint.value);
      if (!inodes.ok() || inodes->empty()) unknown.insert(digest);
      for (InodeId inode : inodes.value_or(std::vector<InodeId>{})) {
        drops[digest].emplace_back(seq, inode);
      }
    }
    if (hints.size() < scan.limit) break;
    scan.start_after = hints.back().key;
  }
  // Whether `inode` was a file under the root of snapshot `i` at its sequence.
  auto inside = [&](size_t i, InodeId inode) {
    auto attr = ReadAttr(inode, views[i].view());
    if (!attr.ok()) return false;      // did not exist then: no manifest to read
    if (attr->nlink > 1) return true;  // another link may be under the root
    auto path = PathOf(inode, &views[i]);
    return !path.ok() || PathIsUnder(*path, snapshots[i].root);
  };
  // Whether snapshot `i` may read the block `digest` last changed at `version`.
  auto needs = [&](size_t i, const Digest& digest, uint64_t version) {
    if (snapshots[i].seq >= version) return false;  // sees the block unreferenced
    for (const auto& [seq, inode] : drops[digest]) {
      if (seq > snapshots[i].seq && inside(i, inode)) return true;
    }
    return false;
  };
  std::vector<Candidate> candidates;
  for (const auto& [digest, version] : held) {
    bool needed = unknown.contains(digest);
    // A dry run asks every pin, to say which ones keep the block.
    for (size_t i = 0; i < snapshots.size() && (!needed || run.plan != nullptr); ++i) {
      if (!needs(i, digest, version)) continue;
      needed = true;
      if (run.plan != nullptr) run.Pin(run.pin_of.at(snapshots[i].name), digest);
    }
    if (needed) {
      report->blocks_waiting_for_snapshots++;
      continue;
    }
    candidates.push_back(Candidate{digest, version, {}, false, false});
    if (candidates.size() == kPage) {
      NOKV_ASSIGN_OR_RETURN(uint64_t deleted, run.Collect(this, candidates));
      report->blocks_deleted += deleted;
      candidates.clear();
    }
  }
  NOKV_ASSIGN_OR_RETURN(uint64_t deleted, run.Collect(this, candidates));
  report->blocks_deleted += deleted;
  return Status::Ok();
}

// Objects under blocks/ that no manifest ever referenced (no `b` key), or
// that were uploaded again after their block was collected and never
// revived, are leftovers of writers that died before their publish. They are
// collected once uploaded before the cutoff: older than the grace period and
// older than every live upload.
Status MetaService::SweepOrphans(GcRun& run) {
  object::ListOptions list;
  list.prefix = "blocks/";
  list.limit = kPage;
  for (;;) {
    NOKV_ASSIGN_OR_RETURN(auto listed, options_.store->List(list));
    std::vector<Candidate> page;
    for (const auto& object : listed.objects) {
      Digest digest{};
      if (!object::ParseBlockKey(object.key, &digest)) continue;
      GcPlan* plan = run.plan;
      if (plan != nullptr) {
        if (auto counted = run.sizes.find(digest); counted != run.sizes.end()) {
          counted->second = object.size;
        }
      }
      bool young = object.last_modified_ns == 0 || object.last_modified_ns >= run.cutoff;
      if (young && plan == nullptr) continue;
      auto current = engine_->Get(BlockRefKey(digest));
      if (current.ok()) {
        NOKV_ASSIGN_OR_RETURN(BlockRefValue value, DecodeBlockRef(current->bytes));
        // Live blocks are referenced (or hinted); claimed ones are resumed
        // through their hints.
        if (value.state != BlockState::kCollected) continue;
      }
      if (plan == nullptr) {
        page.push_back(Candidate{digest, current.ok() ? current->seq : 0, {}, true, false});
      } else if (young) {
        plan->young_orphans++;
        plan->young_orphan_bytes += object.size;
      } else {
        plan->orphans++;
        plan->orphan_bytes += object.size;
      }
    }
    NOKV_ASSIGN_OR_RETURN(uint64_t deleted, run.Collect(this, page));
    run.report.orphans_deleted += deleted;
    if (!listed.truncated || listed.objects.empty()) break;
    list.start_after = listed.objects.back().key;
  }
  return Status::Ok();
}

Status MetaService::PruneHistory(GcRun& run) {
  GcReport* report = &run.report;
  int64_t now = Now();
  // Watch events beyond the count or age bound, oldest first.
  uint64_t total = engine_->CountPrefix(std::string(1, family::kWatch));
  holt::ScanOptions scan;
  scan.prefix = std::string(1, family::kWatch);
  scan.limit = kPage;
  std::string floor;        // WatchKey of the newest pruned event
  uint64_t pruned_seq = 0;  // commit of the newest pruned event
  EventReader reader(engine_.get());
  for (bool more = true; more;) {
    NOKV_ASSIGN_OR_RETURN(auto rows, engine_->Scan(scan));
    holt::Batch batch;
    for (const auto& row : rows) {
      uint64_t seq = 0;
      uint32_t ordinal = 0;
      if (!ParseWatchKey(row.key, &seq, &ordinal)) continue;
      auto event = reader.Decode(seq, ordinal, row.value);
      bool too_many = total > options_.watch_retention_events;
      bool too_old = event.ok() && now - event->time_ns > Nanos(options_.watch_retention_age);
      // A commit goes whole: its later events store their paths relative to earlier ones.
      bool same_commit = pruned_seq != 0 && seq == pruned_seq;
      if (!too_many && !too_old && !same_commit) {
        more = false;
        break;
      }
      batch.Delete(row.key);
      total--;
      floor = row.key;
      pruned_seq = seq;
      report->events_pruned++;
    }
    if (!floor.empty()) batch.Put(kWatchFloorKey, floor);
    if (!batch.empty() && run.plan == nullptr) {
      NOKV_RETURN_IF_ERROR(engine_->Commit(batch).status());
    }
    if (rows.size() < scan.limit) break;
    scan.start_after = rows.back().key;
  }
  // Dedupe records older than their retention, a page per commit.
  holt::ScanOptions dedupe;
  dedupe.prefix = std::string(1, family::kDedupe);
  dedupe.limit = kPage;
  for (;;) {
    NOKV_ASSIGN_OR_RETURN(auto records, engine_->Scan(dedupe));
    holt::Batch batch;
    for (const auto& row : records) {
      auto value = DecodeDedupe(row.value);
      if (!value.ok() || now - value->created_ns > Nanos(options_.dedupe_retention)) {
        batch.Delete(row.key);
        report->dedupe_pruned++;
      }
    }
    if (!batch.empty() && run.plan == nullptr) {
      NOKV_RETURN_IF_ERROR(engine_->Commit(batch).status());
    }
    if (records.size() < dedupe.limit) break;
    dedupe.start_after = records.back().key;
  }
  if (run.plan != nullptr) {
    run.plan->events = report->events_pruned;
    run.plan->dedupe = report->dedupe_pruned;
  }
  return Status::Ok();
}

}  // namespace nokv::meta
