// Tests for ArtIndex: node kind transitions, path compression, end-of-key
// slots, iterator seeks and reversals, node accounting, and a randomized model
// check against std::map.
#include "holt/art/art.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "holt/art/node.h"

namespace nokv::holt {
namespace {

using Keys = std::vector<std::string>;

std::string Byte(int b) { return std::string(1, static_cast<char>(b)); }

class ArtIndexTest : public ::testing::Test {
 protected:
  // Records are owned here, freed after the index has gone.
  ~ArtIndexTest() override {
    index_.reset();
    for (Record* record : records_) FreeRecord(record);
  }

  Record* Make(std::string_view key) {
    Record* record = NewRecord(key, "v", ++seq_, false, nullptr);
    records_.push_back(record);
    return record;
  }

  // Inserts a new key and checks it was new.
  Record* Put(std::string_view key) {
    Record* record = Make(key);
    EXPECT_EQ(index_->Upsert(record), nullptr) << Printable(key);
    return record;
  }

  void PutAll(const Keys& keys) {
    for (const auto& key : keys) Put(key);
  }

  Keys Forward() const {
    Keys keys;
    ArtIndex::Iterator it(*index_);
    for (it.SeekToFirst(); it.Valid(); it.Next()) keys.emplace_back(it.key());
    return keys;
  }

  Keys Backward() const {
    Keys keys;
    ArtIndex::Iterator it(*index_);
    for (it.SeekToLast(); it.Valid(); it.Prev()) keys.emplace_back(it.key());
    std::reverse(keys.begin(), keys.end());
    return keys;
  }

  // node_bytes() as implied by shape().
  size_t ShapeBytes() const {
    const ArtIndex::Shape s = index_->shape();
    return s.node4 * sizeof(Node4) + s.node16 * sizeof(Node16) + s.node48 * sizeof(Node48) +
           s.node256 * sizeof(Node256);
  }

  // Checks size, both scan directions, Find of every key and node accounting.
  void ExpectContents(Keys expected) const {
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(index_->size(), expected.size());
    EXPECT_EQ(Forward(), expected);
    EXPECT_EQ(Backward(), expected);
    for (const auto& key : expected) {
      Record* found = index_->Find(key);
      ASSERT_NE(found, nullptr) << Printable(key);
      EXPECT_EQ(found->key(), key);
    }
    EXPECT_EQ(index_->node_bytes(), ShapeBytes());
  }

  static std::string Printable(std::string_view key) {
    std::string out;
    for (unsigned char c : key) {
      if (c >= 0x20 && c < 0x7f) {
        out += static_cast<char>(c);
      } else {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\x%02x", c);
        out += buf;
      }
    }
    return out;
  }

  static bool Same(const ArtIndex::Shape& a, const ArtIndex::Shape& b) {
    return a.node4 == b.node4 && a.node16 == b.node16 && a.node48 == b.node48 &&
           a.node256 == b.node256;
  }

