// CountingStore: requests, errors and body bytes per kind, and the hot-tier
// figures of a tiered store it wraps.
#include "object/counting_store.h"

#include <gtest/gtest.h>

#include "object/memory_store.h"
#include "object/tiered_store.h"
#include "test_dir.h"

namespace nokv::object {
namespace {

TEST(CountingStoreTest, CountsRequestsErrorsAndBytesPerKind) {
  MemoryStore inner;
  CountingStore store(&inner);
  EXPECT_FALSE(inner.Stats().counted);
  ASSERT_TRUE(store.Put("a", "12345").ok());
  ASSERT_TRUE(store.Put("b", "xy").ok());
  PutOptions exclusive;
  exclusive.if_none_match = true;
  EXPECT_EQ(store.Put("a", "zz", exclusive).code(), Code::kAlreadyExists);
  ASSERT_TRUE(store.Get("a").ok());
  ASSERT_TRUE(store.GetRange("a", ByteRange{1, 2}).ok());
  EXPECT_EQ(store.Get("missing").status().code(), Code::kNotFound);
  ASSERT_TRUE(store.Head("b").ok());
  ASSERT_TRUE(store.List(ListOptions{}).ok());
  std::vector<std::string> doomed = {"a", "b"};
  ASSERT_TRUE(store.DeleteMany(doomed).ok());
  ASSERT_TRUE(store.Sync({}).ok());

  StoreStats stats = store.Stats();
  EXPECT_TRUE(stats.counted);
  EXPECT_FALSE(stats.tiered);
  EXPECT_EQ(stats.op(StoreOp::kPut).requests, 3u);
  EXPECT_EQ(stats.op(StoreOp::kPut).errors, 1u);
  EXPECT_EQ(stats.op(StoreOp::kPut).bytes, 7u);  // refused bodies are not counted
  EXPECT_EQ(stats.op(StoreOp::kGet).requests, 3u);
  EXPECT_EQ(stats.op(StoreOp::kGet).errors, 1u);
  EXPECT_EQ(stats.op(StoreOp::kGet).bytes, 7u);  // 5 whole + 2 ranged
  EXPECT_EQ(stats.op(StoreOp::kHead).requests, 1u);
  EXPECT_EQ(stats.op(StoreOp::kList).requests, 1u);
  EXPECT_EQ(stats.op(StoreOp::kDelete).requests, 1u);
  EXPECT_EQ(stats.op(StoreOp::kSync).requests, 1u);
  EXPECT_EQ(inner.Head("a").status().code(), Code::kNotFound);  // passed through
}

TEST(CountingStoreTest, ReportsTheHotTierHitsAndMissesOfATieredStore) {
  nokv::testing::TempDir dir;
  MemoryStore cold;
  ASSERT_TRUE(cold.Put("k", "cold bytes").ok());
  auto tiered = TieredStore::Open(&cold, dir.path());
  ASSERT_TRUE(tiered.ok()) << tiered.status().ToString();
  CountingStore store(tiered->get());
  ASSERT_TRUE(store.Get("k").ok());  // miss: read through, fills the hot tier
  (*tiered)->WaitForFills();         // the fill lands in the background
  ASSERT_TRUE(store.Get("k").ok());  // hit
  ASSERT_TRUE(store.Get("k").ok());  // hit
  StoreStats stats = store.Stats();
  EXPECT_TRUE(stats.tiered);
  EXPECT_EQ(stats.hot_misses, 1u);
  EXPECT_EQ(stats.hot_hits, 2u);
  EXPECT_EQ(stats.op(StoreOp::kGet).requests, 3u);
}

TEST(CountingStoreTest, OperationNamesAreMetricLabels) {
  EXPECT_STREQ(StoreOpName(StoreOp::kPut), "put");
  EXPECT_STREQ(StoreOpName(StoreOp::kDelete), "delete");
  EXPECT_STREQ(StoreOpName(StoreOp::kSync), "sync");
}

}  // namespace
}  // namespace nokv::object
