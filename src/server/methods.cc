// The metadata methods: decode arguments, call the backend, encode the
// result. Pins and upload leases are tracked with an expiry.
#include "server/methods.h"

#include <algorithm>
#include <limits>

#include "rpc/payload.h"
#include "server/batch.h"

namespace nokv::server {
namespace {

// Leases are swept at most this often from Handle.
constexpr std::chrono::seconds kSweepEvery{1};

// Reads that never wait for I/O (holt readers do not), bounded by their
// page limit: safe on the event loop.
constexpr const char* kInlineReads[] = {
    "meta.pin",      "meta.unpin",      "meta.renew",  "meta.stat",     "meta.getattr",
    "meta.lookup",   "meta.readdir",    "meta.list",   "meta.manifest", "meta.open",
    "meta.getxattr", "meta.listxattrs", "meta.pathof", "meta.store",    "meta.end_upload"};
// Single-commit namespace mutations: inline only when commits skip fsync.
constexpr const char* kInlineMutations[] = {
    "meta.mkdir",     "meta.mkdirat",   "meta.createat",
    "meta.symlink",   "meta.symlinkat", "meta.link",
    "meta.linkat",    "meta.unlink",    "meta.unlink_generation",
    "meta.unlinkat",  "meta.rmdir",     "meta.rmdirat",
    "meta.rename",    "meta.renameat",  "meta.setattr",
    "meta.setattrat", "meta.setxattr",  "meta.removexattr"};

Result<Json> Done(const Status& status) {
  if (!status.ok()) return status;
  return Json::object();
}

template <typename T>
Result<Json> Encoded(Result<T> result) {
  if (!result.ok()) return result.status();
  return ToWire(*result);
}

template <typename T>
Result<Json> EncodedList(Result<std::vector<T>> result) {
  if (!result.ok()) return result.status();
  return ListToWire(*result);
}

}  // namespace

MetadataMethods::MetadataMethods(fs::Metadata* backend, MethodOptions options)
    : backend_(backend), options_(std::move(options)) {
  Register();
  RegisterFast();
  for (const auto& [name, method] : options_.extra_methods) methods_.emplace(name, method);
  for (const auto& [name, method] : methods_) counters_.try_emplace(name);
  for (const auto& [name, method] : cancellable_) counters_.try_emplace(name);
  hub_ = std::make_unique<WatchHub>(backend_);
  for (const char* name : kInlineReads) inline_.emplace(name);
  if (options_.inline_mutations) {
    for (const char* name : kInlineMutations) inline_.emplace(name);
  }
}

bool MetadataMethods::RunsInline(std::string_view method) const { return inline_.contains(method); }

MetadataMethods::~MetadataMethods() {
  std::lock_guard lock(mu_);
  for (const auto& [id, lease] : leases_) {
    if (lease.kind == LeaseKind::kPin) {
      backend_->Unpin(id);
    } else {
      backend_->EndUpload(id);
    }
  }
}

std::chrono::steady_clock::time_point MetadataMethods::Now() const {
  return options_.now ? options_.now() : std::chrono::steady_clock::now();
}

void MetadataMethods::Hold(LeaseKind kind, uint64_t id) {
  std::lock_guard lock(mu_);
  leases_[id] = Lease{kind, Now() + options_.lease_ttl};
}

bool MetadataMethods::Drop(LeaseKind kind, uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = leases_.find(id);
  if (it == leases_.end() || it->second.kind != kind) return false;
  leases_.erase(it);
  return true;
}

size_t MetadataMethods::ReleaseExpired() {
  std::vector<std::pair<uint64_t, LeaseKind>> expired;
  {
    std::lock_guard lock(mu_);
    auto now = Now();
    next_sweep_.store(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                          now.time_since_epoch() + kSweepEvery)
                          .count(),
                      std::memory_order_relaxed);
    for (auto it = leases_.begin(); it != leases_.end();) {
      if (it->second.expires > now) {
        ++it;
        continue;
      }
      expired.emplace_back(it->first, it->second.kind);
      it = leases_.erase(it);
    }
  }
  for (const auto& [id, kind] : expired) {
    if (kind == LeaseKind::kPin) {
      backend_->Unpin(id);
    } else {
      backend_->EndUpload(id);
    }
  }
  return expired.size();
}

