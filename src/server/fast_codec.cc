// Direct MessagePack forms of the hot metadata values (fast_codec.h). Keys
// and defaults are codec.cc's; docs/formats/rpc.md lists them.
#include "server/fast_codec.h"

#include "server/codec.h"

namespace nokv::server {
namespace {

using rpc::MsgReader;
using rpc::MsgWriter;

// Blocks: one byte string of 40-byte records (digest, big-endian length).
constexpr size_t kBlockRecordBytes = 40;

bool ReadFileType(MsgReader& r, meta::FileType* type) {
  uint64_t v = 0;
  if (!r.Uint(&v) || v < 1 || v > 3) return false;
  *type = static_cast<meta::FileType>(v);
  return true;
}

bool ReadString(MsgReader& r, std::string* s) {
  std::string_view v;
  if (!r.Str(&v)) return false;
  s->assign(v);
  return true;
}

// A list of T read with `read` into *out.
template <typename T>
bool ReadList(MsgReader& r, bool (*read)(MsgReader&, T*), std::vector<T>* out) {
  uint32_t n = 0;
  if (!r.Array(&n)) return false;
  out->clear();
  out->resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    if (!read(r, &(*out)[i])) return false;
  }
  return true;
}

}  // namespace

void WriteAttr(MsgWriter& w, const meta::Attr& a) {
  uint32_t n = 3 + (a.uid != 0) + (a.gid != 0) + (a.nlink != 1) + (a.size != 0) +
               (a.mtime_ns != 0) + (a.ctime_ns != 0) + (a.generation != 0) + (a.child_count != 0) +
               !a.symlink_target.empty() + (a.parent != 0) + !a.name.empty();
  w.Map(n);
  w.Str("i"), w.Uint(a.inode);
  w.Str("t"), w.Uint(static_cast<uint64_t>(a.type));
  w.Str("m"), w.Uint(a.mode);
  if (a.uid != 0) w.Str("u"), w.Uint(a.uid);
  if (a.gid != 0) w.Str("g"), w.Uint(a.gid);
  if (a.nlink != 1) w.Str("n"), w.Uint(a.nlink);
  if (a.size != 0) w.Str("s"), w.Uint(a.size);
  if (a.mtime_ns != 0) w.Str("mt"), w.Int(a.mtime_ns);
  if (a.ctime_ns != 0) w.Str("ct"), w.Int(a.ctime_ns);
  if (a.generation != 0) w.Str("gen"), w.Uint(a.generation);
  if (a.child_count != 0) w.Str("cc"), w.Uint(a.child_count);
  if (!a.symlink_target.empty()) w.Str("st"), w.Str(a.symlink_target);
  if (a.parent != 0) w.Str("p"), w.Uint(a.parent);
  if (!a.name.empty()) w.Str("nm"), w.Str(a.name);
}

bool ReadAttr(MsgReader& r, meta::Attr* a) {
  *a = meta::Attr{};
  bool inode = false, type = false, mode = false;
  bool ok = ReadFields(r, [&](std::string_view k) {
    if (k == "i") return inode = r.Uint(&a->inode);
    if (k == "t") return type = ReadFileType(r, &a->type);
    if (k == "m") return mode = ReadUint(r, &a->mode);
    if (k == "u") return ReadUint(r, &a->uid);
    if (k == "g") return ReadUint(r, &a->gid);
    if (k == "n") return ReadUint(r, &a->nlink);
    if (k == "s") return r.Uint(&a->size);
    if (k == "mt") return r.Int(&a->mtime_ns);
    if (k == "ct") return r.Int(&a->ctime_ns);
    if (k == "gen") return r.Uint(&a->generation);
    if (k == "cc") return r.Uint(&a->child_count);
    if (k == "st") return ReadString(r, &a->symlink_target);
    if (k == "p") return r.Uint(&a->parent);
    if (k == "nm") return ReadString(r, &a->name);
    return r.Skip();
  });
  return ok && inode && type && mode;
}

bool ReadAttrList(MsgReader& r, std::vector<meta::Attr>* attrs) {
  return ReadList(r, ReadAttr, attrs);
}

void WriteDirEntry(MsgWriter& w, const meta::DirEntry& e) {
  w.Map(3);
  w.Str("nm"), w.Str(e.name);
  w.Str("i"), w.Uint(e.inode);
  w.Str("t"), w.Uint(static_cast<uint64_t>(e.type));
}

bool ReadDirEntry(MsgReader& r, meta::DirEntry* e) {
  *e = meta::DirEntry{};
  bool name = false, inode = false, type = false;
  bool ok = ReadFields(r, [&](std::string_view k) {
    if (k == "nm") return name = ReadString(r, &e->name);
    if (k == "i") return inode = r.Uint(&e->inode);
    if (k == "t") return type = ReadFileType(r, &e->type);
    return r.Skip();
  });
  return ok && name && inode && type;
}

