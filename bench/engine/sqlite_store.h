// The SQLite peer in the JuiceFS SQL metadata shape, behind the ShapeStore interface.
//
// Schema and connection setup: bench/common/sqlite_db.h (JuiceFS jfs_node /
// jfs_edge, WAL journal mode, a 1 GiB page cache so reads are served from
// SQLite's own cache when hot). One connection: SQLite admits one writer at
// a time, so concurrent creates are serialized by a mutex in front of that
// connection rather than by busy_timeout retries between connections (whose
// sleeps would only make SQLite slower).
#pragma once

#include "bench/common/sqlite_db.h"
#include "store.h"

namespace nokv::bench {

// SQLite with PRAGMA synchronous = `sync`; durability labels as SqliteDurabilityLabel.
StoreSpec SqliteSpec(SqliteSync sync);

}  // namespace nokv::bench
