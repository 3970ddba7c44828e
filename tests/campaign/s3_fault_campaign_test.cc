// The object-store fault campaign of issue #19 (docs/reliability.md,
// "Object-store fault campaign"): a data directory on the real RGW, reached
// through a fault-injecting TCP proxy (tests/object/fault_proxy.h). While a
// share of all connections is reset mid-request, answered 500, 503 SlowDown
// or 429, cut off mid-response or held back, the `nokv` binary puts files,
// replaces them, puts trees and reads them back; then the store goes away
// altogether (every connection refused) while puts and reads run, and comes
// back. Every command must either succeed with the right bytes or fail with
// a clear error (exit 1, a `nokv:` message, no crash) within a time bound;
// once the faults clear, every acknowledged file reads back by SHA-256, and
// fsck finds only orphans, which gc takes.
//
//   NOKV_CAMPAIGN_ITERATIONS  operations under faults (default 24: the smoke run)
//   NOKV_CAMPAIGN_SEED        random seed (default: from the clock, printed)
//   NOKV_CAMPAIGN_REPORT      file to append the figures to (a markdown row)
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "campaign.h"
#include "child_process.h"
#include "object/fault_proxy.h"
#include "object/rgw_env.h"
#include "test_dir.h"

namespace nokv::testing {
namespace {

using Clock = std::chrono::steady_clock;
using object::testing::FaultProxy;

// No command may take longer than this, whatever the store does.
constexpr auto kCommandBound = std::chrono::seconds(120);

struct Figures {
  int operations = 0;
  int acknowledged = 0;  // puts that exited 0
  int failed = 0;        // commands that failed with a clear error
  int reads = 0;         // cats that exited 0 (each checked by SHA-256)
  int outages = 0;
  int outage_commands_ok = 0;
  uint64_t bytes_verified = 0;
  int orphans_reclaimed = 0;
  int lost = 0;
  double slowest_s = 0;
  std::set<std::string> errors;  // first lines of the clear errors seen
};

class S3FaultCampaignTest : public ::testing::Test {
 protected:
  void SetUp() override {
    object::testing::RequireRgw();
    if (HasFatalFailure()) return;
    seed_ = CampaignSeed();
    rng_.seed(seed_);
    auto vars = object::testing::ReadEnvFile();
    for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"}) {
      ::setenv(name, vars[name].c_str(), 1);
    }
    std::string endpoint = vars["NOKV_S3_ENDPOINT"];
    proxy_ = std::make_unique<FaultProxy>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
    std::filesystem::create_directories(dir_.Sub("work"));
    // Small blocks: every file is several objects, every read several GETs.
    auto init = Nokv({"init", "--object-store", "s3", "--s3-endpoint",
                      "http://127.0.0.1:" + std::to_string(proxy_->port()), "--s3-bucket",
                      vars["NOKV_S3_BUCKET"], "--s3-prefix", object::testing::UniquePrefix(),
                      "--block-size", "64KiB"});
    ASSERT_EQ(init.code, 0) << init.err;
  }

