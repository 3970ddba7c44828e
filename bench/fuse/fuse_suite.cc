// The FUSE suite: each target mounted in turn, F1 and F2 repeated on it,
// `nokv cat` of the big file for the nokv targets, then the verdicts.
#include "fuse_suite.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <functional>
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

// One target through the run: prepared, mounted, its results.
struct Live {
  std::string dir;
  Target target;
  std::unique_ptr<MountedTarget> mounted;
  TargetResults res;
  std::string big;  // the big file kept for `nokv cat`, relative to the root
  Status status;    // the first failure; a failed target runs nothing more
  bool started = false;
};

bool IsPeer(const Target& t) { return t.name == "s3fs" || t.name == "rclone"; }

// F1 repeat `r` on one target.
Status RunMdRepeat(const FuseBenchConfig& c, Live* t, int r) {
  std::string base = t->target.mountpoint + "/md." + std::to_string(r);
  NOKV_RETURN_IF_ERROR(MakeDir(base));
  NOKV_ASSIGN_OR_RETURN(auto timings, RunMdtest(base, c.md, c.stonewall_s));
  for (const MdPhaseTiming& timing : timings) t->res.md[timing.phase].push_back(timing);
  return Status::Ok();
}

// F2 repeat `r` on one target; the last one keeps the big file of a nokv target.
Status RunJfsRepeat(const FuseBenchConfig& c, Live* t, int r) {
  std::string rel = "/jfs." + std::to_string(r);
  NOKV_RETURN_IF_ERROR(MakeDir(t->target.mountpoint + rel));
  JfsOptions options;
  options.shape = c.jfs;
  options.nonce = static_cast<uint64_t>(::getpid()) << 16 | static_cast<uint64_t>(r + 1);
  options.keep_big = !t->target.nokv_argv.empty() && r + 1 == c.repeats;
  NOKV_ASSIGN_OR_RETURN(auto timings, RunJfsBench(t->target.mountpoint + rel, options));
  for (const JfsPhaseTiming& timing : timings) t->res.jfs[timing.phase].push_back(timing);
  if (options.keep_big) t->big = rel + "/" + kJfsBigName;
  return Status::Ok();
}

// Runs repeat after repeat of `one` over every live target, each repeat
// starting at the next target, so that all of them meet the machine's
// changing load alike.
void Interleave(std::vector<Live>& live, int repeats, const char* id,
                const std::function<int(const Live&)>& repeats_of,
                const std::function<Status(Live*, int)>& one) {
  size_t n = live.size();
  for (int r = 0; r < repeats; ++r) {
    for (size_t k = 0; k < n; ++k) {
      Live& t = live[(k + static_cast<size_t>(r)) % n];
      if (!t.status.ok() || r >= repeats_of(t)) continue;
      if (!t.started) t.res.load1 = LoadAverage1();
      t.started = true;
      t.status = one(&t, r);
      std::cerr << "nokv-bench: " << id << " " << t.target.name << " repeat " << r + 1
                << (t.status.ok() ? " done" : " failed: " + t.status.ToString()) << "\n";
    }
  }
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
  // Every target is mounted for the whole run.
  std::vector<Live> live(c.targets.size());
  for (size_t i = 0; i < c.targets.size(); ++i) {
    Live& t = live[i];
    t.dir = c.data_root + "/" + c.targets[i];
    auto target = PrepareTarget(c, c.targets[i], s3 ? &*s3 : nullptr, t.dir);
    if (!target.ok()) {
      t.status = target.status();
      t.target.name = c.targets[i];
      continue;
    }
    t.target = std::move(target).value();
    auto mounted = MountedTarget::Mount(t.target.mount, t.target.mountpoint, t.dir + "/mount.log");
    if (mounted.ok()) {
      t.mounted = std::move(mounted).value();
    } else {
      t.status = mounted.status();
    }
  }
  if (c.rows.count("F1") > 0) {
    auto md_repeats = [&](const Live& t) {
      return IsPeer(t.target) ? std::min(c.repeats, c.peer_f1_repeats) : c.repeats;
    };
    Interleave(live, c.repeats, "F1", md_repeats,
               [&](Live* t, int r) { return RunMdRepeat(c, t, r); });
  }
  if (c.rows.count("F2") > 0) {
    Interleave(
        live, c.repeats, "F2", [&](const Live&) { return c.repeats; },
        [&](Live* t, int r) { return RunJfsRepeat(c, t, r); });
  }
  Status first;
  for (Live& t : live) {
    if (t.mounted) {
      Status unmounted = t.mounted->Unmount();
      if (t.status.ok()) t.status = unmounted;
    }
    // `nokv cat` reads the data directory embedded, so after the unmount.
    if (t.status.ok() && !t.big.empty()) t.status = TimeCat(c, t.target, t.big, &t.res);
    if (t.started) {
      for (Row& r : MakeRows(c, t.target, t.res)) rows->push_back(std::move(r));
    }
    // What a target left in the bucket only costs the RGW memory: a failed
    // purge (RGW refuses to drop a bucket whose deletes it has not
    // finished) is reported, not fatal.
    if (!t.target.cleanup_argv.empty()) {
      Status cleaned = RunChild(t.target.cleanup_argv, "/dev/null").status();
      if (!cleaned.ok()) std::cerr << "nokv-bench: cleanup: " << cleaned.ToString() << "\n";
    }
    std::error_code ignored;
    std::filesystem::remove_all(t.dir, ignored);
    if (!t.status.ok()) {
      std::cerr << "nokv-bench: " << t.target.name << " failed: " << t.status.ToString() << "\n";
      if (first.ok()) first = t.status;
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
