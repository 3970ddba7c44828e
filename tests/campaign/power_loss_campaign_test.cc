// The power-loss campaign of issue #19 (docs/reliability.md, "Power-loss
// campaign"): one data directory lives through many simulated power losses.
// Each iteration opens it over a FaultInjectionEnv (the engine's WAL and
// checkpoints and the local object store's blocks alike), runs random work
// (streamed writes, replacements, multi-file tree publishes, renames,
// removals, snapshots, collections and checkpoints) and dies after a random
// number of file-system mutations; the disk is then cut back to what a power
// loss could leave (unsynced tails dropped or torn, unsynced creations and
// renames undone). Reopened, every acknowledged change must be there with the
// right SHA-256, the change in flight whole or absent, every snapshot as it
// was taken; fsck may find only the uploads of the interrupted change, and
// after gc it must be clean.
//
//   NOKV_CAMPAIGN_ITERATIONS  power losses (default 25: the smoke run)
//   NOKV_CAMPAIGN_SEED        random seed (default: from the clock, printed)
//   NOKV_CAMPAIGN_REPORT      file to append the figures to (a markdown row)
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "campaign.h"
#include "common/fault_env.h"
#include "common/sha256.h"
#include "fs/filesystem.h"
#include "fs/local_metadata.h"
#include "meta/fsck.h"
#include "meta/meta_service.h"
#include "object/local_store.h"
#include "test_dir.h"

namespace nokv::testing {
namespace {

using Files = std::map<std::string, std::string>;  // path -> SHA-256 hex of its bytes

struct Figures {
  int iterations = 0;
  int64_t mutations = 0;  // file-system mutations made before the power losses
  int torn = 0;           // losses that kept a random prefix of unsynced tails
  int acknowledged = 0;   // changes that returned success
  int interrupted = 0;    // the change in flight at the loss
  int interrupted_landed = 0;
  int snapshots_checked = 0;
  int orphans_reclaimed = 0;
  uint64_t bytes_verified = 0;
  int lost = 0;
};

class PowerLossCampaignTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = CampaignSeed();
    rng_.seed(seed_);
    std::filesystem::create_directories(dir_.Sub("local"));
  }

