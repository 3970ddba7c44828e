// `nokv-bench backup`: fills both sides with the same namespace (directories
// of 1,000 empty files, 1,000 per commit), then times NoKV's backup to a local
// backup directory and the restore of a new data directory from it, against
// SQLite's online backup API (what `sqlite3 .backup` runs) copying the peer's
// database out and back, and times `fsck` of NoKV's namespace. Prints a
// Markdown table of times and bytes.
#include "backup_bench.h"

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "bench/common/command.h"
#include "bench/common/sqlite_db.h"
#include "fs/backup.h"
#include "fs/restore.h"
#include "meta/fsck.h"
#include "meta/meta_service.h"
#include "object/memory_store.h"
#include "sqlite_ns_store.h"

namespace nokv::bench {
namespace {

namespace stdfs = std::filesystem;
constexpr uint64_t kPerDir = 1000;

struct Figures {
  double fill_s = 0;
  uint64_t store_bytes = 0;  // the live metadata on disk
  double backup_s = 0;
  uint64_t backup_bytes = 0;
  double restore_s = 0;
  double fsck_s = -1;  // NoKV only: `nokv fsck` of the namespace (no peer)
};

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : stdfs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec) && e.path().filename() != "RESERVE") total += e.file_size(ec);
  }
  return total;
}

Result<Figures> RunNokv(const std::string& dir, uint64_t files) {
  Figures f;
  object::MemoryStore blocks;  // empty files: no block is written
  meta::MetaOptions options;
  options.engine.durability = holt::Durability::kNone;
  options.store = &blocks;
  std::string meta_dir = dir + "/nokv/meta";
  NOKV_ASSIGN_OR_RETURN(auto meta, meta::MetaService::Open(meta_dir, std::move(options)));
  auto start = std::chrono::steady_clock::now();
  std::vector<meta::PublishRequest> batch;
  for (uint64_t i = 0; i < files; ++i) {
    meta::PublishRequest r;
    r.path = "/ns/d" + std::to_string(i / kPerDir) + "/f" + std::to_string(i);
    r.node.parents = true;
    batch.push_back(std::move(r));
    if (batch.size() == kPerDir || i + 1 == files) {
      NOKV_RETURN_IF_ERROR(meta->PublishMany(batch).status());
      batch.clear();
    }
  }
  f.fill_s = Since(start);
  NOKV_RETURN_IF_ERROR(meta->engine()->Checkpoint());
  f.store_bytes = DirBytes(meta_dir);
  auto fsck_start = std::chrono::steady_clock::now();
  NOKV_ASSIGN_OR_RETURN(meta::FsckReport fsck, meta->Fsck({}));
  f.fsck_s = Since(fsck_start);
  if (!fsck.findings.empty()) {
    return Status::Corruption("fsck of the filled namespace found " +
                              std::to_string(fsck.findings.size()) + " problems");
  }

  NOKV_ASSIGN_OR_RETURN(auto target, fs::OpenBackupDirectory(dir + "/nokv-backups"));
  start = std::chrono::steady_clock::now();
  NOKV_ASSIGN_OR_RETURN(fs::BackupReport report, fs::RunBackup(*meta, *target, {}));
  f.backup_s = Since(start);
  f.backup_bytes = report.backup.image_bytes;
  meta.reset();

  fs::RestoreOptions restore;
  restore.target.data_dir = dir + "/nokv-restored";
  restore.target.store.kind = fs::StoreConfig::Kind::kMemory;
  restore.target.durability = fs::Durability::kNone;
  restore.from = target.get();
  start = std::chrono::steady_clock::now();
  NOKV_ASSIGN_OR_RETURN(fs::RestoreReport restored, fs::RestoreDataDir(restore));
  f.restore_s = Since(start);
  if (restored.backup.files != files) {
    return Status::Corruption("restored " + std::to_string(restored.backup.files) + " files");
  }
  return f;
}

