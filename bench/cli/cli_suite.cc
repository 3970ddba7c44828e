// The CLI suite: per repeat a fresh data directory, then each timed command
// (cp / nokv put, cat / nokv cat) cold and warm, alternating which side goes
// first; every command runs as a child process and is timed from fork to exit.
#include "cli_suite.h"

#include <filesystem>
#include <map>

#include "bench/common/harness.h"
#include "process.h"

namespace nokv::bench {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kTarget = 0.7;  // NoKV >= 70% of the coreutils peer
constexpr const char* kStored = "/file.bin";

enum class Op { kCp, kPut, kCat, kNokvCat };
enum class Cache { kCold, kWarm };

// Every timed run of one (op, cache) pair.
using Runs = std::map<std::pair<Op, Cache>, std::vector<ChildRun>>;

class CliBench {
 public:
  explicit CliBench(const CliBenchConfig& c) : c_(c), source_(c.data_root + "/source.bin") {}

  Status Run(bool cold) {
    NOKV_RETURN_IF_ERROR(WriteRandomFile(source_, c_.bytes));
    load1_ = LoadAverage1();
    for (int r = 0; r < c_.repeats; ++r) {
      if (cold) NOKV_RETURN_IF_ERROR(Repeat(r, Cache::kCold));
      NOKV_RETURN_IF_ERROR(Repeat(r, Cache::kWarm));
    }
    return Status::Ok();
  }
  const Runs& runs() const { return runs_; }
  double load1() const { return load1_; }

