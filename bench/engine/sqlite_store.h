// The SQLite peer in the JuiceFS SQL metadata shape, behind the ShapeStore interface.
//
// Schema (JuiceFS jfs_node / jfs_edge, trimmed to what a create writes):
//   node(inode INTEGER PRIMARY KEY, type, flags, mode, uid, gid, atime, mtime,
//        ctime, atimensec, mtimensec, ctimensec, nlink, length, rdev, parent)
//   edge(parent, name BLOB, inode, type, PRIMARY KEY(parent, name))
// `edge` is a rowid table, so the primary key is a separate unique index, as
// JuiceFS's (id, UNIQUE(parent, name)) edge table is. WAL journal mode, a
// 1 GiB page cache (so reads are served from SQLite's own cache when hot),
// and one connection: SQLite admits one writer at a time, so concurrent
// creates are serialized by a mutex in front of that connection rather than
// by busy_timeout retries between connections (whose sleeps would only make
// SQLite slower).
#pragma once

#include "store.h"

namespace nokv::bench {

enum class SqliteSync { kOff, kNormal, kFull };

// SQLite with PRAGMA synchronous = `sync`. Durability labels: OFF -> "none"
// (never syncs), NORMAL -> "group" (WAL synced at checkpoints only),
// FULL -> "sync" (WAL synced at every commit).
StoreSpec SqliteSpec(SqliteSync sync);

}  // namespace nokv::bench
