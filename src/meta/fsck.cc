// fsck's check (fsck_check.h): the namespace (inodes, entries, link and child
// counts, totals), manifests and their blocks in the object store, block
// reference counts, leaked objects and the records that only need to decode.
// Index rows are checked in fsck_index.cc; repairs are in fsck_repair.cc.
#include <chrono>
#include <cstring>
#include <thread>

#include "common/logging.h"
#include "meta/codec.h"
#include "meta/event_reader.h"
#include "meta/fsck_check.h"
#include "meta/merge.h"
#include "meta/path.h"
#include "object/block_check.h"

namespace nokv::meta {
namespace {

constexpr size_t kPage = 4096;
constexpr std::string_view kUnrepairableBlock =
    "cannot be repaired: put the block back (from a backup) or write the affected files again";

constexpr std::array<std::string_view, kFsckKindCount> kKindNames = {
    "dangling_dentry",      "orphan_inode",        "backlink_mismatch", "nlink_mismatch",
    "child_count_mismatch", "totals_mismatch",     "missing_manifest",  "stale_manifest",
    "missing_block",        "block_size_mismatch", "damaged_block",     "refcount_drift",
    "leaked_block",         "stale_index_row",     "missing_index_row", "malformed_record",
};

std::string InodeName(InodeId inode) { return "inode " + std::to_string(inode); }

std::string TotalsText(const Totals& t) {
  return std::to_string(t.files) + " files, " + std::to_string(t.directories) + " directories, " +
         std::to_string(t.symlinks) + " symlinks, " + std::to_string(t.bytes) + " bytes";
}

}  // namespace

// A key for a message: printable bytes as they are, the others as \xNN.
std::string FsckKeyText(std::string_view key) {
  std::string out;
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string_view FsckKindName(FsckKind kind) { return kKindNames[static_cast<size_t>(kind)]; }

std::optional<FsckKind> FsckKindFromName(std::string_view name) {
  for (size_t i = 0; i < kFsckKindCount; ++i) {
    if (kKindNames[i] == name) return static_cast<FsckKind>(i);
  }
  return std::nullopt;
}

std::array<uint64_t, kFsckKindCount> FsckReport::Counts() const {
  std::array<uint64_t, kFsckKindCount> counts{};
  for (const auto& f : findings) counts[static_cast<size_t>(f.kind)]++;
  return counts;
}

FsckChecker::FsckChecker(MetaService* meta, const FsckOptions& options)
    : meta_(meta), engine_(meta->engine()), options_(options), at_(meta->Latest()) {}

Result<FsckScan> FsckChecker::Run() {
  scan_.report.seq = at_.seq();
  NOKV_RETURN_IF_ERROR(CheckInodes());
  NOKV_RETURN_IF_ERROR(CheckEntries());
  CheckLinks();
  CheckTotals();
  NOKV_RETURN_IF_ERROR(CheckManifests());
  NOKV_RETURN_IF_ERROR(CheckBlockRefs());
  NOKV_RETURN_IF_ERROR(CheckLeaks());
  NOKV_RETURN_IF_ERROR(AddAffectedFiles());
  NOKV_RETURN_IF_ERROR(CheckIndex());
  NOKV_RETURN_IF_ERROR(CheckRecords());
  return std::move(scan_);
}

void FsckChecker::Add(FsckKind kind, std::string subject, std::string detail) {
  FsckIssue issue;
  issue.finding.kind = kind;
  issue.finding.subject = std::move(subject);
  issue.finding.detail = std::move(detail);
  scan_.issues.push_back(std::move(issue));
}

std::string FsckChecker::PathOf(InodeId inode) {
  auto path = meta_->PathOf(inode, &at_);
  return path.ok() ? *path : InodeName(inode);
}

Status FsckChecker::ScanFamily(std::string prefix, bool keys_only,
                               const std::function<Status(const holt::Entry&)>& fn) {
  holt::ScanOptions scan;
  scan.prefix = std::move(prefix);
  scan.keys_only = keys_only;
  scan.limit = kPage;
  for (;;) {
    NOKV_ASSIGN_OR_RETURN(auto rows, engine_->Scan(scan, at_.view()));
    for (const auto& row : rows) NOKV_RETURN_IF_ERROR(fn(row));
    if (rows.size() < scan.limit) return Status::Ok();
    scan.start_after = rows.back().key;
  }
}

Status FsckChecker::CheckInodes() {
  return ScanFamily(std::string(1, family::kInode), false, [&](const holt::Entry& row) {
    InodeId inode = 0;
    if (!ParseInodeKey(row.key, &inode)) {
      Add(FsckKind::kMalformedRecord, "key " + FsckKeyText(row.key), "not an inode key");
      return Status::Ok();
    }
    auto attr = DecodeAttr(inode, row.value);
    if (!attr.ok()) {
      Add(FsckKind::kMalformedRecord, InodeName(inode), std::string(attr.status().message()));
      return Status::Ok();
    }
    scan_.report.inodes++;
    Node& node = nodes_[inode];
    node.attr = std::move(attr).value();
    node.version = row.seq;
    return Status::Ok();
  });
}

Status FsckChecker::CheckEntries() {
  return ScanFamily(std::string(1, family::kDentry), false, [&](const holt::Entry& row) {
    InodeId parent = 0;
    std::string_view name;
    if (!ParseDentryKey(row.key, &parent, &name)) {
      Add(FsckKind::kMalformedRecord, "key " + FsckKeyText(row.key), "not an entry key");
      return Status::Ok();
    }
    scan_.report.dentries++;
    auto dir = nodes_.find(parent);
    bool in_dir = dir != nodes_.end() && dir->second.attr.type == FileType::kDirectory;
    // The entry's path, for findings only (walking up costs a read per level).
    auto where = [&] {
      return in_dir ? ChildPath(PathOf(parent), name) : InodeName(parent) + "/" + std::string(name);
    };
    auto entry = DecodeDentry(name, row.value);
    if (!entry.ok()) {
      Add(FsckKind::kMalformedRecord, where(), std::string(entry.status().message()));
      return Status::Ok();
    }
    auto child = nodes_.find(entry->inode);
    if (!in_dir || child == nodes_.end()) {
      Add(FsckKind::kDanglingDentry, where(),
          !in_dir ? "is in " + InodeName(parent) + ", which is not a directory"
                  : "names " + InodeName(entry->inode) + ", which does not exist");
      FsckIssue& issue = Last();
      issue.stage = FsckStage::kStructure;
      issue.guard_key = row.key;
      issue.guard_version = row.seq;
      issue.apply = [key = row.key](holt::Batch& b) { b.Delete(key); };
      issue.fix = "dropped the entry (its directory's counts are recounted)";
      return Status::Ok();
    }
    Node& node = child->second;
    if (node.links++ == 0) {
      node.entry_parent = parent;
      node.entry_name = std::string(name);
    }
    dir->second.entries++;
    if (node.attr.type == FileType::kDirectory) dir->second.subdirs++;
    if (entry->type != node.attr.type) {
      Add(FsckKind::kMalformedRecord, where(),
          std::string("the entry says ") + FileTypeName(entry->type) + ", its inode is a " +
              FileTypeName(node.attr.type));
      FsckIssue& issue = Last();
      issue.stage = FsckStage::kStructure;
      issue.guard_key = row.key;
      issue.guard_version = row.seq;
      issue.apply = [key = row.key, inode = entry->inode, type = node.attr.type](holt::Batch& b) {
        b.Put(key, EncodeDentry(inode, type));
      };
      issue.fix = "set the entry's type to its inode's";
    }
    return Status::Ok();
  });
}

// Whether the entry `parent`/`name` names `inode` at the checked view.
static bool EntryNames(holt::Engine* engine, const holt::ReadView* view, InodeId parent,
                       const std::string& name, InodeId inode) {
  auto value = engine->Get(DentryKey(parent, name), view);
  if (!value.ok()) return false;
  auto entry = DecodeDentry(name, value->bytes);
  return entry.ok() && entry->inode == inode;
}

void FsckChecker::CheckLinks() {
  for (const auto& [inode, node] : nodes_) {
    const Attr& a = node.attr;
    bool dir = a.type == FileType::kDirectory;
    if (inode != kRootInode && node.links == 0) {
      Add(FsckKind::kOrphanInode, InodeName(inode),
          std::string("a ") + FileTypeName(a.type) + " of " + std::to_string(a.size) +
              " bytes that no entry names");
      FsckIssue& issue = Last();
      issue.stage = FsckStage::kStructure;
      issue.orphan = inode;
      issue.guard_key = InodeKey(inode);
      issue.guard_version = node.version;
      issue.fix = "reattached as /lost+found/#" + std::to_string(inode);
      continue;  // its counts are checked again once it has an entry
    }
    uint64_t nlink = dir ? 2 + node.subdirs : node.links;
    uint64_t children = dir ? node.entries : 0;
    bool backlink = true;
    if (inode == kRootInode) {
      backlink = a.parent == 0 && a.name.empty();
    } else if (dir || a.parent != 0) {
      backlink = EntryNames(engine_, at_.view(), a.parent, a.name, inode);
    }
    if (a.nlink == nlink && a.child_count == children && backlink) continue;
    Attr fixed = a;
    fixed.nlink = static_cast<uint32_t>(nlink);
    fixed.child_count = children;
    if (!backlink) {
      fixed.parent = node.entry_parent;
      fixed.name = node.entry_name;
    }
    std::string path = PathOf(inode);
    // The bindings by name: clang before 16 cannot capture a structured binding.
    auto add = [&, id = inode, version = node.version](FsckKind kind, std::string detail,
                                                       std::string fix) {
      Add(kind, path, std::move(detail));
      FsckIssue& issue = Last();
      issue.stage = FsckStage::kCount;
      issue.guard_key = InodeKey(id);
      issue.guard_version = version;
      issue.apply = [key = issue.guard_key, value = EncodeAttr(fixed)](holt::Batch& b) {
        b.Put(key, value);
      };
      issue.fix = std::move(fix);
    };
    if (a.nlink != nlink) {
      add(FsckKind::kNlinkMismatch,
          "nlink " + std::to_string(a.nlink) + ", counted " + std::to_string(nlink),
          "set nlink to " + std::to_string(nlink));
    }
    if (a.child_count != children) {
      add(FsckKind::kChildCountMismatch,
          "child count " + std::to_string(a.child_count) + ", counted " + std::to_string(children),
          "set the child count to " + std::to_string(children));
    }
    if (!backlink) {
      add(FsckKind::kBacklinkMismatch,
          "parent " + std::to_string(a.parent) + " name '" + a.name + "' is not an entry naming it",
          "set parent and name to the entry " + std::to_string(fixed.parent) + "/" + fixed.name);
    }
  }
}

void FsckChecker::CheckTotals() {
  Totals counted;
  for (const auto& [inode, node] : nodes_) {
    switch (node.attr.type) {
      case FileType::kFile:
        counted.files++;
        counted.bytes += static_cast<int64_t>(node.attr.size);
        break;
      case FileType::kDirectory:
        counted.directories++;
        break;
      case FileType::kSymlink:
        counted.symlinks++;
        break;
    }
  }
  auto stored = engine_->Get(kTotalsKey, at_.view());
  Totals t = stored.ok() ? DecodeTotals(stored->bytes) : Totals{};
  if (t.files == counted.files && t.directories == counted.directories &&
      t.symlinks == counted.symlinks && t.bytes == counted.bytes) {
    return;
  }
  Add(FsckKind::kTotalsMismatch, std::string(kTotalsKey),
      "stored " + TotalsText(t) + "; counted " + TotalsText(counted));
  FsckIssue& issue = Last();
  issue.stage = FsckStage::kCount;
  issue.guard_key = std::string(kTotalsKey);
  issue.guard_version = stored.ok() ? stored->seq : 0;
  issue.apply = [value = EncodeTotals(counted)](holt::Batch& b) { b.Put(kTotalsKey, value); };
  issue.fix = "set the totals to the counted " + TotalsText(counted);
}

Status FsckChecker::CheckManifests() {
  object::ObjectStore* store = meta_->options_.store;
  if (store != nullptr) {
    object::ListOptions list{"blocks/", "", kPage};
    for (;;) {
      NOKV_ASSIGN_OR_RETURN(auto listed, store->List(list));
      for (const auto& object : listed.objects) {
        Digest digest{};
        if (!object::ParseBlockKey(object.key, &digest)) continue;
        objects_[digest] = StoredObject{object.size, object.last_modified_ns};
      }
      if (!listed.truncated || listed.objects.empty()) break;
      list.start_after = listed.objects.back().key;
    }
    listed_ = true;
  }
  std::set<InodeId> with_manifest;
  NOKV_RETURN_IF_ERROR(
      ScanFamily(std::string(1, family::kManifest), false, [&](const holt::Entry& row) {
        InodeId inode = 0;
        uint64_t generation = 0;
        if (!ParseManifestKey(row.key, &inode, &generation)) {
          Add(FsckKind::kMalformedRecord, "key " + FsckKeyText(row.key), "not a manifest key");
          return Status::Ok();
        }
        scan_.report.manifests++;
        auto node = nodes_.find(inode);
        if (node == nodes_.end() || node->second.attr.type != FileType::kFile ||
            node->second.attr.generation != generation) {
          Add(FsckKind::kStaleManifest,
              InodeName(inode) + " generation " + std::to_string(generation),
              node == nodes_.end()
                  ? "its inode is gone"
                  : "the inode is at generation " + std::to_string(node->second.attr.generation));
          FsckIssue& issue = Last();
          issue.stage = FsckStage::kStructure;
          issue.guard_key = row.key;
          issue.guard_version = row.seq;
          issue.apply = [key = row.key](holt::Batch& b) { b.Delete(key); };
          issue.fix = "deleted the manifest (block references are recounted)";
          return Status::Ok();
        }
        auto manifest = DecodeManifest(row.value);
        if (!manifest.ok()) {
          Add(FsckKind::kMalformedRecord, PathOf(inode),
              "manifest: " + std::string(manifest.status().message()));
          return Status::Ok();
        }
        with_manifest.insert(inode);
        const object::BodyLayout& layout = manifest->layout;
        size_t chunk_index = 0;
        for (size_t i = 0; i < layout.blocks.size(); ++i) {
          const object::BlockRef& ref = layout.blocks[i];
          auto [use, fresh] = blocks_.try_emplace(ref.digest);
          use->second.refs++;
          if (fresh) {
            use->second.length = ref.length;
            NOKV_RETURN_IF_ERROR(CheckBlock(layout, i, chunk_index));
          }
          if (layout.has_chunk_crcs()) {
            chunk_index += object::ChunkCount(ref.length, layout.chunk_size);
          }
        }
        return Status::Ok();
      }));
  scan_.report.blocks = blocks_.size();
  for (const auto& [inode, node] : nodes_) {
    if (node.attr.type != FileType::kFile || node.attr.size == 0) continue;
    if (with_manifest.contains(inode)) continue;
    Add(FsckKind::kMissingManifest, PathOf(inode),
        std::to_string(node.attr.size) + " bytes at generation " +
            std::to_string(node.attr.generation) + " and no manifest");
    Last().fix = "cannot be repaired: the file's block list is gone; write the file again";
  }
  return Status::Ok();
}

Status FsckChecker::CheckBlock(const object::BodyLayout& layout, size_t index, size_t chunk_index) {
  if (!listed_) return Status::Ok();
  object::ObjectStore* store = meta_->options_.store;
  const object::BlockRef& ref = layout.blocks[index];
  std::string hex = DigestHex(ref.digest);
  auto bad = [&](FsckKind kind, std::string detail) {
    Add(kind, hex, std::move(detail));
    Last().fix = std::string(kUnrepairableBlock);
    bad_issue_[ref.digest] = scan_.issues.size() - 1;
  };
  auto object = objects_.find(ref.digest);
  if (object == objects_.end()) {
    // The listing can miss an object stored after it began: ask by name.
    auto head = store->Head(object::BlockKey(ref.digest));
    if (!head.ok() && !head.status().Is(Code::kNotFound)) return head.status();
    if (!head.ok()) {
      bad(FsckKind::kMissingBlock, "a block of " + std::to_string(ref.length) + " bytes");
      return Status::Ok();
    }
    object = objects_.emplace(ref.digest, StoredObject{head->size, head->last_modified_ns}).first;
  }
  if (object->second.size != ref.length) {
    bad(FsckKind::kBlockSizeMismatch, "stored " + std::to_string(object->second.size) +
                                          " bytes, the manifest says " +
                                          std::to_string(ref.length));
    return Status::Ok();
  }
  if (!options_.verify) return Status::Ok();
  auto bytes = object::ReadVerifiedBlock(store, layout, index, chunk_index);
  if (!bytes.ok()) {
    if (bytes.status().Is(Code::kNotFound)) {
      bad(FsckKind::kMissingBlock, "a block of " + std::to_string(ref.length) + " bytes");
    } else if (bytes.status().Is(Code::kCorruption)) {
      bad(FsckKind::kDamagedBlock, std::string(bytes.status().message()));
    } else {
      return bytes.status();
    }
    return Status::Ok();
  }
  scan_.report.blocks_verified++;
  scan_.report.bytes_verified += bytes->size();
  Pace(bytes->size());
  return Status::Ok();
}

void FsckChecker::Pace(uint64_t bytes) {
  if (options_.rate_bytes_per_sec == 0) return;
  using Clock = std::chrono::steady_clock;
  if (paced_bytes_ == 0) pace_start_ = Clock::now();
  paced_bytes_ += bytes;
  auto due = std::chrono::duration<double>(static_cast<double>(paced_bytes_) /
                                           static_cast<double>(options_.rate_bytes_per_sec));
  std::this_thread::sleep_until(pace_start_ + std::chrono::duration_cast<Clock::duration>(due));
}

Status FsckChecker::CheckBlockRefs() {
  NOKV_RETURN_IF_ERROR(ScanFamily(std::string(1, family::kGc), true, [&](const holt::Entry& row) {
    uint64_t seq = 0;
    Digest digest{};
    if (ParseGcKey(row.key, &seq, &digest)) hinted_.insert(digest);
    return Status::Ok();
  }));
  std::set<Digest> counted;
  NOKV_RETURN_IF_ERROR(
      ScanFamily(std::string(1, family::kBlockRef), false, [&](const holt::Entry& row) {
        Digest digest{};
        if (row.key.size() != 1 + digest.size()) {
          Add(FsckKind::kMalformedRecord, "key " + FsckKeyText(row.key),
              "not a block reference key");
          return Status::Ok();
        }
        std::memcpy(digest.data(), row.key.data() + 1, digest.size());
        counted.insert(digest);
        auto value = DecodeBlockRef(row.value);
        if (!value.ok()) {
          Add(FsckKind::kMalformedRecord, DigestHex(digest),
              "block reference: " + std::string(value.status().message()));
          return Status::Ok();
        }
        auto use = blocks_.find(digest);
        uint64_t refs = use == blocks_.end() ? 0 : use->second.refs;
        if (value->state != BlockState::kLive) {
          if (refs == 0) return Status::Ok();
          Add(FsckKind::kRefcountDrift, DigestHex(digest),
              std::string(value->state == BlockState::kClaimed ? "claimed" : "collected") +
                  " by the collector, but " + std::to_string(refs) + " current references");
          Last().fix = "cannot be repaired here: a publish of the same bytes revives the block";
          return Status::Ok();
        }
        if (value->count == refs) return Status::Ok();
        AddRefcountFix(digest, row.seq, value->count, refs);
        return Status::Ok();
      }));
  for (const auto& [digest, use] : blocks_) {
    if (!counted.contains(digest)) AddRefcountFix(digest, 0, 0, use.refs);
  }
  return Status::Ok();
}

void FsckChecker::AddRefcountFix(const Digest& digest, uint64_t version, uint64_t count,
                                 uint64_t refs) {
  Add(FsckKind::kRefcountDrift, DigestHex(digest),
      (version == 0 ? std::string("no reference count") : "count " + std::to_string(count)) +
          ", counted " + std::to_string(refs) + " references");
  FsckIssue& issue = Last();
  issue.stage = FsckStage::kCount;
  issue.guard_key = BlockRefKey(digest);
  issue.guard_version = version;
  bool hint = refs == 0 && !hinted_.contains(digest);
  issue.apply = [key = issue.guard_key, digest, refs, hint](holt::Batch& b) {
    b.Put(key, EncodeBlockRef({refs, BlockState::kLive}));
    // A hint that names no inode: the collector keeps the block while any
    // snapshot may read it.
    if (hint)
      b.Put(GcKey(0, digest), EncodeGcHint({}), holt::Stamp{kGcKeySeqOffset, holt::kNoStamp});
  };
  issue.fix = "set the count to " + std::to_string(refs) +
              (refs == 0 ? " (the collector deletes the block when no snapshot needs it)" : "");
}

Status FsckChecker::CheckLeaks() {
  if (!listed_) return Status::Ok();
  const int64_t cutoff = meta_->OrphanCutoff();
  const uint64_t oldest = engine_->OldestPin();
  // What durable pins (snapshots, backups) can still read is not leaked.
  std::set<Digest> pinned;
  for (const auto& [name, seq] : engine_->DurablePins()) {
    auto view = engine_->PinDurable(name);
    if (!view.ok()) continue;  // unpinned meanwhile
    holt::ScanOptions scan;
    scan.prefix = std::string(1, family::kManifest);
    scan.limit = kPage;
    for (;;) {
      NOKV_ASSIGN_OR_RETURN(auto rows, engine_->Scan(scan, &*view));
      for (const auto& row : rows) {
        auto manifest = DecodeManifest(row.value);
        if (!manifest.ok()) continue;
        for (const auto& block : manifest->layout.blocks) pinned.insert(block.digest);
      }
      if (rows.size() < scan.limit) break;
      scan.start_after = rows.back().key;
    }
  }
  for (const auto& [digest, object] : objects_) {
    if (blocks_.contains(digest) || pinned.contains(digest)) continue;
    if (object.last_modified_ns == 0 || object.last_modified_ns >= cutoff) continue;
    auto ref = engine_->Get(BlockRefKey(digest), at_.view());
    if (ref.ok() && ref->seq > oldest) continue;  // an older reader may still read it
    Add(FsckKind::kLeakedBlock, DigestHex(digest),
        std::to_string(object.size) + " bytes that nothing references, past the grace period");
    FsckIssue& issue = Last();
    issue.stage = FsckStage::kCount;
    issue.fix = "deleted by the collector run after the repair";
    auto value = ref.ok() ? DecodeBlockRef(ref->bytes) : Result<BlockRefValue>(BlockRefValue{});
    bool live_zero =
        ref.ok() && value.ok() && value->state == BlockState::kLive && value->count == 0;
    if (live_zero && !hinted_.contains(digest)) {
      // Nothing would ever collect it: give the collector a hint.
      issue.guard_key = BlockRefKey(digest);
      issue.guard_version = ref->seq;
      issue.apply = [key = GcKey(0, digest)](holt::Batch& b) {
        b.Put(key, EncodeGcHint({}), holt::Stamp{kGcKeySeqOffset, holt::kNoStamp});
      };
      issue.fix = "left a GC hint; " + issue.fix;
    }
  }
  return Status::Ok();
}

Status FsckChecker::AddAffectedFiles() {
  if (bad_issue_.empty()) return Status::Ok();
  return ScanFamily(std::string(1, family::kManifest), false, [&](const holt::Entry& row) {
    InodeId inode = 0;
    uint64_t generation = 0;
    if (!ParseManifestKey(row.key, &inode, &generation)) return Status::Ok();
    auto node = nodes_.find(inode);
    if (node == nodes_.end() || node->second.attr.generation != generation) return Status::Ok();
    auto manifest = DecodeManifest(row.value);
    if (!manifest.ok()) return Status::Ok();
    std::string path;
    for (const auto& block : manifest->layout.blocks) {
      auto bad = bad_issue_.find(block.digest);
      if (bad == bad_issue_.end()) continue;
      if (path.empty()) path = PathOf(inode);
      auto& files = scan_.issues[bad->second].finding.files;
      if (files.empty() || files.back() != path) files.push_back(path);
    }
    return Status::Ok();
  });
}

Status FsckChecker::CheckRecords() {
  EventReader events(engine_);
  NOKV_RETURN_IF_ERROR(
      ScanFamily(std::string(1, family::kWatch), false, [&](const holt::Entry& row) {
        uint64_t seq = 0;
        uint32_t ordinal = 0;
        Status s = ParseWatchKey(row.key, &seq, &ordinal)
                       ? events.Decode(seq, ordinal, row.value).status()
                       : Status::Corruption("not a watch key");
        if (!s.ok()) {
          Add(FsckKind::kMalformedRecord, "watch event " + FsckKeyText(row.key),
              std::string(s.message()));
          Last().fix = "left as is: watch retention drops it";
        }
        return Status::Ok();
      }));
  NOKV_RETURN_IF_ERROR(
      ScanFamily(std::string(1, family::kSnapshot), false, [&](const holt::Entry& row) {
        std::string name = row.key.substr(1);
        auto snapshot = DecodeSnapshot(name, row.value);
        if (!snapshot.ok()) {
          Add(FsckKind::kMalformedRecord, "snapshot " + FsckKeyText(name),
              std::string(snapshot.status().message()));
          Last().fix = "left as is: retire the snapshot (nokv snapshot rm)";
        }
        return Status::Ok();
      }));
  return ScanFamily(std::string(1, family::kRule), false, [&](const holt::Entry& row) {
    auto record = DecodeRuleRecord(row.value);
    if (!record.ok()) {
      Add(FsckKind::kMalformedRecord, "index rule " + FsckKeyText(row.key.substr(1)),
          std::string(record.status().message()));
      Last().fix = "left as is: remove the rule (nokv index rm) and add it again";
    }
    return Status::Ok();
  });
}

}  // namespace nokv::meta
