// The FUSE suite: each target mounted in turn, F1 and F2 repeated on it,
// `nokv cat` of the big file for the nokv targets, then the verdicts.
#include "fuse_suite.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "bench/cli/process.h"
#include "bench/common/harness.h"
#include "fuse_targets.h"

namespace nokv::bench {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kCeilingTarget = 0.5;  // F1 creates >= 50% of the no-op ceiling
constexpr double kCatTarget = 0.7;      // F2 big read >= 70% of `nokv cat`
constexpr const char* kCatSystem = "nokv cat";

// Per-repeat results of one target, by phase.
struct TargetResults {
  std::map<MdPhase, std::vector<MdPhaseTiming>> md;
  std::map<JfsPhase, std::vector<JfsPhaseTiming>> jfs;
  std::vector<double> cat_mib_s;
  double load1 = 0;
};

Row BaseRow(const Target& t, const char* id, double load1) {
  Row r;
  r.id = id;
  r.system = t.name;
  r.config = t.config;
  r.layer = t.layer;
  r.durability = t.durability;
  r.threads = 1;
  r.load1 = load1;
  return r;
}

std::vector<Row> MakeRows(const FuseBenchConfig& c, const Target& t, const TargetResults& res) {
  std::vector<Row> rows;
  for (const auto& [phase, runs] : res.md) {
    Row r = BaseRow(t, "F1", res.load1);
    r.workload = std::string("mdtest ") + c.md.Flags() + ": " + MdPhaseName(phase);
    r.cache = "kernel caches as the fs sets them";
    r.unit = "ops/s";
    std::vector<double> rates;
    for (const MdPhaseTiming& run : runs)
      rates.push_back(static_cast<double>(run.ops) / run.seconds);
    r.value = Summarize(rates);
    r.repeats = static_cast<int>(runs.size());
    std::vector<double> ops;
    for (const MdPhaseTiming& run : runs) ops.push_back(static_cast<double>(run.ops));
    // Fewer than the shape's items: the phase hit the stonewall.
    r.extra = {{"ops_min", Summarize(ops).min}, {"ops_max", Summarize(ops).max}};
    rows.push_back(std::move(r));
  }
  for (const auto& [phase, runs] : res.jfs) {
    Row r = BaseRow(t, "F2", res.load1);
    bool bytes = JfsPhaseIsBytes(phase);
    r.workload = std::string("bench: ") + JfsPhaseName(phase);
    r.cache = "cold (caches dropped)";
    r.unit = bytes ? "MiB/s" : "files/s";
    std::vector<double> rates, seconds;
    for (const JfsPhaseTiming& run : runs) {
      double units = bytes ? static_cast<double>(run.units) / kMiB : static_cast<double>(run.units);
      rates.push_back(units / run.seconds);
      seconds.push_back(run.seconds);
    }
    r.value = Summarize(rates);
    r.repeats = static_cast<int>(runs.size());
    r.extra = {{"units", static_cast<double>(runs.front().units)},
               {"seconds_median", Summarize(seconds).median}};
    rows.push_back(std::move(r));
  }
  if (!res.cat_mib_s.empty()) {
    Row r = BaseRow(t, "F2", res.load1);
    r.system = kCatSystem;
    r.config = t.name + ": `nokv cat` (embedded, same data dir, after the unmount) > /dev/null";
    r.layer = "CLI";
    r.durability = "-";
    r.workload = std::string("bench: ") + JfsPhaseName(JfsPhase::kReadBig);
    r.cache = "cold (caches dropped)";
    r.unit = "MiB/s";
    r.value = Summarize(res.cat_mib_s);
    r.repeats = static_cast<int>(res.cat_mib_s.size());
    r.extra = {{"bytes", static_cast<double>(c.jfs.big)}};
    rows.push_back(std::move(r));
  }
  return rows;
}

// Times `nokv cat` of the big file `repeats` times, caches dropped before each.
Status TimeCat(const FuseBenchConfig& c, const Target& t, const std::string& path,
               TargetResults* res) {
  std::vector<std::string> argv = t.nokv_argv;
  argv.insert(argv.end(), {"cat", path});
  for (int r = 0; r < c.repeats; ++r) {
    NOKV_RETURN_IF_ERROR(DropPageCache());
    NOKV_ASSIGN_OR_RETURN(ChildRun run, RunChild(argv, "/dev/null"));
    res->cat_mib_s.push_back(static_cast<double>(c.jfs.big) / kMiB / run.seconds);
  }
  return Status::Ok();
}

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0) return Status::FromErrno(errno, "mkdir " + path);
  return Status::Ok();
}

