// LeaseTable: keeps the read contexts of issued cursors pinned for a while
// (refreshed on every use), so a cursor's sequence stays readable while
// writers commit. Bounded: beyond its capacity the lease expiring first is
// dropped, and its cursors then get cursor_expired.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "meta/meta_service.h"

namespace nokv::query {

class LeaseTable {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kDefaultCapacity = 64;
  static constexpr std::chrono::seconds kDefaultTtl{300};

  explicit LeaseTable(size_t capacity = kDefaultCapacity, std::chrono::seconds ttl = kDefaultTtl)
      : capacity_(capacity), ttl_(ttl) {}

  // Holds `ctx` (read at snapshot `snapshot`, "" for latest) for ttl from now.
  void Hold(const std::string& snapshot, std::shared_ptr<const meta::ReadContext> ctx);
  // The held context for (snapshot, seq), refreshing its lease; nullptr if none.
  std::shared_ptr<const meta::ReadContext> Find(const std::string& snapshot, uint64_t seq);
  size_t size();

 private:
  using Key = std::pair<std::string, uint64_t>;
  struct Lease {
    std::shared_ptr<const meta::ReadContext> ctx;
    Clock::time_point expires;
  };
  void DropExpired(Clock::time_point now);  // requires mu_

  const size_t capacity_;
  const std::chrono::seconds ttl_;
  std::mutex mu_;
  std::map<Key, Lease> leases_;  // guarded by mu_
};

}  // namespace nokv::query
