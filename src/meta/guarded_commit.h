// Guarded commits: a batch of independent writes, each guarded on the version
// of one key as its writer read it. A write whose key changed meanwhile is
// dropped and the rest committed, so a background worker (the collector,
// fsck's repair) never overwrites a concurrent change. Internal to src/meta.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "holt/batch.h"
#include "holt/engine.h"

namespace nokv::meta {

// One write of a guarded batch: an optional guard (key at version) and what
// to do when the guard holds.
struct GuardedOp {
  std::string guard_key;  // empty: unguarded
  uint64_t guard_version = 0;
  std::function<void(holt::Batch&)> apply;
  size_t tag = 0;  // the caller's index of what this op is about
};

// Commits `ops` as one batch; an op whose guard fails is dropped and the
// rest committed again. Returns the commit sequence and the tags that
// committed (sequence 0 and none when every op was dropped).
Result<std::pair<uint64_t, std::vector<size_t>>> CommitGuarded(holt::Engine* engine,
                                                               std::vector<GuardedOp> ops);

}  // namespace nokv::meta
