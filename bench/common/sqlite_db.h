// SqliteDb: one SQLite connection set up the way every SQLite peer of
// nokv-bench runs (WAL journal, a chosen `synchronous`, a 1 GiB page cache,
// prepared statements), and the JuiceFS SQL metadata schema those peers use.
//
// Schema (JuiceFS jfs_node / jfs_edge, trimmed to what metadata operations touch):
//   node(inode INTEGER PRIMARY KEY, type, flags, mode, uid, gid, atime, mtime,
//        ctime, atimensec, mtimensec, ctimensec, nlink, length, rdev, parent)
//   edge(parent, name BLOB, inode, type, PRIMARY KEY(parent, name))
// `edge` is a rowid table, so its primary key is a separate unique index, as
// JuiceFS's (id, UNIQUE(parent, name)) edge table is.
//
// Thread-safety: none; callers serialize use of one SqliteDb.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "bench/common/node_attrs.h"
#include "bench/common/report.h"
#include "common/result.h"

namespace nokv::bench {

enum class SqliteSync { kOff, kNormal, kFull };

// "OFF", "NORMAL", "FULL".
const char* SqliteSyncName(SqliteSync sync);
// The closest Holt durability: OFF -> "none" (never syncs), NORMAL -> "group"
// (WAL synced at checkpoints only), FULL -> "sync" (WAL synced at every commit).
const char* SqliteDurabilityLabel(SqliteSync sync);

inline constexpr const char* kJfsSchema =
    "CREATE TABLE node(inode INTEGER PRIMARY KEY, type INTEGER NOT NULL,"
    " flags INTEGER NOT NULL, mode INTEGER NOT NULL, uid INTEGER NOT NULL,"
    " gid INTEGER NOT NULL, atime INTEGER NOT NULL, mtime INTEGER NOT NULL,"
    " ctime INTEGER NOT NULL, atimensec INTEGER NOT NULL, mtimensec INTEGER NOT NULL,"
    " ctimensec INTEGER NOT NULL, nlink INTEGER NOT NULL, length INTEGER NOT NULL,"
    " rdev INTEGER NOT NULL, parent INTEGER NOT NULL);"
    "CREATE TABLE edge(parent INTEGER NOT NULL, name BLOB NOT NULL,"
    " inode INTEGER NOT NULL, type INTEGER NOT NULL, PRIMARY KEY(parent, name));";
// Parameters: see BindNode.
inline constexpr const char* kJfsInsertNode =
    "INSERT INTO node VALUES(?1, ?2, 0, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
// Parameters: parent, name, inode, type.
inline constexpr const char* kJfsInsertEdge = "INSERT INTO edge VALUES(?1, ?2, ?3, ?4)";

struct SqliteStmtCloser {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using SqliteStmt = std::unique_ptr<sqlite3_stmt, SqliteStmtCloser>;

// Binds `inode` and `attrs` to a kJfsInsertNode statement (times split into
// seconds and nanoseconds, as JuiceFS stores them).
void BindNode(sqlite3_stmt* stmt, uint64_t inode, const NodeAttrs& attrs);
// Reads every column of the current row, as a caller building attributes would.
void ReadAllColumns(sqlite3_stmt* stmt);

class SqliteDb {
 public:
  // Opens (creating) `path` with journal_mode=WAL, synchronous=`sync` and the
  // 1 GiB cache, then runs `schema`.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path, SqliteSync sync,
                                                const char* schema = kJfsSchema);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  sqlite3* get() const { return db_; }
  Status Exec(const std::string& sql);
  Status Prepare(const char* sql, SqliteStmt* out);
  // Steps a write statement to completion and resets it.
  Status Run(sqlite3_stmt* stmt, std::string_view what);
  // The connection's error for `rc`, as an IOError naming `what`.
  Status Error(int rc, std::string_view what) const;

  Status Begin() { return Run(begin_.get(), "begin"); }
  Status Commit() { return Run(commit_.get(), "commit"); }
  // Rolls back after a failed statement; `cause` is returned.
  Status RollbackAfter(Status cause);

  // Page-cache bytes in use now; then, after a WAL checkpoint, the database
  // file bytes (page_count * page_size).
  struct Size {
    uint64_t file_bytes = 0;
    uint64_t cache_bytes = 0;
  };
  Result<Size> Measure();
  // Measure() as a report Footprint: file bytes, page cache in the details.
  Result<Footprint> MeasureFootprint();

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  SqliteStmt begin_, commit_;
};

}  // namespace nokv::bench
