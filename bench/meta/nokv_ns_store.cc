// MetaService as an NsStore: paths and inode-addressed calls of src/meta,
// bodies in an in-memory object store (empty files reference no blocks).
#include "nokv_ns_store.h"

#include <map>

#include "bench/engine/holt_store.h"
#include "holt/record.h"
#include "meta/meta_service.h"
#include "object/memory_store.h"

namespace nokv::bench {

namespace {

constexpr size_t kScanPage = 10'000;

std::string ChildPath(std::string_view dir_path, std::string_view name) {
  std::string path(dir_path);
  path.push_back('/');
  path.append(name);
  return path;
}

class NokvNsStore : public NsStore {
 public:
  static Result<std::unique_ptr<NsStore>> Open(const std::string& dir,
                                               holt::Durability durability) {
    auto store = std::make_unique<NokvNsStore>();
    meta::MetaOptions options;
    options.engine.durability = durability;
    options.store = store->objects_.get();
    NOKV_ASSIGN_OR_RETURN(store->meta_, meta::MetaService::Open(dir, options));
    return std::unique_ptr<NsStore>(std::move(store));
  }

  Result<uint64_t> Mkdir(std::string_view path) override {
    NOKV_ASSIGN_OR_RETURN(meta::Attr attr, meta_->Mkdir(path));
    return attr.inode;
  }

  Status CreateFiles(uint64_t, std::string_view dir_path,
                     std::span<const std::string> names) override {
    if (names.size() == 1) return meta_->Create(ChildPath(dir_path, names[0])).status();
    requests_.resize(names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      requests_[i].path = ChildPath(dir_path, names[i]);  // empty manifest: size 0, no blocks
    }
    return meta_->PublishMany(requests_).status();
  }

  Status Stat(std::string_view path) override { return meta_->Stat(path).status(); }

  Status Lookup(uint64_t dir, std::string_view name) override {
    NOKV_ASSIGN_OR_RETURN(meta::DirEntry entry, meta_->Lookup(dir, name));
    return meta_->GetAttr(entry.inode).status();
  }

  Status Remove(std::string_view path) override { return meta_->Unlink(path); }

  Result<uint64_t> ListAll(uint64_t dir, size_t page) override {
    uint64_t seen = 0;
    std::string cursor;
    for (;;) {
      NOKV_ASSIGN_OR_RETURN(meta::DirPage p, meta_->ReadDir(dir, cursor, page, true));
      seen += p.entries.size();
      if (!p.more || p.entries.empty()) return seen;
      cursor = p.entries.back().name;
    }
  }

  Result<Footprint> Measure() override {
    holt::Stats s = meta_->engine()->GetStats();
    Footprint f;
    f.bytes = s.resident_bytes;
    f.details = {{"keys", static_cast<double>(s.keys)},
                 {"versions", static_cast<double>(s.versions)},
                 {"record_bytes", static_cast<double>(s.record_bytes)},
                 {"arena_bytes", static_cast<double>(s.arena_bytes)},
                 {"node_bytes", static_cast<double>(s.node_bytes)},
                 {"wal_bytes", static_cast<double>(s.wal_bytes)},
                 {"checkpoints", static_cast<double>(s.checkpoints)},
                 {"commits", static_cast<double>(s.commits)},
                 {"commit_groups", static_cast<double>(s.commit_groups)}};
    NOKV_RETURN_IF_ERROR(AddFamilies(&f));
    return f;
  }

 private:
  // Per key family (first key byte): keys and record bytes (24-byte header +
  // key + value), by a full scan, so E5 can say where the bytes go.
  Status AddFamilies(Footprint* f) {
    std::map<char, std::pair<double, double>> families;  // family -> (keys, bytes)
    holt::ScanOptions scan;
    scan.limit = kScanPage;
    for (;;) {
      NOKV_ASSIGN_OR_RETURN(auto rows, meta_->engine()->Scan(scan));
      for (const holt::Entry& e : rows) {
        auto& [keys, bytes] = families[e.key.empty() ? '?' : e.key[0]];
        keys += 1;
        bytes += static_cast<double>(sizeof(holt::Record) + e.key.size() + e.value.size());
      }
      if (rows.size() < scan.limit) break;
      scan.start_after = rows.back().key;
    }
    for (const auto& [family, figures] : families) {
      f->details.emplace_back(std::string("family_") + family + "_keys", figures.first);
      f->details.emplace_back(std::string("family_") + family + "_record_bytes", figures.second);
    }
    return Status::Ok();
  }

  // Declared before meta_: the service uses the object store until it closes.
  std::unique_ptr<object::MemoryStore> objects_ = std::make_unique<object::MemoryStore>();
  std::unique_ptr<meta::MetaService> meta_;
  std::vector<meta::PublishRequest> requests_;  // reused between batches
};

}  // namespace

NsSpec NokvMetaSpec(holt::Durability durability) {
  NsSpec spec;
  spec.system = "nokv";
  spec.durability = DurabilityName(durability);
  spec.config = std::string("wal=") + spec.durability;
  spec.open = [durability](const std::string& dir) { return NokvNsStore::Open(dir, durability); };
  return spec;
}

}  // namespace nokv::bench
