// The M1, M2, M3 and D1/D2 workloads over RPC, and their Redis counterparts.
#include "rpc_workloads.h"

#include <sys/resource.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>

#include "server/remote_fs.h"
#include "server/remote_metadata.h"

namespace nokv::bench {

namespace {

constexpr double kNanosPerMicro = 1000.0;
constexpr double kNanosPerMilli = 1e6;

std::string DurabilityLabel(fs::Durability d) {
  return d == fs::Durability::kSync ? "sync" : d == fs::Durability::kGroup ? "group" : "none";
}

// A row of `m`: value = per-repeat rate (or, with `latency_value`, the
// latency samples scaled by 1/latency_divisor).
Row MakeRow(std::string id, std::string workload, std::string system, std::string config,
            std::string durability, int threads, std::string unit, const Measurement& m,
            std::string latency_unit, double latency_divisor) {
  Row r;
  r.id = std::move(id);
  r.workload = std::move(workload);
  r.system = std::move(system);
  r.config = std::move(config);
  r.layer = "L1";
  r.durability = std::move(durability);
  r.cache = "hot";
  r.threads = threads;
  r.unit = std::move(unit);
  r.value = m.rate;
  r.latency_unit = std::move(latency_unit);
  r.latency = Scaled(m.latency_ns, 1.0 / latency_divisor);
  r.repeats = m.repeats;
  r.load1 = m.load1;
  return r;
}

Result<std::unique_ptr<server::RemoteMetadata>> Dial(const ServedFs& served,
                                                     const TransportName& transport) {
  const rpc::Address& a = transport == "unix" ? served.unix_address() : served.tcp_address();
  return server::RemoteMetadata::Connect(a.ToString());
}

Result<std::vector<std::unique_ptr<server::RemoteMetadata>>> DialMany(
    const ServedFs& served, const TransportName& transport, int n) {
  std::vector<std::unique_ptr<server::RemoteMetadata>> out;
  for (int i = 0; i < n; ++i) {
    NOKV_ASSIGN_OR_RETURN(auto m, Dial(served, transport));
    out.push_back(std::move(m));
  }
  return out;
}

// Creates `count` files "f<i>" in `dir` in batches of kMaxBatchCalls.
Status FillDirectory(server::RemoteMetadata* m, meta::InodeId dir, uint64_t count) {
  std::vector<std::string> names;
  for (uint64_t i = 0; i < count; ++i) {
    names.push_back("f" + std::to_string(i));
    if (names.size() == server::kMaxBatchCalls || i + 1 == count) {
      NOKV_ASSIGN_OR_RETURN(auto created, m->CreateBatch(dir, names));
      for (auto& one : created) NOKV_RETURN_IF_ERROR(one.status());
      names.clear();
    }
  }
  return Status::Ok();
}

// User + system CPU seconds of this process so far.
double ProcessCpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// A unique directory name per call of a workload (repeats, configurations).
std::string Unique(const std::string& prefix) {
  static std::atomic<uint64_t> next{0};
  return prefix + std::to_string(next.fetch_add(1));
}

}  // namespace

Result<Row> RunCeiling(const RpcBenchConfig& c, const TransportName& transport, int threads) {
  NOKV_ASSIGN_OR_RETURN(Measurement m, Repeat(c.repeats, [&](int) {
                          return PingPong(transport, c.data_root, threads, c.window);
                        }));
  Row r = MakeRow("M2", "round trip: raw 1-byte ping-pong", "probe", transport, "-", threads,
                  "round trips/s", m, "us/round trip", kNanosPerMicro);
  return r;
}

Result<Row> RunNokvSmallCalls(const RpcBenchConfig& c, const ServedFs& served,
                              const TransportName& transport, const std::string& op, int threads) {
  NOKV_ASSIGN_OR_RETURN(auto clients, DialMany(served, transport, threads));
  server::RemoteMetadata* first = clients[0].get();
  std::string root = Unique("/m2-");
  NOKV_ASSIGN_OR_RETURN(meta::Attr top, first->Mkdir(root, {}));
  std::vector<meta::InodeId> dirs;  // create: one directory per client
  for (int t = 0; t < threads; ++t) {
    NOKV_ASSIGN_OR_RETURN(meta::Attr d, first->MkdirAt(top.inode, "t" + std::to_string(t), {}));
    dirs.push_back(d.inode);
  }
  if (op == "stat") NOKV_RETURN_IF_ERROR(FillDirectory(first, top.inode, c.stat_files));
  std::vector<uint64_t> counters(threads, 0);
  std::vector<uint64_t> seeds(threads);
  for (int t = 0; t < threads; ++t) seeds[t] = 0x9E3779B97F4A7C15ull * (t + 1);
  Step step = [&](int t, uint64_t* ops) -> Status {
    if (op == "create") {
      NOKV_RETURN_IF_ERROR(
          clients[t]->CreateAt(dirs[t], "f" + std::to_string(counters[t]++), {}).status());
    } else {
      uint64_t i = NextRandom(&seeds[t]) % c.stat_files;
      NOKV_RETURN_IF_ERROR(clients[t]->Stat(root + "/f" + std::to_string(i), {}).status());
    }
    ++*ops;
    return Status::Ok();
  };
  NOKV_ASSIGN_OR_RETURN(Measurement m,
                        Repeat(c.repeats, [&](int) { return RunWindow(threads, c.window, step); }));
  std::string what = op == "create" ? "create: meta.createat, unbatched"
                                    : "stat: meta.stat of /dir/file, unbatched";
  return MakeRow("M2", what, "nokv", transport, DurabilityLabel(served.durability()), threads,
                 "calls/s", m, "us/call", kNanosPerMicro);
}

Result<Row> RunRedisSmallCalls(const RpcBenchConfig& c, const RedisServer& redis,
                               const TransportName& transport, const std::string& op, int threads) {
  std::vector<std::unique_ptr<RedisClient>> clients;
  for (int t = 0; t < threads; ++t) {
    NOKV_ASSIGN_OR_RETURN(auto client, redis.Connect(transport));
    clients.push_back(std::move(client));
  }
  if (op == "get") {
    for (uint64_t i = 1; i <= c.stat_files; ++i) {
      NOKV_RETURN_IF_ERROR(clients[0]->Set("i" + std::to_string(i), RedisAttr(i)));
    }
  }
  std::string attr = RedisAttr(1);
  std::vector<uint64_t> seeds(threads);
  std::vector<uint64_t> counters(threads, 0);
  for (int t = 0; t < threads; ++t) seeds[t] = 0x9E3779B97F4A7C15ull * (t + 1);
  std::string run = Unique("r");
  Step step = [&](int t, uint64_t* ops) -> Status {
    uint64_t i = 1 + NextRandom(&seeds[t]) % c.stat_files;
    if (op == "set") {
      NOKV_RETURN_IF_ERROR(clients[t]->Set("i" + std::to_string(i), attr));
    } else if (op == "get") {
      NOKV_RETURN_IF_ERROR(clients[t]->Get("i" + std::to_string(i)));
    } else {
      std::string name = run + "-" + std::to_string(t) + "-" + std::to_string(counters[t]++);
      NOKV_RETURN_IF_ERROR(clients[t]->Create(1, name).status());
    }
    ++*ops;
    return Status::Ok();
  };
  NOKV_ASSIGN_OR_RETURN(Measurement m,
                        Repeat(c.repeats, [&](int) { return RunWindow(threads, c.window, step); }));
  std::string what = op == "set"   ? "SET i<inode> (72 B attr)"
                     : op == "get" ? "GET i<inode> (JuiceFS getattr)"
                                   : "create: INCR + MULTI{HSET d<parent>, SET i<inode>}";
  return MakeRow("M2", what, "redis", transport, "rdb-default", threads, "calls/s", m, "us/call",
                 kNanosPerMicro);
}

Result<Row> RunMdtestEasy(const RpcBenchConfig& c, const ServedFs& served, int batch,
                          bool publish) {
  NOKV_ASSIGN_OR_RETURN(auto m, Dial(served, "unix"));
  uint64_t files = c.easy_dirs * c.easy_files_per_dir;
  double cpu_seconds = 0;
  auto trial = [&](int) -> Result<Trial> {
    std::string top_path = Unique("/m1-");
    NOKV_ASSIGN_OR_RETURN(meta::Attr top, m->Mkdir(top_path, {}));
    std::vector<meta::InodeId> dirs;
    for (uint64_t d = 0; d < c.easy_dirs; ++d) {
      NOKV_ASSIGN_OR_RETURN(meta::Attr a, m->MkdirAt(top.inode, "dir." + std::to_string(d), {}));
      dirs.push_back(a.inode);
    }
    Trial t;
    std::vector<std::string> names;
    std::vector<meta::PublishRequest> requests;
    double cpu_start = ProcessCpuSeconds();
    Clock::time_point start = Clock::now();
    for (size_t d = 0; d < dirs.size(); ++d) {
      meta::InodeId dir = dirs[d];
      for (uint64_t i = 0; i < c.easy_files_per_dir; ++i) {
        names.push_back("file.mdtest." + std::to_string(i));
        if (names.size() < static_cast<size_t>(batch) && i + 1 < c.easy_files_per_dir) continue;
        Clock::time_point call = Clock::now();
        if (publish) {  // empty files, the whole request in one commit
          requests.resize(names.size());
          for (size_t k = 0; k < names.size(); ++k) {
            requests[k].path = top_path + "/dir." + std::to_string(d) + "/" + names[k];
          }
          NOKV_RETURN_IF_ERROR(m->Publish(requests).status());
        } else if (batch == 1) {
          NOKV_RETURN_IF_ERROR(m->CreateAt(dir, names[0], {}).status());
        } else {
          NOKV_ASSIGN_OR_RETURN(auto created, m->CreateBatch(dir, names));
          for (auto& one : created) NOKV_RETURN_IF_ERROR(one.status());
        }
        t.latency_ns.push_back(static_cast<double>(NanosSince(call)));
        names.clear();
      }
    }
    t.seconds = SecondsSince(start);
    cpu_seconds += ProcessCpuSeconds() - cpu_start;
    t.ops = files;
    return t;
  };
  NOKV_ASSIGN_OR_RETURN(Measurement meas, Repeat(c.repeats, trial));
  std::string how = publish      ? " per request (meta.publish, one commit)"
                    : batch == 1 ? " per request (meta.createat)"
                                 : " per request (meta.batch, a commit each)";
  std::string what = "mdtest-easy " + std::to_string(c.easy_dirs) + "x" +
                     std::to_string(c.easy_files_per_dir) + " create, " + std::to_string(batch) +
                     how;
  Row r = MakeRow("M1", what, "nokv", "unix", DurabilityLabel(served.durability()), 1, "creates/s",
                  meas, "us/request", kNanosPerMicro);
  r.extra.emplace_back("batch", batch);
  r.extra.emplace_back("publish", publish ? 1 : 0);
  // Client and server share this process: CPU of both per create.
  r.extra.emplace_back("cpu_us_per_create",
                       cpu_seconds * 1e6 / static_cast<double>(files * c.repeats));
  return r;
}

Result<std::vector<Row>> RunBigDirectory(const RpcBenchConfig& c, const ServedFs& served,
                                         uint64_t entries) {
  NOKV_ASSIGN_OR_RETURN(auto m, Dial(served, "unix"));
  NOKV_ASSIGN_OR_RETURN(meta::Attr dir, m->Mkdir(Unique("/m3-"), {}));
  Clock::time_point fill_start = Clock::now();
  NOKV_RETURN_IF_ERROR(FillDirectory(m.get(), dir.inode, entries));
  double fill_seconds = SecondsSince(fill_start);
  uint64_t seed = 0x2545F4914F6CDD1Dull;
  NOKV_ASSIGN_OR_RETURN(Measurement lookups, Repeat(c.repeats, [&](int) -> Result<Trial> {
                          Trial t;
                          Clock::time_point start = Clock::now();
                          for (uint64_t i = 0; i < c.lookups; ++i) {
                            std::string name = "f" + std::to_string(NextRandom(&seed) % entries);
                            Clock::time_point call = Clock::now();
                            NOKV_RETURN_IF_ERROR(m->Lookup(dir.inode, name, {}).status());
                            t.latency_ns.push_back(static_cast<double>(NanosSince(call)));
                          }
                          t.seconds = SecondsSince(start);
                          t.ops = c.lookups;
                          return t;
                        }));
  NOKV_ASSIGN_OR_RETURN(Measurement lists, Repeat(c.repeats, [&](int) -> Result<Trial> {
                          Trial t;
                          Clock::time_point start = Clock::now();
                          std::string cursor;
                          uint64_t seen = 0;
                          for (;;) {
                            NOKV_ASSIGN_OR_RETURN(
                                meta::DirPage page,
                                m->ReadDir(dir.inode, cursor, c.list_page, true, {}));
                            seen += page.entries.size();
                            if (!page.more || page.entries.empty()) break;
                            cursor = page.entries.back().name;
                          }
                          t.seconds = SecondsSince(start);
                          if (seen != entries) return Status::Corruption("listing lost entries");
                          t.ops = 1;
                          t.latency_ns.push_back(t.seconds * 1e9);
                          return t;
                        }));
  std::string size = std::to_string(entries) + " entries";
  std::string durability = DurabilityLabel(served.durability());
  // Lookups: value = every lookup's latency (us), as the meta suite reports them.
  Row found = MakeRow("M3", size + ": lookup (meta.lookup), random", "nokv", "unix", durability, 1,
                      "us/lookup", lookups, "us/lookup", kNanosPerMicro);
  found.value = found.latency;
  Row listed = MakeRow(
      "M3", size + ": full listing, readdir+attrs, " + std::to_string(c.list_page) + " per page",
      "nokv", "unix", durability, 1, "ms", lists, "ms", kNanosPerMilli);
  listed.value = listed.latency;
  for (Row* r : {&found, &listed}) r->extra.emplace_back("entries", static_cast<double>(entries));
  found.extra.emplace_back("fill_creates_per_s", static_cast<double>(entries) / fill_seconds);
  return std::vector<Row>{std::move(found), std::move(listed)};
}

namespace {

// Runs `per_file(i)` for i in [0, files) on `threads` threads; the first error wins.
Status ForEachFile(uint64_t files, int threads, const std::function<Status(uint64_t)>& per_file) {
  std::atomic<uint64_t> next{0};
  std::mutex mu;
  Status first;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (uint64_t i = next++; i < files; i = next++) {
        Status s = per_file(i);
        if (s.ok()) continue;
        std::lock_guard lock(mu);
        if (first.ok()) first = s;
        next = files;
      }
    });
  }
  for (auto& th : pool) th.join();
  return first;
}