  // The filesystem over `env` (engine and blocks), small blocks and WAL
  // segments so that a few changes cross many sync and rotation points.
  std::unique_ptr<fs::Filesystem> Open(Env* env) {
    object::LocalStoreOptions store_options;
    store_options.env = env;
    auto store = object::LocalStore::Open(dir_.Sub("objects"), store_options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return nullptr;
    fs::FilesystemParts parts;
    parts.store = store->get();
    parts.stores.push_back(std::move(store).value());
    meta::MetaOptions options;
    options.engine.env = env;
    options.engine.background_work = false;
    options.engine.wal_segment_bytes = 16 << 10;
    options.orphan_grace = std::chrono::seconds(0);  // nothing else writes here
    auto metadata = fs::LocalMetadata::Open(dir_.Sub("meta"), options, parts.store, 4);
    EXPECT_TRUE(metadata.ok()) << metadata.status().ToString();
    if (!metadata.ok()) return nullptr;
    parts.metadata = std::move(metadata).value();
    parts.io_threads = 4;
    parts.block_size = 4096;
    return std::make_unique<fs::Filesystem>(std::move(parts));
  }

  std::string Body() {
    size_t size = rng_() % 4 == 0 ? rng_() % (64 << 10) : rng_() % 6000;
    std::string bytes(size, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng_());
    return bytes;
  }
  static std::string Hex(std::string_view bytes) { return DigestHex(Sha256::Of(bytes)); }

  // --- the work ----------------------------------------------------------

  // One random change, and the state it leads to if it lands.
  struct Change {
    Files after;                             // the whole namespace once it landed
    std::map<std::string, Files> snapshots;  // ... and the snapshots
    std::string what;
  };

  // Applies one random change to `fs`; fills in the namespace and snapshots
  // it leads to. Ok when it was acknowledged.
  Status Apply(fs::Filesystem& fs, Change* change) {
    change->after = model_;
    change->snapshots = snapshots_;
    int kind = static_cast<int>(rng_() % 20);
    if (kind < 7) {  // a streamed write: a new file or a replacement
      std::string path = "/p/f" + std::to_string(rng_() % 24);
      std::string body = Body();
      change->what = "write " + path;
      fs::WriteOptions options;
      options.mode = meta::PublishMode::kReplace;
      auto writer = fs.OpenWriter(path, options);
      if (!writer.ok()) return writer.status();
      for (size_t at = 0; at < body.size(); at += 1000) {
        NOKV_RETURN_IF_ERROR((*writer)->Append(std::string_view(body).substr(at, 1000)));
      }
      change->after[path] = Hex(body);
      return (*writer)->Commit().status();
    }
    if (kind < 11) {  // a tree: several files in one commit
      std::string root = "/q/t" + std::to_string(rng_() % 4);
      change->what = "tree " + root;
      std::vector<fs::TreeFile> files;
      std::set<std::string> names;
      int n = 1 + static_cast<int>(rng_() % 6);
      for (int i = 0; i < n; ++i) {
        std::string name = "r" + std::to_string(rng_() % 10);
        if (!names.insert(name).second) continue;
        std::string body = Body();
        std::string local = dir_.Sub("local/" + name);
        std::ofstream(local, std::ios::binary) << body;
        files.push_back({root + "/" + name, local});
        change->after[root + "/" + name] = Hex(body);
      }
      fs::WriteOptions options;
      options.mode = meta::PublishMode::kReplace;
      return fs.PutTree(files, options).status();
    }
    if (kind < 13 && !model_.empty()) {  // a rename over a name or to a new one
      auto from = std::next(model_.begin(), static_cast<long>(rng_() % model_.size()))->first;
      std::string to = "/p/f" + std::to_string(rng_() % 24);
      if (from == to) return Checkpoint(fs, change);
      change->what = "rename " + from + " " + to;
      change->after[to] = change->after[from];
      change->after.erase(from);
      return fs.Rename(from, to, meta::RenameMode::kReplace);
    }
    if (kind < 15 && !model_.empty()) {  // a removal
      auto path = std::next(model_.begin(), static_cast<long>(rng_() % model_.size()))->first;
      change->what = "remove " + path;
      change->after.erase(path);
      return fs.Remove(path, false);
    }
    if (kind < 17) {  // a snapshot taken or retired
      std::string name = "s" + std::to_string(rng_() % 3);
      if (snapshots_.contains(name)) {
        change->what = "retire " + name;
        change->snapshots.erase(name);
        return fs.RetireSnapshot(name);
      }
      change->what = "snapshot " + name;
      change->snapshots[name] = model_;
      return fs.CreateSnapshot(name, "/", 0).status();
    }
    if (kind < 19) {  // a collection
      change->what = "gc";
      return fs.CollectGarbage().status();
    }
    return Checkpoint(fs, change);
  }
  Status Checkpoint(fs::Filesystem& fs, Change* change) {
    change->what = "checkpoint";
    return fs.metadata()->Checkpoint();
  }

  // --- the checks ----------------------------------------------------------

  // Every file under "/" (or a snapshot) with the digest of its bytes.
  Files ReadAll(fs::Filesystem& fs, const fs::ReadAt& at = {}) {
    Files files;
    std::vector<std::string> dirs = {"/"};
    while (!dirs.empty()) {
      std::string dir = dirs.back();
      dirs.pop_back();
      std::string after;
      for (;;) {
        auto page = fs.List(dir, after, 256, at);
        if (!page.ok()) {
          ADD_FAILURE() << "list " << dir << ": " << page.status().ToString();
          return files;
        }
        for (const auto& entry : page->entries) {
          std::string path = (dir == "/" ? "" : dir) + "/" + entry.name;
          if (entry.type == meta::FileType::kDirectory) {
            dirs.push_back(path);
            continue;
          }
          auto reader = fs.OpenReader(path, at);
          std::string bytes;
          Status read =
              reader.ok() ? (*reader)->Read(0, (*reader)->size(), &bytes) : reader.status();
          if (!read.ok()) {
            ADD_FAILURE() << "read " << path << ": " << read.ToString() << " (seed " << seed_
                          << ")";
            continue;
          }
          figures_.bytes_verified += bytes.size();
          files[path] = Hex(bytes);
        }
        if (!page->more || page->entries.empty()) break;
        after = page->entries.back().name;
      }
    }
    return files;
  }

  // Reopened after the loss: the namespace and the snapshots are the state
  // before the change in flight or after it; fsck, gc, fsck.
  void CheckAfterLoss(const std::optional<Change>& in_flight) {
    auto fs = Open(Env::Default());
    ASSERT_NE(fs, nullptr);
    Files found = ReadAll(*fs);
    auto listed = fs->ListSnapshots();
    ASSERT_TRUE(listed.ok()) << listed.status().ToString();
    std::set<std::string> names;
    for (const auto& s : *listed) names.insert(s.name);
    auto names_of = [](const std::map<std::string, Files>& snapshots) {
      std::set<std::string> keys;
      for (const auto& [name, files] : snapshots) keys.insert(name);
      return keys;
    };
    // The acknowledged state, or that with the change in flight: never a mix.
    bool old_state = found == model_ && names == names_of(snapshots_);
    bool landed = !old_state && in_flight && found == in_flight->after &&
                  names == names_of(in_flight->snapshots);
    if (!old_state && !landed) {
      ++figures_.lost;
      ADD_FAILURE() << "after the loss the state is neither the acknowledged one nor that plus "
                    << (in_flight ? in_flight->what : "nothing") << ": " << found.size()
                    << " files vs " << model_.size() << ", " << names.size() << " snapshots vs "
                    << snapshots_.size() << " (seed " << seed_ << ", iteration "
                    << figures_.iterations << ")";
      return;
    }
    if (landed) {
      ++figures_.interrupted_landed;
      model_ = in_flight->after;
      snapshots_ = in_flight->snapshots;
    }
    // Every snapshot reads as it was taken.
    for (const auto& [name, files] : snapshots_) {
      ++figures_.snapshots_checked;
      fs::ReadAt at;
      at.snapshot = name;
      EXPECT_EQ(ReadAll(*fs, at), files) << "snapshot " << name << " (seed " << seed_ << ")";
    }

    meta::FsckOptions options;
    auto report = fs->Fsck(options);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    for (const auto& finding : report->findings) {
      EXPECT_EQ(finding.kind, meta::FsckKind::kLeakedBlock)
          << meta::FsckKindName(finding.kind) << " " << finding.subject << ": " << finding.detail
          << " (seed " << seed_ << ", iteration " << figures_.iterations << ")";
      figures_.orphans_reclaimed += finding.kind == meta::FsckKind::kLeakedBlock;
    }
    ASSERT_TRUE(fs->CollectGarbage().ok());
    auto again = fs->Fsck(options);
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->findings.empty())
        << again->findings.size() << " findings after gc, first "
        << meta::FsckKindName(again->findings.front().kind) << " (seed " << seed_ << ")";
    // What gc kept still reads back.
    EXPECT_EQ(ReadAll(*fs), model_) << "after gc (seed " << seed_ << ")";
  }