// sqlite3_backup from `from` into `to` (created), all pages in one step.
Status SqliteCopy(const std::string& from, const std::string& to) {
  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  Status s;
  if (sqlite3_open_v2(from.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK ||
      sqlite3_open(to.c_str(), &dst) != SQLITE_OK) {
    s = Status::IOError("sqlite open failed");
  } else if (sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main"); b == nullptr) {
    s = Status::IOError(std::string("sqlite backup: ") + sqlite3_errmsg(dst));
  } else {
    int rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) s = Status::IOError(std::string("sqlite backup: ") + sqlite3_errstr(rc));
  }
  sqlite3_close(src);
  sqlite3_close(dst);
  return s;
}

Result<Figures> RunSqlite(const std::string& dir, uint64_t files) {
  Figures f;
  std::string peer = dir + "/sqlite";
  stdfs::create_directories(peer);
  {
    NOKV_ASSIGN_OR_RETURN(auto store, SqliteMetaSpec(SqliteSync::kOff).open(peer));
    auto start = std::chrono::steady_clock::now();
    NOKV_ASSIGN_OR_RETURN(uint64_t root, store->Mkdir("/ns"));
    (void)root;
    std::vector<std::string> names;
    for (uint64_t d = 0; d * kPerDir < files; ++d) {
      std::string path = "/ns/d" + std::to_string(d);
      NOKV_ASSIGN_OR_RETURN(uint64_t id, store->Mkdir(path));
      names.clear();
      for (uint64_t i = d * kPerDir; i < std::min(files, (d + 1) * kPerDir); ++i) {
        names.push_back("f" + std::to_string(i));
      }
      NOKV_RETURN_IF_ERROR(store->CreateFiles(id, path, names));
    }
    f.fill_s = Since(start);
    NOKV_RETURN_IF_ERROR(store->Measure().status());  // checkpoints the WAL
  }
  f.store_bytes = DirBytes(peer);
  auto start = std::chrono::steady_clock::now();
  NOKV_RETURN_IF_ERROR(SqliteCopy(peer + "/meta.db", dir + "/sqlite-backup.db"));
  f.backup_s = Since(start);
  f.backup_bytes = stdfs::file_size(dir + "/sqlite-backup.db");
  start = std::chrono::steady_clock::now();
  NOKV_RETURN_IF_ERROR(SqliteCopy(dir + "/sqlite-backup.db", dir + "/sqlite-restored.db"));
  f.restore_s = Since(start);
  return f;
}

std::string MiB(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

}  // namespace

int RunBackupCommand(const std::vector<std::string>& argv, const std::string& command) {
  uint64_t files = 1'000'000;
  std::string scratch = stdfs::temp_directory_path() / "nokv-bench-backup";
  if (!ParseFilesAndDir(argv, &files, &scratch, kBackupUsage)) return 2;
  stdfs::remove_all(scratch);
  stdfs::create_directories(scratch);
  auto nokv = RunNokv(scratch, files);
  auto sqlite = nokv.ok() ? RunSqlite(scratch, files) : Result<Figures>(nokv.status());
  stdfs::remove_all(scratch);
  if (!sqlite.ok()) {
    std::cerr << "nokv-bench backup: " << sqlite.status().ToString() << "\n";
    return 1;
  }
  std::cout << "## Metadata backup and restore, " << files << " files\n\n`" << command << "`\n\n"
            << "| system | fill | metadata on disk | backup | backup bytes | restore | fsck |\n"
            << "|---|---|---|---|---|---|---|\n";
  for (const auto& [name, f] : {std::pair{"nokv (backup to a local directory)", *nokv},
                                std::pair{"sqlite3 .backup (JuiceFS shape)", *sqlite}}) {
    std::string fsck = f.fsck_s < 0 ? "-" : std::to_string(f.fsck_s).substr(0, 5) + " s";
    std::printf("| %s | %.2f s | %s | %.2f s | %s | %.2f s | %s |\n", name, f.fill_s,
                MiB(f.store_bytes).c_str(), f.backup_s, MiB(f.backup_bytes).c_str(), f.restore_s,
                fsck.c_str());
  }
  std::cout.flush();
  return 0;
}

}  // namespace nokv::bench
