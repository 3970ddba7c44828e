// The ObjectStore conformance suite (see store_conformance.h).
#include "store_conformance.h"

#include <algorithm>
#include <random>
#include <thread>

namespace nokv::object::testing {

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

void StoreConformanceTest::TearDown() {
  if (store_ == nullptr) return;
  auto all = store_->List(ListOptions{});
  if (!all.ok()) return;
  std::vector<std::string> keys;
  for (const auto& info : all->objects) keys.push_back(info.key);
  (void)store_->DeleteMany(keys);
}

namespace {

std::vector<std::string> Keys(const ListResult& result) {
  std::vector<std::string> keys;
  for (const auto& info : result.objects) keys.push_back(info.key);
  return keys;
}

TEST_P(StoreConformanceTest, PutThenGetReturnsTheSameBytes) {
  std::string body = RandomBytes(100'000, 1);
  ASSERT_TRUE(store_->Put("dir/obj", body).ok());
  auto got = store_->Get("dir/obj");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, body);
}

TEST_P(StoreConformanceTest, EmptyBodyRoundTrips) {
  ASSERT_TRUE(store_->Put("empty", "").ok());
  auto got = store_->Get("empty");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "");
  auto head = store_->Head("empty");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, 0u);
}

TEST_P(StoreConformanceTest, MissingKeyIsNotFound) {
  EXPECT_TRUE(store_->Get("nope").status().Is(Code::kNotFound));
  EXPECT_TRUE(store_->GetRange("nope", ByteRange{0, 10}).status().Is(Code::kNotFound));
  EXPECT_TRUE(store_->Head("nope").status().Is(Code::kNotFound));
}

TEST_P(StoreConformanceTest, PutReplacesExistingObject) {
  ASSERT_TRUE(store_->Put("k", "first version").ok());
  ASSERT_TRUE(store_->Put("k", "second").ok());
  EXPECT_EQ(store_->Get("k").value(), "second");
  EXPECT_EQ(store_->Head("k")->size, 6u);
}

TEST_P(StoreConformanceTest, HeadAndListCarryTheUploadTime) {
  ASSERT_TRUE(store_->Put("timed", "t").ok());
  auto head = store_->Head("timed");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_GT(head->last_modified_ns, 0);
  auto listed = store_->List(ListOptions{"timed", "", 0});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->objects.size(), 1u);
  EXPECT_GT(listed->objects[0].last_modified_ns, 0);
  std::vector<std::string> keys = {"timed"};
  EXPECT_TRUE(store_->Sync(keys).ok());
}

TEST_P(StoreConformanceTest, IfNoneMatchRefusesToReplace) {
  PutOptions once;
  once.if_none_match = true;
  ASSERT_TRUE(store_->Put("once", "a", once).ok());
  Status again = store_->Put("once", "b", once);
  EXPECT_TRUE(again.Is(Code::kAlreadyExists)) << again.ToString();
  EXPECT_EQ(store_->Get("once").value(), "a");
}

TEST_P(StoreConformanceTest, RangesAreClippedToTheObject) {
  std::string body = RandomBytes(1000, 2);
  ASSERT_TRUE(store_->Put("r", body).ok());
  EXPECT_EQ(store_->GetRange("r", ByteRange{10, 20}).value(), body.substr(10, 20));
  EXPECT_EQ(store_->GetRange("r", ByteRange{990, 100}).value(), body.substr(990));
  EXPECT_EQ(store_->GetRange("r", ByteRange{0, UINT64_MAX}).value(), body);
  EXPECT_EQ(store_->GetRange("r", ByteRange{500, UINT64_MAX}).value(), body.substr(500));
  EXPECT_EQ(store_->GetRange("r", ByteRange{1000, 5}).value(), "");
  EXPECT_EQ(store_->GetRange("r", ByteRange{5000, 5}).value(), "");
  EXPECT_EQ(store_->GetRange("r", ByteRange{3, 0}).value(), "");
}

TEST_P(StoreConformanceTest, DeleteRemovesAndMissingDeleteSucceeds) {
  ASSERT_TRUE(store_->Put("gone", "x").ok());
  ASSERT_TRUE(store_->Delete("gone").ok());
  EXPECT_TRUE(store_->Get("gone").status().Is(Code::kNotFound));
  EXPECT_TRUE(store_->Delete("gone").ok());
  EXPECT_TRUE(store_->Delete("never/existed").ok());
}