size_t MetadataMethods::leases() const {
  std::lock_guard lock(mu_);
  return leases_.size();
}

void MetadataMethods::MaybeSweep() {
  if (Now().time_since_epoch().count() >= next_sweep_.load(std::memory_order_relaxed)) {
    ReleaseExpired();
  }
}

void MetadataMethods::Count(std::string_view method, std::chrono::steady_clock::time_point start,
                            bool ok) {
  auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count();
  MethodCounters& c = counters_.find(method)->second;
  c.calls.fetch_add(1, std::memory_order_relaxed);
  if (!ok) c.errors.fetch_add(1, std::memory_order_relaxed);
  c.nanos.fetch_add(static_cast<uint64_t>(nanos), std::memory_order_relaxed);
  double seconds = static_cast<double>(nanos) / 1e9;
  size_t bucket = 0;
  while (bucket < std::size(kLatencyBounds) && seconds > kLatencyBounds[bucket]) ++bucket;
  c.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
}

Result<Json> MetadataMethods::Handle(std::string_view method, const Json& args,
                                     const std::atomic<bool>* cancelled) {
  MaybeSweep();
  auto it = methods_.find(method);
  auto verb = it == methods_.end() ? cancellable_.find(method) : cancellable_.end();
  if (it == methods_.end() && verb == cancellable_.end()) {
    return Status::NotSupported("unknown method '" + std::string(method) + "'");
  }
  auto start = std::chrono::steady_clock::now();
  Result<Json> result = it != methods_.end() ? it->second(args) : verb->second(args, cancelled);
  Count(method, start, result.ok());
  return result;
}

Result<std::string> MetadataMethods::HandlePayload(std::string_view method,
                                                   std::string_view payload) {
  FastResult fast;
  auto start = std::chrono::steady_clock::now();
  // A batch is counted as a whole and each of its calls under its own method.
  if (auto it = fast_.find(method); it != fast_.end()) {
    MaybeSweep();
    fast = it->second(payload);
  }
  if (fast) {
    Count(method, start, fast->ok());
    return std::move(*fast);
  }
  NOKV_ASSIGN_OR_RETURN(Json args, rpc::DecodePayload(payload));
  NOKV_ASSIGN_OR_RETURN(Json result, Handle(method, args));
  return rpc::EncodePayload(result);
}

