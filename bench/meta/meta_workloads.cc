// The meta workloads (M1 mdtest shapes, M3 big directories, E5 footprint) over NsStore.
#include "meta_workloads.h"

#include <charconv>

#include "bench/common/harness.h"

namespace nokv::bench {

namespace {

constexpr double kNanosPerMicro = 1000.0;

// A store in its own scratch directory; the store closes before the directory goes.
struct ScratchNs {
  TempDir dir;
  std::unique_ptr<NsStore> store;
};

Result<ScratchNs> OpenScratch(const NsSpec& spec, const std::string& root) {
  NOKV_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create(root, "meta-" + spec.system + "-"));
  NOKV_ASSIGN_OR_RETURN(auto store, spec.open(dir.path()));
  return ScratchNs{std::move(dir), std::move(store)};
}

// "file.mdtest.<i>", mdtest's file names.
void FileName(uint64_t i, std::string* out) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), i);
  (void)ec;  // 24 chars always hold a uint64
  out->assign("file.mdtest.");
  out->append(digits, end);
}

// Samples and per-repeat rates of one timed phase, over all repeats.
struct Phase {
  std::vector<double> rates;
  std::vector<double> latency_ns;
  double load1 = -1;  // at the start of the first repeat

  // Times `ops` calls of `op(i)`, each a latency sample.
  template <typename Op>
  Status Time(uint64_t ops, const Op& op) {
    if (load1 < 0) load1 = LoadAverage1();
    Clock::time_point start = Clock::now();
    for (uint64_t i = 0; i < ops; ++i) {
      Clock::time_point t = Clock::now();
      NOKV_RETURN_IF_ERROR(op(i));
      latency_ns.push_back(static_cast<double>(NanosSince(t)));
    }
    double seconds = SecondsSince(start);
    rates.push_back(seconds > 0 ? static_cast<double>(ops) / seconds : 0);
    return Status::Ok();
  }
};

Row PhaseRow(const NsSpec& spec, const Phase& phase, std::string workload, std::string unit,
             double per_call, std::string latency_unit) {
  Row r;
  r.id = "M1";
  r.layer = "L0-meta";
  r.system = spec.system;
  r.config = spec.config;
  r.durability = spec.durability;
  r.cache = "hot";
  r.workload = std::move(workload);
  r.unit = std::move(unit);
  r.value = Summarize(phase.rates);
  r.value = Scaled(r.value, per_call);
  r.latency_unit = std::move(latency_unit);
  r.latency = Scaled(Summarize(phase.latency_ns), 1 / kNanosPerMicro);
  r.repeats = static_cast<int>(phase.rates.size());
  r.load1 = phase.load1;
  return r;
}

// The directories of an mdtest shape, made in `store`.
struct Tree {
  std::vector<std::string> paths;
  std::vector<uint64_t> ids;
  uint64_t files_per_dir = 0;
};

Result<Tree> MakeTree(NsStore* store, const MetaBenchConfig& c, MdtestShape shape) {
  Tree tree;
  NOKV_RETURN_IF_ERROR(store->Mkdir("/mdtest").status());
  uint64_t dirs = shape == MdtestShape::kEasy ? c.easy_dirs : 1;
  tree.files_per_dir = shape == MdtestShape::kEasy ? c.easy_files_per_dir : c.hard_files;
  for (uint64_t d = 0; d < dirs; ++d) {
    tree.paths.push_back(shape == MdtestShape::kEasy ? "/mdtest/dir." + std::to_string(d)
                                                     : std::string("/mdtest/shared"));
    NOKV_ASSIGN_OR_RETURN(uint64_t id, store->Mkdir(tree.paths.back()));
    tree.ids.push_back(id);
  }
  return tree;
}

// Creates files [begin, end) of directory `dir`, `batch` per CreateFiles call.
Status FillDir(NsStore* store, uint64_t dir, const std::string& dir_path, uint64_t begin,
               uint64_t end, int batch, std::vector<double>* latency_ns) {
  std::vector<std::string> names;
  for (uint64_t next = begin; next < end;) {
    names.resize(std::min<uint64_t>(batch, end - next));
    for (std::string& name : names) FileName(next++, &name);
    Clock::time_point t = Clock::now();
    NOKV_RETURN_IF_ERROR(store->CreateFiles(dir, dir_path, names));
    latency_ns->push_back(static_cast<double>(NanosSince(t)));
  }
  return Status::Ok();
}

