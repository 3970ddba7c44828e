// SharedDirectory: holding, serving or joining a data directory, and taking
// it over when its holder goes away.
#include "server/shared.h"

#include <atomic>
#include <mutex>
#include <random>
#include <thread>

#include "common/env.h"
#include "query/verb_error.h"
#include "server/remote_fs.h"

namespace nokv::server {

std::string_view RoleName(SharedDirectory::Role role) {
  switch (role) {
    case SharedDirectory::Role::kServing:
      return "serving";
    case SharedDirectory::Role::kEmbedded:
      return "embedded";
    case SharedDirectory::Role::kClient:
      return "client";
  }
  return "unknown";
}

namespace {

using Role = SharedDirectory::Role;

// How this process reaches the directory at one time. Members are destroyed
// in reverse: the holder stops serving, then the metadata closes, then the
// stores it collects from.
struct Attachment {
  std::vector<std::unique_ptr<object::ObjectStore>> stores;
  object::ObjectStore* store = nullptr;  // where blocks go, one of stores
  std::unique_ptr<fs::Metadata> metadata;
  std::unique_ptr<Holder> holder;
  RemoteMetadata* remote = nullptr;  // = metadata when reached through a socket
  Role role = Role::kEmbedded;
};

// Failures of a writable open that a read-only open may not meet.
bool CannotWrite(const Status& status) {
  switch (status.code()) {
    case Code::kNoSpace:
    case Code::kPermissionDenied:
    case Code::kIOError:
    case Code::kNotSupported:
      return true;
    default:
      return false;
  }
}

// Holds, serves or joins the directory (the table in shared.h). The
// attachment's stores are the ones its in-process metadata collects from.
Result<std::unique_ptr<Attachment>> Acquire(const ShareOptions& options,
                                            std::chrono::milliseconds wait) {
  const std::string& dir = options.embedded.data_dir;
  const std::string socket = SocketPath(dir);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  bool told = false;
  for (;;) {
    fs::EmbeddedOptions embedded = options.embedded;
    auto parts = fs::OpenEmbeddedParts(embedded);
    if (!parts.ok() && options.read_only_fallback && !embedded.read_only &&
        CannotWrite(parts.status())) {
      Status writable = parts.status();
      embedded.read_only = true;
      embedded.release_reserve = false;
      parts = fs::OpenEmbeddedParts(embedded);
      if (parts.ok() && options.on_change) {
        options.on_change("opened " + dir +
                          " read-only, not serving it: " + std::string(writable.message()));
      }
    }
    if (parts.ok()) {
      auto attachment = std::make_unique<Attachment>();
      attachment->stores = std::move(parts->stores);
      attachment->store = parts->store;
      attachment->metadata = std::move(parts->metadata);
      if (options.serve && !embedded.read_only) {
        HolderOptions holder = options.holder;
        if (holder.methods.store_info.is_null()) holder.methods.store_info = StoreInfo(embedded);
        // Without an fsync per commit, namespace changes are cheap enough
        // to answer on the event loop.
        holder.methods.inline_mutations = embedded.durability != fs::Durability::kSync;
        NOKV_ASSIGN_OR_RETURN(
            attachment->holder,
            Holder::Start(dir, attachment->metadata.get(), attachment->store, std::move(holder)));
        attachment->role = Role::kServing;
      }
      return attachment;
    }
    if (!parts.status().Is(Code::kBusy)) return parts.status();
    // Held by another process: one that serves the directory answers on its
    // socket. A socket nobody answers is a holder that died or has not
    // started listening yet: the lock settles it on the next round.
    if (options.join && Env::Default()->FileExists(socket)) {
      if (auto remote = RemoteMetadata::Connect("unix:" + socket, options.remote); remote.ok()) {
        auto attachment = std::make_unique<Attachment>();
        attachment->remote = remote->get();
        attachment->metadata = std::move(remote).value();
        attachment->role = Role::kClient;
        return attachment;
      }
    }
    // Told once, before the first wait (even when the wait then turns out
    // to be over already, on a slow machine).
    if (!told && options.on_wait && wait.count() > 0) options.on_wait(parts.status());
    told = true;
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Busy(std::string(parts.status().message()) +
                          (wait.count() > 0 ? " (gave up waiting; " : " (") +
                          "a long-running holder can share it with `nokv serve`)");
    }
    // The holder is a short command or a reader: poll its lock.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

const Status& StatusOf(const Status& status) { return status; }
template <typename T>
Status StatusOf(const Result<T>& result) {
  return result.status();
}

// A request id no other process or call uses: random per process, counted
// per call.
class RequestIds {
 public:
  RequestIds() {
    std::random_device random;
    char prefix[32];
    std::snprintf(prefix, sizeof(prefix), "s/%08x%08x/", random(), random());
    prefix_ = prefix;
  }
  std::string Next() { return prefix_ + std::to_string(next_.fetch_add(1) + 1); }

 private:
  std::string prefix_;
  std::atomic<uint64_t> next_{0};
};

}  // namespace

// The metadata seam the Filesystem runs on: forwards every call to the
// current attachment, and takes over when a holder reached through its
// socket went away.
class SharedDirectory::Metadata final : public fs::Metadata {
 public:
  Metadata(ShareOptions options, std::unique_ptr<Attachment> first)
      : options_(std::move(options)), current_(std::move(first)) {}

