// The CLI suite: per repeat a fresh data directory, then each timed command
// (cp / nokv put, cat / nokv cat) cold and warm, alternating which side goes
// first; every command runs as a child process and is timed from fork to exit.
#include "cli_suite.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "bench/common/harness.h"
#include "process.h"
#include "random_reads.h"

namespace nokv::bench {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr const char* kStored = "/file.bin";

// Who runs a command: the nokv under test, the baseline nokv, or coreutils.
enum class Side { kNokv, kBaseline, kPeer };
enum class Op { kPut, kCat, kCatPipe };
enum class Cache { kCold, kWarm };

struct RunKey {
  Op op;
  Cache cache;
  Side side;
  auto operator<=>(const RunKey&) const = default;
};

// Every timed run of one (op, cache, side).
using Runs = std::map<RunKey, std::vector<ChildRun>>;

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
  const std::vector<Row>& random_rows() const { return random_rows_; }
  double load1() const { return load1_; }

 private:
  std::vector<Side> Sides() const {
    std::vector<Side> sides = {Side::kNokv, Side::kPeer};
    if (!c_.baseline.empty()) sides.push_back(Side::kBaseline);
    return sides;
  }

  std::vector<std::string> Nokv(Side side, const std::string& data_dir,
                                std::vector<std::string> args) const {
    std::vector<std::string> argv = {side == Side::kBaseline ? c_.baseline : c_.nokv, "--data-dir",
                                     data_dir, "-q"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  // `command | wc -c`, as one child (a shell waiting for both).
  static std::vector<std::string> Piped(const std::vector<std::string>& command) {
    std::vector<std::string> argv = {"sh", "-c", "\"$@\" | wc -c > /dev/null", "sh"};
    argv.insert(argv.end(), command.begin(), command.end());
    return argv;
  }

  // Runs `argv` after readying the cache, and records it under `key`.
  Status Timed(RunKey key, const std::vector<std::string>& argv, const std::string& warm_input) {
    if (key.cache == Cache::kCold) {
      NOKV_RETURN_IF_ERROR(DropPageCache());
    } else {
      if (!warm_input.empty()) NOKV_RETURN_IF_ERROR(ReadWhole(warm_input).status());
      SyncAll();  // earlier writes are not written back during this command
    }
    NOKV_ASSIGN_OR_RETURN(ChildRun run, RunChild(argv, "/dev/null"));
    runs_[key].push_back(run);
    return Status::Ok();
  }

  // The command of `op` for `side` (puts write, cats read what was put).
  std::vector<std::string> Command(Op op, Side side, const std::string& data_dir,
                                   const std::string& copy) const {
    std::vector<std::string> read;
    switch (op) {
      case Op::kPut:
        // `nokv put` is durable when it returns, so its peer is a durable
        // copy: cp, then sync(1) of the copy (fsync of the file).
        if (side == Side::kPeer) {
          return {"sh", "-c", "cp -- \"$0\" \"$1\" && sync -- \"$1\"", source_, copy};
        }
        return Nokv(side, data_dir, {"put", source_, kStored});
      case Op::kCat:
      case Op::kCatPipe:
        read = side == Side::kPeer ? std::vector<std::string>{"cat", copy}
                                   : Nokv(side, data_dir, {"cat", kStored});
        return op == Op::kCat ? read : Piped(read);
    }
    return {};
  }

  Status Repeat(int r, Cache cache) {
    std::string tag = std::to_string(r) + (cache == Cache::kCold ? "c" : "w");
    std::map<Side, std::string> dirs = {{Side::kNokv, c_.data_root + "/nokv-" + tag},
                                        {Side::kBaseline, c_.data_root + "/base-" + tag},
                                        {Side::kPeer, ""}};
    std::string copy = c_.data_root + "/copy-" + tag;
    std::vector<Side> sides = Sides();
    for (Side side : sides) {
      if (side == Side::kPeer) continue;
      NOKV_RETURN_IF_ERROR(RunChild(Nokv(side, dirs[side], {"init"}), "/dev/null").status());
    }
    // Rotate which side goes first, per repeat.
    std::rotate(sides.begin(), sides.begin() + r % sides.size(), sides.end());
    std::vector<Op> ops = {Op::kPut, Op::kCat};
    if (cache == Cache::kWarm) ops.push_back(Op::kCatPipe);
    for (Op op : ops) {
      for (Side side : sides) {
        std::string warm = op == Op::kPut ? source_ : "";
        NOKV_RETURN_IF_ERROR(Timed({op, cache, side}, Command(op, side, dirs[side], copy), warm));
      }
    }
    if (r == 0 && cache == Cache::kWarm) {
      NOKV_RETURN_IF_ERROR(Verify(dirs[Side::kNokv]));
      RandomReadConfig random{c_.nokv, c_.baseline, dirs[Side::kNokv], dirs[Side::kBaseline],
                              kStored, copy,        c_.bytes,          load1_};
      NOKV_RETURN_IF_ERROR(RunRandomReads(random, &random_rows_));
    }
    std::error_code ignored;
    for (const auto& [side, dir] : dirs) {
      if (!dir.empty()) std::filesystem::remove_all(dir, ignored);
    }
    std::filesystem::remove(copy, ignored);
    return Status::Ok();
  }

  // `nokv cat` gives back exactly the source bytes (untimed).
  Status Verify(const std::string& data_dir) {
    std::string out = c_.data_root + "/verify.bin";
    NOKV_RETURN_IF_ERROR(RunChild(Nokv(Side::kNokv, data_dir, {"cat", kStored}), out).status());
    NOKV_RETURN_IF_ERROR(RunChild({"cmp", "-s", source_, out}, "/dev/null").status());
    std::error_code ignored;
    std::filesystem::remove(out, ignored);
    return Status::Ok();
  }

  const CliBenchConfig& c_;
  std::string source_;
  Runs runs_;
  std::vector<Row> random_rows_;  // C3
  double load1_ = 0;
};

Row MakeRow(const CliBenchConfig& c, const RunKey& key, const std::vector<ChildRun>& runs,
            double load1) {
  static const std::map<Side, const char*> kSystems = {
      {Side::kNokv, "nokv"}, {Side::kBaseline, "nokv-before"}, {Side::kPeer, ""}};
  const bool peer = key.side == Side::kPeer;
  std::string config;
  switch (key.op) {
    case Op::kPut:
      config = peer ? "cp SRC DST && sync DST (same disk)" : "nokv put SRC (local store)";
      break;
    case Op::kCat:
      config = peer ? "cat FILE > /dev/null" : "nokv cat PATH > /dev/null";
      break;
    case Op::kCatPipe:
      config = peer ? "cat FILE | wc -c" : "nokv cat PATH | wc -c";
      break;
  }
  std::vector<double> rates, user, sys;
  for (const ChildRun& run : runs) {
    rates.push_back(static_cast<double>(c.bytes) / kMiB / run.seconds);
    user.push_back(run.user_cpu);
    sys.push_back(run.sys_cpu);
  }
  double gib = static_cast<double>(c.bytes) / (kMiB * 1024);
  Row r;
  r.id = key.op == Op::kPut ? "C1" : "C2";
  r.system = peer ? (key.op == Op::kPut ? "cp" : "cat") : kSystems.at(key.side);
  r.config = config;
  r.layer = "CLI";
  r.durability = key.op != Op::kPut ? "-" : peer ? "sync (fsync)" : "sync (one commit)";
  r.cache = key.cache == Cache::kCold ? "cold" : "warm";
  r.workload = std::string(key.op == Op::kPut ? "write " : "read ") +
               FormatCount(static_cast<double>(c.bytes) / kMiB) + " MiB file" +
               (key.op == Op::kCatPipe ? " into a pipe" : "");
  r.unit = "MiB/s";
  r.value = Summarize(rates);
  r.repeats = static_cast<int>(runs.size());
  r.load1 = load1;
  r.extra = {{"bytes", static_cast<double>(c.bytes)},
             {"user_cpu_s", Summarize(user).median},
             {"sys_cpu_s", Summarize(sys).median},
             {"cpu_s_per_gib", (Summarize(user).median + Summarize(sys).median) / gib}};
  return r;
}

// The target of a NoKV row against its peer, or 0 for context.
double TargetFor(const Row& nokv) {
  if (nokv.id == "C1") return 0.9;
  bool pipe = nokv.config.find("wc -c") != std::string::npos;
  if (nokv.cache == "cold" && !pipe) return 0.8;
  if (nokv.cache == "warm" && pipe) return 0.5;
  return 0;
}

}  // namespace

Status RunCliSuite(const CliBenchConfig& c, std::vector<Row>* rows) {
  CliBench bench(c);
  bool cold = DropPageCache().ok();
  Status run = bench.Run(cold);
  for (const auto& [key, runs] : bench.runs()) {
    rows->push_back(MakeRow(c, key, runs, bench.load1()));
  }
  rows->insert(rows->end(), bench.random_rows().begin(), bench.random_rows().end());
  std::error_code ignored;
  std::filesystem::remove(c.data_root + "/source.bin", ignored);
  return run;
}

std::vector<Verdict> ComputeCliVerdicts(const std::vector<Row>& rows) {
  std::vector<Verdict> out;
  auto same_row = [](const Row& a, const Row& b) {
    return a.id == b.id && a.cache == b.cache && a.workload == b.workload && a.layer == b.layer;
  };
  for (const Row& a : rows) {
    if (a.system != "nokv") continue;
    for (const Row& b : rows) {
      if (!same_row(a, b) || b.system == "nokv") continue;
      double ratio = a.value.median / b.value.median;
      if (b.system == "nokv-before") {
        out.push_back({a.id,
                       a.config + ", this build vs the baseline, " + a.workload + ", " + a.cache,
                       Figure(a), Figure(b), RatioText(ratio), "context", "context"});
        continue;
      }
      double target = TargetFor(a);
      std::string goal = target > 0 ? ">= " + FormatCount(target) + "x " + b.system : "context";
      out.push_back({a.id, a.config + " vs " + b.config + ", " + a.workload + ", " + a.cache,
                     Figure(a), Figure(b), RatioText(ratio), goal,
                     target > 0 ? Met(ratio >= target) : "context"});
    }
  }
  return out;
}

}  // namespace nokv::bench
