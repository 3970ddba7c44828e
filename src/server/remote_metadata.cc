// RemoteMetadata: each seam call as one `meta.*` request (server/methods.cc
// answers it), and the renewer that keeps this client's leases alive.
#include "server/remote_metadata.h"

#include "query/verb_error.h"
#include "rpc/payload.h"

namespace nokv::server {

Result<std::unique_ptr<RemoteMetadata>> RemoteMetadata::Connect(std::string_view address,
                                                                RemoteOptions options) {
  NOKV_ASSIGN_OR_RETURN(auto client, rpc::Client::Connect(address, options.client));
  return std::unique_ptr<RemoteMetadata>(new RemoteMetadata(std::move(client), std::move(options)));
}

RemoteMetadata::RemoteMetadata(std::unique_ptr<rpc::Client> client, RemoteOptions options)
    : client_(std::move(client)), options_(std::move(options)) {
  renewer_ = std::thread([this] { Renew(); });
}

RemoteMetadata::~RemoteMetadata() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  // A renewal in flight to a server that does not answer is given up, not
  // waited for until its deadline.
  stop_renewing_ = true;
  wake_.notify_all();
  renewer_.join();
}

void RemoteMetadata::Renew() {
  std::unique_lock lock(mu_);
  auto period =
      std::max<std::chrono::milliseconds>(options_.lease_ttl / 3, std::chrono::milliseconds(10));
  while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
    if (leases_.empty()) continue;
    Json ids(std::vector<uint64_t>(leases_.begin(), leases_.end()));
    lock.unlock();
    // A failed renewal is retried next period; a lease the server no longer
    // has is forgotten (its reads then fail with Expired).
    auto answer =
        Invoke("meta.renew", Json{{"ids", std::move(ids)}}, Retry::kOnce, {}, &stop_renewing_);
    lock.lock();
    if (answer.ok() && answer->contains("lost") && (*answer)["lost"].is_array()) {
      for (const auto& id : (*answer)["lost"]) {
        if (id.is_number_unsigned()) leases_.erase(id.get<uint64_t>());
      }
    }
  }
}

void RemoteMetadata::Track(uint64_t lease) {
  std::lock_guard lock(mu_);
  leases_.insert(lease);
}

void RemoteMetadata::Untrack(uint64_t lease) {
  std::lock_guard lock(mu_);
  leases_.erase(lease);
}

size_t RemoteMetadata::held_leases() const {
  std::lock_guard lock(mu_);
  return leases_.size();
}

Result<std::string> RemoteMetadata::InvokeRaw(std::string_view method, std::string_view payload,
                                              Retry retry, std::chrono::milliseconds extra_wait,
                                              const std::atomic<bool>* cancelled) {
  for (int attempt = 0;; ++attempt) {
    if (!client_->connected()) {
      if (Status s = client_->Reconnect(); !s.ok()) {
        return Status(s.code(), s.message(), Reason::kNotSent);
      }
    }
    auto response = client_->Call(method, payload,
                                  rpc::DeadlineIn(options_.call_timeout + extra_wait), cancelled);
    if (!response.ok()) {
      if (response.status().code() == Code::kUnavailable && retry == Retry::kOnce && attempt == 0) {
        continue;
      }
      return response.status();
    }
    if (!response->status.ok()) return response->status;
    return std::move(response->payload);
  }
}

Result<Json> RemoteMetadata::Invoke(std::string_view method, const Json& args, Retry retry,
                                    std::chrono::milliseconds extra_wait,
                                    const std::atomic<bool>* cancelled) {
  NOKV_ASSIGN_OR_RETURN(std::string result,
                        InvokeRaw(method, rpc::EncodePayload(args), retry, extra_wait, cancelled));
  return rpc::DecodePayload(result);
}

template <typename T>
Result<T> RemoteMetadata::InvokeFast(std::string_view method, std::string_view payload, Retry retry,
                                     bool (*read)(rpc::MsgReader&, T*)) {
  NOKV_ASSIGN_OR_RETURN(std::string result, InvokeRaw(method, payload, retry));
  T value;
  if (ReadWhole(result, read, &value)) return value;
  NOKV_ASSIGN_OR_RETURN(Json json, rpc::DecodePayload(result));
  return FromWire<T>(json);
}