void WriteDirPage(MsgWriter& w, const meta::DirPage& page) {
  w.Map(page.attrs.empty() ? 2 : 3);
  w.Str("e");
  w.Array(static_cast<uint32_t>(page.entries.size()));
  for (const auto& e : page.entries) WriteDirEntry(w, e);
  w.Str("more"), w.Bool(page.more);
  if (!page.attrs.empty()) {
    w.Str("a");
    w.Array(static_cast<uint32_t>(page.attrs.size()));
    for (const auto& a : page.attrs) WriteAttr(w, a);
  }
}

bool ReadDirPage(MsgReader& r, meta::DirPage* page) {
  *page = meta::DirPage{};
  bool entries = false;
  bool ok = ReadFields(r, [&](std::string_view k) {
    if (k == "e") return entries = ReadList(r, ReadDirEntry, &page->entries);
    if (k == "a") return ReadList(r, ReadAttr, &page->attrs);
    if (k == "more") return r.Bool(&page->more);
    return r.Skip();
  });
  return ok && entries && (page->attrs.empty() || page->attrs.size() == page->entries.size());
}

void WriteManifest(MsgWriter& w, const meta::Manifest& m) {
  bool kind = m.layout.digest_kind != object::DigestKind::kSha256;
  bool crcs = m.layout.has_chunk_crcs();
  w.Map(3 + kind + 2 * crcs + !m.content_type.empty() + !m.producer.empty());
  w.Str("d");
  w.Bin(std::string_view(reinterpret_cast<const char*>(m.layout.digest.data()),
                         m.layout.digest.size()));
  w.Str("s"), w.Uint(m.layout.size);
  std::string blocks;
  blocks.reserve(m.layout.blocks.size() * kBlockRecordBytes);
  for (const auto& block : m.layout.blocks) {
    blocks.append(reinterpret_cast<const char*>(block.digest.data()), block.digest.size());
    for (int b = 7; b >= 0; --b) blocks.push_back(static_cast<char>(block.length >> (8 * b)));
  }
  w.Str("b"), w.Bin(blocks);
  if (kind) w.Str("dk"), w.Uint(static_cast<uint64_t>(m.layout.digest_kind));
  if (crcs) {
    w.Str("cs"), w.Uint(m.layout.chunk_size);
    w.Str("cc"), w.Bin(ChunkCrcsToWire(m.layout.chunk_crcs));
  }
  if (!m.content_type.empty()) w.Str("ct"), w.Str(m.content_type);
  if (!m.producer.empty()) w.Str("pr"), w.Str(m.producer);
}

bool ReadManifest(MsgReader& r, meta::Manifest* m) {
  *m = meta::Manifest{};
  std::string_view digest, blocks, crcs;
  uint64_t kind = 0, chunk_size = 0;
  bool size = false, have_blocks = false, have_chunk_size = false, have_crcs = false;
  bool ok = ReadFields(r, [&](std::string_view k) {
    if (k == "d") return r.Bin(&digest);
    if (k == "s") return size = r.Uint(&m->layout.size);
    if (k == "b") return have_blocks = r.Bin(&blocks);
    if (k == "dk") return r.Uint(&kind);
    if (k == "cs") return have_chunk_size = r.Uint(&chunk_size);
    if (k == "cc") return have_crcs = r.Bin(&crcs);
    if (k == "ct") return ReadString(r, &m->content_type);
    if (k == "pr") return ReadString(r, &m->producer);
    return r.Skip();
  });
  if (!ok || !size || digest.size() != m->layout.digest.size() || !have_blocks ||
      blocks.size() % kBlockRecordBytes != 0) {
    return false;
  }
  std::copy(digest.begin(), digest.end(), m->layout.digest.begin());
  m->layout.blocks.resize(blocks.size() / kBlockRecordBytes);
  for (size_t i = 0; i < m->layout.blocks.size(); ++i) {
    const char* record = blocks.data() + i * kBlockRecordBytes;
    object::BlockRef& block = m->layout.blocks[i];
    std::copy(record, record + 32, block.digest.begin());
    for (size_t b = 0; b < 8; ++b) block.length = (block.length << 8) | uint8_t(record[32 + b]);
  }
  if (kind > UINT8_MAX || chunk_size > UINT32_MAX || have_chunk_size != have_crcs) return false;
  m->layout.digest_kind = static_cast<object::DigestKind>(kind);
  m->layout.chunk_size = static_cast<uint32_t>(chunk_size);
  if (have_crcs && !ChunkCrcsFromWire(crcs, &m->layout.chunk_crcs)) return false;
  return object::ValidateLayout(m->layout).ok();
}

void WritePin(MsgWriter& w, const fs::Pin& pin) {
  w.Map(2);
  w.Str("id"), w.Uint(pin.id);
  w.Str("q"), w.Uint(pin.seq);
}