Status WriteFile(fs::Filesystem* fs, const std::string& path, std::string_view bytes) {
  NOKV_ASSIGN_OR_RETURN(auto writer, fs->OpenWriter(path, {}));
  NOKV_RETURN_IF_ERROR(writer->Append(bytes));
  return writer->Commit().status();
}

// `bytes` of pseudo-random data whose first 16 bytes are `a` and `b`, so
// every (a, b) body and block is distinct.
std::string Body(uint64_t bytes, uint64_t a, uint64_t b) {
  std::string out(bytes, '\0');
  uint64_t seed = 0x9E3779B97F4A7C15ull ^ (a * 31 + b);
  for (size_t i = 0; i + 8 <= out.size(); i += 8) {
    uint64_t v = NextRandom(&seed);
    std::memcpy(out.data() + i, &v, 8);
  }
  std::memcpy(out.data(), &a, 8);
  std::memcpy(out.data() + 8, &b, 8);
  return out;
}

}  // namespace

Result<std::vector<Row>> RunBodies(const RpcBenchConfig& c, const ServedFs& served) {
  server::RemoteFsOptions options;
  options.address = served.unix_address().ToString();
  NOKV_ASSIGN_OR_RETURN(auto fs, server::OpenRemote(options));
  std::string durability = DurabilityLabel(served.durability());
  // D1: each repeat publishes fresh files (fresh blocks: the first 16 bytes
  // of a shared body are stamped with the repeat and file number).
  std::string base = Body(c.publish_bytes, 0, 0);
  NOKV_ASSIGN_OR_RETURN(
      Measurement publish, Repeat(c.repeats, [&](int repeat) -> Result<Trial> {
        std::string dir = Unique("/d1-");
        NOKV_RETURN_IF_ERROR(fs->Mkdir(dir, true).status());
        Trial t;
        Clock::time_point start = Clock::now();
        NOKV_RETURN_IF_ERROR(ForEachFile(c.publish_files, c.data_threads, [&](uint64_t i) {
          std::string body = base;
          uint64_t stamp[2] = {static_cast<uint64_t>(repeat) + 1, i};
          std::memcpy(body.data(), stamp, sizeof(stamp));
          return WriteFile(fs.get(), dir + "/f" + std::to_string(i), body);
        }));
        t.seconds = SecondsSince(start);
        t.ops = c.publish_files * c.publish_bytes;
        return t;
      }));
  Row d1 = MakeRow("D1",
                   "publish " + std::to_string(c.publish_files) + " x " +
                       std::to_string(c.publish_bytes >> 10) + " KiB, conc " +
                       std::to_string(c.data_threads) + ", RemoteFilesystem, local store",
                   "nokv", "unix", durability, c.data_threads, "GB/s", publish, "", 1);
  d1.value = Scaled(d1.value, 1e-9);
  d1.latency = {};
  // D2: the files are written once, then read whole by `data_threads` readers.
  std::string dir = Unique("/d2-");
  NOKV_RETURN_IF_ERROR(fs->Mkdir(dir, true).status());
  NOKV_RETURN_IF_ERROR(ForEachFile(c.read_files, c.data_threads, [&](uint64_t i) {
    return WriteFile(fs.get(), dir + "/f" + std::to_string(i), Body(c.read_bytes, 0, i));
  }));
  NOKV_ASSIGN_OR_RETURN(
      Measurement reads, Repeat(c.repeats, [&](int) -> Result<Trial> {
        std::vector<double> latency(c.read_files);
        Trial t;
        Clock::time_point start = Clock::now();
        NOKV_RETURN_IF_ERROR(ForEachFile(c.read_files, c.data_threads, [&](uint64_t i) -> Status {
          Clock::time_point call = Clock::now();
          NOKV_ASSIGN_OR_RETURN(auto reader, fs->OpenReader(dir + "/f" + std::to_string(i)));
          std::string out;
          NOKV_RETURN_IF_ERROR(reader->Read(0, c.read_bytes, &out));
          if (out.size() != c.read_bytes) {
            return Status::Corruption("short read");
          }
          latency[i] = static_cast<double>(NanosSince(call));
          return Status::Ok();
        }));
        t.seconds = SecondsSince(start);
        t.ops = c.read_files;
        t.latency_ns = std::move(latency);
        return t;
      }));
  Row d2 = MakeRow(
      "D2",
      "read " + std::to_string(c.read_files) + " x " + std::to_string(c.read_bytes >> 10) +
          " KiB files whole (open + read), conc " + std::to_string(c.data_threads) +
          ", RemoteFilesystem, local store",
      "nokv", "unix", durability, c.data_threads, "reads/s", reads, "us/read", kNanosPerMicro);
  d2.cache = "warm";
  return std::vector<Row>{std::move(d1), std::move(d2)};
}

}  // namespace nokv::bench
