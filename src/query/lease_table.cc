// LeaseTable: bounded, expiring pins for cursor sequences.
#include "query/lease_table.h"

namespace nokv::query {

void LeaseTable::DropExpired(Clock::time_point now) {
  for (auto it = leases_.begin(); it != leases_.end();) {
    it = it->second.expires <= now ? leases_.erase(it) : std::next(it);
  }
}

void LeaseTable::Hold(const std::string& snapshot, std::shared_ptr<const meta::ReadContext> ctx) {
  std::shared_ptr<const meta::ReadContext> dropped;  // released outside the lock
  std::lock_guard<std::mutex> lock(mu_);
  auto now = Clock::now();
  DropExpired(now);
  Key key{snapshot, ctx->seq()};
  auto it = leases_.find(key);
  if (it != leases_.end()) {
    it->second.expires = now + ttl_;
    return;
  }
  if (leases_.size() >= capacity_) {
    auto oldest = leases_.begin();
    for (auto i = leases_.begin(); i != leases_.end(); ++i) {
      if (i->second.expires < oldest->second.expires) oldest = i;
    }
    dropped = std::move(oldest->second.ctx);
    leases_.erase(oldest);
  }
  leases_.emplace(std::move(key), Lease{std::move(ctx), now + ttl_});
}

std::shared_ptr<const meta::ReadContext> LeaseTable::Find(const std::string& snapshot,
                                                          uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = Clock::now();
  DropExpired(now);
  auto it = leases_.find(Key{snapshot, seq});
  if (it == leases_.end()) return nullptr;
  it->second.expires = now + ttl_;
  return it->second.ctx;
}

size_t LeaseTable::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return leases_.size();
}

}  // namespace nokv::query