  Role role() const { return Current()->role; }
  Holder* holder() const { return Current()->holder.get(); }
  uint64_t takeovers() const { return takeovers_.load(); }

  Result<fs::Pin> PinRead(const fs::ReadAt& at) override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.PinRead(at); });
  }
  void Unpin(uint64_t pin) override { Current()->metadata->Unpin(pin); }

  Result<meta::Attr> Stat(std::string_view path, const fs::ReadAt& at) override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.Stat(path, at); });
  }
  Result<meta::Attr> GetAttr(meta::InodeId inode, const fs::ReadAt& at) override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.GetAttr(inode, at); });
  }
  Result<meta::DirEntry> Lookup(meta::InodeId parent, std::string_view name,
                                const fs::ReadAt& at) override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.Lookup(parent, name, at); });
  }
  Result<meta::DirPage> ReadDir(meta::InodeId dir, std::string_view start_after, size_t limit,
                                bool with_attrs, const fs::ReadAt& at) override {
    return Call(kRepeatable, [&](fs::Metadata& m) {
      return m.ReadDir(dir, start_after, limit, with_attrs, at);
    });
  }
  Result<meta::DirPage> List(std::string_view path, std::string_view start_after, size_t limit,
                             const fs::ReadAt& at) override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.List(path, start_after, limit, at); });
  }
  Result<meta::Manifest> GetManifest(meta::InodeId inode, uint64_t generation,
                                     const fs::ReadAt& at) override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.GetManifest(inode, generation, at); });
  }
  Result<fs::OpenedFile> OpenFile(std::string_view path, const fs::ReadAt& at) override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.OpenFile(path, at); });
  }
  Result<fs::OpenedFile> OpenFileAt(meta::InodeId inode, const fs::ReadAt& at) override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.OpenFileAt(inode, at); });
  }
  Result<std::string> GetXattr(meta::InodeId inode, std::string_view name,
                               const fs::ReadAt& at) override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.GetXattr(inode, name, at); });
  }
  Result<std::vector<std::string>> ListXattrs(meta::InodeId inode, const fs::ReadAt& at) override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.ListXattrs(inode, at); });
  }
  Result<std::string> PathOf(meta::InodeId inode, const fs::ReadAt& at) override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.PathOf(inode, at); });
  }
  Result<meta::FsTotals> Totals() override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.Totals(); });
  }
  Result<fs::MetadataStats> Stats() override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.Stats(); });
  }

  // Creates carry a request id through a socket, so they can be repeated.
  Result<meta::Attr> Mkdir(std::string_view path, const meta::NodeOptions& options) override {
    return CallNode(options,
                    [&](fs::Metadata& m, const meta::NodeOptions& o) { return m.Mkdir(path, o); });
  }
  Result<meta::Attr> MkdirAt(meta::InodeId parent, std::string_view name,
                             const meta::NodeOptions& options) override {
    return CallNode(options, [&](fs::Metadata& m, const meta::NodeOptions& o) {
      return m.MkdirAt(parent, name, o);
    });
  }
  Result<meta::Attr> CreateAt(meta::InodeId parent, std::string_view name,
                              const meta::NodeOptions& options) override {
    return CallNode(options, [&](fs::Metadata& m, const meta::NodeOptions& o) {
      return m.CreateAt(parent, name, o);
    });
  }
  Result<meta::Attr> Symlink(std::string_view path, std::string_view target,
                             const meta::NodeOptions& options) override {
    return CallNode(options, [&](fs::Metadata& m, const meta::NodeOptions& o) {
      return m.Symlink(path, target, o);
    });
  }
  Result<meta::Attr> SymlinkAt(meta::InodeId parent, std::string_view name, std::string_view target,
                               const meta::NodeOptions& options) override {
    return CallNode(options, [&](fs::Metadata& m, const meta::NodeOptions& o) {
      return m.SymlinkAt(parent, name, target, o);
    });
  }
  Result<meta::Attr> Link(std::string_view existing, std::string_view new_path) override {
    return Call(kOnce, [&](fs::Metadata& m) { return m.Link(existing, new_path); });
  }
  Result<meta::Attr> LinkAt(meta::InodeId inode, meta::InodeId new_parent,
                            std::string_view new_name) override {
    return Call(kOnce, [&](fs::Metadata& m) { return m.LinkAt(inode, new_parent, new_name); });
  }
  Status Unlink(std::string_view path, uint64_t expected_generation) override {
    return Call(kOnce, [&](fs::Metadata& m) { return m.Unlink(path, expected_generation); });
  }
  Status UnlinkAt(meta::InodeId parent, std::string_view name) override {
    return Call(kOnce, [&](fs::Metadata& m) { return m.UnlinkAt(parent, name); });
  }
  Status Rmdir(std::string_view path) override {
    return Call(kOnce, [&](fs::Metadata& m) { return m.Rmdir(path); });
  }
  Result<uint64_t> RemoveTree(std::string_view path) override {
    return Call(kOnce, [&](fs::Metadata& m) { return m.RemoveTree(path); });
  }
  Status RmdirAt(meta::InodeId parent, std::string_view name) override {
    return Call(kOnce, [&](fs::Metadata& m) { return m.RmdirAt(parent, name); });
  }
  Status Rename(std::string_view from, std::string_view to, meta::RenameMode mode) override {
    return Call(kOnce, [&](fs::Metadata& m) { return m.Rename(from, to, mode); });
  }
  Status RenameAt(meta::InodeId from_parent, std::string_view from_name, meta::InodeId to_parent,
                  std::string_view to_name, meta::RenameMode mode) override {
    return Call(kOnce, [&](fs::Metadata& m) {
      return m.RenameAt(from_parent, from_name, to_parent, to_name, mode);
    });
  }
  // Setting a mode, owner or time to a value twice is setting it once; a
  // truncation makes a new generation each time.
  Result<meta::Attr> SetAttr(std::string_view path, const meta::SetAttrRequest& req) override {
    return Call(req.size ? kOnce : kRepeatable,
                [&](fs::Metadata& m) { return m.SetAttr(path, req); });
  }
  Result<meta::Attr> SetAttrAt(meta::InodeId inode, const meta::SetAttrRequest& req) override {
    return Call(req.size ? kOnce : kRepeatable,
                [&](fs::Metadata& m) { return m.SetAttrAt(inode, req); });
  }
  Status SetXattr(meta::InodeId inode, std::string_view name, std::string_view value,
                  meta::XattrMode mode) override {
    return Call(mode == meta::XattrMode::kEither ? kRepeatable : kOnce,
                [&](fs::Metadata& m) { return m.SetXattr(inode, name, value, mode); });
  }
  Status RemoveXattr(meta::InodeId inode, std::string_view name) override {
    return Call(kOnce, [&](fs::Metadata& m) { return m.RemoveXattr(inode, name); });
  }

  // A lease taken on a holder that died went with it: taking a new one on
  // its successor is safe.
  Result<uint64_t> BeginUpload() override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.BeginUpload(); });
  }
  void EndUpload(uint64_t lease) override { Current()->metadata->EndUpload(lease); }
  Result<std::vector<meta::Attr>> Publish(
      const std::vector<meta::PublishRequest>& requests) override {
    auto at = Current();
    // The service deduplicates single-file publishes by request id.
    if (at->remote != nullptr && requests.size() == 1 && requests[0].node.request_id.empty()) {
      std::vector<meta::PublishRequest> with_id = requests;
      with_id[0].node.request_id = ids_.Next();
      return Call(
          kRepeatable, [&](fs::Metadata& m) { return m.Publish(with_id); }, at);
    }
    bool repeatable = requests.size() == 1 && !requests[0].node.request_id.empty();
    return Call(
        repeatable ? kRepeatable : kOnce, [&](fs::Metadata& m) { return m.Publish(requests); }, at);
  }

  Result<meta::Snapshot> CreateSnapshot(std::string_view name, std::string_view root,
                                        int64_t expires_ns) override {
    return Call(kOnce, [&](fs::Metadata& m) { return m.CreateSnapshot(name, root, expires_ns); });
  }
  Result<std::vector<meta::Snapshot>> ListSnapshots() override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.ListSnapshots(); });
  }
  Status RetireSnapshot(std::string_view name) override {
    return Call(kOnce, [&](fs::Metadata& m) { return m.RetireSnapshot(name); });
  }
  Result<meta::Snapshot> RenewSnapshot(std::string_view name, int64_t expires_ns) override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.RenewSnapshot(name, expires_ns); });
  }

  Result<meta::EventPage> Watch(std::string_view path, std::string_view cursor, size_t limit,
                                std::chrono::milliseconds wait) override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.Watch(path, cursor, limit, wait); });
  }
  Result<std::string> LatestCursor() override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.LatestCursor(); });
  }

  Status AddIndexRule(const records::IndexRule& rule) override {
    return Call(kOnce, [&](fs::Metadata& m) { return m.AddIndexRule(rule); });
  }
  Status RemoveIndexRule(std::string_view id) override {
    return Call(kOnce, [&](fs::Metadata& m) { return m.RemoveIndexRule(id); });
  }
  Result<std::vector<meta::RuleRecord>> IndexRuleRecords() override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.IndexRuleRecords(); });
  }
  // Re-indexing again from the start gives the same rows.
  Status Reindex(std::string_view id) override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.Reindex(id); });
  }
  Result<meta::IndexProblems> IndexRuleProblems(std::string_view id, size_t examples) override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.IndexRuleProblems(id, examples); });
  }

  // Collecting, pruning or checkpointing twice does no harm.
  Result<meta::GcReport> CollectGarbage() override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.CollectGarbage(); });
  }
  Result<meta::GcPlan> PlanGarbage() override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.PlanGarbage(); });
  }
  // A repair run again finds less to fix; its fixes are guarded.
  Result<meta::FsckReport> Fsck(const meta::FsckOptions& options) override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.Fsck(options); });
  }
  Result<meta::GcReport> ExpireAndPrune() override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.ExpireAndPrune(); });
  }
  Status Checkpoint() override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.Checkpoint(); });
  }
  // A second try would take a second backup.
  Result<fs::BackupReport> Backup(const fs::BackupOptions& options) override {
    return Call(kOnce, [&](fs::Metadata& m) { return m.Backup(options); });
  }
  Result<std::vector<fs::BackupDescriptor>> ListBackups(std::string_view from) override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.ListBackups(from); });
  }

  Status CheckVerbScope(const query::ServiceOptions& scope) override {
    return Call(kRepeatable, [&](fs::Metadata& m) { return m.CheckVerbScope(scope); });
  }
  // The verbs only read. Their errors come back as JSON, so a lost holder is
  // told by the connection it left behind.
  nlohmann::json CallVerb(std::string_view verb, const nlohmann::json& args,
                          const query::ServiceOptions& scope,
                          const query::CallControl& control) override {
    auto at = Current();
    nlohmann::json result = at->metadata->CallVerb(verb, args, scope, control);
    if (at->remote == nullptr || !result.contains("error") || at->remote->connected()) {
      return result;
    }
    if (Status taken = TakeOver(at.get()); !taken.ok()) return query::FromStatus(taken).ToJson();
    return Current()->metadata->CallVerb(verb, args, scope, control);
  }

 private:
  enum Repeat { kRepeatable, kOnce };

  std::shared_ptr<Attachment> Current() const {
    std::lock_guard lock(mu_);
    return current_;
  }

  // Runs `fn` on the current attachment (or `at`). When it finds the holder
  // gone, takes over and runs it again if that is safe (see shared.h).
  template <typename Fn>
  auto Call(Repeat repeat, Fn&& fn, std::shared_ptr<Attachment> at = nullptr)
      -> decltype(fn(std::declval<fs::Metadata&>())) {
    if (!at) at = Current();
    auto result = fn(*at->metadata);
    Status status = StatusOf(result);
    if (at->remote == nullptr || !status.Is(Code::kUnavailable)) return result;
    NOKV_RETURN_IF_ERROR(TakeOver(at.get()));
    if (repeat == kOnce && !status.Is(Reason::kNotSent)) {
      return Status::Unavailable("the process serving " + options_.embedded.data_dir +
                                 " went away during the call, which may or may not have taken "
                                 "effect: " +
                                 std::string(status.message()));
    }
    return fn(*Current()->metadata);
  }

  // A create through a socket gets a request id, so it is repeatable.
  template <typename Fn>
  Result<meta::Attr> CallNode(const meta::NodeOptions& options, Fn&& fn) {
    auto at = Current();
    if (at->remote != nullptr && options.request_id.empty()) {
      meta::NodeOptions with_id = options;
      with_id.request_id = ids_.Next();
      return Call(
          kRepeatable, [&](fs::Metadata& m) { return fn(m, with_id); }, at);
    }
    return Call(
        options.request_id.empty() ? kOnce : kRepeatable,
        [&](fs::Metadata& m) { return fn(m, options); }, at);
  }

  // Replaces `lost` (unless another call already did) with a fresh hold,
  // holder or connection.
  Status TakeOver(const Attachment* lost) {
    std::lock_guard takeover(takeover_mu_);
    if (Current().get() != lost) return Status::Ok();
    auto next = Acquire(options_, options_.takeover_wait);
    if (!next.ok()) {
      return next.status().WithContext("the process serving " + options_.embedded.data_dir +
                                       " went away; taking it over");
    }
    Role role = (*next)->role;
    {
      std::lock_guard lock(mu_);
      current_ = std::move(next).value();
    }
    takeovers_.fetch_add(1);
    if (options_.on_change) {
      options_.on_change(role == Role::kClient
                             ? "the process serving " + options_.embedded.data_dir +
                                   " went away; reached its successor"
                             : "the process serving " + options_.embedded.data_dir +
                                   " went away; took it over (" + std::string(RoleName(role)) +
                                   ")");
    }
    return Status::Ok();
  }

  const ShareOptions options_;
  RequestIds ids_;
  std::mutex takeover_mu_;  // one takeover at a time
  mutable std::mutex mu_;
  std::shared_ptr<Attachment> current_;  // guarded by mu_
  std::atomic<uint64_t> takeovers_{0};
};