namespace {

// Argument maps of the hot calls, written directly. `at` is left out when it
// is the latest read point (the server's default).
class ArgWriter {
 public:
  ArgWriter(std::string* out, uint32_t fields, const fs::ReadAt* at = nullptr)
      : w_(out), at_(at != nullptr && (!at->snapshot.empty() || at->pin != 0) ? at : nullptr) {
    out->reserve(64);
    w_.Map(fields + (at_ != nullptr));
    if (at_ != nullptr) w_.Str("at"), WriteReadAt(w_, *at_);
  }
  ArgWriter& U64(std::string_view key, uint64_t v) { return w_.Str(key), w_.Uint(v), *this; }
  ArgWriter& Str(std::string_view key, std::string_view v) { return w_.Str(key), w_.Str(v), *this; }
  ArgWriter& Bool(std::string_view key, bool v) { return w_.Str(key), w_.Bool(v), *this; }
  ArgWriter& Node(const meta::NodeOptions& node) {
    w_.Str("node");
    WriteNodeOptions(w_, node);
    return *this;
  }

 private:
  rpc::MsgWriter w_;
  const fs::ReadAt* at_;
};

}  // namespace

template <typename T>
Result<T> RemoteMetadata::InvokeAs(std::string_view method, const Json& args, Retry retry) {
  NOKV_ASSIGN_OR_RETURN(Json result, Invoke(method, args, retry));
  return FromWire<T>(result);
}

Status RemoteMetadata::InvokeStatus(std::string_view method, const Json& args) {
  return Invoke(method, args, Retry::kNo).status();
}

Result<Json> RemoteMetadata::StoreInfo() {
  return Invoke("meta.store", Json::object(), Retry::kOnce);
}

Result<std::vector<Result<Json>>> RemoteMetadata::CallBatch(const std::vector<BatchCall>& calls,
                                                            bool stop_on_error) {
  if (calls.size() > kMaxBatchCalls) {
    return Status::InvalidArgument("a batch holds at most " + std::to_string(kMaxBatchCalls) +
                                   " calls, not " + std::to_string(calls.size()));
  }
  // A lease released in the batch is no longer renewed, as Unpin does first.
  for (const BatchCall& call : calls) {
    if (call.method != "meta.unpin" && call.method != "meta.end_upload") continue;
    auto id = call.args.find("id");
    if (id != call.args.end() && id->is_number_unsigned()) Untrack(id->get<uint64_t>());
  }
  NOKV_ASSIGN_OR_RETURN(Json items,
                        Invoke("meta.batch", BatchToWire(calls, stop_on_error), Retry::kNo));
  if (!items.is_array() || items.size() != calls.size()) {
    return Status::Corruption("meta.batch answered " +
                              std::to_string(items.is_array() ? items.size() : 0) + " items for " +
                              std::to_string(calls.size()) + " calls");
  }
  std::vector<Result<Json>> out;
  out.reserve(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    NOKV_ASSIGN_OR_RETURN(Result<Json> item, BatchItemFromWire(items[i]));
    if (item.ok()) TrackBatchResult(calls[i].method, *item);
    out.push_back(std::move(item));
  }
  return out;
}

void RemoteMetadata::TrackBatchResult(std::string_view method, const Json& value) {
  if (method == "meta.pin") {
    if (auto pin = FromWire<fs::Pin>(value); pin.ok()) Track(pin->id);
  } else if (method == "meta.open") {
    if (auto file = FromWire<fs::OpenedFile>(value); file.ok()) Track(file->pin.id);
  } else if (method == "meta.begin_upload") {
    auto id = value.find("id");
    if (id != value.end() && id->is_number_unsigned()) Track(id->get<uint64_t>());
  }
}