 private:
  std::vector<std::string> Nokv(const std::string& data_dir, std::vector<std::string> args) {
    std::vector<std::string> argv = {c_.nokv, "--data-dir", data_dir, "-q"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  // Runs `argv` after readying the cache, and records it under (op, cache).
  Status Timed(Op op, Cache cache, const std::vector<std::string>& argv,
               const std::string& stdout_path, const std::string& warm_input) {
    if (cache == Cache::kCold) {
      NOKV_RETURN_IF_ERROR(DropPageCache());
    } else {
      if (!warm_input.empty()) NOKV_RETURN_IF_ERROR(ReadWhole(warm_input).status());
      SyncAll();  // earlier writes are not written back during this command
    }
    NOKV_ASSIGN_OR_RETURN(ChildRun run, RunChild(argv, stdout_path));
    runs_[{op, cache}].push_back(run);
    return Status::Ok();
  }

  Status Repeat(int r, Cache cache) {
    std::string tag = std::to_string(r) + (cache == Cache::kCold ? "c" : "w");
    std::string data_dir = c_.data_root + "/nokv-" + tag, copy = c_.data_root + "/copy-" + tag;
    NOKV_RETURN_IF_ERROR(RunChild(Nokv(data_dir, {"init"}), "/dev/null").status());
    bool nokv_first = r % 2 == 1;  // alternate which side runs first
    auto put = [&] {
      return Timed(Op::kPut, cache, Nokv(data_dir, {"put", source_, kStored}), "/dev/null",
                   source_);
    };
    // `nokv put` is durable when it returns, so its peer is a durable copy:
    // cp, then sync(1) of the copy (fsync of the file), timed as one child.
    auto cp = [&] {
      std::vector<std::string> argv = {"sh", "-c", "cp -- \"$0\" \"$1\" && sync -- \"$1\"", source_,
                                       copy};
      return Timed(Op::kCp, cache, argv, "/dev/null", source_);
    };
    auto ncat = [&] {
      return Timed(Op::kNokvCat, cache, Nokv(data_dir, {"cat", kStored}), "/dev/null", "");
    };
    auto cat = [&] { return Timed(Op::kCat, cache, {"cat", copy}, "/dev/null", ""); };
    NOKV_RETURN_IF_ERROR(nokv_first ? put() : cp());
    NOKV_RETURN_IF_ERROR(nokv_first ? cp() : put());
    NOKV_RETURN_IF_ERROR(nokv_first ? ncat() : cat());
    NOKV_RETURN_IF_ERROR(nokv_first ? cat() : ncat());
    if (r == 0 && cache == Cache::kWarm) NOKV_RETURN_IF_ERROR(Verify(data_dir));
    std::error_code ignored;
    std::filesystem::remove_all(data_dir, ignored);
    std::filesystem::remove(copy, ignored);
    return Status::Ok();
  }

  // `nokv cat` gives back exactly the source bytes (untimed).
  Status Verify(const std::string& data_dir) {
    std::string out = c_.data_root + "/verify.bin";
    NOKV_RETURN_IF_ERROR(RunChild(Nokv(data_dir, {"cat", kStored}), out).status());
    NOKV_RETURN_IF_ERROR(RunChild({"cmp", "-s", source_, out}, "/dev/null").status());
    std::error_code ignored;
    std::filesystem::remove(out, ignored);
    return Status::Ok();
  }

  const CliBenchConfig& c_;
  std::string source_;
  Runs runs_;
  double load1_ = 0;
};

Row MakeRow(const CliBenchConfig& c, Op op, Cache cache, const std::vector<ChildRun>& runs,
            double load1) {
  static const std::map<Op, std::pair<const char*, const char*>> kNames = {
      {Op::kCp, {"cp", "cp SRC DST && sync DST (same disk)"}},
      {Op::kPut, {"nokv", "nokv put SRC (local store)"}},
      {Op::kCat, {"cat", "cat FILE > /dev/null"}},
      {Op::kNokvCat, {"nokv", "nokv cat PATH > /dev/null"}}};
  std::vector<double> rates, user, sys;
  for (const ChildRun& run : runs) {
    rates.push_back(static_cast<double>(c.bytes) / kMiB / run.seconds);
    user.push_back(run.user_cpu);
    sys.push_back(run.sys_cpu);
  }
  Row r;
  r.id = op == Op::kCp || op == Op::kPut ? "C1" : "C2";
  r.system = kNames.at(op).first;
  r.config = kNames.at(op).second;
  r.layer = "CLI";
  r.durability = op == Op::kPut ? "sync (one commit)" : op == Op::kCp ? "sync (fsync)" : "-";
  r.cache = cache == Cache::kCold ? "cold" : "warm";
  r.workload = std::string(op == Op::kCp || op == Op::kPut ? "write " : "read ") +
               FormatCount(static_cast<double>(c.bytes) / kMiB) + " MiB file";
  r.unit = "MiB/s";
  r.value = Summarize(rates);
  r.repeats = static_cast<int>(runs.size());
  r.load1 = load1;
  r.extra = {{"bytes", static_cast<double>(c.bytes)},
             {"user_cpu_s", Summarize(user).median},
             {"sys_cpu_s", Summarize(sys).median}};
  return r;
}

}  // namespace

Status RunCliSuite(const CliBenchConfig& c, std::vector<Row>* rows) {
  CliBench bench(c);
  bool cold = DropPageCache().ok();
  Status run = bench.Run(cold);
  for (const auto& [key, runs] : bench.runs()) {
    rows->push_back(MakeRow(c, key.first, key.second, runs, bench.load1()));
  }
  std::error_code ignored;
  std::filesystem::remove(c.data_root + "/source.bin", ignored);
  return run;
}

std::vector<Verdict> ComputeCliVerdicts(const std::vector<Row>& rows) {
  std::vector<Verdict> out;
  for (const Row& a : rows) {
    if (a.system != "nokv") continue;
    for (const Row& b : rows) {
      if (b.id != a.id || b.cache != a.cache || b.system == "nokv") continue;
      double ratio = a.value.median / b.value.median;
      out.push_back({a.id, a.config + " vs " + b.config + ", " + a.workload + ", " + a.cache,
                     Figure(a), Figure(b), RatioText(ratio), ">= 0.70x " + b.system,
                     Met(ratio >= kTarget)});
    }
  }
  return out;
}

}  // namespace nokv::bench