  std::unique_ptr<ArtIndex> index_ = std::make_unique<ArtIndex>();
  std::vector<Record*> records_;
  uint64_t seq_ = 0;
};

ArtIndex::Shape MakeShape(size_t n4, size_t n16, size_t n48, size_t n256) {
  return ArtIndex::Shape{n4, n16, n48, n256};
}

const std::string& KeyOf(const std::string& key) { return key; }
const std::string& KeyOf(const std::pair<const std::string, Record*>& entry) { return entry.first; }

// Expected Seek/SeekForPrev answers from a sorted std::set or std::map.
template <typename Sorted>
std::string SeekModel(const Sorted& keys, const std::string& target, bool inclusive, bool forward) {
  if (forward) {
    auto it = inclusive ? keys.lower_bound(target) : keys.upper_bound(target);
    return it == keys.end() ? "<end>" : KeyOf(*it);
  }
  auto it = inclusive ? keys.upper_bound(target) : keys.lower_bound(target);
  return it == keys.begin() ? "<end>" : KeyOf(*std::prev(it));
}

std::string SeekActual(const ArtIndex& index, const std::string& target, bool inclusive,
                       bool forward) {
  ArtIndex::Iterator it(index);
  if (forward) {
    it.Seek(target, inclusive);
  } else {
    it.SeekForPrev(target, inclusive);
  }
  return it.Valid() ? std::string(it.key()) : "<end>";
}

// Targets around each key: the key, its prefixes, and neighbours.
std::vector<std::string> TargetsAround(const std::set<std::string>& keys) {
  std::set<std::string> targets = {"", Byte(0), Byte(0xff), std::string(60, '\xff')};
  for (const auto& key : keys) {
    for (size_t len = 0; len <= key.size(); ++len) targets.insert(key.substr(0, len));
    targets.insert(key + Byte(0));
    targets.insert(key + Byte(0xff));
    for (size_t i = 0; i < key.size(); ++i) {
      std::string up = key.substr(0, i + 1), down = up;
      auto c = static_cast<unsigned char>(key[i]);
      if (c < 0xff) up[i] = static_cast<char>(c + 1);
      if (c > 0) down[i] = static_cast<char>(c - 1);
      targets.insert(up);
      targets.insert(down);
    }
  }
  return {targets.begin(), targets.end()};
}

TEST_F(ArtIndexTest, EmptyIndexFindsNothing) {
  EXPECT_EQ(index_->Find(""), nullptr);
  EXPECT_EQ(index_->Find("a"), nullptr);
  EXPECT_EQ(index_->Erase("a"), nullptr);
  EXPECT_EQ(index_->size(), 0u);
  EXPECT_EQ(index_->node_bytes(), 0u);
  ArtIndex::Iterator it(*index_);
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  it.SeekToLast();
  EXPECT_FALSE(it.Valid());
  it.Seek("x");
  EXPECT_FALSE(it.Valid());
  it.SeekForPrev("x");
  EXPECT_FALSE(it.Valid());
}

TEST_F(ArtIndexTest, SingleKeyIsARootLeafWithoutNodes) {
  Record* record = Put("hello");
  EXPECT_EQ(index_->Find("hello"), record);
  EXPECT_EQ(index_->Find("hell"), nullptr);
  EXPECT_EQ(index_->Find("hello!"), nullptr);
  EXPECT_EQ(index_->node_bytes(), 0u);
  EXPECT_TRUE(Same(index_->shape(), MakeShape(0, 0, 0, 0)));
  EXPECT_EQ(SeekActual(*index_, "hello", false, true), "<end>");
  EXPECT_EQ(SeekActual(*index_, "hello", true, true), "hello");
  EXPECT_EQ(SeekActual(*index_, "a", true, true), "hello");
  EXPECT_EQ(SeekActual(*index_, "z", true, false), "hello");
  EXPECT_EQ(SeekActual(*index_, "hello", false, false), "<end>");
  EXPECT_EQ(index_->Erase("hello"), record);
  EXPECT_EQ(index_->size(), 0u);
  EXPECT_EQ(index_->Find("hello"), nullptr);
}

TEST_F(ArtIndexTest, UpsertReturnsTheReplacedRecord) {
  PutAll({"a", "ab", "abc", "b"});
  for (const std::string key : {"a", "ab", "abc", "b"}) {
    Record* old = index_->Find(key);
    Record* fresh = Make(key);
    EXPECT_EQ(index_->Upsert(fresh), old) << key;
    EXPECT_EQ(index_->Find(key), fresh);
  }
  EXPECT_EQ(index_->size(), 4u);
}

TEST_F(ArtIndexTest, EraseOfAbsentKeysChangesNothing) {
  PutAll({"abc", "abd", "abcdef"});
  const size_t bytes = index_->node_bytes();
  for (const std::string key : {"", "a", "ab", "abcd", "abcdeg", "abe", "abdd", "b"}) {
    EXPECT_EQ(index_->Erase(key), nullptr) << key;
  }
  EXPECT_EQ(index_->node_bytes(), bytes);
  ExpectContents({"abc", "abd", "abcdef"});
}

TEST_F(ArtIndexTest, EmptyKeyIsStoredAndSortsFirst) {
  Record* empty = Put("");
  EXPECT_EQ(index_->Find(""), empty);
  PutAll({"a", Byte(0), "zz"});
  EXPECT_EQ(index_->Find(""), empty);
  ExpectContents({"", "a", Byte(0), "zz"});
  EXPECT_EQ(Forward().front(), "");
  EXPECT_EQ(SeekActual(*index_, "", true, true), "");
  EXPECT_EQ(SeekActual(*index_, "", false, true), Byte(0));
  EXPECT_EQ(SeekActual(*index_, "", false, false), "<end>");
  EXPECT_EQ(SeekActual(*index_, Byte(0), false, false), "");
  EXPECT_EQ(index_->Erase(""), empty);
  ExpectContents({"a", Byte(0), "zz"});
}

TEST_F(ArtIndexTest, KeysThatArePrefixesOfOthersUseEndSlots) {
  const Keys keys = {"", "a", "ab", "abc", "abcd", "abd", "b"};
  PutAll(keys);
  ExpectContents(keys);
  EXPECT_EQ(index_->Find("abcde"), nullptr);
  EXPECT_EQ(index_->Find("ac"), nullptr);
  Keys left = keys;
  for (const std::string key : {"ab", "a", "abcd", "", "abd", "abc"}) {
    ASSERT_NE(index_->Erase(key), nullptr) << key;
    left.erase(std::find(left.begin(), left.end(), key));
    ExpectContents(left);
  }
  EXPECT_EQ(index_->node_bytes(), 0u);  // only "b" is left: a root leaf
}

TEST_F(ArtIndexTest, ZeroAndFfBytesSortAsUnsigned) {
  const Keys keys = {
      Byte(0),   Byte(0) + Byte(0), Byte(0) + "a",           "a" + Byte(0) + "b", "a" + Byte(0),
      "a",       Byte(0xff),        Byte(0xff) + Byte(0xff), "a" + Byte(0xff),    Byte(0x7f),
      Byte(0x80)};
  PutAll(keys);
  ExpectContents(keys);
  EXPECT_EQ(index_->Find("a" + Byte(0) + "c"), nullptr);
  EXPECT_EQ(Forward().back(), Byte(0xff) + Byte(0xff));
}

TEST_F(ArtIndexTest, NodesGrowThroughEveryKindAndShrinkBack) {
  // One node under prefix "dir/" with an end slot ("dir/") and up to 256 children.
  Put("dir/");
  Put("dir/" + Byte(0));
  const auto expect_kind = [&](int children, const ArtIndex::Shape& shape) {
    EXPECT_TRUE(Same(index_->shape(), shape)) << children << " children";
    EXPECT_EQ(index_->node_bytes(), ShapeBytes());
  };
  for (int b = 1; b < 256; ++b) {
    Put("dir/" + Byte(b));
    const int children = b + 1;
    if (children <= 4) expect_kind(children, MakeShape(1, 0, 0, 0));
    if (children >= 5 && children <= 16) expect_kind(children, MakeShape(0, 1, 0, 0));
    if (children >= 17 && children <= 48) expect_kind(children, MakeShape(0, 0, 1, 0));
    if (children >= 49) expect_kind(children, MakeShape(0, 0, 0, 1));
  }
  EXPECT_EQ(index_->node_bytes(), sizeof(Node256));
  // Erase from the top down: 256 -> 48 at 37, 48 -> 16 at 12, 16 -> 4 at 3.
  for (int b = 255; b >= 1; --b) {
    ASSERT_NE(index_->Erase("dir/" + Byte(b)), nullptr);
    const int children = b;
    if (children > 37) expect_kind(children, MakeShape(0, 0, 0, 1));
    if (children <= 37 && children > 12) expect_kind(children, MakeShape(0, 0, 1, 0));
    if (children <= 12 && children > 3) expect_kind(children, MakeShape(0, 1, 0, 0));
    if (children <= 3) expect_kind(children, MakeShape(1, 0, 0, 0));
  }
  ExpectContents({"dir/", "dir/" + Byte(0)});
  ASSERT_NE(index_->Erase("dir/"), nullptr);  // end slot gone, one child: collapse
  EXPECT_EQ(index_->node_bytes(), 0u);
  ExpectContents({"dir/" + Byte(0)});
}

TEST_F(ArtIndexTest, GrowAndShrinkKeepOrderUnderRandomBytes) {
  std::mt19937 rng(7);
  std::vector<int> bytes(256);
  for (int b = 0; b < 256; ++b) bytes[b] = b;
  std::shuffle(bytes.begin(), bytes.end(), rng);
  Keys keys = {"k"};
  Put("k");
  for (int b : bytes) {
    keys.push_back("k" + Byte(b) + "tail");
    Put(keys.back());
    if (keys.size() % 7 == 0) ExpectContents(keys);
  }
  std::shuffle(keys.begin(), keys.end(), rng);
  while (!keys.empty()) {
    ASSERT_NE(index_->Erase(keys.back()), nullptr);
    keys.pop_back();
    if (keys.size() % 5 == 0) ExpectContents(keys);
  }
  EXPECT_EQ(index_->node_bytes(), 0u);
}

TEST_F(ArtIndexTest, SingleChildNode4CollapsesMergingLongPrefixes) {
  const std::string p = "prefix7";             // 7 bytes
  const std::string q = "0123456789abcdefgh";  // 18 bytes
  const std::string k1 = p + "x" + q + "1", k2 = p + "x" + q + "2", k3 = p + "y";
  PutAll({k1, k2, k3});
  EXPECT_TRUE(Same(index_->shape(), MakeShape(2, 0, 0, 0)));
  ASSERT_NE(index_->Erase(k3), nullptr);
  // The root collapsed into the inner child, whose prefix is now p + "x" + q.
  EXPECT_TRUE(Same(index_->shape(), MakeShape(1, 0, 0, 0)));
  EXPECT_EQ(index_->node_bytes(), sizeof(Node4));
  ExpectContents({k1, k2});
  // Mismatches in the merged prefix, inside and beyond the inline bytes.
  for (size_t i = 0; i < p.size() + 1 + q.size(); ++i) {
    std::string probe = k1;
    probe[i] = '#';
    EXPECT_EQ(index_->Find(probe), nullptr) << i;
    EXPECT_EQ(index_->Erase(probe), nullptr) << i;
  }
  // Splitting the merged prefix beyond the inline bytes recovers it correctly.
  const std::string k4 = p + "x" + q.substr(0, 9) + "Z";
  Put(k4);
  EXPECT_TRUE(Same(index_->shape(), MakeShape(2, 0, 0, 0)));
  ExpectContents({k1, k2, k4});
}

TEST_F(ArtIndexTest, LongPrefixSplitsAtEveryPosition) {
  const std::string base = "the/quick/brown/fox/jumps/over/the/lazy/dog";
  for (size_t at = 0; at < base.size(); ++at) {
    index_ = std::make_unique<ArtIndex>();
    const std::string a = base + "A", b = base + "B";
    std::string diverged = base.substr(0, at) + "~" + base.substr(at);
    std::string shorter = base.substr(0, at);  // ends inside the prefix
    PutAll({a, b});
    EXPECT_EQ(index_->Find(diverged), nullptr) << at;
    Put(diverged);
    Put(shorter);
    ExpectContents({a, b, diverged, shorter});
    // Probes that differ from the compressed prefix at every later position.
    for (size_t i = at; i < base.size(); ++i) {
      std::string probe = a;
      probe[i] = '#';
      ASSERT_EQ(index_->Find(probe), nullptr) << at << "/" << i;
    }
    std::set<std::string> model = {a, b, diverged, shorter};
    for (const auto& target : TargetsAround(model)) {
      for (bool inclusive : {true, false}) {
        for (bool forward : {true, false}) {
          ASSERT_EQ(SeekActual(*index_, target, inclusive, forward),
                    SeekModel(model, target, inclusive, forward))
              << at << " target " << Printable(target) << " incl " << inclusive << " fwd "
              << forward;
        }
      }
    }
    for (const auto& key : {shorter, a, diverged, b}) ASSERT_NE(index_->Erase(key), nullptr);
    EXPECT_EQ(index_->node_bytes(), 0u);
    EXPECT_EQ(index_->size(), 0u);
  }
}

TEST_F(ArtIndexTest, SeekInsideCompressedPrefix) {
  // A Node4 with a 30-byte prefix, between two unrelated keys.
  const std::string prefix = "shared-prefix-longer-than-ten/";
  const Keys keys = {"a", prefix + "1", prefix + "2", prefix + "3", "z"};
  PutAll(keys);
  std::string below = prefix, above = prefix;
  below[20] = static_cast<char>(below[20] - 1);
  above[20] = static_cast<char>(above[20] + 1);
  for (bool inclusive : {true, false}) {
    EXPECT_EQ(SeekActual(*index_, below, inclusive, true), prefix + "1");
    EXPECT_EQ(SeekActual(*index_, below, inclusive, false), "a");
    EXPECT_EQ(SeekActual(*index_, above, inclusive, true), "z");
    EXPECT_EQ(SeekActual(*index_, above, inclusive, false), prefix + "3");
    EXPECT_EQ(SeekActual(*index_, prefix.substr(0, 25), inclusive, true), prefix + "1");
    EXPECT_EQ(SeekActual(*index_, prefix.substr(0, 25), inclusive, false), "a");
    EXPECT_EQ(SeekActual(*index_, prefix, inclusive, true), prefix + "1");
    EXPECT_EQ(SeekActual(*index_, prefix, inclusive, false), "a");
  }
  EXPECT_EQ(SeekActual(*index_, prefix + "2", true, true), prefix + "2");
  EXPECT_EQ(SeekActual(*index_, prefix + "2", false, true), prefix + "3");
  EXPECT_EQ(SeekActual(*index_, prefix + "2", true, false), prefix + "2");
  EXPECT_EQ(SeekActual(*index_, prefix + "2", false, false), prefix + "1");
  EXPECT_EQ(SeekActual(*index_, prefix + "25", true, true), prefix + "3");
  EXPECT_EQ(SeekActual(*index_, prefix + "25", true, false), prefix + "2");
}

TEST_F(ArtIndexTest, SeekMatchesModelAroundAbsentKeys) {
  Keys keys = {"", "a", "aa", "aab", "ab", "abc", "b" + Byte(0), "b" + Byte(0xff), "c", Byte(0xff)};
  for (const char* tail : {"1", "2", "q"}) keys.push_back(std::string("abcdefghijklmnop") + tail);
  PutAll(keys);
  const std::set<std::string> model(keys.begin(), keys.end());
  for (const auto& target : TargetsAround(model)) {
    for (bool inclusive : {true, false}) {
      for (bool forward : {true, false}) {
        EXPECT_EQ(SeekActual(*index_, target, inclusive, forward),
                  SeekModel(model, target, inclusive, forward))
            << Printable(target) << " incl " << inclusive << " fwd " << forward;
      }
    }
  }
}

TEST_F(ArtIndexTest, NextAndPrevReverseDirectionMidScan) {
  Keys keys;
  for (int i = 0; i < 40; ++i) keys.push_back("key" + std::to_string(i * 7));
  keys.push_back("key");
  keys.push_back("ke");
  PutAll(keys);
  std::sort(keys.begin(), keys.end());
  ArtIndex::Iterator it(*index_);
  it.Seek("key14");
  size_t pos = std::lower_bound(keys.begin(), keys.end(), "key14") - keys.begin();
  const int moves[] = {+1, +1, -1, -1, -1, +1, -1, +1, +1, +1, -1};
  for (int move : moves) {
    if (move > 0) {
      it.Next();
      ++pos;
    } else {
      it.Prev();
      --pos;
    }
    ASSERT_TRUE(it.Valid());
    EXPECT_EQ(it.key(), keys[pos]);
  }
  // Reversal at both ends of the index.
  it.SeekToFirst();
  EXPECT_EQ(it.key(), "ke");
  it.Next();
  it.Prev();
  EXPECT_EQ(it.key(), "ke");
  it.Prev();
  EXPECT_FALSE(it.Valid());
  it.SeekToLast();
  it.Prev();
  it.Next();
  EXPECT_EQ(it.key(), keys.back());
  it.Next();
  EXPECT_FALSE(it.Valid());
  it.Next();  // stays invalid
  EXPECT_FALSE(it.Valid());
}

TEST_F(ArtIndexTest, FullScansInBothDirections) {
  std::mt19937 rng(11);
  std::set<std::string> unique;
  while (unique.size() < 3000) {
    std::string key;
    const size_t len = rng() % 12;
    for (size_t i = 0; i < len; ++i) key += static_cast<char>(rng() % 256);
    unique.insert(key);
  }
  const Keys keys(unique.begin(), unique.end());
  PutAll(keys);
  ExpectContents(keys);
  size_t n = 0;
  index_->ForEach([&](Record* record) { EXPECT_EQ(record->key(), keys[n++]); });
  EXPECT_EQ(n, keys.size());
}

TEST_F(ArtIndexTest, NodeBytesReturnToZeroAfterErasingEverything) {
  std::mt19937 rng(3);
  std::set<std::string> unique;
  while (unique.size() < 5000) {
    std::string key = "f/" + std::to_string(rng() % 100) + "/";
    const size_t len = rng() % 10;
    for (size_t i = 0; i < len; ++i) key += static_cast<char>('a' + rng() % 26);
    unique.insert(key);
  }
  Keys keys(unique.begin(), unique.end());
  std::shuffle(keys.begin(), keys.end(), rng);
  PutAll(keys);
  EXPECT_GT(index_->node_bytes(), 0u);
  EXPECT_EQ(index_->node_bytes(), ShapeBytes());
  std::shuffle(keys.begin(), keys.end(), rng);
  for (const auto& key : keys) ASSERT_NE(index_->Erase(key), nullptr);
  EXPECT_EQ(index_->size(), 0u);
  EXPECT_EQ(index_->node_bytes(), 0u);
  EXPECT_TRUE(Same(index_->shape(), MakeShape(0, 0, 0, 0)));
}

TEST_F(ArtIndexTest, MovedFromIteratorIsInvalid) {
  PutAll({"a", "b"});
  ArtIndex::Iterator it(*index_);
  it.SeekToFirst();
  ArtIndex::Iterator moved(std::move(it));
  EXPECT_TRUE(moved.Valid());
  EXPECT_EQ(moved.key(), "a");
  EXPECT_FALSE(it.Valid());  // NOLINT(bugprone-use-after-move): documented state
}

// Random keys from a small alphabet over a few shared stems (so prefixes split
// and merge at many depths), or from all bytes (so wide nodes appear).
class KeyGenerator {
 public:
  KeyGenerator(uint32_t seed, bool wide) : rng_(seed), wide_(wide) {
    for (int i = 0; i < 6; ++i) stems_.push_back(Random(rng_() % 24));
  }
  std::string Next() {
    std::string key = rng_() % 4 == 0 ? "" : stems_[rng_() % stems_.size()];
    const size_t len = std::min<size_t>(40, key.size() + rng_() % 8);
    if (key.size() > len) key.resize(len);
    return key + Random(len - key.size());
  }
  uint32_t Uniform(uint32_t n) { return rng_() % n; }