namespace {

// The items of a `meta.batch` answer of creates, read directly; false when
// the answer is in another form (then codec.h reads it).
bool ReadCreateItems(std::string_view payload, size_t expected,
                     std::vector<Result<meta::Attr>>* out) {
  rpc::MsgReader r(payload);
  uint32_t n = 0;
  if (!r.Array(&n) || n != expected) return false;
  out->clear();
  out->reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    rpc::WireStatus wire;
    bool coded = false, valued = false;
    meta::Attr attr;
    bool ok = ReadFields(r, [&](std::string_view k) {
      if (k == "c") return coded = ReadUint(r, &wire.code);
      if (k == "v") return valued = ReadAttr(r, &attr);
      if (k == "r") return ReadUint(r, &wire.reason);
      if (k == "m") {
        std::string_view m;
        if (!r.Str(&m)) return false;
        wire.message.assign(m);
        return true;
      }
      return r.Skip();
    });
    if (!ok || !coded || (wire.code == 0 && !valued)) return false;
    if (wire.code == 0) {
      out->push_back(std::move(attr));
    } else {
      out->push_back(rpc::StatusFromWire(wire));
    }
  }
  return r.done();
}

}  // namespace

Result<std::vector<Result<meta::Attr>>> RemoteMetadata::CreateBatch(
    meta::InodeId parent, std::span<const std::string> names, const meta::NodeOptions& node) {
  if (names.size() > kMaxBatchCalls) {
    return Status::InvalidArgument("a batch holds at most " + std::to_string(kMaxBatchCalls) +
                                   " calls, not " + std::to_string(names.size()));
  }
  std::string payload;
  payload.reserve(names.size() * 48 + 16);
  rpc::MsgWriter w(&payload);
  w.Map(1);
  w.Str("calls");
  w.Array(static_cast<uint32_t>(names.size()));
  for (const std::string& name : names) {
    w.Map(2);
    w.Str("method"), w.Str("meta.createat");
    w.Str("args");
    ArgWriter(&payload, 3).U64("parent", parent).Str("name", name).Node(node);
  }
  NOKV_ASSIGN_OR_RETURN(std::string answer, InvokeRaw("meta.batch", payload, Retry::kNo));
  std::vector<Result<meta::Attr>> out;
  if (ReadCreateItems(answer, names.size(), &out)) return out;
  NOKV_ASSIGN_OR_RETURN(Json items, rpc::DecodePayload(answer));
  if (!items.is_array() || items.size() != names.size()) {
    return Status::Corruption("meta.batch answered " +
                              std::to_string(items.is_array() ? items.size() : 0) + " items for " +
                              std::to_string(names.size()) + " calls");
  }
  out.clear();
  for (const Json& wire : items) {
    NOKV_ASSIGN_OR_RETURN(Result<Json> item, BatchItemFromWire(wire));
    if (!item.ok()) {
      out.push_back(item.status());
    } else {
      out.push_back(FromWire<meta::Attr>(*item));
    }
  }
  return out;
}

Result<fs::Pin> RemoteMetadata::PinRead(const fs::ReadAt& at) {
  std::string args;
  ArgWriter(&args, 0, &at);
  NOKV_ASSIGN_OR_RETURN(fs::Pin pin, InvokeFast("meta.pin", args, Retry::kOnce, ReadPin));
  Track(pin.id);
  return pin;
}

void RemoteMetadata::Unpin(uint64_t pin) {
  Untrack(pin);
  // Sent without waiting for the answer, so a reader's close costs no round
  // trip. Best effort: a pin the server never hears about (the connection is
  // down, the request is lost) still expires with its lease, which is no
  // longer renewed.
  if (!client_->connected()) return;
  std::string args;
  ArgWriter(&args, 1).U64("id", pin);
  client_->CallAsync("meta.unpin", args, rpc::DeadlineIn(options_.call_timeout),
                     [](Result<rpc::Response>) {});
}

Result<meta::Attr> RemoteMetadata::Stat(std::string_view path, const fs::ReadAt& at) {
  std::string args;
  ArgWriter(&args, 1, &at).Str("path", path);
  return InvokeFast("meta.stat", args, Retry::kOnce, ReadAttr);
}

Result<meta::Attr> RemoteMetadata::GetAttr(meta::InodeId inode, const fs::ReadAt& at) {
  std::string args;
  ArgWriter(&args, 1, &at).U64("inode", inode);
  return InvokeFast("meta.getattr", args, Retry::kOnce, ReadAttr);
}

Result<meta::DirEntry> RemoteMetadata::Lookup(meta::InodeId parent, std::string_view name,
                                              const fs::ReadAt& at) {
  std::string args;
  ArgWriter(&args, 2, &at).U64("parent", parent).Str("name", name);
  return InvokeFast("meta.lookup", args, Retry::kOnce, ReadDirEntry);
}