Result<std::unique_ptr<SharedDirectory>> SharedDirectory::Open(ShareOptions options) {
  NOKV_ASSIGN_OR_RETURN(std::unique_ptr<Attachment> first, Acquire(options, options.wait));
  fs::FilesystemParts parts;
  if (first->remote != nullptr) {
    RemoteFsOptions remote;
    remote.address = "unix:" + SocketPath(options.embedded.data_dir);
    remote.remote = options.remote;
    remote.io_threads = options.embedded.io_threads;
    NOKV_ASSIGN_OR_RETURN(parts, RemoteStoreParts(first->remote, remote));
  } else {
    // Held here: the Filesystem writes blocks to the stores the metadata
    // collects from.
    parts.stores = std::move(first->stores);
    parts.store = first->store;
    parts.io_threads = options.embedded.io_threads;
    parts.block_size = options.embedded.block_size;
  }
  std::unique_ptr<SharedDirectory> shared(new SharedDirectory());
  auto metadata = std::make_unique<Metadata>(std::move(options), std::move(first));
  shared->metadata_ = metadata.get();
  parts.metadata = std::move(metadata);
  shared->fs_ = std::make_unique<fs::Filesystem>(std::move(parts));
  return shared;
}

SharedDirectory::~SharedDirectory() = default;

SharedDirectory::Role SharedDirectory::role() const { return metadata_->role(); }
Holder* SharedDirectory::holder() { return metadata_->holder(); }
uint64_t SharedDirectory::takeovers() const { return metadata_->takeovers(); }

}  // namespace nokv::server
