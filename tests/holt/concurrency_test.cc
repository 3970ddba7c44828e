// Readers, writers, checkpoints and sweeps running together. Run it under the
// tsan preset too (README). Each writer batch sets two keys of a pair to the
// same value and bumps a counter, so a reader that ever sees a half-applied
// batch, a view that changes under it, or a sequence that goes backwards
// fails the test.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <random>
#include <thread>

#include "engine_test_util.h"

namespace nokv::holt {
namespace {

TEST(ConcurrencyTest, ReadersSeeAtomicBatchesWhileWritersAndCheckpointsRun) {
  nokv::testing::TempDir dir(nokv::testing::TempDir::InMemoryBase());
  Options options = testing::TestOptions();
  options.background_work = true;
  options.checkpoint_wal_bytes = 64 << 10;  // frequent background checkpoints
  options.wal_segment_bytes = 32 << 10;
  auto opened = Engine::Open(dir.path(), options);
  ASSERT_TRUE(opened.ok());
  Engine& engine = **opened;

  // The run is bounded by work, not time: writers commit a fixed number of
  // batches, explicit checkpoints are spread over their progress, and
  // readers run until both are done.
  constexpr int kWriters = 2, kReaders = 2;
  constexpr uint64_t kCommitsPerWriter = 5000;
  constexpr uint64_t kTotalCommits = kWriters * kCommitsPerWriter;
  constexpr int kCheckpoints = 5;
  std::latch start(kWriters + kReaders + 1);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::mutex progress_mu;
  std::condition_variable progress_cv;
  uint64_t commits = 0;  // guarded by progress_mu
  auto writer = [&](int id) {
    std::mt19937 rng(id);
    start.arrive_and_wait();
    for (uint64_t i = 0; i < kCommitsPerWriter; ++i) {
      std::string pair = std::to_string(rng() % 50);
      std::string value = std::to_string(id) + ":" + std::to_string(i);
      Batch b;
      b.Put("pair/a/" + pair, value);
      b.Put("pair/b/" + pair, value);
      if (rng() % 5 == 0) {
        b.Delete("pair/a/" + std::to_string(rng() % 50));
      }
      if (!engine.Commit(b).ok()) failures++;
      {
        std::lock_guard lock(progress_mu);
        commits++;
      }
      progress_cv.notify_all();
    }
  };
  std::vector<uint64_t> reads(kReaders, 0);
  auto reader = [&](int id) {
    std::mt19937 rng(id + 100);
    uint64_t last_seen = 0;
    start.arrive_and_wait();
    do {
      ReadView view = engine.Pin();
      if (view.seq() < last_seen) failures++;
      last_seen = view.seq();
      std::string pair = std::to_string(rng() % 50);
      auto a = engine.Get("pair/a/" + pair, &view);
      auto b = engine.Get("pair/b/" + pair, &view);
      // A present "a" always has its twin; "b" may outlive a deleted "a".
      if (a.ok() && (!b.ok() || a->bytes != b->bytes)) failures++;
      ScanOptions o;
      o.prefix = "pair/b/";
      auto first = engine.Scan(o, &view);
      std::this_thread::yield();
      auto second = engine.Scan(o, &view);
      if (!first.ok() || !second.ok() || first->size() != second->size()) failures++;
      reads[id]++;
    } while (!stop.load());
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) threads.emplace_back(writer, i);
  for (int i = 0; i < kReaders; ++i) threads.emplace_back(reader, i);
  std::thread checkpointer([&] {
    start.arrive_and_wait();
    for (int k = 1; k <= kCheckpoints; ++k) {
      {
        std::unique_lock lock(progress_mu);
        progress_cv.wait(lock, [&] { return commits >= k * kTotalCommits / (kCheckpoints + 1); });
      }
      if (!engine.Checkpoint().ok()) failures++;
      engine.Sweep();
    }
  });
  for (int i = 0; i < kWriters; ++i) threads[static_cast<size_t>(i)].join();
  checkpointer.join();
  stop = true;
  for (size_t i = kWriters; i < threads.size(); ++i) threads[i].join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(commits, kTotalCommits);
  for (uint64_t n : reads) EXPECT_GT(n, 0u);
  EXPECT_GE(engine.GetStats().checkpoints, static_cast<uint64_t>(kCheckpoints));
  EXPECT_GE(engine.GetStats().commits, kTotalCommits);
}

TEST(ConcurrencyTest, GroupCommitOrdersConcurrentWriters) {
  nokv::testing::TempDir dir(nokv::testing::TempDir::InMemoryBase());
  auto opened = Engine::Open(dir.path(), testing::TestOptions());
  ASSERT_TRUE(opened.ok());
  Engine& engine = **opened;
  constexpr int kThreads = 8, kPerThread = 200;
  std::vector<std::vector<uint64_t>> seqs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Batch b;
        b.Put("t" + std::to_string(t), std::to_string(i));
        auto r = engine.Commit(b);
        if (r.ok()) seqs[t].push_back(*r);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<uint64_t> all;
  for (auto& s : seqs) {
    ASSERT_EQ(s.size(), static_cast<size_t>(kPerThread));
    EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
    all.insert(all.end(), s.begin(), s.end());
  }
  std::sort(all.begin(), all.end());
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], i + 1);  // dense, no duplicates
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(engine.Get("t" + std::to_string(t))->bytes, std::to_string(kPerThread - 1));
  }
  EXPECT_LE(engine.GetStats().commit_groups, engine.GetStats().commits);
}

}  // namespace
}  // namespace nokv::holt