  void RunIteration() {
    ++figures_.iterations;
    FaultInjectionEnv env(Env::Default());
    std::optional<Change> in_flight;
    {
      auto fs = Open(&env);
      ASSERT_NE(fs, nullptr);
      for (const char* dir : {"/p", "/q"}) ASSERT_TRUE(fs->Mkdir(dir, true).ok());
      int64_t budget = static_cast<int64_t>(rng_() % 400);
      int64_t start = env.mutating_ops();
      env.CrashAfter(budget);
      for (int step = 0; step < 40; ++step) {
        Change change;
        Status applied = Apply(*fs, &change);
        if (!applied.ok()) {
          // Only the power loss may stop a change.
          ASSERT_TRUE(env.crashed()) << change.what << ": " << applied.ToString();
          ++figures_.interrupted;
          in_flight = std::move(change);
          break;
        }
        ++figures_.acknowledged;
        model_ = change.after;
        snapshots_ = change.snapshots;
      }
      figures_.mutations += env.mutating_ops() - start;
    }
    bool torn = rng_() % 2 == 0;
    figures_.torn += torn;
    ASSERT_TRUE(env.SimulateCrash(torn ? std::optional<uint32_t>(static_cast<uint32_t>(rng_()))
                                       : std::nullopt)
                    .ok());
    CheckAfterLoss(in_flight);
  }

  void Report() {
    std::ostringstream row;
    row << "| " << figures_.iterations << " | " << figures_.mutations << " | " << figures_.torn
        << " | " << figures_.acknowledged << " | " << figures_.interrupted << " ("
        << figures_.interrupted_landed << " landed) | " << figures_.snapshots_checked << " | "
        << figures_.orphans_reclaimed << " | " << figures_.bytes_verified / (1 << 20) << " MiB | "
        << figures_.lost << " | " << seed_ << " |";
    ReportFigures(
        "power-loss campaign: losses | mutations | torn | acknowledged | interrupted | "
        "snapshots checked | orphans reclaimed | verified | lost | seed",
        row.str());
  }

  TempDir dir_;
  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  Files model_;                             // every acknowledged file
  std::map<std::string, Files> snapshots_;  // every acknowledged snapshot
  Figures figures_;
};

TEST_F(PowerLossCampaignTest, AcknowledgedChangesAndSnapshotsSurviveEveryPowerLoss) {
  int iterations = CampaignIterations(25);
  for (int i = 0; i < iterations && !HasFailure(); ++i) RunIteration();
  Report();
  EXPECT_EQ(figures_.lost, 0);
  EXPECT_GT(figures_.acknowledged, 0);
  EXPECT_GT(figures_.interrupted, 0);
}

}  // namespace
}  // namespace nokv::testing
