// The kill -9 campaign of issue #19 (docs/reliability.md, "Kill campaign"):
// writers publish single files of random sizes, replacements and trees
// through the `nokv` binary, embedded or through `nokv serve`, and the
// writers and the server are killed with SIGKILL at random points. After
// every iteration each path it touched must hold exactly an acknowledged
// state: a publish that exited 0 reads back with its SHA-256, one that was
// killed or failed shows its old state or its whole new state, never a mix
// (a tree's files are one commit). Every few iterations, with nothing
// running, `fsck` must find nothing but the orphans of killed uploads, `gc`
// (itself killed now and then) must reclaim them, the next `fsck` must be
// clean, and the whole namespace must equal the model.
//
//   NOKV_CAMPAIGN_ITERATIONS  iterations (default 12: the smoke run)
//   NOKV_CAMPAIGN_SEED        random seed (default: from the clock, printed)
//   NOKV_CAMPAIGN_REPORT      file to append the figures to (markdown rows)
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "campaign.h"
#include "child_process.h"
#include "common/sha256.h"
#include "test_dir.h"

namespace nokv::testing {
namespace {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// argv: DATA_DIR LOCAL_FILE TARGET. Streams the local file into the target
// through nokv.Client, 64 KiB at a time; the file is published on close.
constexpr char kPythonWriter[] = R"(
import sys, nokv
client = nokv.Client(sys.argv[1])
with open(sys.argv[2], "rb") as src, client.open(sys.argv[3], "wb") as dst:
    while chunk := src.read(65536):
        dst.write(chunk)
)";

// What the campaign did and found: the figures docs/reliability.md records.
struct Figures {
  int iterations = 0;
  int publishes = 0;                 // writer processes started
  int acknowledged = 0;              // ... that exited 0
  int writers_killed = 0;            // ... killed by SIGKILL before they finished
  int failed = 0;                    // ... that exited with an error on their own
  int killed_landed = 0;             // killed or failed, but the new state is visible
  int server_kills = 0;              // SIGKILL of `nokv serve`
  int server_restarts_mid_run = 0;   // a new server started while writers ran
  int gc_kills = 0;                  // SIGKILL of a `nokv gc`
  int unmount_refused = 0;           // fusermount3 -u failed; SIGTERM stopped the mount
  int checks = 0;                    // quiescent fsck + gc + full comparisons
  int orphans_reclaimed = 0;         // leaked blocks fsck saw before gc took them
  uint64_t bytes_verified = 0;       // bytes read back and hashed
  int lost = 0;                      // acknowledged or partial states: must stay 0
  std::map<std::string, int> doors;  // writers by front door, holders started by kind
  std::set<std::string> errors;      // first lines of the writers' own errors
};

class KillCampaignTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = CampaignSeed();
    rng_.seed(seed_);
    std::filesystem::create_directories(dir_.Sub("work"));
    // Small blocks: a file of a few hundred KiB is many blocks, uploaded in
    // parallel, so kills land between blocks, not only between files.
    ASSERT_EQ(RunNokv({"init", "--block-size", "64KiB"})->exit_code(), 0) << Slurp(Err());
    ASSERT_EQ(RunNokv({"mkdir", "-p", "/c", "/t", "/x"})->exit_code(), 0) << Slurp(Err());
    fuse_ = ::access("/dev/fuse", R_OK | W_OK) == 0;
    if (fuse_) std::filesystem::create_directories(Mountpoint());
#ifdef NOKV_PYTHONPATH
    python_path_ = NOKV_PYTHONPATH;
    ::setenv("PYTHONPATH", python_path_.c_str(), 1);
    ::setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
#endif
  }
  void TearDown() override { StopHolder(SIGKILL); }

  std::vector<std::string> Argv(std::vector<std::string> args) {
    args.insert(args.begin(), {NOKV_BINARY, "--data-dir", dir_.Sub("data"), "-q"});
    return args;
  }
  std::string Work(const std::string& name) { return dir_.Sub("work/" + name); }
  std::string Err() { return Work("last.err"); }
  // Runs a command to its end (stdout to `out`, default discarded).
  std::unique_ptr<Child> RunNokv(std::vector<std::string> args, const std::string& out = {}) {
    auto child = Start(std::move(args), out.empty() ? "/dev/null" : out, Err());
    child->Wait();
    return child;
  }
  std::unique_ptr<Child> Start(std::vector<std::string> args, const std::string& out,
                               const std::string& err) {
    return StartRaw(Argv(std::move(args)), out, err);
  }
  std::unique_ptr<Child> StartRaw(std::vector<std::string> argv, const std::string& out,
                                  const std::string& err) {
    return std::make_unique<Child>(std::move(argv), out, err);
  }
  int RunRaw(std::vector<std::string> argv) {
    auto child = StartRaw(std::move(argv), "/dev/null", Work("raw.err"));
    child->Wait();
    return child->exit_code();
  }

  // Random bytes of a random size: mostly small, some many blocks long.
  std::string Body() {
    std::uniform_int_distribution<int> bucket(0, 9);
    int b = bucket(rng_);
    size_t size = b < 4   ? rng_() % 4097
                  : b < 8 ? 4096 + rng_() % (256 << 10)
                          : (256 << 10) + rng_() % (2 << 20);
    std::string bytes(size, '\0');
    for (size_t i = 0; i < size; i += 8) {
      uint64_t word = rng_();
      std::memcpy(bytes.data() + i, &word, std::min<size_t>(8, size - i));
    }
    return bytes;
  }
  std::string WriteLocal(const std::string& path, const std::string& bytes) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
    return DigestHex(Sha256::Of(bytes));
  }

  // --- the holder: nobody, `nokv serve` or `nokv mount` ------------------

  enum class Holder { kNone, kServe, kMount };

  void StartHolder(Holder kind) {
    holder_kind_ = kind;
    if (kind == Holder::kNone) return;
    std::string err = Work("holder.err");
    std::string ready = " on unix:";
    if (kind == Holder::kServe) {
      // Background GC every second runs beside the writers (the claim
      // protocol against publishes); the default grace keeps fresh uploads.
      holder_ = Start({"serve", "--gc-interval", "1s"}, "/dev/null", err);
      ++figures_.doors["serve"];
    } else {
      // Not quiet: it says when it is mounted.
      holder_ = StartRaw({NOKV_BINARY, "--data-dir", dir_.Sub("data"), "mount", Mountpoint()},
                         "/dev/null", err);
      ready = "nokv: mounted";
      ++figures_.doors["mount"];
    }
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Slurp(err).find(ready) == std::string::npos) {
      ASSERT_FALSE(holder_->Poll()) << "the holder exited: " << Slurp(err);
      ASSERT_LT(Clock::now(), deadline) << "the holder is not ready: " << Slurp(err);
      std::this_thread::sleep_for(Millis(5));
    }
  }
  void StopHolder(int signal) {
    if (!holder_) return;
    if (holder_kind_ == Holder::kMount && signal == SIGTERM) {
      // As a user unmounts; the process then exits by itself. When
      // fusermount3 refuses, SIGTERM unmounts from inside (counted).
      if (RunRaw({"fusermount3", "-u", Mountpoint()}) != 0) {
        ++figures_.unmount_refused;
        figures_.errors.insert(Slurp(Work("raw.err")).substr(0, 200));
        holder_->Kill(SIGTERM);
      }
    } else {
      holder_->Kill(signal);
    }
    auto deadline = Clock::now() + std::chrono::seconds(60);
    while (!holder_->Poll() && Clock::now() < deadline) std::this_thread::sleep_for(Millis(5));
    if (holder_->running()) {
      ADD_FAILURE() << "the holder did not stop within 60 s of signal " << signal << ": "
                    << Slurp(Work("holder.err"));
      holder_->Kill(SIGKILL);
      holder_->Wait();
    }
    if (signal == SIGTERM) {
      EXPECT_EQ(holder_->exit_code(), 0) << Slurp(Work("holder.err"));
    }
    // A killed mount leaves its mountpoint dead until it is detached.
    if (holder_kind_ == Holder::kMount) RunRaw({"fusermount3", "-uz", Mountpoint()});
    holder_.reset();
    holder_kind_ = Holder::kNone;
  }
  std::string Mountpoint() { return dir_.Sub("mnt"); }

  // --- one iteration -----------------------------------------------------

  enum class Kind { kFile, kTree };
  struct Op {
    Kind kind;
    std::string target;                          // /c/fN or /t/tN
    std::map<std::string, std::string> written;  // path -> sha of what it publishes
    std::string err;                             // the writer's stderr
    std::string door;                            // cli, python or fuse
    std::unique_ptr<Child> child = nullptr;
    std::optional<Clock::time_point> kill_at = std::nullopt;
    Clock::time_point started = Clock::now();
    bool killed = false;
  };

  Op PlanFile(int slot) {
    Op op{Kind::kFile,
          "/c/f" + std::to_string(slot),
          {},
          Work("w" + std::to_string(slot) + ".err"),
          "cli"};
    std::string local = Work("src/f" + std::to_string(slot));
    // Now and then the bytes of another file: deduplicated blocks that the
    // background collector may be claiming.
    std::string sha;
    if (!model_.empty() && rng_() % 10 == 0) {
      auto it = std::next(model_.begin(), static_cast<long>(rng_() % model_.size()));
      std::string copy = Work("copy");
      // An empty body leaves no output file: then a fresh body is written.
      std::error_code missing;
      if (RunNokv({"cat", it->first}, copy)->exit_code() == 0) {
        std::filesystem::rename(copy, local, missing);
        if (!missing) sha = it->second;
      }
    }
    if (sha.empty()) sha = WriteLocal(local, Body());
    op.written[op.target] = sha;
    std::vector<std::string> doors = {"cli"};
    if (!python_path_.empty()) doors.push_back("python");
    // Through a mount, half the writers use it.
    bool fuse = holder_kind_ == Holder::kMount && rng_() % 2 == 0;
    op.door = fuse ? "fuse" : doors[rng_() % doors.size()];
    ++figures_.doors[op.door];
    if (op.door == "python") {
      // A training script: streams the file into a replace, published on close.
      std::vector<std::string> argv = Python3Argv();
      argv.insert(argv.end(), {"-c", kPythonWriter, dir_.Sub("data"), local, op.target});
      op.child = StartRaw(argv, "/dev/null", op.err);
    } else if (op.door == "fuse") {
      // The atomic-save idiom: a temporary name, then rename(2) over the target.
      std::string tmp = Mountpoint() + "/x/tmp" + std::to_string(slot);
      op.child = StartRaw({"sh", "-c", "cp \"$1\" \"$2\" && mv \"$2\" \"$3\"", "sh", local, tmp,
                           Mountpoint() + op.target},
                          "/dev/null", op.err);
    } else {
      std::vector<std::string> args = {"put", local, op.target};
      if (model_.contains(op.target)) args.insert(args.begin() + 1, "--replace");
      op.child = Start(args, "/dev/null", op.err);
    }
    return op;
  }

  Op PlanTree(int slot) {
    Op op{Kind::kTree,
          "/t/t" + std::to_string(slot),
          {},
          Work("t" + std::to_string(slot) + ".err"),
          "cli"};
    ++figures_.doors["cli"];
    std::string local = Work("tree" + std::to_string(slot));
    std::filesystem::remove_all(local);
    int files = 1 + static_cast<int>(rng_() % 12);
    for (int i = 0; i < files; ++i) {
      // Names from a small pool, so later trees change earlier files.
      std::string rel = (rng_() % 3 == 0 ? "sub/r" : "r") + std::to_string(rng_() % 16);
      op.written[op.target + "/" + rel] = WriteLocal(local + "/" + rel, Body());
    }
    op.child = Start({"put", local, op.target}, "/dev/null", op.err);
    return op;
  }

  // Milliseconds an uninterrupted writer of `kind` took, on average.
  double& Typical(Kind kind) { return typical_ms_[static_cast<int>(kind)]; }

  void RunIteration() {
    ++figures_.iterations;
    // The holder for this iteration: kept, or changed (stopped cleanly or killed).
    std::vector<Holder> holders = {Holder::kNone, Holder::kServe};
    if (fuse_) holders.push_back(Holder::kMount);
    Holder wanted = holders[rng_() % holders.size()];
    if (wanted != holder_kind_) {
      StopHolder(rng_() % 4 == 0 ? SIGKILL : SIGTERM);
      StartHolder(wanted);
      if (HasFatalFailure()) return;
    }

    std::vector<Op> ops;
    std::set<int> files, trees;
    int count = 1 + static_cast<int>(rng_() % 3);
    for (int i = 0; i < count; ++i) {
      if (rng_() % 3 == 0) {
        int slot = static_cast<int>(rng_() % 6);
        if (trees.insert(slot).second) ops.push_back(PlanTree(slot));
      } else {
        int slot = static_cast<int>(rng_() % 48);
        if (files.insert(slot).second) ops.push_back(PlanFile(slot));
      }
    }
    auto now = Clock::now();
    for (Op& op : ops) {
      op.started = now;
      ++figures_.publishes;
      // Three in four writers are killed, somewhere within their usual run.
      if (rng_() % 4 != 0) {
        double ms = std::uniform_real_distribution<double>(0, 1.3 * Typical(op.kind))(rng_);
        op.kill_at = now + std::chrono::microseconds(static_cast<int64_t>(ms * 1000));
      }
    }
    auto server_kill_at = Clock::time_point::max();  // max: not killed
    if (holder_ && rng_() % 3 == 0) {
      double ms = std::uniform_real_distribution<double>(0, Typical(Kind::kTree))(rng_);
      server_kill_at = now + std::chrono::microseconds(static_cast<int64_t>(ms * 1000));
    }
    bool restart_mid_run = rng_() % 2 == 0;

    // Drive: kill what is due, reap what ended.
    for (;;) {
      bool all_done = true;
      auto t = Clock::now();
      for (Op& op : ops) {
        if (op.child->Poll()) continue;
        all_done = false;
        if (op.kill_at && t >= *op.kill_at) {
          op.child->Kill(SIGKILL);
          op.child->Wait();
          op.killed = op.child->exit_code() == 128 + SIGKILL;
        }
      }
      if (t >= server_kill_at) {
        server_kill_at = Clock::time_point::max();
        ++figures_.server_kills;
        Holder killed = holder_kind_;
        StopHolder(SIGKILL);
        // A new holder while the writers go on: they move to it.
        if (restart_mid_run && !all_done) {
          ++figures_.server_restarts_mid_run;
          StartHolder(killed);
          if (HasFatalFailure()) return;
        }
      }
      if (all_done) break;
      std::this_thread::sleep_for(Millis(1));
    }

    for (Op& op : ops) {
      int code = op.child->exit_code();
      bool acknowledged = code == 0;
      if (acknowledged) {
        ++figures_.acknowledged;
        double elapsed =
            std::chrono::duration<double, std::milli>(Clock::now() - op.started).count();
        Typical(op.kind) = 0.8 * Typical(op.kind) + 0.2 * elapsed;
      } else if (op.killed) {
        ++figures_.writers_killed;
      } else {
        ++figures_.failed;
        std::string err = Slurp(op.err);
        figures_.errors.insert(err.substr(0, err.find('\n')));
      }
      VerifyOp(op, acknowledged);
      if (HasFailure()) return;
    }
  }

  // Reads a tree back: path -> sha of every file under `target`; nullopt if
  // the target does not exist.
  std::optional<std::map<std::string, std::string>> ReadTree(const std::string& target) {
    std::string local = Work("readback");
    std::filesystem::remove_all(local);
    auto get = RunNokv({"get", target, local});
    if (get->exit_code() == 3) return std::nullopt;
    EXPECT_EQ(get->exit_code(), 0) << "get " << target << ": " << Slurp(Err());
    std::map<std::string, std::string> found;
    if (!std::filesystem::exists(local)) return found;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(local)) {
      if (!entry.is_regular_file()) continue;
      std::string rel = entry.path().string().substr(local.size());
      found[target + rel] = FileDigest(entry.path().string());
      figures_.bytes_verified += entry.file_size();
    }
    return found;
  }

  // The model's files under `target`.
  std::map<std::string, std::string> ModelUnder(const std::string& target) {
    std::map<std::string, std::string> under;
    for (auto it = model_.lower_bound(target + "/");
         it != model_.end() && it->first.starts_with(target + "/"); ++it) {
      under.insert(*it);
    }
    if (auto it = model_.find(target); it != model_.end()) under.insert(*it);
    return under;
  }

  void VerifyOp(const Op& op, bool acknowledged) {
    std::map<std::string, std::string> before = ModelUnder(op.target);
    std::map<std::string, std::string> after = before;
    for (const auto& [path, sha] : op.written) after[path] = sha;
    std::map<std::string, std::string> seen;
    if (op.kind == Kind::kFile) {
      std::string out = Work("readback.bin");
      auto cat = RunNokv({"cat", op.target}, out);
      if (cat->exit_code() == 0) {
        seen[op.target] = FileDigest(out);
        figures_.bytes_verified += std::filesystem::file_size(out);
      } else {
        ASSERT_EQ(cat->exit_code(), 3) << "cat " << op.target << ": " << Slurp(Err());
      }
    } else {
      seen = ReadTree(op.target).value_or(std::map<std::string, std::string>{});
    }
    if (seen == after) {
      if (!acknowledged) ++figures_.killed_landed;
    } else if (acknowledged || seen != before) {
      ++figures_.lost;
      ADD_FAILURE() << op.target << (acknowledged ? " was acknowledged" : " was interrupted")
                    << " but reads back as neither its old nor its new state (seed " << seed_
                    << ", iteration " << figures_.iterations << ")";
    }
    for (const auto& [path, sha] : before) model_.erase(path);
    for (const auto& [path, sha] : seen) model_[path] = sha;
  }

  // --- the quiescent check -----------------------------------------------

  // `nokv fsck --json` with every orphan past the grace: the findings by kind.
  std::map<std::string, int> Fsck() {
    std::string out = Work("fsck.json");
    auto fsck = RunNokv({"--json", "--orphan-grace", "0s", "fsck"}, out);
    EXPECT_TRUE(fsck->exit_code() == 0 || fsck->exit_code() == 6) << Slurp(Err());
    auto report = nlohmann::json::parse(Slurp(out), nullptr, false);
    std::map<std::string, int> counts;
    if (report.is_discarded()) {
      ADD_FAILURE() << "fsck printed no JSON: " << Slurp(out) << Slurp(Err());
      return counts;
    }
    for (const auto& [kind, n] : report["counts"].items()) counts[kind] = n.get<int>();
    EXPECT_EQ(report["clean"].get<bool>(), counts.empty()) << report.dump();
    return counts;
  }

  void QuiescentCheck() {
    ++figures_.checks;
    StopHolder(rng_() % 3 == 0 ? SIGKILL : SIGTERM);
    // Only uploads of killed writers may be unreferenced; nothing dangles.
    std::map<std::string, int> before = Fsck();
    for (const auto& [kind, n] : before) {
      EXPECT_EQ(kind, "leaked_block") << n << " findings (seed " << seed_ << ")";
    }
    figures_.orphans_reclaimed += before["leaked_block"];
    // A collection killed part way, then one that finishes the job.
    if (rng_() % 2 == 0) {
      auto gc = Start({"--orphan-grace", "0s", "gc"}, "/dev/null", Err());
      std::this_thread::sleep_for(Millis(rng_() % 40));
      gc->Kill(SIGKILL);
      gc->Wait();
      if (gc->exit_code() == 128 + SIGKILL) ++figures_.gc_kills;
    }
    auto gc = RunNokv({"--orphan-grace", "0s", "gc"});
    EXPECT_EQ(gc->exit_code(), 0) << Slurp(Err());
    EXPECT_TRUE(Fsck().empty()) << "fsck not clean after gc (seed " << seed_ << ")";
    // The whole namespace equals the model.
    std::map<std::string, std::string> all;
    for (const char* root : {"/c", "/t"}) {
      if (auto found = ReadTree(root)) all.insert(found->begin(), found->end());
    }
    if (all != model_) {
      ++figures_.lost;
      ADD_FAILURE() << "namespace differs from the model: " << all.size() << " files vs "
                    << model_.size() << " (seed " << seed_ << ")";
    }
  }

  void Report() {
    std::ostringstream row;
    row << "| " << figures_.iterations << " | " << figures_.publishes << " | "
        << figures_.acknowledged << " | " << figures_.writers_killed << " | " << figures_.failed
        << " | " << figures_.killed_landed << " | " << figures_.server_kills << " ("
        << figures_.server_restarts_mid_run << " restarted mid-run) | " << figures_.gc_kills
        << " | " << figures_.checks << " | " << figures_.orphans_reclaimed << " | "
        << figures_.bytes_verified / (1 << 20) << " MiB | " << figures_.lost << " | " << seed_
        << " |";
    ReportFigures(
        "kill campaign: iterations | publishes | acknowledged | writers killed | failed | "
        "interrupted but landed | server kills | gc kills | checks | orphans reclaimed | "
        "verified | lost | seed",
        row.str());
    for (const auto& [door, n] : figures_.doors) std::cout << "  " << door << ": " << n << "\n";
    std::cout << "  unmounts refused by fusermount3: " << figures_.unmount_refused << "\n";
    for (const auto& e : figures_.errors) std::cout << "  writer error: " << e << "\n";
  }

  TempDir dir_;
  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  std::map<std::string, std::string> model_;  // path -> sha of every file
  std::unique_ptr<Child> holder_;
  Holder holder_kind_ = Holder::kNone;
  bool fuse_ = false;        // /dev/fuse is there: the mount is a holder and a door
  std::string python_path_;  // the built Python package: Python is a door
  double typical_ms_[2] = {60, 120};
  Figures figures_;
};

TEST_F(KillCampaignTest, WritersAndServerKilledAtRandomPointsLoseNothingAcknowledged) {
  int iterations = CampaignIterations(12);
  int check_every = std::max(4, std::min(25, iterations / 3));
  for (int i = 1; i <= iterations && !HasFailure(); ++i) {
    RunIteration();
    if (!HasFailure() && (i % check_every == 0 || i == iterations)) QuiescentCheck();
  }
  Report();
  EXPECT_EQ(figures_.lost, 0);
  // The campaign did what it claims: kills landed and publishes were acknowledged.
  EXPECT_GT(figures_.acknowledged, 0);
  EXPECT_GT(figures_.writers_killed, 0);
}

}  // namespace
}  // namespace nokv::testing