void MetadataMethods::Register() {
  fs::Metadata* m = backend_;
  auto add = [this](const char* name, Method fn) { methods_.emplace(name, std::move(fn)); };

  // --- Read points and leases ---------------------------------------------------
  add("meta.pin", [this, m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto at = a.Value<fs::ReadAt>("at", true);
    NOKV_RETURN_IF_ERROR(a.status());
    NOKV_ASSIGN_OR_RETURN(fs::Pin pin, m->PinRead(at));
    Hold(LeaseKind::kPin, pin.id);
    return ToWire(pin);
  });
  add("meta.unpin", [this, m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    uint64_t id = a.U64("id");
    NOKV_RETURN_IF_ERROR(a.status());
    if (Drop(LeaseKind::kPin, id)) m->Unpin(id);
    return Json::object();
  });
  add("meta.begin_upload", [this, m](const Json&) -> Result<Json> {
    NOKV_ASSIGN_OR_RETURN(uint64_t id, m->BeginUpload());
    Hold(LeaseKind::kUpload, id);
    return Json{{"id", id}};
  });
  add("meta.end_upload", [this, m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    uint64_t id = a.U64("id");
    NOKV_RETURN_IF_ERROR(a.status());
    if (Drop(LeaseKind::kUpload, id)) m->EndUpload(id);
    return Json::object();
  });
  // Renews the leases a client holds; answers the ids it no longer holds.
  add("meta.renew", [this](const Json& j) -> Result<Json> {
    if (!j.is_object() || !j.contains("ids") || !j["ids"].is_array()) {
      return Status::InvalidArgument("meta.renew takes a list 'ids'");
    }
    Json lost = Json::array();
    std::lock_guard lock(mu_);
    auto expires = Now() + options_.lease_ttl;
    for (const auto& v : j["ids"]) {
      if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<int64_t>() < 0)) {
        return Status::InvalidArgument("lease ids are unsigned integers");
      }
      auto it = leases_.find(v.get<uint64_t>());
      if (it == leases_.end()) {
        lost.push_back(v);
      } else {
        it->second.expires = expires;
      }
    }
    return Json{{"lost", std::move(lost)}};
  });

  // --- Reads ------------------------------------------------------------------------
  add("meta.stat", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto path = a.String("path");
    auto at = a.Value<fs::ReadAt>("at", true);
    NOKV_RETURN_IF_ERROR(a.status());
    return Encoded(m->Stat(path, at));
  });
  add("meta.getattr", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto inode = a.U64("inode");
    auto at = a.Value<fs::ReadAt>("at", true);
    NOKV_RETURN_IF_ERROR(a.status());
    return Encoded(m->GetAttr(inode, at));
  });
  add("meta.lookup", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto parent = a.U64("parent");
    auto name = a.String("name");
    auto at = a.Value<fs::ReadAt>("at", true);
    NOKV_RETURN_IF_ERROR(a.status());
    return Encoded(m->Lookup(parent, name, at));
  });
  add("meta.readdir", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto dir = a.U64("dir");
    auto after = a.OptString("after");
    auto limit = a.OptU64("limit", 1000);
    bool with_attrs = a.OptBool("attrs", false);
    auto at = a.Value<fs::ReadAt>("at", true);
    NOKV_RETURN_IF_ERROR(a.status());
    return Encoded(m->ReadDir(dir, after, std::min(limit, kMaxPageEntries), with_attrs, at));
  });
  add("meta.list", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto path = a.String("path");
    auto after = a.OptString("after");
    auto limit = a.OptU64("limit", 1000);
    auto at = a.Value<fs::ReadAt>("at", true);
    NOKV_RETURN_IF_ERROR(a.status());
    return Encoded(m->List(path, after, std::min(limit, kMaxPageEntries), at));
  });
  add("meta.manifest", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto inode = a.U64("inode");
    auto generation = a.U64("gen");
    auto at = a.Value<fs::ReadAt>("at", true);
    NOKV_RETURN_IF_ERROR(a.status());
    return Encoded(m->GetManifest(inode, generation, at));
  });
  add("meta.open", [this, m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    bool by_inode = j.contains("inode");
    auto path = by_inode ? std::string() : a.String("path");
    auto inode = by_inode ? a.U64("inode") : 0;
    auto at = a.Value<fs::ReadAt>("at", true);
    NOKV_RETURN_IF_ERROR(a.status());
    NOKV_ASSIGN_OR_RETURN(fs::OpenedFile file,
                          by_inode ? m->OpenFileAt(inode, at) : m->OpenFile(path, at));
    Hold(LeaseKind::kPin, file.pin.id);
    return ToWire(file);
  });
  add("meta.getxattr", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto inode = a.U64("inode");
    auto name = a.String("name");
    auto at = a.Value<fs::ReadAt>("at", true);
    NOKV_RETURN_IF_ERROR(a.status());
    NOKV_ASSIGN_OR_RETURN(std::string value, m->GetXattr(inode, name, at));
    return Json::binary(std::vector<uint8_t>(value.begin(), value.end()));
  });
  add("meta.listxattrs", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto inode = a.U64("inode");
    auto at = a.Value<fs::ReadAt>("at", true);
    NOKV_RETURN_IF_ERROR(a.status());
    NOKV_ASSIGN_OR_RETURN(auto names, m->ListXattrs(inode, at));
    return Json(names);
  });
  add("meta.pathof", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto inode = a.U64("inode");
    auto at = a.Value<fs::ReadAt>("at", true);
    NOKV_RETURN_IF_ERROR(a.status());
    NOKV_ASSIGN_OR_RETURN(std::string path, m->PathOf(inode, at));
    return Json(path);
  });
  add("meta.totals", [m](const Json&) { return Encoded(m->Totals()); });
  add("meta.stats", [m](const Json&) { return Encoded(m->Stats()); });
  add("meta.store", [this](const Json&) -> Result<Json> {
    if (options_.store_info.is_null()) {
      return Status::NotSupported("this server does not share its object store");
    }
    return options_.store_info;
  });

  // --- Namespace mutations ----------------------------------------------------------
  add("meta.mkdir", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto path = a.String("path");
    auto node = a.Value<meta::NodeOptions>("node", true);
    NOKV_RETURN_IF_ERROR(a.status());
    return Encoded(m->Mkdir(path, node));
  });
  add("meta.mkdirat", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto parent = a.U64("parent");
    auto name = a.String("name");
    auto node = a.Value<meta::NodeOptions>("node", true);
    NOKV_RETURN_IF_ERROR(a.status());
    return Encoded(m->MkdirAt(parent, name, node));
  });
  add("meta.createat", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto parent = a.U64("parent");
    auto name = a.String("name");
    auto node = a.Value<meta::NodeOptions>("node", true);
    NOKV_RETURN_IF_ERROR(a.status());
    return Encoded(m->CreateAt(parent, name, node));
  });
  add("meta.symlink", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto path = a.String("path");
    auto target = a.String("target");
    auto node = a.Value<meta::NodeOptions>("node", true);
    NOKV_RETURN_IF_ERROR(a.status());
    return Encoded(m->Symlink(path, target, node));
  });
  add("meta.symlinkat", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto parent = a.U64("parent");
    auto name = a.String("name");
    auto target = a.String("target");
    auto node = a.Value<meta::NodeOptions>("node", true);
    NOKV_RETURN_IF_ERROR(a.status());
    return Encoded(m->SymlinkAt(parent, name, target, node));
  });
  add("meta.link", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto existing = a.String("existing");
    auto path = a.String("path");
    NOKV_RETURN_IF_ERROR(a.status());
    return Encoded(m->Link(existing, path));
  });
  add("meta.linkat", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto inode = a.U64("inode");
    auto parent = a.U64("parent");
    auto name = a.String("name");
    NOKV_RETURN_IF_ERROR(a.status());
    return Encoded(m->LinkAt(inode, parent, name));
  });
  add("meta.unlink", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto path = a.String("path");
    NOKV_RETURN_IF_ERROR(a.status());
    return Done(m->Unlink(path, 0));
  });
  add("meta.unlink_generation", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto path = a.String("path");
    auto expected = a.U64("expected_generation");
    NOKV_RETURN_IF_ERROR(a.status());
    if (expected == 0) return Status::InvalidArgument("expected_generation must not be 0");
    return Done(m->Unlink(path, expected));
  });
  add("meta.unlinkat", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto parent = a.U64("parent");
    auto name = a.String("name");
    NOKV_RETURN_IF_ERROR(a.status());
    return Done(m->UnlinkAt(parent, name));
  });
  add("meta.rmdir", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto path = a.String("path");
    NOKV_RETURN_IF_ERROR(a.status());
    return Done(m->Rmdir(path));
  });
  add("meta.rmdirat", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto parent = a.U64("parent");
    auto name = a.String("name");
    NOKV_RETURN_IF_ERROR(a.status());
    return Done(m->RmdirAt(parent, name));
  });
  add("meta.removetree", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto path = a.String("path");
    NOKV_RETURN_IF_ERROR(a.status());
    NOKV_ASSIGN_OR_RETURN(uint64_t removed, m->RemoveTree(path));
    return Json(removed);
  });
  auto rename_mode = [](ArgReader& a) {
    uint64_t mode = a.OptU64("mode", static_cast<uint64_t>(meta::RenameMode::kReplace));
    return static_cast<meta::RenameMode>(std::min<uint64_t>(mode, 3));
  };
  add("meta.rename", [m, rename_mode](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto from = a.String("from");
    auto to = a.String("to");
    auto mode = rename_mode(a);
    NOKV_RETURN_IF_ERROR(a.status());
    if (static_cast<int>(mode) > 2) return Status::InvalidArgument("unknown rename mode");
    return Done(m->Rename(from, to, mode));
  });
  add("meta.renameat", [m, rename_mode](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto from_parent = a.U64("from_parent");
    auto from = a.String("from");
    auto to_parent = a.U64("to_parent");
    auto to = a.String("to");
    auto mode = rename_mode(a);
    NOKV_RETURN_IF_ERROR(a.status());
    if (static_cast<int>(mode) > 2) return Status::InvalidArgument("unknown rename mode");
    return Done(m->RenameAt(from_parent, from, to_parent, to, mode));
  });
  add("meta.setattr", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto path = a.String("path");
    auto req = a.Value<meta::SetAttrRequest>("req");
    NOKV_RETURN_IF_ERROR(a.status());
    return Encoded(m->SetAttr(path, req));
  });
  add("meta.setattrat", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto inode = a.U64("inode");
    auto req = a.Value<meta::SetAttrRequest>("req");
    NOKV_RETURN_IF_ERROR(a.status());
    return Encoded(m->SetAttrAt(inode, req));
  });
  add("meta.setxattr", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto inode = a.U64("inode");
    auto name = a.String("name");
    uint64_t mode = a.OptU64("mode", 0);
    NOKV_RETURN_IF_ERROR(a.status());
    if (mode > 2) return Status::InvalidArgument("unknown xattr mode");
    auto value = j.find("value");
    if (value == j.end() || !value->is_binary()) {
      return Status::InvalidArgument("argument 'value' must be bytes");
    }
    const auto& bytes = value->get_binary();
    return Done(m->SetXattr(
        inode, name, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
        static_cast<meta::XattrMode>(mode)));
  });
  add("meta.removexattr", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto inode = a.U64("inode");
    auto name = a.String("name");
    NOKV_RETURN_IF_ERROR(a.status());
    return Done(m->RemoveXattr(inode, name));
  });

  // --- Bodies --------------------------------------------------------------------------
  add("meta.publish", [m](const Json& j) -> Result<Json> {
    if (!j.is_object() || !j.contains("files")) {
      return Status::InvalidArgument("meta.publish takes a list 'files'");
    }
    // The decoded requests view `j` (bodies): it outlives the call.
    NOKV_ASSIGN_OR_RETURN(auto requests, ListFromWire<meta::PublishRequest>(j["files"]));
    if (requests.empty()) return Status::InvalidArgument("meta.publish needs at least one file");
    return EncodedList(m->Publish(requests));
  });

  // --- Snapshots, watch, index rules, maintenance ----------------------------------------
  add("meta.snapshot_create", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto name = a.String("name");
    auto root = a.String("root");
    auto expires = a.OptU64("expires_ns", 0);
    NOKV_RETURN_IF_ERROR(a.status());
    if (expires > uint64_t(std::numeric_limits<int64_t>::max())) {
      return Status::InvalidArgument("expiry out of range");
    }
    return Encoded(m->CreateSnapshot(name, root, static_cast<int64_t>(expires)));
  });
  add("meta.snapshot_list", [m](const Json&) { return EncodedList(m->ListSnapshots()); });
  add("meta.snapshot_retire", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto name = a.String("name");
    NOKV_RETURN_IF_ERROR(a.status());
    return Done(m->RetireSnapshot(name));
  });
  add("meta.snapshot_renew", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto name = a.String("name");
    auto expires = a.I64("expires_ns");
    NOKV_RETURN_IF_ERROR(a.status());
    return Encoded(m->RenewSnapshot(name, expires));
  });
  add("meta.watch", [this, m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto path = a.String("path");
    auto cursor = a.OptString("cursor");
    auto limit = a.OptU64("limit", 1000);
    auto wait_ms = a.OptU64("wait_ms", 0);
    NOKV_RETURN_IF_ERROR(a.status());
    auto wait = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(wait_ms),
                                                    options_.max_watch_wait);
    return Encoded(m->Watch(path, cursor, std::min(limit, kMaxEventPage), wait));
  });
  add("meta.latest_cursor", [m](const Json&) -> Result<Json> {
    NOKV_ASSIGN_OR_RETURN(std::string cursor, m->LatestCursor());
    return Json(cursor);
  });
  add("meta.index_add", [m](const Json& j) -> Result<Json> {
    if (!j.is_object() || !j.contains("rule")) return Status::InvalidArgument("missing 'rule'");
    NOKV_ASSIGN_OR_RETURN(records::IndexRule rule, records::RuleFromJson(j["rule"]));
    return Done(m->AddIndexRule(rule));
  });
  add("meta.index_remove", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto id = a.String("id");
    NOKV_RETURN_IF_ERROR(a.status());
    return Done(m->RemoveIndexRule(id));
  });
  add("meta.index_list", [m](const Json&) { return EncodedList(m->IndexRuleRecords()); });
  add("meta.reindex", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto id = a.String("id");
    NOKV_RETURN_IF_ERROR(a.status());
    return Done(m->Reindex(id));
  });
  add("meta.gc", [m](const Json&) { return Encoded(m->CollectGarbage()); });
  add("meta.gc_plan", [m](const Json&) { return Encoded(m->PlanGarbage()); });
  add("meta.index_problems", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto id = a.String("id");
    auto examples = a.OptU64("examples", 3);
    NOKV_RETURN_IF_ERROR(a.status());
    return Encoded(m->IndexRuleProblems(id, std::min<uint64_t>(examples, 100)));
  });
  add("meta.fsck", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    meta::FsckOptions options;
    options.repair = a.OptBool("repair", false);
    options.verify = a.OptBool("verify", false);
    options.rate_bytes_per_sec = a.OptU64("rate", 0);
    NOKV_RETURN_IF_ERROR(a.status());
    return Encoded(m->Fsck(options));
  });
  add("meta.expire_prune", [m](const Json&) { return Encoded(m->ExpireAndPrune()); });
  add("meta.checkpoint", [m](const Json&) { return Done(m->Checkpoint()); });
  add("meta.backup", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    fs::BackupOptions options;
    options.to = a.OptString("to");
    options.keep = a.OptU64("keep", 0);
    options.part_bytes = a.OptU64("part_bytes", fs::kDefaultBackupPartBytes);
    NOKV_RETURN_IF_ERROR(a.status());
    NOKV_ASSIGN_OR_RETURN(fs::BackupReport report, m->Backup(options));
    return fs::BackupReportToJson(report);
  });
  add("meta.backups", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    std::string from = a.OptString("from");
    NOKV_RETURN_IF_ERROR(a.status());
    NOKV_ASSIGN_OR_RETURN(auto backups, m->ListBackups(from));
    Json list = Json::array();
    for (const auto& b : backups) list.push_back(fs::DescriptorToJson(b));
    return Json{{"backups", list}};
  });
  // Each call through Handle, so it is counted and swept like a single one.
  add("meta.batch", [this](const Json& j) {
    return RunBatch(
        j, [this](std::string_view method, const Json& args) { return Handle(method, args); });
  });

  // --- Verbs ----------------------------------------------------------------------------
  add("meta.verb_scope", [m](const Json& j) -> Result<Json> {
    ArgReader a(j);
    auto scope = a.Value<query::ServiceOptions>("scope");
    NOKV_RETURN_IF_ERROR(a.status());
    return Done(m->CheckVerbScope(scope));
  });
  cancellable_.emplace("meta.verb",
                       [m](const Json& j, const std::atomic<bool>* cancelled) -> Result<Json> {
                         ArgReader a(j);
                         auto verb = a.String("verb");
                         auto scope = a.Value<query::ServiceOptions>("scope", true);
                         NOKV_RETURN_IF_ERROR(a.status());
                         Json args = j.contains("args") ? j["args"] : Json::object();
                         query::CallControl control;
                         control.cancelled = cancelled;
                         return m->CallVerb(verb, args, scope, control);
                       });
}

