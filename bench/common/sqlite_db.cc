// SqliteDb: connection setup, statement helpers and footprint of the SQLite peers.
#include "bench/common/sqlite_db.h"

namespace nokv::bench {

namespace {

constexpr int kCacheKiB = 1 << 20;
constexpr int64_t kNanosPerSecond = 1'000'000'000;

}  // namespace

const char* SqliteSyncName(SqliteSync sync) {
  switch (sync) {
    case SqliteSync::kOff:
      return "OFF";
    case SqliteSync::kNormal:
      return "NORMAL";
    case SqliteSync::kFull:
      return "FULL";
  }
  return "?";
}

const char* SqliteDurabilityLabel(SqliteSync sync) {
  switch (sync) {
    case SqliteSync::kOff:
      return "none";
    case SqliteSync::kNormal:
      return "group";
    case SqliteSync::kFull:
      return "sync";
  }
  return "?";
}

void BindNode(sqlite3_stmt* n, uint64_t inode, const NodeAttrs& a) {
  sqlite3_bind_int64(n, 1, static_cast<int64_t>(inode));
  sqlite3_bind_int(n, 2, a.type);
  sqlite3_bind_int(n, 3, static_cast<int>(a.mode));
  sqlite3_bind_int(n, 4, static_cast<int>(a.uid));
  sqlite3_bind_int(n, 5, static_cast<int>(a.gid));
  sqlite3_bind_int64(n, 6, a.atime_ns / kNanosPerSecond);
  sqlite3_bind_int64(n, 7, a.mtime_ns / kNanosPerSecond);
  sqlite3_bind_int64(n, 8, a.ctime_ns / kNanosPerSecond);
  sqlite3_bind_int(n, 9, static_cast<int>(a.atime_ns % kNanosPerSecond));
  sqlite3_bind_int(n, 10, static_cast<int>(a.mtime_ns % kNanosPerSecond));
  sqlite3_bind_int(n, 11, static_cast<int>(a.ctime_ns % kNanosPerSecond));
  sqlite3_bind_int(n, 12, static_cast<int>(a.nlink));
  sqlite3_bind_int64(n, 13, static_cast<int64_t>(a.length));
  sqlite3_bind_int(n, 14, static_cast<int>(a.rdev));
  sqlite3_bind_int64(n, 15, static_cast<int64_t>(a.parent));
}

void ReadAllColumns(sqlite3_stmt* stmt) {
  int64_t sink = 0;
  for (int c = 0, n = sqlite3_column_count(stmt); c < n; ++c) {
    sink ^= sqlite3_column_int64(stmt, c);
  }
  asm volatile("" : : "r"(sink));  // keep the reads
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, SqliteSync sync,
                                                 const char* schema) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw));
  if (rc != SQLITE_OK) return db->Error(rc, "open " + path);
  NOKV_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL"));
  NOKV_RETURN_IF_ERROR(db->Exec(std::string("PRAGMA synchronous=") + SqliteSyncName(sync)));
  NOKV_RETURN_IF_ERROR(db->Exec("PRAGMA cache_size=-" + std::to_string(kCacheKiB)));
  NOKV_RETURN_IF_ERROR(db->Exec(schema));
  NOKV_RETURN_IF_ERROR(db->Prepare("BEGIN", &db->begin_));
  NOKV_RETURN_IF_ERROR(db->Prepare("COMMIT", &db->commit_));
  return db;
}

SqliteDb::~SqliteDb() {
  begin_.reset();
  commit_.reset();
  sqlite3_close_v2(db_);
}

Status SqliteDb::Exec(const std::string& sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return Status::Ok();
  Status s = Status::IOError(sql + ": " + (error != nullptr ? error : sqlite3_errstr(rc)));
  sqlite3_free(error);
  return s;
}

Status SqliteDb::Prepare(const char* sql, SqliteStmt* out) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  out->reset(stmt);
  return rc == SQLITE_OK ? Status::Ok() : Error(rc, sql);
}

Status SqliteDb::Run(sqlite3_stmt* stmt, std::string_view what) {
  int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  return rc == SQLITE_DONE ? Status::Ok() : Error(rc, what);
}

Status SqliteDb::Error(int rc, std::string_view what) const {
  std::string message =
      std::string(what) + ": " + (db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
  return Status::IOError(message);
}

Status SqliteDb::RollbackAfter(Status cause) {
  Status ignored = Exec("ROLLBACK");
  (void)ignored;  // the statement's error is the one to report
  return cause;
}

Result<SqliteDb::Size> SqliteDb::Measure() {
  int cache_used = 0, highwater = 0;
  sqlite3_db_status(db_, SQLITE_DBSTATUS_CACHE_USED, &cache_used, &highwater, 0);
  NOKV_RETURN_IF_ERROR(Exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  SqliteStmt size;
  NOKV_RETURN_IF_ERROR(
      Prepare("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", &size));
  if (sqlite3_step(size.get()) != SQLITE_ROW) return Error(SQLITE_ERROR, "db size");
  Size out;
  out.file_bytes = static_cast<uint64_t>(sqlite3_column_int64(size.get(), 0));
  out.cache_bytes = static_cast<uint64_t>(cache_used);
  return out;
}

Result<Footprint> SqliteDb::MeasureFootprint() {
  NOKV_ASSIGN_OR_RETURN(Size size, Measure());
  Footprint f;
  f.bytes = size.file_bytes;
  f.details = {{"page_cache_bytes", static_cast<double>(size.cache_bytes)}};
  return f;
}

}  // namespace nokv::bench
