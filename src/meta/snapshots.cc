// Snapshots: a durable Holt pin plus an `s` record naming the pinned
// subtree, created and retired in one commit each.
#include "meta/command.h"
#include "meta/path.h"
#include "meta/resolved.h"
#include "records/rule.h"

namespace nokv::meta {

Result<Snapshot> MetaService::CreateSnapshot(std::string_view name, std::string_view root,
                                             int64_t expires_ns) {
  NOKV_RETURN_IF_ERROR(records::ValidateId(name, "snapshot name"));
  NOKV_ASSIGN_OR_RETURN(std::string normalized, NormalizePath(root));
  Snapshot snapshot;
  uint64_t seq = 0;
  NOKV_RETURN_IF_ERROR(Run(
      [&](Command& cmd) -> Status {
        if (engine_->Get(SnapshotKey(name)).ok()) {
          return Status::AlreadyExists("snapshot '" + std::string(name) + "' exists");
        }
        NOKV_ASSIGN_OR_RETURN(Resolved r, ResolveFull(normalized, nullptr));
        for (const auto& [key, version] : r.chain) cmd.Guard(key, version);
        snapshot = Snapshot{std::string(name), normalized, 0, cmd.now(), expires_ns};
        cmd.batch().RequireNotExists(SnapshotKey(name));
        // The pin and the record carry the commit's own sequence.
        cmd.batch().Put(SnapshotKey(name), EncodeSnapshot(snapshot),
                        holt::Stamp{holt::kNoStamp, 1});
        cmd.batch().Pin(SnapshotPinName(name));
        cmd.Event(EventType::kSnapshot, normalized, r.inode, r.attr.type, {}, name);
        return Status::Ok();
      },
      {}, &seq));
  snapshot.seq = seq;
  return snapshot;
}

Result<std::vector<Snapshot>> MetaService::ListSnapshots() {
  holt::ScanOptions scan;
  scan.prefix = std::string(1, family::kSnapshot);
  scan.limit = SIZE_MAX;
  NOKV_ASSIGN_OR_RETURN(auto rows, engine_->Scan(scan));
  std::vector<Snapshot> out;
  for (const auto& row : rows) {
    NOKV_ASSIGN_OR_RETURN(Snapshot s, DecodeSnapshot(row.key.substr(1), row.value));
    out.push_back(std::move(s));
  }
  return out;
}

Status MetaService::RetireSnapshot(std::string_view name) {
  return Run(
      [&](Command& cmd) -> Status {
        auto value = engine_->Get(SnapshotKey(name));
        if (!value.ok()) return Status::NotFound("no snapshot named '" + std::string(name) + "'");
        NOKV_ASSIGN_OR_RETURN(Snapshot s, DecodeSnapshot(name, value->bytes));
        cmd.Guard(SnapshotKey(name), value->seq);
        cmd.batch().Delete(SnapshotKey(name));
        cmd.batch().Unpin(SnapshotPinName(name));
        cmd.Event(EventType::kSnapshot, s.root, 0, FileType::kDirectory, {}, name);
        return Status::Ok();
      },
      {});
}

Result<Snapshot> MetaService::RenewSnapshot(std::string_view name, int64_t expires_ns) {
  Snapshot renewed;
  NOKV_RETURN_IF_ERROR(Run(
      [&](Command& cmd) -> Status {
        auto value = engine_->Get(SnapshotKey(name));
        if (!value.ok()) return Status::NotFound("no snapshot named '" + std::string(name) + "'");
        NOKV_ASSIGN_OR_RETURN(renewed, DecodeSnapshot(name, value->bytes));
        renewed.expires_ns = expires_ns;
        cmd.Guard(SnapshotKey(name), value->seq);
        cmd.batch().Put(SnapshotKey(name), EncodeSnapshot(renewed));
        return Status::Ok();
      },
      {}));
  return renewed;
}

}  // namespace nokv::meta
