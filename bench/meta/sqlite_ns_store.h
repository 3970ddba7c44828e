// The SQLite peer of the meta suite: JuiceFS's SQL metadata engine reduced to
// the statements its operations run, on the schema of bench/common/sqlite_db.h.
//
// Per operation, in one transaction, as JuiceFS's doMknod / doUnlink do:
//   create: SELECT the parent node (is it a directory), SELECT the edge
//           (name taken?), INSERT node, INSERT edge, UPDATE the parent's
//           mtime/ctime (and nlink for directories). A batch is one
//           transaction over several such creates.
//   unlink: SELECT parent, SELECT edge, SELECT node, DELETE edge, DELETE
//           node, UPDATE parent.
//   lookup: SELECT node.* FROM edge JOIN node (JuiceFS's doLookup), one per
//           path component for by-path calls.
//   listing: the same join, `name > cursor ORDER BY name LIMIT page`.
// Inodes come from an in-process counter (JuiceFS allocates them in ranges).
#pragma once

#include "bench/common/sqlite_db.h"
#include "ns_store.h"

namespace nokv::bench {

NsSpec SqliteMetaSpec(SqliteSync sync);

}  // namespace nokv::bench