Result<meta::DirPage> RemoteMetadata::ReadDir(meta::InodeId dir, std::string_view start_after,
                                              size_t limit, bool with_attrs, const fs::ReadAt& at) {
  std::string args;
  ArgWriter(&args, 4, &at)
      .U64("dir", dir)
      .Str("after", start_after)
      .U64("limit", limit)
      .Bool("attrs", with_attrs);
  return InvokeFast("meta.readdir", args, Retry::kOnce, ReadDirPage);
}

Result<meta::DirPage> RemoteMetadata::List(std::string_view path, std::string_view start_after,
                                           size_t limit, const fs::ReadAt& at) {
  return InvokeAs<meta::DirPage>(
      "meta.list", {{"path", path}, {"after", start_after}, {"limit", limit}, {"at", ToWire(at)}},
      Retry::kOnce);
}

Result<meta::Manifest> RemoteMetadata::GetManifest(meta::InodeId inode, uint64_t generation,
                                                   const fs::ReadAt& at) {
  return InvokeAs<meta::Manifest>(
      "meta.manifest", {{"inode", inode}, {"gen", generation}, {"at", ToWire(at)}}, Retry::kOnce);
}

Result<fs::OpenedFile> RemoteMetadata::OpenFile(std::string_view path, const fs::ReadAt& at) {
  std::string args;
  ArgWriter(&args, 1, &at).Str("path", path);
  return Open(args);
}

Result<fs::OpenedFile> RemoteMetadata::OpenFileAt(meta::InodeId inode, const fs::ReadAt& at) {
  std::string args;
  ArgWriter(&args, 1, &at).U64("inode", inode);
  return Open(args);
}

Result<fs::OpenedFile> RemoteMetadata::Open(std::string_view args) {
  NOKV_ASSIGN_OR_RETURN(fs::OpenedFile file,
                        InvokeFast("meta.open", args, Retry::kOnce, ReadOpenedFile));
  Track(file.pin.id);
  return file;
}

Result<std::string> RemoteMetadata::GetXattr(meta::InodeId inode, std::string_view name,
                                             const fs::ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(
      Json value, Invoke("meta.getxattr", {{"inode", inode}, {"name", name}, {"at", ToWire(at)}},
                         Retry::kOnce));
  if (!value.is_binary()) return Status::Corruption("meta.getxattr answered something else");
  return std::string(value.get_binary().begin(), value.get_binary().end());
}

Result<std::vector<std::string>> RemoteMetadata::ListXattrs(meta::InodeId inode,
                                                            const fs::ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(
      Json names, Invoke("meta.listxattrs", {{"inode", inode}, {"at", ToWire(at)}}, Retry::kOnce));
  std::vector<std::string> out;
  if (!names.is_array()) return Status::Corruption("meta.listxattrs answered something else");
  for (const auto& name : names) {
    if (!name.is_string()) return Status::Corruption("meta.listxattrs answered something else");
    out.push_back(name.get<std::string>());
  }
  return out;
}

Result<std::string> RemoteMetadata::PathOf(meta::InodeId inode, const fs::ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(
      Json path, Invoke("meta.pathof", {{"inode", inode}, {"at", ToWire(at)}}, Retry::kOnce));
  if (!path.is_string()) return Status::Corruption("meta.pathof answered something else");
  return path.get<std::string>();
}

Result<meta::FsTotals> RemoteMetadata::Totals() {
  return InvokeAs<meta::FsTotals>("meta.totals", Json::object(), Retry::kOnce);
}

Result<fs::MetadataStats> RemoteMetadata::Stats() {
  return InvokeAs<fs::MetadataStats>("meta.stats", Json::object(), Retry::kOnce);
}

Result<meta::Attr> RemoteMetadata::Mkdir(std::string_view path, const meta::NodeOptions& options) {
  return InvokeAs<meta::Attr>("meta.mkdir", {{"path", path}, {"node", ToWire(options)}},
                              Retry::kNo);
}

Result<meta::Attr> RemoteMetadata::MkdirAt(meta::InodeId parent, std::string_view name,
                                           const meta::NodeOptions& options) {
  std::string args;
  ArgWriter(&args, 3).U64("parent", parent).Str("name", name).Node(options);
  return InvokeFast("meta.mkdirat", args, Retry::kNo, ReadAttr);
}