 private:
  std::string Random(size_t len) {
    static constexpr char kSmall[] = {'\0', 'a', 'b', 'c', '\xff'};
    std::string out;
    for (size_t i = 0; i < len; ++i) {
      out += wide_ ? static_cast<char>(rng_() % 256) : kSmall[rng_() % sizeof(kSmall)];
    }
    return out;
  }

  std::mt19937 rng_;
  bool wide_;
  std::vector<std::string> stems_;
};

class ArtIndexModelTest : public ArtIndexTest, public ::testing::WithParamInterface<int> {};

TEST_P(ArtIndexModelTest, RandomOperationsMatchStdMap) {
  const bool wide = GetParam() % 2 == 1;
  KeyGenerator gen(static_cast<uint32_t>(GetParam()), wide);
  std::map<std::string, Record*> model;
  for (int op = 0; op < 12000; ++op) {
    const std::string key = gen.Next();
    const uint32_t kind = gen.Uniform(10);
    if (kind < 5) {
      Record* record = Make(key);
      auto it = model.find(key);
      ASSERT_EQ(index_->Upsert(record), it == model.end() ? nullptr : it->second);
      model[key] = record;
    } else if (kind < 8) {
      auto it = model.find(key);
      ASSERT_EQ(index_->Erase(key), it == model.end() ? nullptr : it->second);
      if (it != model.end()) model.erase(it);
    } else {
      const bool inclusive = gen.Uniform(2) == 0;
      for (bool forward : {true, false}) {
        ASSERT_EQ(SeekActual(*index_, key, inclusive, forward),
                  SeekModel(model, key, inclusive, forward));
      }
    }
    auto it = model.find(key);
    ASSERT_EQ(index_->Find(key), it == model.end() ? nullptr : it->second);
    ASSERT_EQ(index_->size(), model.size());
    if (op % 1000 == 999) {
      Keys expected;
      for (const auto& entry : model) expected.push_back(entry.first);
      ExpectContents(expected);
    }
  }
  if (wide) {
    EXPECT_GT(index_->shape().node48 + index_->shape().node256, 0u);
  }
  for (const auto& entry : model) ASSERT_EQ(index_->Erase(entry.first), entry.second);
  EXPECT_EQ(index_->node_bytes(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ArtIndexModelTest, ::testing::Range(1, 7));

// Timing probe, not a test: run with --gtest_also_run_disabled_tests in a
// release build. Prints the mean Find latency over 1M random 16-byte keys.
TEST_F(ArtIndexTest, DISABLED_FindLatencyAtOneMillionKeys) {
  constexpr size_t kKeys = 1'000'000;
  std::mt19937_64 rng(42);
  Keys keys(kKeys);
  for (auto& key : keys) {
    key.resize(16);
    for (auto& c : key) c = static_cast<char>(rng());
    Put(key);
  }
  std::shuffle(keys.begin(), keys.end(), rng);
  const auto start = std::chrono::steady_clock::now();
  size_t found = 0;
  for (const auto& key : keys) found += index_->Find(key) != nullptr;
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(found, kKeys);
  const ArtIndex::Shape s = index_->shape();
  std::printf("find %.1f ns/key; node bytes %zu (%.1f per key); n4 %zu n16 %zu n48 %zu n256 %zu\n",
              std::chrono::duration<double, std::nano>(elapsed).count() / kKeys,
              index_->node_bytes(), static_cast<double>(index_->node_bytes()) / kKeys, s.node4,
              s.node16, s.node48, s.node256);
}

// Memory probe, not a test: node bytes per key for 1M path-like keys (family
// byte, big-endian parent inode, name) spread over 10k directories.
TEST_F(ArtIndexTest, DISABLED_NodeBytesForPathLikeKeys) {
  constexpr int kDirs = 10'000, kFilesPerDir = 100;
  for (int dir = 0; dir < kDirs; ++dir) {
    std::string prefix = "D" + std::string(6, '\0') + Byte(dir >> 8) + Byte(dir & 0xff);
    for (int file = 0; file < kFilesPerDir; ++file) Put(prefix + "file_" + std::to_string(file));
  }
  const ArtIndex::Shape s = index_->shape();
  std::printf("node bytes %.1f per key; n4 %zu n16 %zu n48 %zu n256 %zu\n",
              static_cast<double>(index_->node_bytes()) / index_->size(), s.node4, s.node16,
              s.node48, s.node256);
}

}  // namespace
}  // namespace nokv::holt