// Calls `op(path)` for every file of `tree`, in creation order, timed as one phase.
template <typename Op>
Status ForEachFile(const Tree& tree, Phase* phase, const Op& op) {
  std::string path;
  std::string name;
  uint64_t per_dir = tree.files_per_dir;
  return phase->Time(tree.paths.size() * per_dir, [&](uint64_t i) {
    FileName(i % per_dir, &name);
    path = tree.paths[i / per_dir] + "/" + name;
    return op(path);
  });
}

std::string ShapeName(MdtestShape shape, const MetaBenchConfig& c) {
  if (shape == MdtestShape::kEasy) {
    return "mdtest-easy " + std::to_string(c.easy_dirs) + " dirs x " +
           std::to_string(c.easy_files_per_dir) + " files";
  }
  return "mdtest-hard " + std::to_string(c.hard_files) + " files in 1 dir";
}

constexpr const char* kBigDir = "/big";
constexpr uint64_t kTailShare = 10;  // the fill's tail rate covers the last 1/10

// Fills kBigDir with `entries` files: one more create rate in create->rates,
// and the rate of the last tenth in *tail_rates.
Status TimedFill(NsStore* store, uint64_t dir, uint64_t entries, int batch, Phase* create,
                 std::vector<double>* tail_rates) {
  uint64_t tail_start = entries - entries / kTailShare;
  if (create->load1 < 0) create->load1 = LoadAverage1();
  Clock::time_point start = Clock::now();
  NOKV_RETURN_IF_ERROR(FillDir(store, dir, kBigDir, 0, tail_start, batch, &create->latency_ns));
  Clock::time_point tail = Clock::now();
  NOKV_RETURN_IF_ERROR(
      FillDir(store, dir, kBigDir, tail_start, entries, batch, &create->latency_ns));
  create->rates.push_back(static_cast<double>(entries) / SecondsSince(start));
  tail_rates->push_back(static_cast<double>(entries - tail_start) / SecondsSince(tail));
  return Status::Ok();
}

// config.repeats rounds of config.lookups random lookups and of full listings.
Status TimeReads(NsStore* store, uint64_t dir, uint64_t entries, const MetaBenchConfig& c,
                 Phase* lookup, Phase* list) {
  uint64_t rng = 0x9E3779B97F4A7C15ull;
  std::string name;
  for (int round = 0; round < c.repeats; ++round) {
    NOKV_RETURN_IF_ERROR(lookup->Time(c.lookups, [&](uint64_t) {
      FileName(NextRandom(&rng) % entries, &name);
      return store->Lookup(dir, name);
    }));
  }
  for (int round = 0; round < c.repeats; ++round) {
    NOKV_RETURN_IF_ERROR(list->Time(1, [&](uint64_t) -> Status {
      NOKV_ASSIGN_OR_RETURN(uint64_t seen, store->ListAll(dir, c.list_page));
      if (seen == entries) return Status::Ok();
      return Status::Corruption("listed " + std::to_string(seen) + " of " +
                                std::to_string(entries) + " entries");
    }));
  }
  return Status::Ok();
}

// The E5 row from a store's figures and the RSS delta across open + fill.
Row FootprintRow(const NsSpec& spec, const Footprint& f, double rss_delta, uint64_t entries,
                 double load1) {
  Phase once;
  once.rates = {0};
  once.load1 = load1;
  double files = static_cast<double>(entries);
  Row r = PhaseRow(spec, once, "footprint after " + std::to_string(entries) + " files in 1 dir",
                   spec.system == "nokv" ? "resident B/file" : "file B/file", 1.0, "");
  r.cache = "hot";
  r.value = Summarize({static_cast<double>(f.bytes) / files});
  r.latency = Summary{};
  r.extra = {{"files", files},
             {"footprint_bytes", static_cast<double>(f.bytes)},
             {"rss_delta_bytes", rss_delta},
             {"rss_delta_per_file", rss_delta / files}};
  r.extra.insert(r.extra.end(), f.details.begin(), f.details.end());
  return r;
}

}  // namespace