Result<meta::Attr> RemoteMetadata::CreateAt(meta::InodeId parent, std::string_view name,
                                            const meta::NodeOptions& options) {
  std::string args;
  ArgWriter(&args, 3).U64("parent", parent).Str("name", name).Node(options);
  return InvokeFast("meta.createat", args, Retry::kNo, ReadAttr);
}

Result<meta::Attr> RemoteMetadata::Symlink(std::string_view path, std::string_view target,
                                           const meta::NodeOptions& options) {
  return InvokeAs<meta::Attr>(
      "meta.symlink", {{"path", path}, {"target", target}, {"node", ToWire(options)}}, Retry::kNo);
}

Result<meta::Attr> RemoteMetadata::SymlinkAt(meta::InodeId parent, std::string_view name,
                                             std::string_view target,
                                             const meta::NodeOptions& options) {
  return InvokeAs<meta::Attr>(
      "meta.symlinkat",
      {{"parent", parent}, {"name", name}, {"target", target}, {"node", ToWire(options)}},
      Retry::kNo);
}

Result<meta::Attr> RemoteMetadata::Link(std::string_view existing, std::string_view new_path) {
  return InvokeAs<meta::Attr>("meta.link", {{"existing", existing}, {"path", new_path}},
                              Retry::kNo);
}

Result<meta::Attr> RemoteMetadata::LinkAt(meta::InodeId inode, meta::InodeId new_parent,
                                          std::string_view new_name) {
  return InvokeAs<meta::Attr>(
      "meta.linkat", {{"inode", inode}, {"parent", new_parent}, {"name", new_name}}, Retry::kNo);
}

// A conditional unlink is a method of its own: a server that did not know
// the condition would remove whatever is there.
Status RemoteMetadata::Unlink(std::string_view path, uint64_t expected_generation) {
  if (expected_generation == 0) return InvokeStatus("meta.unlink", {{"path", path}});
  return InvokeStatus("meta.unlink_generation",
                      {{"path", path}, {"expected_generation", expected_generation}});
}

Status RemoteMetadata::UnlinkAt(meta::InodeId parent, std::string_view name) {
  return InvokeStatus("meta.unlinkat", {{"parent", parent}, {"name", name}});
}

Status RemoteMetadata::Rmdir(std::string_view path) {
  return InvokeStatus("meta.rmdir", {{"path", path}});
}

Result<uint64_t> RemoteMetadata::RemoveTree(std::string_view path) {
  NOKV_ASSIGN_OR_RETURN(Json removed, Invoke("meta.removetree", {{"path", path}}, Retry::kNo));
  if (!removed.is_number_unsigned()) return Status::Corruption("meta.removetree answered badly");
  return removed.get<uint64_t>();
}

Status RemoteMetadata::RmdirAt(meta::InodeId parent, std::string_view name) {
  return InvokeStatus("meta.rmdirat", {{"parent", parent}, {"name", name}});
}

Status RemoteMetadata::Rename(std::string_view from, std::string_view to, meta::RenameMode mode) {
  return InvokeStatus("meta.rename",
                      {{"from", from}, {"to", to}, {"mode", static_cast<int>(mode)}});
}

Status RemoteMetadata::RenameAt(meta::InodeId from_parent, std::string_view from_name,
                                meta::InodeId to_parent, std::string_view to_name,
                                meta::RenameMode mode) {
  return InvokeStatus("meta.renameat", {{"from_parent", from_parent},
                                        {"from", from_name},
                                        {"to_parent", to_parent},
                                        {"to", to_name},
                                        {"mode", static_cast<int>(mode)}});
}

Result<meta::Attr> RemoteMetadata::SetAttr(std::string_view path, const meta::SetAttrRequest& req) {
  return InvokeAs<meta::Attr>("meta.setattr", {{"path", path}, {"req", ToWire(req)}}, Retry::kNo);
}

Result<meta::Attr> RemoteMetadata::SetAttrAt(meta::InodeId inode, const meta::SetAttrRequest& req) {
  return InvokeAs<meta::Attr>("meta.setattrat", {{"inode", inode}, {"req", ToWire(req)}},
                              Retry::kNo);
}

