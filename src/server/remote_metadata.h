// RemoteMetadata: the metadata seam over framed RPC (server/methods.h on the
// other side). Every call is one request on a shared, pipelined connection.
//
// Pins and upload leases are leases on the server: a background thread
// renews the ones this client holds every third of the lease TTL, so they
// live as long as this object and the connection do.
//
// A dropped connection fails the call in flight with Unavailable; the next
// call reconnects. Reads are retried once on a fresh connection; mutations
// are not (their outcome is unknown), so the caller sees Unavailable. A call
// that finds no server to reconnect to fails with Unavailable and
// Reason::kNotSent: it was never sent.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <thread>

#include "fs/metadata.h"
#include "rpc/client.h"
#include "server/batch.h"
#include "server/codec.h"
#include "server/fast_codec.h"

namespace nokv::server {

struct RemoteOptions {
  rpc::ClientOptions client;
  std::chrono::milliseconds call_timeout{120'000};
  std::chrono::milliseconds lease_ttl{60'000};  // the server's MethodOptions::lease_ttl
};

class RemoteMetadata final : public fs::Metadata {
 public:
  static Result<std::unique_ptr<RemoteMetadata>> Connect(std::string_view address,
                                                         RemoteOptions options = {});
  ~RemoteMetadata() override;

  Result<fs::Pin> PinRead(const fs::ReadAt& at) override;
  void Unpin(uint64_t pin) override;

  Result<meta::Attr> Stat(std::string_view path, const fs::ReadAt& at) override;
  Result<meta::Attr> GetAttr(meta::InodeId inode, const fs::ReadAt& at) override;
  Result<meta::DirEntry> Lookup(meta::InodeId parent, std::string_view name,
                                const fs::ReadAt& at) override;
  Result<meta::DirPage> ReadDir(meta::InodeId dir, std::string_view start_after, size_t limit,
                                bool with_attrs, const fs::ReadAt& at) override;
  Result<meta::DirPage> List(std::string_view path, std::string_view start_after, size_t limit,
                             const fs::ReadAt& at) override;
  Result<meta::Manifest> GetManifest(meta::InodeId inode, uint64_t generation,
                                     const fs::ReadAt& at) override;
  Result<fs::OpenedFile> OpenFile(std::string_view path, const fs::ReadAt& at) override;
  Result<fs::OpenedFile> OpenFileAt(meta::InodeId inode, const fs::ReadAt& at) override;
  Result<std::string> GetXattr(meta::InodeId inode, std::string_view name,
                               const fs::ReadAt& at) override;
  Result<std::vector<std::string>> ListXattrs(meta::InodeId inode, const fs::ReadAt& at) override;
  Result<std::string> PathOf(meta::InodeId inode, const fs::ReadAt& at) override;
  Result<meta::FsTotals> Totals() override;
  Result<fs::MetadataStats> Stats() override;

  Result<meta::Attr> Mkdir(std::string_view path, const meta::NodeOptions& options) override;
  Result<meta::Attr> MkdirAt(meta::InodeId parent, std::string_view name,
                             const meta::NodeOptions& options) override;
  Result<meta::Attr> CreateAt(meta::InodeId parent, std::string_view name,
                              const meta::NodeOptions& options) override;
  Result<meta::Attr> Symlink(std::string_view path, std::string_view target,
                             const meta::NodeOptions& options) override;
  Result<meta::Attr> SymlinkAt(meta::InodeId parent, std::string_view name, std::string_view target,
                               const meta::NodeOptions& options) override;
  Result<meta::Attr> Link(std::string_view existing, std::string_view new_path) override;
  Result<meta::Attr> LinkAt(meta::InodeId inode, meta::InodeId new_parent,
                            std::string_view new_name) override;
  Status Unlink(std::string_view path, uint64_t expected_generation) override;
  Status UnlinkAt(meta::InodeId parent, std::string_view name) override;
  Status Rmdir(std::string_view path) override;
  Result<uint64_t> RemoveTree(std::string_view path) override;
  Status RmdirAt(meta::InodeId parent, std::string_view name) override;
  Status Rename(std::string_view from, std::string_view to, meta::RenameMode mode) override;
  Status RenameAt(meta::InodeId from_parent, std::string_view from_name, meta::InodeId to_parent,
                  std::string_view to_name, meta::RenameMode mode) override;
  Result<meta::Attr> SetAttr(std::string_view path, const meta::SetAttrRequest& req) override;
  Result<meta::Attr> SetAttrAt(meta::InodeId inode, const meta::SetAttrRequest& req) override;
  Status SetXattr(meta::InodeId inode, std::string_view name, std::string_view value,
                  meta::XattrMode mode) override;
  Status RemoveXattr(meta::InodeId inode, std::string_view name) override;

  Result<uint64_t> BeginUpload() override;
  void EndUpload(uint64_t lease) override;
  Result<std::vector<meta::Attr>> Publish(
      const std::vector<meta::PublishRequest>& requests) override;

  Result<meta::Snapshot> CreateSnapshot(std::string_view name, std::string_view root,
                                        int64_t expires_ns) override;
  Result<std::vector<meta::Snapshot>> ListSnapshots() override;
  Status RetireSnapshot(std::string_view name) override;
  Result<meta::Snapshot> RenewSnapshot(std::string_view name, int64_t expires_ns) override;

  Result<meta::EventPage> Watch(std::string_view path, std::string_view cursor, size_t limit,
                                std::chrono::milliseconds wait) override;
  Result<std::string> LatestCursor() override;

  Status AddIndexRule(const records::IndexRule& rule) override;
  Status RemoveIndexRule(std::string_view id) override;
  Result<std::vector<meta::RuleRecord>> IndexRuleRecords() override;
  Status Reindex(std::string_view id) override;
  Result<meta::IndexProblems> IndexRuleProblems(std::string_view id, size_t examples) override;

  Result<meta::GcReport> CollectGarbage() override;
  Result<meta::GcPlan> PlanGarbage() override;
  Result<meta::FsckReport> Fsck(const meta::FsckOptions& options) override;
  Result<meta::GcReport> ExpireAndPrune() override;
  Status Checkpoint() override;
  Result<fs::BackupReport> Backup(const fs::BackupOptions& options) override;
  Result<std::vector<fs::BackupDescriptor>> ListBackups(std::string_view from) override;

  Status CheckVerbScope(const query::ServiceOptions& scope) override;
  nlohmann::json CallVerb(std::string_view verb, const nlohmann::json& args,
                          const query::ServiceOptions& scope,
                          const query::CallControl& control) override;

  // Where the server keeps blocks (`meta.store`, server/remote_fs.h).
  Result<Json> StoreInfo();

  // False once the connection dropped and until a call reconnects.
  bool connected() const { return client_->connected(); }

  // Runs `calls` in order in one request (`meta.batch`, server/batch.h):
  // one Result per call, in order. Each call runs on its own, as if sent
  // alone (not one transaction); with `stop_on_error` the calls after the
  // first failure answer Cancelled without running. The outer error is the
  // whole batch's: InvalidArgument for more than kMaxBatchCalls calls (sent
  // nothing), a transport error, or Corruption for a malformed answer. Never
  // retried (it may hold mutations). Pins (`meta.pin`, `meta.open`) and
  // upload leases (`meta.begin_upload`) it takes are renewed like those of
  // single calls; `meta.unpin` / `meta.end_upload` calls stop renewing theirs.
  Result<std::vector<Result<Json>>> CallBatch(const std::vector<BatchCall>& calls,
                                              bool stop_on_error = false);
  // Creates the files `names` in `parent` with `node` options, one
  // `meta.createat` each, in one batch (so at most kMaxBatchCalls names).
  Result<std::vector<Result<meta::Attr>>> CreateBatch(meta::InodeId parent,
                                                      std::span<const std::string> names,
                                                      const meta::NodeOptions& node = {});

  // Leases this client renews (pins and uploads), for tests.
  size_t held_leases() const;

 private:
  enum class Retry { kNo, kOnce };
  RemoteMetadata(std::unique_ptr<rpc::Client> client, RemoteOptions options);
  // One call: arguments in, result out; transport errors and the server's
  // status become the Result's error.
  Result<Json> Invoke(std::string_view method, const Json& args, Retry retry,
                      std::chrono::milliseconds extra_wait = {},
                      const std::atomic<bool>* cancelled = nullptr);
  // Invoke on an encoded payload; answers the encoded result.
  Result<std::string> InvokeRaw(std::string_view method, std::string_view payload, Retry retry,
                                std::chrono::milliseconds extra_wait = {},
                                const std::atomic<bool>* cancelled = nullptr);
  // A hot call (server/fast_codec.h): `payload` written directly, the
  // result read with `read`, or with codec.h when `read` does not take it.
  template <typename T>
  Result<T> InvokeFast(std::string_view method, std::string_view payload, Retry retry,
                       bool (*read)(rpc::MsgReader&, T*));
  template <typename T>
  Result<T> InvokeAs(std::string_view method, const Json& args, Retry retry);
  Status InvokeStatus(std::string_view method, const Json& args);
  // meta.open with the argument map `args`; tracks the pin it takes.
  Result<fs::OpenedFile> Open(std::string_view args);
  void Renew();
  void Track(uint64_t lease);
  // Tracks the lease a successful batch call of `method` took, if any.
  void TrackBatchResult(std::string_view method, const Json& value);
  void Untrack(uint64_t lease);

  std::unique_ptr<rpc::Client> client_;
  RemoteOptions options_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::set<uint64_t> leases_;               // guarded by mu_
  bool stopping_ = false;                   // guarded by mu_
  std::atomic<bool> stop_renewing_{false};  // cancels a renewal in flight
  std::thread renewer_;
};

}  // namespace nokv::server