bool ReadPin(MsgReader& r, fs::Pin* pin) {
  *pin = fs::Pin{};
  bool id = false, seq = false;
  bool ok = ReadFields(r, [&](std::string_view k) {
    if (k == "id") return id = r.Uint(&pin->id);
    if (k == "q") return seq = r.Uint(&pin->seq);
    return r.Skip();
  });
  return ok && id && seq;
}

void WriteOpenedFile(MsgWriter& w, const fs::OpenedFile& f) {
  w.Map(f.manifest ? 3 : 2);
  w.Str("pin"), WritePin(w, f.pin);
  w.Str("attr"), WriteAttr(w, f.attr);
  if (f.manifest) w.Str("man"), WriteManifest(w, *f.manifest);
}

bool ReadOpenedFile(MsgReader& r, fs::OpenedFile* f) {
  *f = fs::OpenedFile{};
  bool pin = false, attr = false;
  bool ok = ReadFields(r, [&](std::string_view k) {
    if (k == "pin") return pin = ReadPin(r, &f->pin);
    if (k == "attr") return attr = ReadAttr(r, &f->attr);
    if (k == "man") return ReadManifest(r, &f->manifest.emplace());
    return r.Skip();
  });
  return ok && pin && attr;
}

void WriteReadAt(MsgWriter& w, const fs::ReadAt& at) {
  w.Map(!at.snapshot.empty() + (at.pin != 0));
  if (!at.snapshot.empty()) w.Str("snap"), w.Str(at.snapshot);
  if (at.pin != 0) w.Str("pin"), w.Uint(at.pin);
}

bool ReadReadAt(MsgReader& r, fs::ReadAt* at) {
  *at = fs::ReadAt{};
  if (r.TryNil()) return true;
  return ReadFields(r, [&](std::string_view k) {
    if (k == "snap") return ReadString(r, &at->snapshot);
    if (k == "pin") return r.Uint(&at->pin);
    return r.Skip();
  });
}

void WriteNodeOptions(MsgWriter& w, const meta::NodeOptions& o) {
  w.Map((o.mode != 0) + (o.uid != 0) + (o.gid != 0) + o.parents + !o.request_id.empty());
  if (o.mode != 0) w.Str("m"), w.Uint(o.mode);
  if (o.uid != 0) w.Str("u"), w.Uint(o.uid);
  if (o.gid != 0) w.Str("g"), w.Uint(o.gid);
  if (o.parents) w.Str("parents"), w.Bool(true);
  if (!o.request_id.empty()) w.Str("rid"), w.Str(o.request_id);
}

bool ReadNodeOptions(MsgReader& r, meta::NodeOptions* o) {
  *o = meta::NodeOptions{};
  return ReadFields(r, [&](std::string_view k) {
    if (k == "m") return ReadUint(r, &o->mode);
    if (k == "u") return ReadUint(r, &o->uid);
    if (k == "g") return ReadUint(r, &o->gid);
    if (k == "parents") return r.Bool(&o->parents);
    if (k == "rid") return ReadString(r, &o->request_id);
    return r.Skip();
  });
}

void WritePublishRequest(MsgWriter& w, const meta::PublishRequest& r) {
  w.Map(4 + (r.inode != 0) + (r.expected_generation != 0) + r.body.has_value());
  w.Str("path"), w.Str(r.path);
  w.Str("man"), WriteManifest(w, r.manifest);
  w.Str("mode"), w.Uint(static_cast<uint64_t>(r.mode));
  w.Str("node"), WriteNodeOptions(w, r.node);
  if (r.inode != 0) w.Str("inode"), w.Uint(r.inode);
  if (r.expected_generation != 0) w.Str("eg"), w.Uint(r.expected_generation);
  if (r.body) w.Str("body"), w.Bin(*r.body);
}

bool ReadPublishRequest(MsgReader& r, meta::PublishRequest* p) {
  *p = meta::PublishRequest{};
  bool manifest = false, mode = false;
  bool ok = ReadFields(r, [&](std::string_view k) {
    if (k == "path") return ReadString(r, &p->path);
    if (k == "man") return manifest = ReadManifest(r, &p->manifest);
    if (k == "mode") {
      uint64_t v = 0;
      if (!r.Uint(&v) || v > static_cast<uint64_t>(meta::PublishMode::kReplaceIfGeneration)) {
        return false;
      }
      p->mode = static_cast<meta::PublishMode>(v);
      return mode = true;
    }
    if (k == "node") return ReadNodeOptions(r, &p->node);
    if (k == "inode") return r.Uint(&p->inode);
    if (k == "eg") return r.Uint(&p->expected_generation);
    if (k == "body") return r.Bin(&p->body.emplace());
    return r.Skip();
  });
  return ok && manifest && mode;
}

}  // namespace nokv::server