namespace {
void Reply(rpc::Responder& responder, const Result<Json>& result) {
  if (!result.ok()) {
    responder.Respond(result.status());
    return;
  }
  responder.Respond(Status::Ok(), rpc::EncodePayload(*result));
}
}  // namespace

bool MetadataMethods::NeedsResponder(std::string_view method) const {
  return method == "meta.watch" || cancellable_.contains(method);
}

void MetadataMethods::Dispatch(std::string_view method, const Json& args,
                               rpc::Responder responder) {
  if (method == "meta.watch" && args.is_object()) {
    // Whatever is there now, without waiting (counted as one call).
    Json now = args;
    now["wait_ms"] = 0;
    auto result = Handle(method, now);
    ArgReader a(args);
    auto wait_ms = a.OptU64("wait_ms", 0);
    bool empty = result.ok() && result->contains("e") && (*result)["e"].empty();
    if (!a.status().ok() || !empty || wait_ms == 0) return Reply(responder, result);
    WatchPoll poll;
    poll.path = args.value("path", std::string());
    poll.cursor = (*result).value("next", std::string());
    poll.limit = std::min<uint64_t>(a.OptU64("limit", 1000), kMaxEventPage);
    poll.deadline = std::chrono::steady_clock::now() +
                    std::min<std::chrono::milliseconds>(std::chrono::milliseconds(wait_ms),
                                                        options_.max_watch_wait);
    poll.cancelled = [responder] { return responder.cancelled(); };
    poll.answer = [responder](Result<meta::EventPage> page) mutable {
      if (!page.ok()) return Reply(responder, page.status());
      Reply(responder, ToWire(*page));
    };
    hub_->Park(std::move(poll));
    return;
  }
  if (cancellable_.contains(method)) {
    // The flag outlives the call: the transport may run the callback later.
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    responder.OnCancel([cancelled] { cancelled->store(true); });
    return Reply(responder, Handle(method, args, cancelled.get()));
  }
  Reply(responder, Handle(method, args));
}

rpc::Handler MetadataHandler(MetadataMethods* methods) {
  return [methods](rpc::Request request, rpc::Responder responder) {
    // Watch long polls and cancellable verbs need the Responder (Dispatch);
    // everything else answers from the payload, hot calls without JSON.
    if (methods->NeedsResponder(request.method)) {
      auto args = rpc::DecodePayload(request.payload);
      if (!args.ok()) {
        responder.Respond(args.status());
        return;
      }
      methods->Dispatch(request.method, *args, std::move(responder));
      return;
    }
    Result<std::string> result = methods->HandlePayload(request.method, request.payload);
    if (!result.ok()) {
      responder.Respond(result.status());
      return;
    }
    responder.Respond(Status::Ok(), std::move(result).value());
  };
}

std::function<bool(std::string_view)> MetadataInlinePredicate(const MetadataMethods* methods) {
  return [methods](std::string_view method) { return methods->RunsInline(method); };
}

}  // namespace nokv::server
