// Generic engine workloads (E1/E3 creates, E2 point gets, E5 footprint) over ShapeStore.
#include "workloads.h"

#include <algorithm>

#include "bench/common/harness.h"

namespace nokv::bench {

namespace {

constexpr int kGetsPerStep = 1000;
constexpr int kLoadBatch = 128;
constexpr double kNanosPerMicro = 1000.0;

// A store in its own scratch directory. Members destroy in reverse order:
// the store is closed before its directory is removed.
struct ScratchStore {
  TempDir dir;
  std::unique_ptr<ShapeStore> store;
};

Result<ScratchStore> OpenScratch(const StoreSpec& spec, const std::string& root) {
  NOKV_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create(root, spec.system + "-"));
  NOKV_ASSIGN_OR_RETURN(auto store, spec.open(dir.path()));
  return ScratchStore{std::move(dir), std::move(store)};
}

// Creates 0..files-1 of stream 0, `batch` per Create() call.
Status LoadFiles(ShapeStore* store, uint64_t files, size_t batch) {
  std::vector<CreateOp> buf;
  for (uint64_t next = 0; next < files;) {
    buf.resize(std::min<uint64_t>(batch, files - next));
    for (CreateOp& op : buf) FillCreate(0, next++, &op);
    NOKV_RETURN_IF_ERROR(store->Create(buf));
  }
  return Status::Ok();
}

// Labels shared by every row of `spec`.
Row RowFor(const StoreSpec& spec, const Measurement& m) {
  Row r;
  r.system = spec.system;
  r.config = spec.config;
  r.durability = spec.durability;
  r.repeats = m.repeats;
  r.load1 = m.load1;
  return r;
}

}  // namespace

Result<Row> RunCreates(const BenchConfig& config, const StoreSpec& spec, const std::string& root,
                       int batch, int threads) {
  Footprint last;  // the store's figures after the last window (group sizes, checkpoints)
  NOKV_ASSIGN_OR_RETURN(
      Measurement m, Repeat(config.repeats, [&](int) -> Result<Trial> {
        NOKV_ASSIGN_OR_RETURN(ScratchStore s, OpenScratch(spec, root));
        std::vector<std::vector<CreateOp>> buffers(threads, std::vector<CreateOp>(batch));
        std::vector<uint64_t> next(threads, 0);
        NOKV_ASSIGN_OR_RETURN(Trial trial, RunWindow(
                                               threads, config.window,
                                               [&](int t, uint64_t* ops) {
                                                 for (CreateOp& op : buffers[t])
                                                   FillCreate(t, next[t]++, &op);
                                                 NOKV_RETURN_IF_ERROR(s.store->Create(buffers[t]));
                                                 *ops += buffers[t].size();
                                                 return Status::Ok();
                                               },
                                               kNanosPerMicro));
        NOKV_ASSIGN_OR_RETURN(last, s.store->Measure());
        return trial;
      }));
  Row r = RowFor(spec, m);
  r.extra = last.details;
  r.workload = "create (inode+dentry), " + std::to_string(batch) + " per commit";
  r.cache = "-";
  r.threads = threads;
  r.unit = "creates/s";
  r.value = m.rate;
  r.latency_unit = "us/commit";
  r.latency = m.latency_ns;
  return r;
}

Result<Row> RunPointGets(const BenchConfig& config, const StoreSpec& spec,
                         const std::string& root) {
  NOKV_ASSIGN_OR_RETURN(ScratchStore s, OpenScratch(spec, root));
  NOKV_RETURN_IF_ERROR(LoadFiles(s.store.get(), config.e2_files, kLoadBatch));
  std::vector<CreateOp> files(config.e2_files);
  for (uint64_t i = 0; i < files.size(); ++i) FillCreate(0, i, &files[i]);
  for (const CreateOp& op : files) {  // warm every key, and check it is there
    NOKV_RETURN_IF_ERROR(s.store->Lookup(op, false));
    NOKV_RETURN_IF_ERROR(s.store->Lookup(op, true));
  }
  uint64_t rng = 0x9E3779B97F4A7C15ull;
  NOKV_ASSIGN_OR_RETURN(
      Measurement m, Repeat(config.repeats, [&](int) {
        return RunWindow(
            1, config.window,
            [&](int, uint64_t* ops) {
              for (int i = 0; i < kGetsPerStep; ++i) {
                uint64_t x = NextRandom(&rng);
                NOKV_RETURN_IF_ERROR(s.store->Lookup(files[x % files.size()], (x >> 63) != 0));
              }
              *ops += kGetsPerStep;
              return Status::Ok();
            },
            kGetsPerStep);
      }));
  Row r = RowFor(spec, m);
  r.workload = "point get, " + FormatCount(2.0 * config.e2_files) + " keys, random";
  r.cache = "hot";
  r.unit = "ns/get";
  r.value = m.latency_ns;
  r.extra = {{"gets_per_s", m.rate.median}, {"keys", 2.0 * config.e2_files}};
  return r;
}

Result<Row> RunFootprint(const BenchConfig& config, const StoreSpec& spec,
                         const std::string& root) {
  double load1 = LoadAverage1();
  TrimHeap();
  uint64_t rss_before = ResidentSetBytes();
  NOKV_ASSIGN_OR_RETURN(ScratchStore s, OpenScratch(spec, root));
  NOKV_RETURN_IF_ERROR(LoadFiles(s.store.get(), config.e5_files, kLoadBatch));
  uint64_t rss_after = ResidentSetBytes();
  NOKV_ASSIGN_OR_RETURN(Footprint f, s.store->Measure());
  double files = static_cast<double>(config.e5_files);
  double rss_delta = static_cast<double>(rss_after) - static_cast<double>(rss_before);
  Measurement once;
  once.repeats = 1;
  once.load1 = load1;
  Row r = RowFor(spec, once);
  r.workload =
      "footprint after " + FormatCount(files) + " creates (" + FormatCount(2 * files) + " keys)";
  r.cache = "hot";
  r.unit = spec.system == "holt" ? "resident B/file" : "file B/file";
  r.value = Summarize({static_cast<double>(f.bytes) / files});
  r.extra = {{"files", files},
             {"footprint_bytes", static_cast<double>(f.bytes)},
             {"rss_delta_bytes", rss_delta},
             {"rss_delta_per_file", rss_delta / files}};
  r.extra.insert(r.extra.end(), f.details.begin(), f.details.end());
  return r;
}

}  // namespace nokv::bench