Status RemoteMetadata::SetXattr(meta::InodeId inode, std::string_view name, std::string_view value,
                                meta::XattrMode mode) {
  return InvokeStatus("meta.setxattr",
                      {{"inode", inode},
                       {"name", name},
                       {"value", Json::binary(std::vector<uint8_t>(value.begin(), value.end()))},
                       {"mode", static_cast<int>(mode)}});
}

Status RemoteMetadata::RemoveXattr(meta::InodeId inode, std::string_view name) {
  return InvokeStatus("meta.removexattr", {{"inode", inode}, {"name", name}});
}

Result<uint64_t> RemoteMetadata::BeginUpload() {
  NOKV_ASSIGN_OR_RETURN(Json lease, Invoke("meta.begin_upload", Json::object(), Retry::kOnce));
  if (!lease.contains("id") || !lease["id"].is_number_unsigned()) {
    return Status::Corruption("meta.begin_upload answered badly");
  }
  uint64_t id = lease["id"].get<uint64_t>();
  Track(id);
  return id;
}

void RemoteMetadata::EndUpload(uint64_t lease) {
  Untrack(lease);
  (void)Invoke("meta.end_upload", {{"id", lease}}, Retry::kNo);
}

Result<std::vector<meta::Attr>> RemoteMetadata::Publish(
    const std::vector<meta::PublishRequest>& requests) {
  std::string payload;
  size_t bytes = 16;
  for (const meta::PublishRequest& r : requests) {
    bytes +=
        96 + r.path.size() + r.manifest.layout.blocks.size() * 42 + (r.body ? r.body->size() : 0);
  }
  payload.reserve(bytes);
  rpc::MsgWriter w(&payload);
  w.Map(1);
  w.Str("files");
  w.Array(static_cast<uint32_t>(requests.size()));
  for (const meta::PublishRequest& r : requests) WritePublishRequest(w, r);
  NOKV_ASSIGN_OR_RETURN(std::string answer, InvokeRaw("meta.publish", payload, Retry::kNo));
  std::vector<meta::Attr> attrs;
  if (ReadWhole(answer, ReadAttrList, &attrs)) return attrs;
  NOKV_ASSIGN_OR_RETURN(Json json, rpc::DecodePayload(answer));
  return ListFromWire<meta::Attr>(json);
}

Result<meta::Snapshot> RemoteMetadata::CreateSnapshot(std::string_view name, std::string_view root,
                                                      int64_t expires_ns) {
  if (expires_ns < 0) return Status::InvalidArgument("a snapshot expiry must not be negative");
  return InvokeAs<meta::Snapshot>("meta.snapshot_create",
                                  {{"name", name}, {"root", root}, {"expires_ns", expires_ns}},
                                  Retry::kNo);
}

Result<std::vector<meta::Snapshot>> RemoteMetadata::ListSnapshots() {
  NOKV_ASSIGN_OR_RETURN(Json list, Invoke("meta.snapshot_list", Json::object(), Retry::kOnce));
  return ListFromWire<meta::Snapshot>(list);
}

Status RemoteMetadata::RetireSnapshot(std::string_view name) {
  return InvokeStatus("meta.snapshot_retire", {{"name", name}});
}

Result<meta::Snapshot> RemoteMetadata::RenewSnapshot(std::string_view name, int64_t expires_ns) {
  return InvokeAs<meta::Snapshot>("meta.snapshot_renew",
                                  {{"name", name}, {"expires_ns", expires_ns}}, Retry::kNo);
}

Result<meta::EventPage> RemoteMetadata::Watch(std::string_view path, std::string_view cursor,
                                              size_t limit, std::chrono::milliseconds wait) {
  NOKV_ASSIGN_OR_RETURN(
      Json page, Invoke("meta.watch",
                        {{"path", path},
                         {"cursor", cursor},
                         {"limit", limit},
                         {"wait_ms", static_cast<uint64_t>(std::max<int64_t>(0, wait.count()))}},
                        Retry::kOnce, wait));
  return FromWire<meta::EventPage>(page);
}

Result<std::string> RemoteMetadata::LatestCursor() {
  NOKV_ASSIGN_OR_RETURN(Json cursor, Invoke("meta.latest_cursor", Json::object(), Retry::kOnce));
  if (!cursor.is_string()) return Status::Corruption("meta.latest_cursor answered badly");
  return cursor.get<std::string>();
}

