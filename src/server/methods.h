// The metadata methods on the wire: their names, and the server side that
// runs them against a fs::Metadata (docs/formats/rpc.md, "Methods").
//
// Every method takes a MessagePack map of arguments and answers a status
// plus, on success, a MessagePack value (server/codec.h). Pins and upload
// leases taken over RPC are leases: the server releases them when the client
// stops renewing them (`meta.renew`) for `lease_ttl`, so a client that dies
// cannot hold a read point or an upload forever.
//
// Thread-safety: Handle may run concurrently from any number of threads.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "fs/metadata.h"
#include "rpc/server.h"
#include "server/codec.h"
#include "server/watch_hub.h"

namespace nokv::server {

// Most entries one directory page holds, whatever the request's `limit`
// (the answer says `more`): a page runs on the event loop, so this bounds
// how long one listing can hold every other connection (~3 ms with attrs).
inline constexpr uint64_t kMaxPageEntries = 10'000;
// Most events one watch page holds.
inline constexpr uint64_t kMaxEventPage = 100'000;

struct MethodOptions {
  // A pin or upload lease not renewed for this long is released.
  std::chrono::milliseconds lease_ttl{60'000};
  // Longest wait a watch long-poll may ask for.
  std::chrono::milliseconds max_watch_wait{30'000};
  std::function<std::chrono::steady_clock::time_point()> now;  // tests inject one
  // The answer of `meta.store`: where clients find block bytes
  // (server/remote_fs.h StoreInfo); null = the store is not shared.
  Json store_info;
  // More methods answered by the same handler and counted like the meta.*
  // ones (server/block_methods.h adds `block.*`); a name already taken is
  // ignored. Fixed at construction.
  std::map<std::string, std::function<Result<Json>(const Json& args)>, std::less<>> extra_methods;
  // RunsInline also picks the namespace mutations (create, mkdir, unlink,
  // rename, setattr, xattrs, ... by path or inode). Set it only when commits
  // do not wait for fsync (durability group or none): a commit then waits at
  // most for another commit's apply step and WAL write, never for a sync.
  bool inline_mutations = false;
};

// Calls of one method: how many, how many failed, and their latency in
// buckets (upper bounds in kLatencyBounds, seconds; the last is +Inf).
inline constexpr double kLatencyBounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                            0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                            1,      2.5,     5,      10};
inline constexpr size_t kLatencyBuckets = std::size(kLatencyBounds) + 1;
struct MethodCounters {
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> nanos{0};
  std::array<std::atomic<uint64_t>, kLatencyBuckets> buckets{};
};

// A method's answer computed straight from its MessagePack payload, or
// nullopt when that form does not take the payload (then nothing ran).
using FastResult = std::optional<Result<std::string>>;
struct FastArgs;

class MetadataMethods {
 public:
  // `backend` must outlive this object.
  MetadataMethods(fs::Metadata* backend, MethodOptions options = {});
  ~MetadataMethods();

  // Runs `method` with `args`; the result to send, or the error status.
  // A verb stops early (a "cancelled" error) once `*cancelled` is set.
  Result<Json> Handle(std::string_view method, const Json& args,
                      const std::atomic<bool>* cancelled = nullptr);

  // Answers `method` through `responder`, now or later: a watch long poll
  // with nothing to report yet waits in the WatchHub instead of holding a
  // worker thread, and a verb stops when the client cancels the request.
  void Dispatch(std::string_view method, const Json& args, rpc::Responder responder);
  // True for the methods that must go through Dispatch (they need the
  // Responder): watch long polls and the cancellable verbs.
  bool NeedsResponder(std::string_view method) const;
  // Watch long polls waiting for an event.
  size_t parked_watches() const { return hub_->parked(); }

  // Runs `method` on its MessagePack-encoded arguments (empty: none) and
  // answers the MessagePack-encoded result. The hot methods (stat, getattr,
  // lookup, readdir, createat, mkdirat, pin, open, unpin, batch, publish) read and
  // write their payloads directly (fast_methods.cc); every other method, and
  // any payload those do not take, is decoded and run by Handle, so the
  // answer is the same either way. Errors as Handle, plus rpc::DecodePayload's.
  Result<std::string> HandlePayload(std::string_view method, std::string_view payload);

  // True for methods cheap enough to run on the transport's event loop
  // (rpc::ServerOptions::run_inline): reads that never wait for I/O (stat,
  // lookup, getattr, readdir and list pages, manifests, xattrs, pins and
  // lease renewals), plus the namespace mutations with
  // MethodOptions::inline_mutations. Publish, batches, watch long polls,
  // snapshots, index admin, verbs, GC and checkpoints go to the workers.
  bool RunsInline(std::string_view method) const;

  // Releases every lease not renewed within the TTL (also done now and then
  // by Handle). Returns how many were released.
  size_t ReleaseExpired();
  size_t leases() const;
  // Per-method counters, one entry per method (fixed at construction).
  const std::map<std::string, MethodCounters, std::less<>>& counters() const { return counters_; }

 private:
  using Method = std::function<Result<Json>(const Json& args)>;
  using CancellableMethod =
      std::function<Result<Json>(const Json& args, const std::atomic<bool>* cancelled)>;
  // A direct form: reads its MessagePack payload itself (fast_methods.cc).
  using FastMethod = std::function<FastResult(std::string_view payload)>;
  enum class LeaseKind { kPin, kUpload };
  struct Lease {
    LeaseKind kind;
    std::chrono::steady_clock::time_point expires;
  };

  std::chrono::steady_clock::time_point Now() const;
  void Hold(LeaseKind kind, uint64_t id);
  // False when `id` is not a live lease of `kind` (then nothing is released).
  bool Drop(LeaseKind kind, uint64_t id);
  void Register();
  void RegisterFast();  // fast_methods.cc
  FastResult FastBatch(std::string_view payload);
  FastResult FastPublish(std::string_view payload);
  void MaybeSweep();
  void Count(std::string_view method, std::chrono::steady_clock::time_point start, bool ok);

  fs::Metadata* backend_;
  MethodOptions options_;
  std::map<std::string, Method, std::less<>> methods_;
  std::map<std::string, CancellableMethod, std::less<>> cancellable_;  // the verbs
  std::map<std::string, FastMethod, std::less<>> fast_;                // a subset of methods_' keys
  // Same keys as methods_ and cancellable_.
  std::map<std::string, MethodCounters, std::less<>> counters_;
  std::set<std::string, std::less<>> inline_;  // fixed at construction

  mutable std::mutex mu_;
  std::map<uint64_t, Lease> leases_;  // guarded by mu_ (pin and upload ids differ)
  // When Handle next sweeps expired leases (steady-clock ticks): read on every
  // call without taking mu_.
  std::atomic<std::chrono::steady_clock::rep> next_sweep_{0};
  std::unique_ptr<WatchHub> hub_;  // last: stops first
};

// The transport handler that answers `meta.*` requests with `methods`
// (which must outlive the server): payload decoded with the transport's
// limits, result or error status encoded back.
rpc::Handler MetadataHandler(MetadataMethods* methods);

// For rpc::ServerOptions::run_inline: methods->RunsInline (`methods` must
// outlive the server).
std::function<bool(std::string_view)> MetadataInlinePredicate(const MetadataMethods* methods);

}  // namespace nokv::server