TEST_P(StoreConformanceTest, DeleteManyRemovesEveryKey) {
  std::vector<std::string> keys;
  for (int i = 0; i < 25; ++i) {
    keys.push_back("many/" + std::to_string(i));
    ASSERT_TRUE(store_->Put(keys.back(), std::to_string(i)).ok());
  }
  ASSERT_TRUE(store_->Put("keep", "k").ok());
  keys.push_back("many/not-there");
  Status s = store_->DeleteMany(keys);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto left = store_->List(ListOptions{});
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(Keys(*left), std::vector<std::string>{"keep"});
}

TEST_P(StoreConformanceTest, ListIsOrderedAndHonoursPrefixStartAfterAndLimit) {
  std::vector<std::string> keys = {"a",     "a!", "a/b",  "a/c/d", "a0",
                                   "a/c/e", "b",  "a/c!", "ab/x",  "c/d/e/f"};
  for (const auto& k : keys) ASSERT_TRUE(store_->Put(k, k).ok()) << k;
  std::sort(keys.begin(), keys.end());

  auto all = store_->List(ListOptions{});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(Keys(*all), keys);
  EXPECT_FALSE(all->truncated);
  EXPECT_EQ(all->objects[0].size, 1u);

  auto under_a = store_->List(ListOptions{"a/", "", 0});
  ASSERT_TRUE(under_a.ok());
  EXPECT_EQ(Keys(*under_a), (std::vector<std::string>{"a/b", "a/c!", "a/c/d", "a/c/e"}));

  auto after = store_->List(ListOptions{"a", "a/c/d", 0});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(Keys(*after), (std::vector<std::string>{"a/c/e", "a0", "ab/x"}));

  // Paging with a limit visits every key exactly once.
  std::vector<std::string> paged;
  ListOptions page{"", "", 3};
  while (true) {
    auto r = store_->List(page);
    ASSERT_TRUE(r.ok());
    for (const auto& info : r->objects) paged.push_back(info.key);
    if (!r->truncated) break;
    ASSERT_EQ(r->objects.size(), 3u);
    page.start_after = r->objects.back().key;
  }
  EXPECT_EQ(paged, keys);
}

TEST_P(StoreConformanceTest, AwkwardKeysRoundTrip) {
  std::vector<std::string> keys = {
      "with space", "plus+sign",   "per%cent",  "utf8/\xC3\xA9t\xC3\xA9",
      "a//double",  "dot/./seg",   "dots/../x", "q?uery&x=y#frag",
      "tilde~_-.",  "star*(paren)"};
  for (const auto& k : keys) {
    Status s = store_->Put(k, "body:" + k);
    ASSERT_TRUE(s.ok()) << k << ": " << s.ToString();
  }
  for (const auto& k : keys) {
    auto got = store_->Get(k);
    ASSERT_TRUE(got.ok()) << k << ": " << got.status().ToString();
    EXPECT_EQ(*got, "body:" + k);
  }
  auto listed = store_->List(ListOptions{});
  ASSERT_TRUE(listed.ok());
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(Keys(*listed), keys);
  ASSERT_TRUE(store_->DeleteMany(keys).ok());
  EXPECT_TRUE(store_->List(ListOptions{})->objects.empty());
}

TEST_P(StoreConformanceTest, InvalidKeysAreRejected) {
  EXPECT_TRUE(store_->Put("", "x").Is(Code::kInvalidArgument));
  EXPECT_TRUE(store_->Put(std::string(1025, 'k'), "x").Is(Code::kInvalidArgument));
  EXPECT_TRUE(store_->Get(std::string("a\0b", 3)).status().Is(Code::kInvalidArgument));
}

TEST_P(StoreConformanceTest, ConcurrentWritersAndReaders) {
  constexpr int kThreads = 6;
  constexpr int kPerThread = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string key = "c/" + std::to_string(t) + "/" + std::to_string(i);
        std::string body = RandomBytes(1000 + i, t * 100 + i);
        if (!store_->Put(key, body).ok()) ++failures;
        auto got = store_->Get(key);
        if (!got.ok() || *got != body) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store_->List(ListOptions{"c/", "", 0})->objects.size(),
            static_cast<size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace nokv::object::testing
