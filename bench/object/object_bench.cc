// nokv-object-bench: the object layer's side of BENCHMARKS.md rows D1 and D2.
//
//   nokv-object-bench [--stores memory,local,s3,tiered] [--workloads ceiling,raw,blocks,ranged]
//                     [--repeats 3] [--seconds 2] [--out results.jsonl]
//                     [--s3-env FILE] [--local-dir DIR]
//
// ceiling  memcpy and SHA-256 bandwidth of this machine (context for the rest)
// raw      PUT/GET of 16 KiB and 1 MiB objects at concurrency 16 through the
//          ObjectStore API (the ceiling of each store with the same client code)
// blocks   BlockWriter upload of 1024 x 1 MiB and 64 x 16 MiB blocks (1 GiB
//          bodies) at 1/4/16 blocks in flight
// ranged   4096 x 16 KiB files read through BlockReader at concurrency 16;
//          for tiered, cold (empty hot tier) and warm (second pass, after the
//          background fills of the first have landed)
//
// S3 means the RGW of scripts/start-s3.sh (its env file; default
// $TMPDIR/nokv-s3/s3.env); the CPU of its processes is recorded beside every
// figure. Results: JSON lines in --out, a Markdown table on stdout.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>

#include "bench_report.h"
#include "common/sha256.h"
#include "common/thread_pool.h"
#include "object/block_reader.h"
#include "object/block_writer.h"
#include "object/local_store.h"
#include "object/memory_store.h"
#include "object/s3_store.h"
#include "object/tiered_store.h"

namespace nokv::object::bench {
namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * 1024;

struct Flags {
  std::vector<std::string> stores = {"memory", "local", "s3", "tiered"};
  std::vector<std::string> workloads = {"ceiling", "raw", "blocks", "ranged"};
  int repeats = 3;
  double seconds = 2;
  std::string out = "object-bench.jsonl";
  std::string s3_env;
  std::string local_dir;
};

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

bool Has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string RandomBuffer(size_t n) {
  std::mt19937_64 rng(42);
  std::string out(n, '\0');
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(out.data() + i, &v, 8);
  }
  return out;
}

