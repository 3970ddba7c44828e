#include "common/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>

namespace nokv {
namespace {

TEST(ThreadPoolTest, RunsEveryTaskBeforeDestruction) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(3);
    for (int i = 0; i < 1000; ++i) pool.Schedule([&] { ran.fetch_add(1); });
  }
  EXPECT_EQ(ran.load(), 1000);
}

TEST(ThreadPoolTest, WaitGroupWaitsForScheduledWork) {
  ThreadPool pool(2);
  WaitGroup wg;
  std::atomic<int> sum{0};
  for (int i = 1; i <= 100; ++i) {
    wg.Add();
    pool.Schedule([&, i] {
      sum.fetch_add(i);
      wg.Done();
    });
  }
  wg.Wait();
  EXPECT_EQ(sum.load(), 5050);
}

}  // namespace
}  // namespace nokv
