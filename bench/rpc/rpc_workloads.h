// The rows of `nokv-bench rpc`: M1 mdtest-easy over RPC (batch 1/16/128), M2
// unbatched create/stat next to the loopback ceiling and Redis, M3 lookups and
// listings of big directories, D1/D2 bodies through the remote Filesystem.
// Every function measures `config.repeats` repeats and returns finished rows.
#pragma once

#include <string>
#include <vector>

#include "bench/common/report.h"
#include "redis_peer.h"
#include "rpc_config.h"
#include "served.h"

namespace nokv::bench {

// "unix" or "tcp".
using TransportName = std::string;

// M2 ceiling: raw 1-byte ping-pong on `transport` with `threads` connections.
Result<Row> RunCeiling(const RpcBenchConfig& c, const TransportName& transport, int threads);
// M2 NoKV: `op` "create" (meta.createat into a per-client directory) or
// "stat" (meta.stat by path) with `threads` clients, one connection each.
Result<Row> RunNokvSmallCalls(const RpcBenchConfig& c, const ServedFs& served,
                              const TransportName& transport, const std::string& op, int threads);
// M2 Redis: `op` "set" (SET i<inode>), "get" (GET i<inode>) or "create"
// (the JuiceFS create), `threads` clients.
Result<Row> RunRedisSmallCalls(const RpcBenchConfig& c, const RedisServer& redis,
                               const TransportName& transport, const std::string& op, int threads);
// M1: mdtest-easy creates over one Unix-socket connection, `batch` per
// request: meta.createat (batch 1) or meta.batch (each create its own
// commit), or with `publish` one meta.publish of `batch` empty files (one
// commit per request).
Result<Row> RunMdtestEasy(const RpcBenchConfig& c, const ServedFs& served, int batch, bool publish);
// M3: a directory of `entries` files: fill (batched), random lookups, full listing.
Result<std::vector<Row>> RunBigDirectory(const RpcBenchConfig& c, const ServedFs& served,
                                         uint64_t entries);
// D1 (publish) and D2 (warm reads) through server::OpenRemote.
Result<std::vector<Row>> RunBodies(const RpcBenchConfig& c, const ServedFs& served);

}  // namespace nokv::bench
