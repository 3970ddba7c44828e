// Garbage collection: blocks whose reference count reached zero (once no
// snapshot or reader older than that can see them), orphaned uploads, watch
// retention, old dedupe records and expired snapshots.
//
// Deleting a block object follows a claim protocol so a concurrent publish of
// the same bytes is never left pointing at a deleted object:
//   1. claim:   count still 0 and live  ->  state claimed   (one commit)
//   2. delete the object
//   3. release: state collected, GC hint removed            (one commit)
// A publish that meets a claimed block retries later; one that meets a
// collected block re-uploads the bytes and revives it (meta/merge.h).
#include "common/coding.h"
#include "common/logging.h"
#include "meta/command.h"
#include "meta/resolved.h"
#include "object/block.h"

namespace nokv::meta {
namespace {

constexpr size_t kPage = 1024;

int64_t Seconds(std::chrono::seconds s) { return static_cast<int64_t>(s.count()) * 1'000'000'000; }

}  // namespace

enum class Collected { kDeleted, kKept, kWaiting };

// Deletes the object of `digest` under the claim protocol. `hint` is the GC
// key to drop on success (may be empty). A block whose reference count last
// changed after `oldest_pin` may still be read by that pin: kWaiting.
static Result<Collected> CollectBlock(holt::Engine* engine, object::ObjectStore* store,
                                      const Digest& digest, std::string_view hint,
                                      uint64_t oldest_pin, int64_t now_s) {
  std::string key = BlockRefKey(digest);
  auto current = engine->Get(key);
  BlockRefValue value;
  if (current.ok()) {
    NOKV_ASSIGN_OR_RETURN(value, DecodeBlockRef(current->bytes));
    if (value.count == 0 && value.state == BlockState::kLive && current->seq > oldest_pin) {
      return Collected::kWaiting;
    }
  }
  if (current.ok() && (value.count > 0 || value.state == BlockState::kCollected)) {
    if (!hint.empty()) {  // referenced again (or done): the hint is stale
      holt::Batch drop;
      drop.Delete(hint);
      NOKV_RETURN_IF_ERROR(engine->Commit(drop).status());
    }
    return Collected::kKept;
  }
  if (!current.ok() || value.state == BlockState::kLive) {
    holt::Batch claim;
    claim.RequireVersion(key, current.ok() ? current->seq : 0);
    claim.Put(key, EncodeBlockRef({0, BlockState::kClaimed}));
    auto claimed = engine->Commit(claim);
    if (!claimed.ok()) {
      if (claimed.status().Is(Reason::kPredicateFailed)) return Collected::kKept;  // raced
      return claimed.status();
    }
  }
  NOKV_RETURN_IF_ERROR(store->Delete(object::BlockKey(digest)));
  holt::Batch release;
  release.Put(key, EncodeBlockRef({static_cast<uint64_t>(now_s), BlockState::kCollected}));
  if (!hint.empty()) release.Delete(hint);
  NOKV_RETURN_IF_ERROR(engine->Commit(release).status());
  return Collected::kDeleted;
}

Result<GcReport> MetaService::CollectGarbage() {
  GcReport report;
  int64_t now = Now();
  // Expired snapshots first: they may be what holds blocks back.
  NOKV_ASSIGN_OR_RETURN(auto snapshots, ListSnapshots());
  for (const auto& s : snapshots) {
    if (s.expires_ns != 0 && s.expires_ns <= now && RetireSnapshot(s.name).ok()) {
      report.snapshots_expired++;
    }
  }
  if (options_.store != nullptr) {
    uint64_t oldest = engine_->OldestPin();
    holt::ScanOptions scan;
    scan.prefix = std::string(1, family::kGc);
    scan.keys_only = true;
    scan.limit = kPage;
    for (;;) {
      NOKV_ASSIGN_OR_RETURN(auto hints, engine_->Scan(scan));
      for (const auto& hint : hints) {
        uint64_t seq = 0;
        Digest digest{};
        if (!ParseGcKey(hint.key, &seq, &digest)) continue;
        // A pin older than the release could still read the block.
        if (oldest < seq) {
          report.blocks_waiting_for_snapshots++;
          continue;
        }
        NOKV_ASSIGN_OR_RETURN(Collected outcome,
                              CollectBlock(engine_.get(), options_.store, digest, hint.key, oldest,
                                           now / 1'000'000'000));
        report.blocks_deleted += outcome == Collected::kDeleted;
        report.blocks_waiting_for_snapshots += outcome == Collected::kWaiting;
      }
      if (hints.size() < scan.limit) break;
      scan.start_after = hints.back().key;
    }
    NOKV_RETURN_IF_ERROR(SweepOrphans(&report));
  }
  NOKV_RETURN_IF_ERROR(PruneHistory(&report));
  return report;
}

Status MetaService::SweepOrphans(GcReport* report) {
  int64_t now = Now();
  object::ListOptions list;
  list.prefix = "blocks/";
  list.limit = kPage;
  std::map<std::string, int64_t> still_orphaned;
  for (;;) {
    NOKV_ASSIGN_OR_RETURN(auto page, options_.store->List(list));
    for (const auto& object : page.objects) {
      Digest digest{};
      if (!object::ParseBlockKey(object.key, &digest)) continue;
      if (engine_->Get(BlockRefKey(digest)).ok()) continue;  // referenced or being handled
      int64_t first_seen = now;
      {
        std::lock_guard lock(orphan_mu_);
        if (auto it = orphan_first_seen_.find(object.key); it != orphan_first_seen_.end()) {
          first_seen = it->second;
        }
      }
      if (now - first_seen >= Seconds(options_.orphan_grace)) {
        NOKV_ASSIGN_OR_RETURN(Collected outcome,
                              CollectBlock(engine_.get(), options_.store, digest, "",
                                           engine_->OldestPin(), now / 1'000'000'000));
        report->orphans_deleted += outcome == Collected::kDeleted;
      } else {
        still_orphaned[object.key] = first_seen;
      }
    }
    if (!page.truncated || page.objects.empty()) break;
    list.start_after = page.objects.back().key;
  }
  std::lock_guard lock(orphan_mu_);
  orphan_first_seen_ = std::move(still_orphaned);
  return Status::Ok();
}

Status MetaService::PruneHistory(GcReport* report) {
  int64_t now = Now();
  // Watch events beyond the count or age bound, oldest first.
  uint64_t total = engine_->CountPrefix(std::string(1, family::kWatch));
  holt::ScanOptions scan;
  scan.prefix = std::string(1, family::kWatch);
  scan.limit = kPage;
  std::string floor;  // WatchKey of the newest pruned event
  for (bool more = true; more;) {
    NOKV_ASSIGN_OR_RETURN(auto rows, engine_->Scan(scan));
    holt::Batch batch;
    for (const auto& row : rows) {
      uint64_t seq = 0;
      uint32_t ordinal = 0;
      if (!ParseWatchKey(row.key, &seq, &ordinal)) continue;
      auto event = DecodeEvent(seq, ordinal, row.value);
      bool too_many = total > options_.watch_retention_events;
      bool too_old = event.ok() && now - event->time_ns > Seconds(options_.watch_retention_age);
      if (!too_many && !too_old) {
        more = false;
        break;
      }
      batch.Delete(row.key);
      total--;
      floor = row.key;
      report->events_pruned++;
    }
    if (!floor.empty()) batch.Put(kWatchFloorKey, floor);
    if (!batch.empty()) NOKV_RETURN_IF_ERROR(engine_->Commit(batch).status());
    if (rows.size() < scan.limit) break;
    scan.start_after = rows.back().key;
  }
  // Dedupe records older than their retention.
  holt::ScanOptions dedupe;
  dedupe.prefix = std::string(1, family::kDedupe);
  dedupe.limit = SIZE_MAX;
  NOKV_ASSIGN_OR_RETURN(auto records, engine_->Scan(dedupe));
  holt::Batch batch;
  for (const auto& row : records) {
    auto value = DecodeDedupe(row.value);
    if (!value.ok() || now - value->created_ns > Seconds(options_.dedupe_retention)) {
      batch.Delete(row.key);
      report->dedupe_pruned++;
    }
  }
  if (!batch.empty()) NOKV_RETURN_IF_ERROR(engine_->Commit(batch).status());
  return Status::Ok();
}

}  // namespace nokv::meta
