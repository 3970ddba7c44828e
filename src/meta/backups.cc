// Backups: a durable Holt pin plus a `k` record naming where the image went,
// created and dropped in one commit each. The pin keeps the namespace's
// state at the backup readable, so GC treats a backup as a snapshot of `/`.
#include "meta/command.h"
#include "meta/resolved.h"
#include "records/rule.h"

namespace nokv::meta {

Status MetaService::InstallImage(const std::string& image, const std::string& dir) {
  return holt::InstallImage(Env::Default(), image, dir);
}

Result<BackupRecord> MetaService::BeginBackup(std::string_view id, std::string_view location) {
  NOKV_RETURN_IF_ERROR(records::ValidateId(id, "backup id"));
  BackupRecord backup;
  uint64_t seq = 0;
  NOKV_RETURN_IF_ERROR(Run(
      [&](Command& cmd) -> Status {
        if (engine_->Get(BackupKey(id)).ok()) {
          return Status::AlreadyExists("backup '" + std::string(id) + "' exists");
        }
        backup = BackupRecord{std::string(id), 0, cmd.now(), std::string(location)};
        cmd.batch().RequireNotExists(BackupKey(id));
        // The pin and the record carry the commit's own sequence.
        cmd.batch().Put(BackupKey(id), EncodeBackup(backup), holt::Stamp{holt::kNoStamp, 1});
        cmd.batch().Pin(BackupPinName(id));
        return Status::Ok();
      },
      {}, &seq));
  backup.seq = seq;
  return backup;
}

Result<ReadContext> MetaService::AtBackup(std::string_view id) {
  auto view = engine_->PinDurable(BackupPinName(id));
  if (!view.ok()) return Status::NotFound("no backup named '" + std::string(id) + "'");
  ReadContext ctx;
  ctx.view_ = std::move(view).value();
  return ctx;
}

Result<holt::ImageInfo> MetaService::ExportBackupImage(std::string_view id, WritableFile* out) {
  NOKV_ASSIGN_OR_RETURN(ReadContext at, AtBackup(id));
  return engine_->ExportImage(at.view_, out);
}

Result<std::vector<BackupRecord>> MetaService::ListBackups() {
  holt::ScanOptions scan;
  scan.prefix = std::string(1, family::kBackup);
  scan.limit = SIZE_MAX;
  NOKV_ASSIGN_OR_RETURN(auto rows, engine_->Scan(scan));
  std::vector<BackupRecord> out;
  for (const auto& row : rows) {
    NOKV_ASSIGN_OR_RETURN(BackupRecord b, DecodeBackup(row.key.substr(1), row.value));
    out.push_back(std::move(b));
  }
  return out;
}

Status MetaService::DropBackup(std::string_view id) {
  return Run(
      [&](Command& cmd) -> Status {
        auto value = engine_->Get(BackupKey(id));
        if (!value.ok()) return Status::NotFound("no backup named '" + std::string(id) + "'");
        cmd.Guard(BackupKey(id), value->seq);
        cmd.batch().Delete(BackupKey(id));
        cmd.batch().Unpin(BackupPinName(id));
        return Status::Ok();
      },
      {});
}

}  // namespace nokv::meta
