// `nokv-bench retention`: what one snapshot of a small subtree costs while
// every other file of the namespace is overwritten. Runs the workload twice,
// without and with the snapshot, and prints a Markdown table of metadata
// resident bytes and block collection (docs/benchmarks.md, "snapshot
// retention"; docs/metadata.md, "What a snapshot retains").
#include "retention.h"

#include <filesystem>
#include <iostream>
#include <string>

#include "bench/common/command.h"
#include "meta/meta_service.h"
#include "object/block.h"
#include "object/memory_store.h"

namespace nokv::bench {
namespace {

constexpr size_t kBatch = 1000;
constexpr uint64_t kSnapshotFiles = 100;

struct RetentionFigures {
  uint64_t resident_before = 0;  // after the first write of every file
  uint64_t resident_after = 0;   // after the overwrite, GC and a sweep
  uint64_t blocks_deleted = 0;
  uint64_t blocks_waiting = 0;
  uint64_t resident_retired = 0;  // after retiring the snapshot, GC and a sweep
};

// A distinct 16-byte body per (file, round), stored as one block.
meta::Manifest StoreBody(object::ObjectStore* store, uint64_t file, int round) {
  std::string body = "f" + std::to_string(file) + "r" + std::to_string(round);
  body.resize(16, '.');
  meta::Manifest m;
  m.layout.size = body.size();
  m.layout.digest = Sha256::Of(body);
  m.layout.blocks = {{m.layout.digest, body.size()}};
  (void)store->Put(object::BlockKey(m.layout.digest), body);
  return m;
}

Status WriteAll(meta::MetaService* meta, object::ObjectStore* store, uint64_t files, int round) {
  std::vector<meta::PublishRequest> batch;
  for (uint64_t i = 0; i < files; ++i) {
    meta::PublishRequest r;
    r.path = "/data/d" + std::to_string(i / kBatch) + "/f" + std::to_string(i);
    r.manifest = StoreBody(store, i, round);
    r.mode = meta::PublishMode::kReplace;
    r.node.parents = true;
    batch.push_back(std::move(r));
    if (batch.size() == kBatch || i + 1 == files) {
      NOKV_RETURN_IF_ERROR(meta->PublishMany(batch).status());
      batch.clear();
    }
  }
  return Status::Ok();
}

uint64_t Resident(meta::MetaService* meta) {
  meta->engine()->Sweep();
  return meta->engine()->GetStats().resident_bytes;
}

Result<RetentionFigures> Run(const std::string& dir, uint64_t files, bool snapshot) {
  std::filesystem::remove_all(dir);
  object::MemoryStore store;
  meta::MetaOptions options;
  options.engine.durability = holt::Durability::kNone;
  options.engine.background_work = false;
  options.store = &store;
  NOKV_ASSIGN_OR_RETURN(auto meta, meta::MetaService::Open(dir, std::move(options)));
  for (uint64_t i = 0; i < kSnapshotFiles; ++i) {
    meta::PublishRequest r;
    r.path = "/ws/f" + std::to_string(i);
    r.manifest = StoreBody(&store, files + i, 0);
    r.node.parents = true;
    NOKV_RETURN_IF_ERROR(meta->Publish(r).status());
  }
  NOKV_RETURN_IF_ERROR(WriteAll(meta.get(), &store, files, 0));
  NOKV_RETURN_IF_ERROR(meta->CollectGarbage().status());
  RetentionFigures f;
  f.resident_before = Resident(meta.get());
  if (snapshot) NOKV_RETURN_IF_ERROR(meta->CreateSnapshot("s", "/ws").status());
  NOKV_RETURN_IF_ERROR(WriteAll(meta.get(), &store, files, 1));
  NOKV_ASSIGN_OR_RETURN(auto gc, meta->CollectGarbage());
  f.blocks_deleted = gc.blocks_deleted;
  f.blocks_waiting = gc.blocks_waiting_for_snapshots;
  f.resident_after = Resident(meta.get());
  if (snapshot) NOKV_RETURN_IF_ERROR(meta->RetireSnapshot("s"));
  NOKV_RETURN_IF_ERROR(meta->CollectGarbage().status());
  f.resident_retired = Resident(meta.get());
  return f;
}

std::string MiB(uint64_t bytes) {
  return std::to_string(bytes / (1 << 20)) + "." + std::to_string((bytes % (1 << 20)) * 10 >> 20) +
         " MiB";
}

}  // namespace

int RunRetentionCommand(const std::vector<std::string>& argv, const std::string& command) {
  uint64_t files = 1'000'000;
  std::string scratch = std::filesystem::temp_directory_path() / "nokv-bench-retention";
  if (!ParseFilesAndDir(argv, &files, &scratch, kRetentionUsage)) return 2;
  std::cout << "## Snapshot retention\n\n`" << command << "`\n\n"
            << "| run | metadata before | after overwrite + gc | per overwritten file | blocks "
               "deleted | blocks waiting | after retire + gc |\n|---|---|---|---|---|---|---|\n";
  for (bool snapshot : {false, true}) {
    auto f = Run(scratch, files, snapshot);
    if (!f.ok()) {
      std::cerr << "nokv-bench retention: " << f.status().ToString() << "\n";
      return 1;
    }
    double per_file =
        (static_cast<double>(f->resident_after) - static_cast<double>(f->resident_before)) /
        static_cast<double>(files);
    std::cout << "| " << (snapshot ? "snapshot of /ws held" : "no snapshot") << " | "
              << MiB(f->resident_before) << " | " << MiB(f->resident_after) << " | "
              << static_cast<int64_t>(per_file) << " B | " << f->blocks_deleted << " | "
              << f->blocks_waiting << " | " << MiB(f->resident_retired) << " |\n";
  }
  std::filesystem::remove_all(scratch);
  return 0;
}

}  // namespace nokv::bench
