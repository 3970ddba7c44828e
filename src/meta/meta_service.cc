// MetaService: opening, read points, resolution, reads and the command loop.
#include "meta/meta_service.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <unordered_set>

#include "common/coding.h"
#include "common/logging.h"
#include "meta/codec.h"
#include "meta/command.h"
#include "meta/merge.h"
#include "meta/path.h"
#include "meta/resolved.h"

namespace nokv::meta {

const char* FileTypeName(FileType type) {
  switch (type) {
    case FileType::kFile:
      return "file";
    case FileType::kDirectory:
      return "directory";
    case FileType::kSymlink:
      return "symlink";
  }
  return "unknown";
}

const char* EventTypeName(EventType type) {
  switch (type) {
    case EventType::kCreate:
      return "create";
    case EventType::kMkdir:
      return "mkdir";
    case EventType::kPublish:
      return "publish";
    case EventType::kRemove:
      return "remove";
    case EventType::kRename:
      return "rename";
    case EventType::kSetattr:
      return "setattr";
    case EventType::kXattr:
      return "xattr";
    case EventType::kSymlink:
      return "symlink";
    case EventType::kLink:
      return "link";
    case EventType::kSnapshot:
      return "snapshot";
  }
  return "unknown";
}

std::string Event::cursor() const { return std::to_string(seq) + "." + std::to_string(ordinal); }

MetaService::MetaService(MetaOptions options) : options_(std::move(options)) {
  if (!options_.now_ns) {
    options_.now_ns = [] {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

MetaService::~MetaService() = default;

int64_t MetaService::Now() const { return options_.now_ns(); }

Result<std::unique_ptr<MetaService>> MetaService::Open(const std::string& dir,
                                                       MetaOptions options) {
  std::unique_ptr<MetaService> service(new MetaService(std::move(options)));
  holt::Options engine_options = service->options_.engine;
  engine_options.merge_operator = MetaMerge;
  NOKV_ASSIGN_OR_RETURN(service->engine_, holt::Engine::Open(dir, engine_options));
  NOKV_RETURN_IF_ERROR(service->Init());
  return service;
}

Status MetaService::Init() {
  if (!engine_->Get(InodeKey(kRootInode)).ok()) {
    Attr root;
    root.inode = kRootInode;
    root.type = FileType::kDirectory;
    root.mode = 0755;
    root.nlink = 2;
    root.mtime_ns = root.ctime_ns = Now();
    holt::Batch batch;
    batch.RequireNotExists(InodeKey(kRootInode));
    batch.Put(InodeKey(kRootInode), EncodeAttr(root),
              holt::Stamp{holt::kNoStamp, kAttrGenerationOffset});
    batch.Merge(kTotalsKey, TotalsOperand(0, 1, 0, 0));
    NOKV_RETURN_IF_ERROR(engine_->Commit(batch).status());
  }
  holt::ScanOptions last;
  last.prefix = std::string(1, family::kInode);
  last.reverse = true;
  last.limit = 1;
  last.keys_only = true;
  NOKV_ASSIGN_OR_RETURN(auto newest, engine_->Scan(last));
  InodeId max_inode = kRootInode;
  if (!newest.empty()) ParseInodeKey(newest[0].key, &max_inode);
  // Deleted inodes leave no key; the high-water mark remembers them.
  if (auto hwm = engine_->Get(kInodeHighWaterKey); hwm.ok() && hwm->bytes.size() == 8) {
    max_inode = std::max<InodeId>(max_inode, DecodeFixed64(hwm->bytes.data()));
  }
  next_inode_.store(max_inode + 1);
  return LoadRules();
}

InodeId MetaService::AllocateInode() { return next_inode_.fetch_add(1); }

ReadContext MetaService::Latest() {
  ReadContext ctx;
  ctx.view_ = engine_->Pin();
  return ctx;
}

Result<ReadContext> MetaService::AtSequence(uint64_t seq) {
  NOKV_ASSIGN_OR_RETURN(holt::ReadView view, engine_->PinAt(seq));
  ReadContext ctx;
  ctx.view_ = std::move(view);
  return ctx;
}

Result<ReadContext> MetaService::AtSnapshot(std::string_view name) {
  auto value = engine_->Get(SnapshotKey(name));
  if (!value.ok()) return Status::NotFound("no snapshot named '" + std::string(name) + "'");
  NOKV_ASSIGN_OR_RETURN(Snapshot snapshot, DecodeSnapshot(name, value->bytes));
  auto view = engine_->PinDurable(SnapshotPinName(name));
  if (!view.ok()) return Status::NotFound("snapshot '" + std::string(name) + "' was retired");
  ReadContext ctx;
  ctx.view_ = std::move(view).value();
  ctx.snapshot_ = std::move(snapshot);
  return ctx;
}

Result<Attr> MetaService::ReadAttr(InodeId inode, const holt::ReadView* view, uint64_t* version) {
  auto value = engine_->Get(InodeKey(inode), view);
  if (!value.ok()) return Status::NotFound("inode " + std::to_string(inode) + " not found");
  if (version != nullptr) *version = value->seq;
  return DecodeAttr(inode, value->bytes);
}

Result<DirEntry> MetaService::ReadDentry(InodeId parent, std::string_view name,
                                         const holt::ReadView* view, uint64_t* version) {
  auto value = engine_->Get(DentryKey(parent, name), view);
  if (!value.ok()) {
    if (version != nullptr) *version = 0;
    return Status::NotFound(std::string(name));
  }
  if (version != nullptr) *version = value->seq;
  return DecodeDentry(name, value->bytes);
}

Result<MetaService::Resolved> MetaService::ResolveFull(std::string_view path,
                                                       const holt::ReadView* view,
                                                       bool follow_last) {
  Resolved r;
  std::string current(path);
  for (int hops = 0;;) {
    NOKV_ASSIGN_OR_RETURN(auto parts, SplitPath(current));
    r.path = JoinPath(parts, parts.size());
    r.inode = kRootInode;
    r.parent = 0;
    r.name.clear();
    FileType type = FileType::kDirectory;
    bool restarted = false;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (type != FileType::kDirectory) {
        return Status::NotADirectory(JoinPath(parts, i) + " is not a directory");
      }
      uint64_t version = 0;
      auto entry = ReadDentry(r.inode, parts[i], view, &version);
      if (!entry.ok()) return Status::NotFound(JoinPath(parts, i + 1) + " does not exist");
      // Every dentry walked is guarded, links included: a link's target
      // never changes while its dentry keeps its version.
      r.chain.emplace_back(DentryKey(r.inode, parts[i]), version);
      r.parent = r.inode;
      r.name = parts[i];
      r.inode = entry->inode;
      type = entry->type;
      bool last = i + 1 == parts.size();
      if (type != FileType::kSymlink || (last && !follow_last)) continue;
      if (++hops > kMaxSymlinkHops) {
        return Status(Code::kFailedPrecondition,
                      JoinPath(parts, i + 1) + ": too many levels of symbolic links",
                      Reason::kSymlinkLoop);
      }
      NOKV_ASSIGN_OR_RETURN(Attr link, ReadAttr(r.inode, view));
      std::string next = link.symlink_target.starts_with('/')
                             ? link.symlink_target
                             : JoinPath(parts, i) + "/" + link.symlink_target;
      for (size_t j = i + 1; j < parts.size(); ++j) next += "/" + parts[j];
      current = LexicalPath(next);
      restarted = true;
      break;
    }
    if (!restarted) break;
  }
  NOKV_ASSIGN_OR_RETURN(r.attr, ReadAttr(r.inode, view, &r.attr_version));
  return r;
}

// With a snapshot context, paths are relative to the snapshot's root.
Result<Attr> MetaService::AtRoot(const ReadContext* at, std::string_view path, std::string* inner) {
  NOKV_ASSIGN_OR_RETURN(*inner, NormalizePath(path));
  if (at != nullptr && at->snapshot() && !PathIsUnder(*inner, at->snapshot()->root)) {
    return Status::NotFound(*inner + " is outside snapshot '" + at->snapshot()->name + "' (root " +
                            at->snapshot()->root + ")");
  }
  return Attr{};
}

Result<Attr> MetaService::Stat(std::string_view path, const ReadContext* at,
                               std::string* resolved) {
  std::string normalized;
  NOKV_RETURN_IF_ERROR(AtRoot(at, path, &normalized).status());
  NOKV_ASSIGN_OR_RETURN(Resolved r, ResolveFull(normalized, at ? at->view() : nullptr));
  // A link inside a snapshot's root never leads out of it.
  if (at != nullptr && at->snapshot() && !PathIsUnder(r.path, at->snapshot()->root)) {
    return Status::NotFound(normalized + " leads to " + r.path + ", outside snapshot '" +
                            at->snapshot()->name + "' (root " + at->snapshot()->root + ")");
  }
  if (resolved != nullptr) *resolved = std::move(r.path);
  return r.attr;
}

Result<InodeId> MetaService::Resolve(std::string_view path, const ReadContext* at) {
  NOKV_ASSIGN_OR_RETURN(Attr attr, Stat(path, at));
  return attr.inode;
}

Result<Attr> MetaService::GetAttr(InodeId inode, const ReadContext* at) {
  return ReadAttr(inode, at ? at->view() : nullptr);
}

Result<DirEntry> MetaService::Lookup(InodeId parent, std::string_view name, const ReadContext* at) {
  NOKV_RETURN_IF_ERROR(ValidateName(name));
  return ReadDentry(parent, name, at ? at->view() : nullptr);
}

Result<DirPage> MetaService::ReadDir(InodeId dir, std::string_view start_after, size_t limit,
                                     bool with_attrs, const ReadContext* at) {
  const holt::ReadView* view = at ? at->view() : nullptr;
  NOKV_ASSIGN_OR_RETURN(Attr attr, ReadAttr(dir, view));
  if (attr.type != FileType::kDirectory) {
    return Status::NotADirectory("inode " + std::to_string(dir) + " is not a directory");
  }
  holt::ScanOptions scan;
  scan.prefix = DentryPrefix(dir);
  if (!start_after.empty()) scan.start_after = DentryKey(dir, start_after);
  scan.limit = limit + 1;
  NOKV_ASSIGN_OR_RETURN(auto rows, engine_->Scan(scan, view));
  DirPage page;
  page.more = rows.size() > limit;
  if (page.more) rows.pop_back();
  for (const auto& row : rows) {
    InodeId parent = 0;
    std::string_view name;
    if (!ParseDentryKey(row.key, &parent, &name)) return Status::Corruption("bad dentry key");
    NOKV_ASSIGN_OR_RETURN(DirEntry entry, DecodeDentry(name, row.value));
    if (with_attrs) {
      NOKV_ASSIGN_OR_RETURN(Attr child, ReadAttr(entry.inode, view));
      page.attrs.push_back(std::move(child));
    }
    page.entries.push_back(std::move(entry));
  }
  return page;
}

Result<Manifest> MetaService::GetManifest(InodeId inode, uint64_t generation,
                                          const ReadContext* at) {
  auto value = engine_->Get(ManifestKey(inode, generation), at ? at->view() : nullptr);
  if (!value.ok()) {
    return Status::Expired("generation " + std::to_string(generation) + " of inode " +
                           std::to_string(inode) + " is no longer retained");
  }
  return DecodeManifest(value->bytes);
}

Result<std::string> MetaService::GetXattr(InodeId inode, std::string_view name,
                                          const ReadContext* at) {
  auto value = engine_->Get(XattrKey(inode, name), at ? at->view() : nullptr);
  if (!value.ok()) return Status::NotFound("no attribute " + std::string(name));
  return std::move(value->bytes);
}

Result<std::vector<std::string>> MetaService::ListXattrs(InodeId inode, const ReadContext* at) {
  holt::ScanOptions scan;
  scan.prefix = XattrPrefix(inode);
  scan.keys_only = true;
  scan.limit = 100000;
  NOKV_ASSIGN_OR_RETURN(auto rows, engine_->Scan(scan, at ? at->view() : nullptr));
  std::vector<std::string> names;
  for (auto& row : rows) names.push_back(row.key.substr(scan.prefix.size()));
  return names;
}

FsTotals MetaService::Totals(const ReadContext* at) {
  auto value = engine_->Get(kTotalsKey, at ? at->view() : nullptr);
  meta::Totals t = value.ok() ? DecodeTotals(value->bytes) : meta::Totals{};
  return FsTotals{static_cast<uint64_t>(std::max<int64_t>(0, t.files)),
                  static_cast<uint64_t>(std::max<int64_t>(0, t.directories)),
                  static_cast<uint64_t>(std::max<int64_t>(0, t.symlinks)),
                  static_cast<uint64_t>(std::max<int64_t>(0, t.bytes))};
}

Result<std::string> MetaService::PathOf(InodeId inode, const ReadContext* at) {
  const holt::ReadView* view = at ? at->view() : nullptr;
  std::vector<std::string> names;
  // Depth is no sign of a cycle (trees made before kMaxDepth existed may be
  // deeper); meeting an inode twice is.
  std::unordered_set<InodeId> seen;
  while (inode != kRootInode) {
    if (!seen.insert(inode).second) {
      return Status::Corruption("directory cycle above inode " + std::to_string(inode));
    }
    NOKV_ASSIGN_OR_RETURN(Attr attr, ReadAttr(inode, view));
    if (attr.parent == 0)
      return Status::NotFound("inode " + std::to_string(inode) + " is unlinked");
    names.push_back(attr.name);
    inode = attr.parent;
  }
  std::reverse(names.begin(), names.end());
  return JoinPath(names, names.size());
}

Status MetaService::Run(const std::function<Status(Command&)>& build, std::string_view request_id,
                        uint64_t* seq, InodeId* inode) {
  for (int attempt = 0; attempt < options_.max_retries; ++attempt) {
    if (!request_id.empty()) {
      if (auto done = engine_->Get(DedupeKey(request_id)); done.ok()) {
        NOKV_ASSIGN_OR_RETURN(DedupeValue previous, DecodeDedupe(done->bytes));
        if (seq) *seq = previous.seq;
        if (inode) *inode = previous.inode;
        return Status::Ok();
      }
    }
    Command cmd(this, Now());
    if (!request_id.empty()) cmd.batch().RequireNotExists(DedupeKey(request_id));
    if (Status built = build(cmd); !built.ok()) {
      if (built.Is(Reason::kStaleRead)) continue;
      return built;
    }
    cmd.Finish();
    if (!request_id.empty()) {
      DedupeValue record{0, cmd.result_inode, cmd.now()};
      cmd.batch().Put(DedupeKey(request_id), EncodeDedupe(record),
                      holt::Stamp{holt::kNoStamp, kDedupeSeqOffset});
    }
    auto committed = engine_->Commit(cmd.batch());
    if (committed.ok()) {
      if (seq) *seq = *committed;
      if (inode) *inode = cmd.result_inode;
      return Status::Ok();
    }
    const Status& s = committed.status();
    bool claimed = s.Is(Reason::kBlockClaimed);
    if (!s.Is(Reason::kPredicateFailed) && !claimed) return s;
    if (claimed || attempt > 4) {
      std::this_thread::sleep_for(std::chrono::microseconds(50 << std::min(attempt, 10)));
    }
  }
  return Status::Aborted("gave up after " + std::to_string(options_.max_retries) +
                         " conflicting attempts; retry");
}

}  // namespace nokv::meta