  struct Run {
    int code = -1;
    std::string err;
    double seconds = 0;
  };
  std::string Work(const std::string& name) { return dir_.Sub("work/" + name); }
  std::unique_ptr<Child> Start(std::vector<std::string> args, const std::string& out) {
    args.insert(args.begin(), {NOKV_BINARY, "--data-dir", dir_.Sub("data"), "-q"});
    return std::make_unique<Child>(std::move(args), out, Work("err"));
  }
  // Runs a command to its end, bounded; stdout to `out`.
  Run Nokv(std::vector<std::string> args, const std::string& out = "/dev/null") {
    auto start = Clock::now();
    auto child = Start(std::move(args), out);
    while (!child->Poll()) {
      if (Clock::now() - start > kCommandBound) {
        ADD_FAILURE() << "a command ran past " << kCommandBound.count() << " s (seed " << seed_
                      << ")";
        child->Kill(SIGKILL);
        child->Wait();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    Run run{child->exit_code(), Slurp(Work("err")),
            std::chrono::duration<double>(Clock::now() - start).count()};
    figures_.slowest_s = std::max(figures_.slowest_s, run.seconds);
    return run;
  }

  // A failure must be an error the user can read: exit 1, a nokv: line, no
  // crash, no signal.
  void ExpectClearError(const Run& run, const std::string& what) {
    ++figures_.failed;
    EXPECT_EQ(run.code, 1) << what << ": " << run.err;
    EXPECT_TRUE(run.err.starts_with("nokv: ")) << what << ": " << run.err;
    EXPECT_EQ(run.err.find("terminate called"), std::string::npos) << run.err;
    figures_.errors.insert(run.err.substr(0, run.err.find('\n')));
  }

  std::string WriteLocal(const std::string& path) {
    size_t size = rng_() % 3 == 0 ? rng_() % (1 << 20) : rng_() % (96 << 10);
    std::string bytes(size, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng_());
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
    return DigestHex(Sha256::Of(bytes));
  }

  // cat PATH: exit 0 with the model's bytes, or a clear error.
  void ReadBack(const std::string& path, bool must_succeed) {
    std::string out = Work("cat.out");
    Run cat = Nokv({"cat", path}, out);
    if (cat.code != 0) {
      EXPECT_FALSE(must_succeed) << "cat " << path << ": " << cat.err;
      ExpectClearError(cat, "cat " + path);
      return;
    }
    ++figures_.reads;
    figures_.bytes_verified += std::filesystem::file_size(out);
    // The acknowledged bytes, or those of a later put that failed (it may
    // have landed before its error).
    std::string found = FileDigest(out);
    if (found != model_[path] && !maybe_[path].contains(found)) {
      ++figures_.lost;
      ADD_FAILURE() << "cat " << path << " served bytes no put wrote (seed " << seed_ << ")";
    }
  }

  // One put (a file, a replacement or a tree) or read, under whatever the
  // proxy does now. A put that fails leaves the path old or new: the next
  // clear check decides.
  void Operation() {
    ++figures_.operations;
    int kind = static_cast<int>(rng_() % 10);
    if (kind < 3 && !model_.empty()) {
      auto it = std::next(model_.begin(), static_cast<long>(rng_() % model_.size()));
      ReadBack(it->first, false);
      return;
    }
    std::map<std::string, std::string> written;
    std::vector<std::string> args;
    if (kind < 8) {
      std::string path = "/s/f" + std::to_string(rng_() % 16);
      std::string local = Work("src/f");
      written[path] = WriteLocal(local);
      args = {"put", "--replace", local, path};
    } else {
      std::string root = "/t/t" + std::to_string(rng_() % 3);
      std::string local = Work("tree");
      std::filesystem::remove_all(local);
      int n = 1 + static_cast<int>(rng_() % 6);
      for (int i = 0; i < n; ++i) {
        std::string rel = "r" + std::to_string(rng_() % 8);
        written[root + "/" + rel] = WriteLocal(local + "/" + rel);
      }
      args = {"put", local, root};
    }
    Run put = Nokv(args);
    if (put.code == 0) {
      ++figures_.acknowledged;
      for (const auto& [path, sha] : written) {
        model_[path] = sha;
        maybe_.erase(path);
      }
    } else {
      ExpectClearError(put, args[0] + " " + args.back());
      for (const auto& [path, sha] : written) maybe_[path].insert(sha);
    }
  }

  // The store refuses every connection while a put and a read run; it comes
  // back after a random pause. Each finishes in bounds, with success or a
  // clear error, and nothing acknowledged before is touched.
  void Outage() {
    ++figures_.outages;
    std::string path = "/o/f" + std::to_string(figures_.outages);
    std::string local = Work("outage");
    std::string sha = WriteLocal(local);
    proxy_->Down(true);
    std::thread back([this, pause = std::chrono::milliseconds(rng_() % 3000)] {
      std::this_thread::sleep_for(pause);  // the length of the outage, not a synchronization
      proxy_->Down(false);
    });
    Run put = Nokv({"put", local, path});
    if (put.code == 0) {
      ++figures_.outage_commands_ok;
      ++figures_.acknowledged;
      model_[path] = sha;
      maybe_.erase(path);
    } else {
      ExpectClearError(put, "put during an outage");
      maybe_[path].insert(sha);
    }
    if (!model_.empty()) {
      auto it = std::next(model_.begin(), static_cast<long>(rng_() % model_.size()));
      ReadBack(it->first, false);
    }
    back.join();
  }

  // Faults off: every acknowledged file reads back; a failed put left its
  // path at an earlier state or at the whole new one.
  void CheckClear() {
    proxy_->Chaos(0, 0);
    proxy_->Down(false);
    for (const auto& [path, sha] : model_) ReadBack(path, true);
    for (const auto& [path, candidates] : maybe_) {
      if (model_.contains(path)) continue;
      std::string out = Work("maybe.out");
      Run cat = Nokv({"cat", path}, out);
      if (cat.code == 3) continue;  // never landed
      ASSERT_EQ(cat.code, 0) << cat.err;
      std::string found = FileDigest(out);
      if (!candidates.contains(found)) {
        ++figures_.lost;
        ADD_FAILURE() << path << " holds bytes no put wrote (seed " << seed_ << ")";
      }
    }
    std::string out = Work("fsck.json");
    Run fsck = Nokv({"--json", "--orphan-grace", "0s", "fsck"}, out);
    auto report = nlohmann::json::parse(Slurp(out), nullptr, false);
    ASSERT_FALSE(report.is_discarded()) << fsck.err;
    for (const auto& [kind, n] : report["counts"].items()) {
      EXPECT_EQ(kind, "leaked_block") << n << " (seed " << seed_ << ")";
      if (kind == "leaked_block") figures_.orphans_reclaimed += n.get<int>();
    }
    EXPECT_EQ(Nokv({"--orphan-grace", "0s", "gc"}).code, 0);
    Run clean = Nokv({"--orphan-grace", "0s", "fsck"});
    EXPECT_EQ(clean.code, 0) << clean.err;
  }

  void Report() {
    auto faults = proxy_->faults();
    std::ostringstream injected;
    int total = 0;
    for (int k = 0; k < FaultProxy::kFaultKinds; ++k) {
      total += faults[k];
      injected << (k ? ", " : "") << faults[k] << " " << FaultProxy::FaultName(k);
    }
    std::ostringstream row;
    row << "| " << figures_.operations << " | " << total << " (" << injected.str() << ") | "
        << figures_.outages << " (" << proxy_->refused() << " connections refused, "
        << figures_.outage_commands_ok << " puts rode it out) | " << figures_.acknowledged << " | "
        << figures_.reads << " | " << figures_.failed << " | " << figures_.slowest_s << " s | "
        << figures_.orphans_reclaimed << " | " << figures_.bytes_verified / (1 << 20) << " MiB | "
        << figures_.lost << " | " << seed_ << " |";
    ReportFigures(
        "s3 fault campaign: operations | faults | outages | acknowledged | reads | "
        "clear errors | slowest command | orphans reclaimed | verified | lost | seed",
        row.str());
    for (const auto& e : figures_.errors) std::cout << "  error: " << e << "\n";
  }

  TempDir dir_;
  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  std::unique_ptr<FaultProxy> proxy_;
  std::map<std::string, std::string> model_;  // acknowledged: path -> sha
  // Failed puts since the path's last acknowledged one: path -> shas.
  std::map<std::string, std::set<std::string>> maybe_;
  Figures figures_;
};

TEST_F(S3FaultCampaignTest, EveryCommandSucceedsOrFailsClearlyAndNothingAcknowledgedIsLost) {
  int iterations = CampaignIterations(24);
  proxy_->Chaos(0.25, seed_);
  for (int i = 1; i <= iterations && !HasFatalFailure(); ++i) {
    Operation();
    if (i % 8 == 0) Outage();
  }
  CheckClear();
  Report();
  EXPECT_EQ(figures_.lost, 0);
  EXPECT_GT(figures_.acknowledged, 0);
  int injected = 0;
  for (int n : proxy_->faults()) injected += n;
  EXPECT_GT(injected, 0);
}

}  // namespace
}  // namespace nokv::testing