// Mounts the target, runs the rows, unmounts; `nokv cat` after the unmount.
Status RunOnTarget(const FuseBenchConfig& c, const Target& t, const std::string& dir,
                   TargetResults* res) {
  NOKV_ASSIGN_OR_RETURN(auto mounted,
                        MountedTarget::Mount(t.mount, t.mountpoint, dir + "/mount.log"));
  res->load1 = LoadAverage1();
  bool cat = c.rows.count("F2") > 0 && !t.nokv_argv.empty();
  std::string big;
  bool peer = t.name == "s3fs" || t.name == "rclone";
  int md_repeats = peer ? std::min(c.repeats, c.peer_f1_repeats) : c.repeats;
  for (int r = 0; r < md_repeats && c.rows.count("F1") > 0; ++r) {
    std::string base = t.mountpoint + "/md." + std::to_string(r);
    NOKV_RETURN_IF_ERROR(MakeDir(base));
    NOKV_ASSIGN_OR_RETURN(auto timings, RunMdtest(base, c.md, c.stonewall_s));
    for (const MdPhaseTiming& timing : timings) res->md[timing.phase].push_back(timing);
    std::cerr << "nokv-bench: F1 " << t.name << " repeat " << r + 1 << " done\n";
  }
  for (int r = 0; r < c.repeats && c.rows.count("F2") > 0; ++r) {
    std::string rel = "/jfs." + std::to_string(r);
    NOKV_RETURN_IF_ERROR(MakeDir(t.mountpoint + rel));
    JfsOptions options;
    options.shape = c.jfs;
    options.nonce = static_cast<uint64_t>(::getpid()) << 16 | static_cast<uint64_t>(r + 1);
    options.keep_big = cat && r + 1 == c.repeats;
    NOKV_ASSIGN_OR_RETURN(auto timings, RunJfsBench(t.mountpoint + rel, options));
    for (const JfsPhaseTiming& timing : timings) res->jfs[timing.phase].push_back(timing);
    if (options.keep_big) big = rel + "/" + kJfsBigName;
    std::cerr << "nokv-bench: F2 " << t.name << " repeat " << r + 1 << " done\n";
  }
  NOKV_RETURN_IF_ERROR(mounted->Unmount());
  if (!big.empty()) NOKV_RETURN_IF_ERROR(TimeCat(c, t, big, res));
  return Status::Ok();
}

const Row* Find(const std::vector<Row>& rows, const std::string& id, const std::string& system,
                const std::string& workload) {
  for (const Row& r : rows) {
    if (r.id == id && r.system == system && r.workload == workload) return &r;
  }
  return nullptr;
}

}  // namespace

Status RunFuseSuite(const FuseBenchConfig& c, std::vector<Row>* rows) {
  std::optional<S3Service> s3;
  bool needs_s3 = std::any_of(c.targets.begin(), c.targets.end(), TargetNeedsS3);
  if (needs_s3) {
    NOKV_ASSIGN_OR_RETURN(s3, ReadS3Env(c.s3_env));
    ConfigureRclone(*s3);
  }
  Status first;
  for (const std::string& name : c.targets) {
    std::string dir = c.data_root + "/" + name;
    Status s;
    auto target = PrepareTarget(c, name, s3 ? &*s3 : nullptr, dir);
    TargetResults res;
    if (!target.ok()) {
      s = target.status();
    } else {
      s = RunOnTarget(c, *target, dir, &res);
      for (Row& r : MakeRows(c, *target, res)) rows->push_back(std::move(r));
      // What a target left in the bucket only costs the RGW memory: a failed
      // purge (RGW refuses to drop a bucket whose deletes it has not
      // finished) is reported, not fatal.
      if (!target->cleanup_argv.empty()) {
        Status cleaned = RunChild(target->cleanup_argv, "/dev/null").status();
        if (!cleaned.ok()) std::cerr << "nokv-bench: cleanup: " << cleaned.ToString() << "\n";
      }
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    if (!s.ok()) {
      std::cerr << "nokv-bench: " << name << " failed: " << s.ToString() << "\n";
      if (first.ok()) first = s;
    }
  }
  return first;
}

std::vector<Verdict> ComputeFuseVerdicts(const std::vector<Row>& rows) {
  std::vector<Verdict> out;
  // F1: creates against the no-op ceiling.
  std::string create = "File creation";
  for (const Row& r : rows) {
    if (r.id != "F1" || r.workload.find(create) == std::string::npos) continue;
    if (r.system.rfind("nokv-", 0) != 0) continue;
    const Row* noop = Find(rows, "F1", "noop", r.workload);
    if (noop == nullptr) continue;
    double ratio = r.value.median / noop->value.median;
    out.push_back({"F1", r.system + " vs no-op FUSE, " + r.workload, Figure(r), Figure(*noop),
                   RatioText(ratio), ">= 0.50x no-op", Met(ratio >= kCeilingTarget)});
  }
  // F1, F2: nokv on S3 ahead of s3fs and of rclone, phase by phase.
  for (const Row& r : rows) {
    if (r.system != "nokv-s3") continue;
    const Row* s3fs = Find(rows, r.id, "s3fs", r.workload);
    const Row* rclone = Find(rows, r.id, "rclone", r.workload);
    if (s3fs == nullptr && rclone == nullptr) continue;
    double best = std::max(s3fs ? s3fs->value.median : 0.0, rclone ? rclone->value.median : 0.0);
    std::string peers = std::string(s3fs ? "s3fs " + Figure(*s3fs) : "") +
                        (s3fs && rclone ? "; " : "") + (rclone ? "rclone " + Figure(*rclone) : "");
    double ratio = best > 0 ? r.value.median / best : 0;
    out.push_back({r.id, "nokv-s3 vs the faster of s3fs / rclone, " + r.workload, Figure(r), peers,
                   RatioText(ratio), "> 1x both", Met(ratio > 1.0)});
  }
  // F2: the mount's sequential read against `nokv cat` of the same file.
  std::string read_big = std::string("bench: ") + JfsPhaseName(JfsPhase::kReadBig);
  for (const Row& cat : rows) {
    if (cat.system != kCatSystem) continue;
    std::string target = cat.config.substr(0, cat.config.find(':'));
    const Row* mount = Find(rows, "F2", target, read_big);
    if (mount == nullptr) continue;
    double ratio = mount->value.median / cat.value.median;
    out.push_back({"F2", target + " big-file read through the mount vs `nokv cat`, cold",
                   Figure(*mount), Figure(cat), RatioText(ratio), ">= 0.70x nokv cat",
                   Met(ratio >= kCatTarget)});
  }
  return out;
}

}  // namespace nokv::bench
