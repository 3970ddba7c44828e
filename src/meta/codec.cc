// Key builders and value codecs for the metadata families.
#include "meta/codec.h"

#include <cstring>

#include "common/coding.h"

namespace nokv::meta {
namespace {

std::string WithInode(char fam, InodeId inode) {
  std::string k(1, fam);
  PutFixed64(&k, inode);
  return k;
}

Status Bad(std::string_view what) {
  return Status::Corruption(std::string("bad ") + std::string(what) + " value");
}

bool CheckVersion(Decoder* d) {
  uint8_t version = 0;
  return d->GetFixed8(&version) && version == kValueVersion;
}

void PutDigest(std::string* dst, const Digest& digest) {
  dst->append(reinterpret_cast<const char*>(digest.data()), digest.size());
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

}  // namespace

std::string InodeKey(InodeId inode) { return WithInode(family::kInode, inode); }

std::string DentryKey(InodeId parent, std::string_view name) {
  std::string k = WithInode(family::kDentry, parent);
  k.append(name);
  return k;
}

std::string DentryPrefix(InodeId parent) { return WithInode(family::kDentry, parent); }

std::string ManifestKey(InodeId inode, uint64_t generation) {
  std::string k = WithInode(family::kManifest, inode);
  PutFixed64(&k, generation);
  return k;
}

std::string ManifestPrefix(InodeId inode) { return WithInode(family::kManifest, inode); }

std::string BlockRefKey(const Digest& digest) {
  std::string k(1, family::kBlockRef);
  PutDigest(&k, digest);
  return k;
}

std::string XattrKey(InodeId inode, std::string_view name) {
  std::string k = WithInode(family::kXattr, inode);
  k.append(name);
  return k;
}

std::string XattrPrefix(InodeId inode) { return WithInode(family::kXattr, inode); }

std::string WatchKey(uint64_t seq, uint32_t ordinal) {
  std::string k(1, family::kWatch);
  PutFixed64(&k, seq);
  PutFixed32(&k, ordinal);
  return k;
}

std::string SnapshotKey(std::string_view name) {
  return std::string(1, family::kSnapshot) + std::string(name);
}

std::string BackupKey(std::string_view id) {
  return std::string(1, family::kBackup) + std::string(id);
}

std::string GcKey(uint64_t seq, const Digest& digest) {
  std::string k(1, family::kGc);
  PutFixed64(&k, seq);
  PutDigest(&k, digest);
  return k;
}

std::string DedupeKey(std::string_view request_id) {
  return std::string(1, family::kDedupe) + std::string(request_id);
}

bool ParseInodeKey(std::string_view key, InodeId* inode) {
  if (key.size() != 9 || key[0] != family::kInode) return false;
  *inode = DecodeFixed64(key.data() + 1);
  return true;
}

bool ParseDentryKey(std::string_view key, InodeId* parent, std::string_view* name) {
  if (key.size() < 9 || key[0] != family::kDentry) return false;
  *parent = DecodeFixed64(key.data() + 1);
  *name = key.substr(9);
  return true;
}

bool ParseManifestKey(std::string_view key, InodeId* inode, uint64_t* generation) {
  if (key.size() != 17 || key[0] != family::kManifest) return false;
  *inode = DecodeFixed64(key.data() + 1);
  *generation = DecodeFixed64(key.data() + 9);
  return true;
}

bool ParseWatchKey(std::string_view key, uint64_t* seq, uint32_t* ordinal) {
  if (key.size() != 13 || key[0] != family::kWatch) return false;
  *seq = DecodeFixed64(key.data() + 1);
  *ordinal = DecodeFixed32(key.data() + 9);
  return true;
}

std::string EncodeGcHint(const std::set<InodeId>& inodes) {
  std::string v;
  if (inodes.empty()) return v;
  v.push_back(static_cast<char>(kValueVersion));
  PutVarint64(&v, inodes.size());
  for (InodeId inode : inodes) PutVarint64(&v, inode);
  return v;
}

Result<std::vector<InodeId>> DecodeGcHint(std::string_view value) {
  std::vector<InodeId> inodes;
  if (value.empty()) return inodes;
  Decoder d(value);
  uint64_t count = 0;
  if (!CheckVersion(&d) || !d.GetVarint64(&count) || count > value.size()) return Bad("gc hint");
  inodes.resize(count);
  for (auto& inode : inodes) {
    if (!d.GetVarint64(&inode)) return Bad("gc hint");
  }
  return inodes;
}

bool ParseGcKey(std::string_view key, uint64_t* seq, Digest* digest) {
  if (key.size() != 41 || key[0] != family::kGc) return false;
  *seq = DecodeFixed64(key.data() + 1);
  std::memcpy(digest->data(), key.data() + 9, digest->size());
  return true;
}

std::string EncodeAttr(const Attr& a) {
  std::string v(1, static_cast<char>(kValueVersion));
  PutFixed64(&v, a.generation);  // kAttrGenerationOffset
  v.push_back(static_cast<char>(a.type));
  PutVarint32(&v, a.mode);
  PutVarint32(&v, a.uid);
  PutVarint32(&v, a.gid);
  PutVarint32(&v, a.nlink);
  PutVarint64(&v, a.size);
  PutVarint64(&v, static_cast<uint64_t>(a.mtime_ns));
  PutVarint64(&v, static_cast<uint64_t>(a.ctime_ns));
  PutVarint64(&v, a.child_count);
  PutVarint64(&v, a.parent);
  PutLengthPrefixed(&v, a.name);
  if (a.type == FileType::kSymlink) PutLengthPrefixed(&v, a.symlink_target);
  return v;
}

Result<Attr> DecodeAttr(InodeId inode, std::string_view value) {
  Decoder d(value);
  Attr a;
  a.inode = inode;
  uint8_t type = 0;
  uint64_t mtime = 0, ctime = 0;
  if (!CheckVersion(&d) || !d.GetFixed64(&a.generation) || !d.GetFixed8(&type) ||
      !d.GetVarint32(&a.mode) || !d.GetVarint32(&a.uid) || !d.GetVarint32(&a.gid) ||
      !d.GetVarint32(&a.nlink) || !d.GetVarint64(&a.size) || !d.GetVarint64(&mtime) ||
      !d.GetVarint64(&ctime) || !d.GetVarint64(&a.child_count) || !d.GetVarint64(&a.parent) ||
      type < 1 || type > 3) {
    return Bad("inode");
  }
  std::string_view name;
  if (!d.GetLengthPrefixed(&name)) return Bad("inode");
  a.name = name;
  a.type = static_cast<FileType>(type);
  a.mtime_ns = static_cast<int64_t>(mtime);
  a.ctime_ns = static_cast<int64_t>(ctime);
  if (a.type == FileType::kSymlink) {
    std::string_view target;
    if (!d.GetLengthPrefixed(&target)) return Bad("inode");
    a.symlink_target = target;
  }
  return a;
}

std::string EncodeDentry(InodeId child, FileType type) {
  std::string v;
  PutFixed64(&v, child);
  v.push_back(static_cast<char>(type));
  return v;
}

Result<DirEntry> DecodeDentry(std::string_view name, std::string_view value) {
  if (value.size() != 9) return Bad("dentry");
  auto type = static_cast<uint8_t>(value[8]);
  if (type < 1 || type > 3) return Bad("dentry");
  return DirEntry{std::string(name), DecodeFixed64(value.data()), static_cast<FileType>(type)};
}

std::string EncodeSnapshot(const Snapshot& s) {
  std::string v(1, static_cast<char>(kValueVersion));
  PutFixed64(&v, s.seq);
  PutLengthPrefixed(&v, s.root);
  PutVarint64(&v, static_cast<uint64_t>(s.created_ns));
  PutVarint64(&v, static_cast<uint64_t>(s.expires_ns));
  return v;
}

Result<Snapshot> DecodeSnapshot(std::string_view name, std::string_view value) {
  Decoder d(value);
  Snapshot s;
  s.name = name;
  std::string_view root;
  uint64_t created = 0, expires = 0;
  if (!CheckVersion(&d) || !d.GetFixed64(&s.seq) || !d.GetLengthPrefixed(&root) ||
      !d.GetVarint64(&created) || !d.GetVarint64(&expires)) {
    return Bad("snapshot");
  }
  s.root = root;
  s.created_ns = static_cast<int64_t>(created);
  s.expires_ns = static_cast<int64_t>(expires);
  return s;
}

std::string EncodeBackup(const BackupRecord& b) {
  std::string v(1, static_cast<char>(kValueVersion));
  PutFixed64(&v, b.seq);
  PutVarint64(&v, static_cast<uint64_t>(b.created_ns));
  PutLengthPrefixed(&v, b.location);
  return v;
}

Result<BackupRecord> DecodeBackup(std::string_view id, std::string_view value) {
  Decoder d(value);
  BackupRecord b;
  b.id = id;
  std::string_view location;
  uint64_t created = 0;
  if (!CheckVersion(&d) || !d.GetFixed64(&b.seq) || !d.GetVarint64(&created) ||
      !d.GetLengthPrefixed(&location) || !d.empty()) {
    return Bad("backup");
  }
  b.created_ns = static_cast<int64_t>(created);
  b.location = location;
  return b;
}

std::string EncodeEvent(const Event& e, std::string_view previous_path) {
  size_t shared = 0;
  while (shared < e.path.size() && shared < previous_path.size() &&
         e.path[shared] == previous_path[shared]) {
    ++shared;
  }
  std::string v(1, static_cast<char>(kEventVersion));
  v.push_back(static_cast<char>(e.type));
  v.push_back(static_cast<char>(e.file_type));
  PutVarint64(&v, e.inode);
  PutVarint64(&v, shared);
  PutLengthPrefixed(&v, std::string_view(e.path).substr(shared));
  PutLengthPrefixed(&v, e.old_path);
  PutLengthPrefixed(&v, e.detail);
  PutVarint64(&v, static_cast<uint64_t>(e.time_ns));
  PutVarint64(&v, e.count);
  return v;
}

Result<Event> DecodeEvent(uint64_t seq, uint32_t ordinal, std::string_view value,
                          std::string_view previous_path) {
  Decoder d(value);
  Event e;
  e.seq = seq;
  e.ordinal = ordinal;
  uint8_t version = 0, type = 0, file_type = 0;
  uint64_t shared = 0;
  std::string_view path, old_path, detail;
  if (!d.GetFixed8(&version) || (version != kValueVersion && version != kEventVersion) ||
      !d.GetFixed8(&type) || !d.GetFixed8(&file_type) || !d.GetVarint64(&e.inode) ||
      (version == kEventVersion && !d.GetVarint64(&shared)) || !d.GetLengthPrefixed(&path) ||
      !d.GetLengthPrefixed(&old_path) || !d.GetLengthPrefixed(&detail) || type < 1 || type > 10 ||
      shared > previous_path.size()) {
    return Bad("event");
  }
  uint64_t time = 0;
  if (!d.GetVarint64(&time)) return Bad("event");
  if (version == kEventVersion && (!d.GetVarint64(&e.count) || e.count == 0)) return Bad("event");
  e.time_ns = static_cast<int64_t>(time);
  e.type = static_cast<EventType>(type);
  e.file_type = static_cast<FileType>(file_type);
  e.path.reserve(shared + path.size());
  e.path.assign(previous_path.substr(0, shared));
  e.path.append(path);
  e.old_path = old_path;
  e.detail = detail;
  return e;
}

std::string EncodeBlockRef(const BlockRefValue& value) {
  std::string v(1, static_cast<char>(kValueVersion));
  v.push_back(static_cast<char>(value.state));
  PutVarint64(&v, value.count);
  return v;
}

Result<BlockRefValue> DecodeBlockRef(std::string_view value) {
  Decoder d(value);
  BlockRefValue b;
  uint8_t state = 0;
  if (!CheckVersion(&d) || !d.GetFixed8(&state) || !d.GetVarint64(&b.count) || state > 2) {
    return Bad("block ref");
  }
  b.state = static_cast<BlockState>(state);
  return b;
}

std::string EncodeDedupe(const DedupeValue& value) {
  std::string v(1, static_cast<char>(kValueVersion));
  PutFixed64(&v, value.seq);  // kDedupeSeqOffset
  PutVarint64(&v, value.inode);
  PutVarint64(&v, ZigZag(value.created_ns));
  return v;
}

Result<DedupeValue> DecodeDedupe(std::string_view value) {
  Decoder d(value);
  DedupeValue v;
  uint64_t created = 0;
  if (!CheckVersion(&d) || !d.GetFixed64(&v.seq) || !d.GetVarint64(&v.inode) ||
      !d.GetVarint64(&created)) {
    return Bad("dedupe");
  }
  v.created_ns = static_cast<int64_t>((created >> 1) ^ (~(created & 1) + 1));
  return v;
}

}  // namespace nokv::meta