// The stores under test plus the RGW process ids for CPU accounting.
class Stores {
 public:
  explicit Stores(const Flags& flags) : flags_(flags) {
    root_ = flags.local_dir.empty()
                ? (std::filesystem::temp_directory_path() / "nokv-object-bench").string()
                : flags.local_dir;
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  ~Stores() {
    tiered_.reset();  // it saves its index into root_ on close
    std::filesystem::remove_all(root_);
  }

  Status Init() {
    if (Has(flags_.stores, "memory")) stores_["memory"] = std::make_unique<MemoryStore>();
    if (Has(flags_.stores, "local")) {
      auto local = LocalStore::Open(root_ + "/local");
      if (!local.ok()) return local.status();
      stores_["local"] = std::move(*local);
    }
    if (Has(flags_.stores, "s3") || Has(flags_.stores, "tiered")) NOKV_RETURN_IF_ERROR(InitS3());
    return Status::Ok();
  }

  // A fresh tiered store over S3 with an empty hot tier.
  std::unique_ptr<TieredStore> FreshTiered() {
    std::string hot = root_ + "/hot-" + std::to_string(hot_generation_++);
    std::filesystem::remove_all(hot);
    TieredStoreOptions options;
    options.capacity_bytes = uint64_t{4} << 30;
    auto tiered = TieredStore::Open(s3_.get(), hot, options);
    return tiered.ok() ? std::move(*tiered) : nullptr;
  }

  ObjectStore* Get(const std::string& name) {
    if (name == "s3") return s3_.get();
    if (name == "tiered") {
      if (!tiered_) tiered_ = FreshTiered();
      return tiered_.get();
    }
    auto it = stores_.find(name);
    return it == stores_.end() ? nullptr : it->second.get();
  }
  // Server pids to account CPU for (none for in-process stores).
  std::vector<int> PidsFor(const std::string& name) const {
    return name == "s3" || name == "tiered" ? server_pids_ : std::vector<int>{};
  }

 private:
  Status InitS3() {
    std::string path = flags_.s3_env;
    if (path.empty()) {
      path = (std::filesystem::temp_directory_path() / "nokv-s3" / "s3.env").string();
    }
    std::ifstream in(path);
    if (!in) return Status::NotFound("no S3 env file " + path + " (run scripts/start-s3.sh)");
    std::map<std::string, std::string> vars;
    std::string line;
    while (std::getline(in, line)) {
      size_t eq = line.find('=');
      if (eq == std::string::npos) continue;
      std::string value = line.substr(eq + 1);
      if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
      vars[line.substr(0, eq)] = value;
    }
    S3Options options;
    options.endpoint = vars["NOKV_S3_ENDPOINT"];
    options.bucket = vars["NOKV_S3_BUCKET"];
    options.access_key_id = vars["AWS_ACCESS_KEY_ID"];
    options.secret_access_key = vars["AWS_SECRET_ACCESS_KEY"];
    options.region = vars["AWS_REGION"];
    options.key_prefix = "bench-" + std::to_string(::getpid()) + "/";
    auto s3 = S3Store::Open(options);
    if (!s3.ok()) return s3.status();
    s3_ = std::move(*s3);
    std::stringstream pids(vars["NOKV_S3_SERVER_PIDS"]);
    for (int pid; pids >> pid;) server_pids_.push_back(pid);
    return Status::Ok();
  }

  const Flags& flags_;
  std::string root_;
  std::map<std::string, std::unique_ptr<ObjectStore>> stores_;
  std::unique_ptr<S3Store> s3_;
  std::unique_ptr<TieredStore> tiered_;
  std::vector<int> server_pids_;
  int hot_generation_ = 0;
};

Status DeleteAll(ObjectStore* store, const std::string& prefix) {
  auto listed = store->List(ListOptions{prefix, "", 0});
  if (!listed.ok()) return listed.status();
  std::vector<std::string> keys;
  for (const auto& info : listed->objects) keys.push_back(info.key);
  return store->DeleteMany(keys);
}

void RunCeiling(const Flags& flags, Report* report) {
  std::string src = RandomBuffer(64 * kMiB), dst(64 * kMiB, '\0');
  Row copy{"memcpy", "-", "", 1, "64MiB", {}};
  Row hash{"sha256", "-", "", 1, "64MiB", {}};
  for (int r = 0; r < flags.repeats; ++r) {
    copy.repeats.push_back(RunLoop(1, 0, flags.seconds,
                                   [&](int, uint64_t, uint64_t* bytes) {
                                     std::memcpy(dst.data(), src.data(), src.size());
                                     *bytes = src.size();
                                     return Status::Ok();
                                   },
                                   {}));
    hash.repeats.push_back(RunLoop(1, 0, flags.seconds,
                                   [&](int, uint64_t, uint64_t* bytes) {
                                     Digest d = Sha256::Of(src);
                                     dst[0] = static_cast<char>(d[0]);
                                     *bytes = src.size();
                                     return Status::Ok();
                                   },
                                   {}));
  }
  report->Add(std::move(copy));
  report->Add(std::move(hash));
}

void RunRaw(const Flags& flags, Stores* stores, Report* report) {
  constexpr int kConcurrency = 16;
  constexpr uint64_t kKeys = 256;
  for (const std::string& name : flags.stores) {
    ObjectStore* store = stores->Get(name);
    if (store == nullptr) continue;
    for (uint64_t size : {16 * kKiB, 1 * kMiB}) {
      std::string body = RandomBuffer(size);
      std::string label = size == 16 * kKiB ? "16KiB" : "1MiB";
      std::string prefix = "raw/" + label + "/";
      Row put{"raw_put", name, "", kConcurrency, label, {}};
      Row get{"raw_get", name, name == "tiered" ? "warm" : "", kConcurrency, label, {}};
      for (int r = 0; r < flags.repeats; ++r) {
        put.repeats.push_back(RunLoop(
            kConcurrency, 0, flags.seconds,
            [&](int, uint64_t i, uint64_t* bytes) {
              *bytes = body.size();
              return store->Put(prefix + std::to_string(i % kKeys), body);
            },
            stores->PidsFor(name)));
        // Every key must exist before the GET loop (a slow store may not
        // have reached all of them within the PUT window).
        (void)RunLoop(kConcurrency, kKeys, 0,
                      [&](int, uint64_t i, uint64_t*) {
                        return store->Put(prefix + std::to_string(i), body);
                      },
                      {});
        get.repeats.push_back(RunLoop(
            kConcurrency, 0, flags.seconds,
            [&](int, uint64_t i, uint64_t* bytes) {
              auto got = store->Get(prefix + std::to_string(i % kKeys));
              if (!got.ok()) return got.status();
              *bytes = got->size();
              return Status::Ok();
            },
            stores->PidsFor(name)));
      }
      report->Add(std::move(put));
      report->Add(std::move(get));
      (void)DeleteAll(store, prefix);
    }
  }
}

void RunBlocks(const Flags& flags, Stores* stores, Report* report) {
  constexpr uint64_t kBodyBytes = 1024 * kMiB;
  std::string body = RandomBuffer(kBodyBytes);
  uint64_t generation = 0;
  for (const std::string& name : flags.stores) {
    ObjectStore* store = stores->Get(name);
    if (store == nullptr) continue;
    for (uint64_t block : {1 * kMiB, 16 * kMiB}) {
      std::string shape = block == kMiB ? "1024x1MiB" : "64x16MiB";
      for (int conc : {1, 4, 16}) {
        Row row{"block_upload", name, "", conc, shape, {}};
        for (int r = 0; r < flags.repeats; ++r) {
          ++generation;  // fresh content: every block gets a new digest
          for (uint64_t off = 0; off < kBodyBytes; off += block) {
            std::memcpy(body.data() + off, &generation, sizeof(generation));
          }
          ThreadPool pool(static_cast<size_t>(conc));
          BlockWriterOptions options;
          options.block_size = block;
          options.max_in_flight = static_cast<size_t>(conc);
          row.repeats.push_back(RunLoop(
              1, 1, 0,
              [&](int, uint64_t, uint64_t* bytes) {
                auto layout = BlockWriter::WriteBody(store, &pool, body, options);
                *bytes = body.size();
                return layout.status();
              },
              stores->PidsFor(name)));
          Status cleanup = DeleteAll(store, "blocks/");
          if (!cleanup.ok()) std::cerr << "cleanup: " << cleanup.ToString() << "\n";
        }
        report->Add(std::move(row));
      }
    }
  }
}

void RunRanged(const Flags& flags, Stores* stores, Report* report) {
  constexpr int kConcurrency = 16;
  constexpr uint64_t kFiles = 4096;
  ThreadPool pool(kConcurrency);
  auto read_all = [&](ObjectStore* store, const std::vector<BodyLayout>& layouts,
                      const std::vector<int>& pids) {
    return RunLoop(
        kConcurrency, kFiles, 0,
        [&](int, uint64_t i, uint64_t* bytes) {
          BlockReader reader(store, &pool, layouts[i]);
          std::string out;
          NOKV_RETURN_IF_ERROR(reader.Read(0, 16 * kKiB, &out));
          *bytes = out.size();
          return Status::Ok();
        },
        pids);
  };
  for (const std::string& name : flags.stores) {
    ObjectStore* base = stores->Get(name == "tiered" ? "s3" : name);
    if (base == nullptr) continue;
    Row cold{"read_16KiB", name, name == "tiered" ? "cold" : "", kConcurrency, "4096x16KiB", {}};
    Row warm{"read_16KiB", name, "warm", kConcurrency, "4096x16KiB", {}};
    for (int r = 0; r < flags.repeats; ++r) {
      // A fresh data set per repeat, uploaded to the store (cold for tiered).
      std::vector<BodyLayout> layouts(kFiles);
      std::string file = RandomBuffer(16 * kKiB);
      LoopResult upload = RunLoop(kConcurrency, kFiles, 0,
                                  [&](int, uint64_t i, uint64_t*) {
                                    std::string mine = file;
                                    uint64_t tag = (static_cast<uint64_t>(r) << 32) | i;
                                    std::memcpy(mine.data(), &tag, sizeof(tag));
                                    auto layout = BlockWriter::WriteBody(base, &pool, mine);
                                    if (!layout.ok()) return layout.status();
                                    layouts[i] = std::move(*layout);
                                    return Status::Ok();
                                  },
                                  {});
      if (!upload.error.ok()) std::cerr << "ranged setup: " << upload.error.ToString() << "\n";
      if (name == "tiered") {
        auto tiered = stores->FreshTiered();
        cold.repeats.push_back(read_all(tiered.get(), layouts, stores->PidsFor(name)));
        tiered->WaitForFills();  // warm: the background fills of the cold pass have landed
        warm.repeats.push_back(read_all(tiered.get(), layouts, stores->PidsFor(name)));
      } else {
        cold.repeats.push_back(read_all(base, layouts, stores->PidsFor(name)));
      }
      (void)DeleteAll(base, "blocks/");
    }
    report->Add(std::move(cold));
    if (name == "tiered") report->Add(std::move(warm));
  }
}

int Main(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string name = argv[i], value = argv[i + 1];
    if (name == "--stores")
      flags.stores = Split(value);
    else if (name == "--workloads")
      flags.workloads = Split(value);
    else if (name == "--repeats")
      flags.repeats = std::stoi(value);
    else if (name == "--seconds")
      flags.seconds = std::stod(value);
    else if (name == "--out")
      flags.out = value;
    else if (name == "--s3-env")
      flags.s3_env = value;
    else if (name == "--local-dir")
      flags.local_dir = value;
    else {
      std::cerr << "unknown flag " << name << "\n";
      return 2;
    }
  }
  std::cerr << "nokv-object-bench: load average " << LoadAverage1() << ", "
            << std::thread::hardware_concurrency() << " cpus\n";
  Stores stores(flags);
  Status init = stores.Init();
  if (!init.ok()) {
    std::cerr << "nokv-object-bench: " << init.ToString() << "\n";
    return 1;
  }
  Report report(flags.out);
  if (Has(flags.workloads, "ceiling")) RunCeiling(flags, &report);
  if (Has(flags.workloads, "raw")) RunRaw(flags, &stores, &report);
  if (Has(flags.workloads, "blocks")) RunBlocks(flags, &stores, &report);
  if (Has(flags.workloads, "ranged")) RunRanged(flags, &stores, &report);
  std::cout << report.Markdown();
  return 0;
}

}  // namespace
}  // namespace nokv::object::bench

int main(int argc, char** argv) { return nokv::object::bench::Main(argc, argv); }