Result<std::vector<Row>> RunMdtest(const MetaBenchConfig& c, const NsSpec& spec, MdtestShape shape,
                                   int batch, bool stat_and_remove) {
  Phase create, stat, remove;
  for (int r = 0; r < c.repeats; ++r) {
    NOKV_ASSIGN_OR_RETURN(ScratchNs s, OpenScratch(spec, c.data_root));
    NOKV_ASSIGN_OR_RETURN(Tree tree, MakeTree(s.store.get(), c, shape));
    if (create.load1 < 0) create.load1 = LoadAverage1();
    Clock::time_point start = Clock::now();
    for (size_t d = 0; d < tree.paths.size(); ++d) {
      NOKV_RETURN_IF_ERROR(FillDir(s.store.get(), tree.ids[d], tree.paths[d], 0, tree.files_per_dir,
                                   batch, &create.latency_ns));
    }
    double files = static_cast<double>(tree.paths.size() * tree.files_per_dir);
    create.rates.push_back(files / SecondsSince(start));
    if (!stat_and_remove) continue;
    NsStore* store = s.store.get();
    NOKV_RETURN_IF_ERROR(
        ForEachFile(tree, &stat, [&](const std::string& p) { return store->Stat(p); }));
    NOKV_RETURN_IF_ERROR(
        ForEachFile(tree, &remove, [&](const std::string& p) { return store->Remove(p); }));
  }
  std::string name = ShapeName(shape, c);
  std::vector<Row> rows;  // id M1
  rows.push_back(PhaseRow(spec, create, name + ": create, " + std::to_string(batch) + "/commit",
                          "creates/s", 1.0, "us/commit"));
  if (stat_and_remove) {
    rows.push_back(PhaseRow(spec, stat, name + ": stat by path", "stats/s", 1.0, "us/stat"));
    rows.push_back(
        PhaseRow(spec, remove, name + ": remove by path, 1/commit", "removes/s", 1.0, "us/remove"));
  }
  return rows;
}

Result<std::vector<Row>> RunBigDir(const MetaBenchConfig& c, const NsSpec& spec, uint64_t entries,
                                   bool footprint) {
  int fills = entries >= c.big_dir_entries ? c.big_dir_repeats : c.repeats;
  Phase create, lookup, list;
  std::vector<double> tail_rates;
  std::vector<Row> rows;
  for (int r = 0; r < fills; ++r) {
    bool measure = footprint && r == 0;
    double load1 = LoadAverage1();
    if (measure) TrimHeap();
    uint64_t rss_before = ResidentSetBytes();
    NOKV_ASSIGN_OR_RETURN(ScratchNs s, OpenScratch(spec, c.data_root));
    NOKV_ASSIGN_OR_RETURN(uint64_t dir, s.store->Mkdir(kBigDir));
    NOKV_RETURN_IF_ERROR(
        TimedFill(s.store.get(), dir, entries, c.dir_create_batch, &create, &tail_rates));
    if (measure) {
      double rss_delta = static_cast<double>(ResidentSetBytes()) - static_cast<double>(rss_before);
      NOKV_ASSIGN_OR_RETURN(Footprint f, s.store->Measure());
      rows.push_back(FootprintRow(spec, f, rss_delta, entries, load1));
      rows.back().id = "E5";
    }
    if (r + 1 == fills) {
      NOKV_RETURN_IF_ERROR(TimeReads(s.store.get(), dir, entries, c, &lookup, &list));
    }
  }
  std::string size = std::to_string(entries) + "-entry dir";
  Row made =
      PhaseRow(spec, create, size + ": create, " + std::to_string(c.dir_create_batch) + "/commit",
               "creates/s", 1.0, "us/commit");
  made.extra = {{"entries", static_cast<double>(entries)},
                {"tail_rate", Summarize(tail_rates).median}};
  Row found = PhaseRow(spec, lookup, size + ": lookup (entry + attrs), random", "us/lookup", 1.0,
                       "us/lookup");
  found.value = found.latency;
  found.extra = {{"entries", static_cast<double>(entries)},
                 {"lookups_per_s", Summarize(lookup.rates).median}};
  Row listed = PhaseRow(spec, list,
                        size + ": full listing, " + std::to_string(c.list_page) + "/page + attrs",
                        "ms", 1.0, "");
  listed.value = Scaled(Summarize(list.latency_ns), 1e-6);
  listed.latency = Summary{};
  listed.extra = {{"entries", static_cast<double>(entries)}};
  for (Row* row : {&made, &found, &listed}) {
    row->id = "M3";
    rows.push_back(std::move(*row));
  }
  return rows;
}

}  // namespace nokv::bench