Status RemoteMetadata::AddIndexRule(const records::IndexRule& rule) {
  return InvokeStatus("meta.index_add", {{"rule", records::RuleToJson(rule)}});
}

Status RemoteMetadata::RemoveIndexRule(std::string_view id) {
  return InvokeStatus("meta.index_remove", {{"id", id}});
}

Result<std::vector<meta::RuleRecord>> RemoteMetadata::IndexRuleRecords() {
  NOKV_ASSIGN_OR_RETURN(Json list, Invoke("meta.index_list", Json::object(), Retry::kOnce));
  return ListFromWire<meta::RuleRecord>(list);
}

Status RemoteMetadata::Reindex(std::string_view id) {
  return InvokeStatus("meta.reindex", {{"id", id}});
}

Result<meta::IndexProblems> RemoteMetadata::IndexRuleProblems(std::string_view id,
                                                              size_t examples) {
  return InvokeAs<meta::IndexProblems>("meta.index_problems", {{"id", id}, {"examples", examples}},
                                       Retry::kOnce);
}

// A backup writes the whole metadata image: far longer than one call.
constexpr std::chrono::milliseconds kBackupWait = std::chrono::hours(1);

Result<fs::BackupReport> RemoteMetadata::Backup(const fs::BackupOptions& options) {
  NOKV_ASSIGN_OR_RETURN(
      Json reply,
      Invoke("meta.backup",
             {{"to", options.to}, {"keep", options.keep}, {"part_bytes", options.part_bytes}},
             Retry::kNo, kBackupWait));
  return fs::BackupReportFromJson(reply);
}

Result<std::vector<fs::BackupDescriptor>> RemoteMetadata::ListBackups(std::string_view from) {
  NOKV_ASSIGN_OR_RETURN(Json reply, Invoke("meta.backups", {{"from", from}}, Retry::kOnce));
  std::vector<fs::BackupDescriptor> out;
  if (!reply.contains("backups") || !reply["backups"].is_array()) {
    return Status::Corruption("meta.backups: no backup list in the reply");
  }
  for (const Json& j : reply["backups"]) {
    NOKV_ASSIGN_OR_RETURN(fs::BackupDescriptor b, fs::DescriptorFromJson(j, "meta.backups"));
    out.push_back(std::move(b));
  }
  return out;
}

Result<meta::GcReport> RemoteMetadata::CollectGarbage() {
  return InvokeAs<meta::GcReport>("meta.gc", Json::object(), Retry::kNo);
}

// A method of its own, not a flag of meta.gc: a server that did not know the
// flag would collect.
Result<meta::GcPlan> RemoteMetadata::PlanGarbage() {
  return InvokeAs<meta::GcPlan>("meta.gc_plan", Json::object(), Retry::kOnce);
}

Result<meta::FsckReport> RemoteMetadata::Fsck(const meta::FsckOptions& options) {
  return InvokeAs<meta::FsckReport>("meta.fsck",
                                    {{"repair", options.repair},
                                     {"verify", options.verify},
                                     {"rate", options.rate_bytes_per_sec}},
                                    Retry::kNo);
}

Result<meta::GcReport> RemoteMetadata::ExpireAndPrune() {
  return InvokeAs<meta::GcReport>("meta.expire_prune", Json::object(), Retry::kNo);
}

Status RemoteMetadata::Checkpoint() { return InvokeStatus("meta.checkpoint", Json::object()); }

Status RemoteMetadata::CheckVerbScope(const query::ServiceOptions& scope) {
  return Invoke("meta.verb_scope", {{"scope", ToWire(scope)}}, Retry::kOnce).status();
}

nlohmann::json RemoteMetadata::CallVerb(std::string_view verb, const nlohmann::json& args,
                                        const query::ServiceOptions& scope,
                                        const query::CallControl& control) {
  // A cancel reaches the server, which stops the verb (its Responder is
  // cancelled); the caller gets "cancelled" at once either way.
  auto result = Invoke("meta.verb", {{"verb", verb}, {"args", args}, {"scope", ToWire(scope)}},
                       Retry::kOnce, {}, control.cancelled);
  if (!result.ok()) return query::FromStatus(result.status()).ToJson();
  return std::move(result).value();
}

}  // namespace nokv::server
