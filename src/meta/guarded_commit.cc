// Guarded commits (guarded_commit.h).
#include "meta/guarded_commit.h"

#include "common/status.h"

namespace nokv::meta {

Result<std::pair<uint64_t, std::vector<size_t>>> CommitGuarded(holt::Engine* engine,
                                                               std::vector<GuardedOp> ops) {
  while (!ops.empty()) {
    holt::Batch batch;
    std::vector<size_t> op_of_predicate;
    for (size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].guard_key.empty()) continue;
      batch.RequireVersion(ops[i].guard_key, ops[i].guard_version);
      op_of_predicate.push_back(i);
    }
    for (const auto& op : ops) op.apply(batch);
    size_t failed = SIZE_MAX;
    auto committed = engine->Commit(batch, &failed);
    if (committed.ok()) {
      std::vector<size_t> tags;
      for (const auto& op : ops) tags.push_back(op.tag);
      return std::make_pair(*committed, std::move(tags));
    }
    if (!committed.status().Is(Reason::kPredicateFailed) || failed >= op_of_predicate.size()) {
      return committed.status();
    }
    ops.erase(ops.begin() + static_cast<std::ptrdiff_t>(op_of_predicate[failed]));
  }
  return std::make_pair(uint64_t{0}, std::vector<size_t>{});
}

}  // namespace nokv::meta
