// Randomized model test: thousands of random batches (puts, deletes,
// predicates, durable pins) against a std::map reference, with views taken at
// random sequences, reopened engines, checkpoints and sweeps in between. Every
// read must give the reference's answer at the same sequence.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <random>

#include "engine_test_util.h"

namespace nokv::holt {
namespace {

struct Versioned {
  std::string value;
  uint64_t seq;
};
using Model = std::map<std::string, Versioned>;

std::map<std::string, std::string> Values(const Model& m) {
  std::map<std::string, std::string> out;
  for (auto& [k, v] : m) out[k] = v.value;
  return out;
}

class ModelTest : public ::testing::TestWithParam<uint32_t> {
 protected:
  void Reopen() {
    engine_.reset();
    auto e = Engine::Open(dir_.path(), testing::TestOptions());
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value();
  }

  std::string RandomKey() {
    static const std::string kParts[] = {
        "", "a", "b", "ab", "abc", "d/", "d/x", "\xff", std::string("a\0", 2)};
    std::string k = kParts[rng_() % 9];
    int extra = static_cast<int>(rng_() % 3);
    for (int i = 0; i < extra; ++i) k.push_back(static_cast<char>('a' + rng_() % 3));
    return k;
  }

  // Adds a random predicate and returns whether the model says it holds.
  bool AddPredicate(Batch* b) {
    std::string key = RandomKey();
    auto it = model_.find(key);
    bool live = it != model_.end();
    switch (rng_() % 4) {
      case 0:
        b->RequireExists(key);
        return live;
      case 1:
        b->RequireNotExists(key);
        return !live;
      case 2: {
        uint64_t seq = live && rng_() % 2 ? it->second.seq : rng_() % 4;
        b->RequireVersion(key, seq);
        return seq == 0 ? !live : (live && it->second.seq == seq);
      }
      default: {
        std::string prefix = key.substr(0, key.size() / 2);
        b->RequirePrefixEmpty(prefix);
        auto lb = model_.lower_bound(prefix);
        return lb == model_.end() || !lb->first.starts_with(prefix);
      }
    }
  }

  void CheckScan(const ReadView* view, const Model& reference) {
    ScanOptions o;
    o.prefix = RandomKey().substr(0, 1);
    o.limit = 1 + rng_() % 6;
    o.reverse = rng_() % 2;
    if (rng_() % 2) o.start_after = RandomKey();
    auto got = engine_->Scan(o, view);
    ASSERT_TRUE(got.ok());
    std::vector<std::string> want;
    auto consider = [&](const std::string& k) {
      if (!k.starts_with(o.prefix)) return false;
      if (o.start_after && (o.reverse ? k >= *o.start_after : k <= *o.start_after)) return false;
      return true;
    };
    if (o.reverse) {
      for (auto it = reference.rbegin(); it != reference.rend() && want.size() < o.limit; ++it) {
        if (consider(it->first)) want.push_back(it->first);
      }
    } else {
      for (auto it = reference.begin(); it != reference.end() && want.size() < o.limit; ++it) {
        if (consider(it->first)) want.push_back(it->first);
      }
    }
    std::vector<std::string> keys;
    for (auto& e : *got) keys.push_back(e.key);
    ASSERT_EQ(keys, want);
  }

  std::mt19937 rng_{GetParam()};
  nokv::testing::TempDir dir_{nokv::testing::TempDir::InMemoryBase()};
  std::unique_ptr<Engine> engine_;
  Model model_;
};

// NOKV_SOAK_STEPS lengthens the run (the `slow` holt_model_soak test).
int Steps() {
  const char* env = std::getenv("NOKV_SOAK_STEPS");
  return env != nullptr ? std::atoi(env) : 3000;
}

TEST_P(ModelTest, RandomBatchesMatchTheReference) {
  Reopen();
  struct HeldView {
    ReadView view;
    Model state;
  };
  std::vector<HeldView> views;
  std::map<std::string, Model> durable;  // pin name -> state at the pin
  for (int step = 0, steps = Steps(); step < steps; ++step) {
    Batch b;
    Model next = model_;
    bool expect_ok = true;
    int predicates = static_cast<int>(rng_() % 3);
    for (int i = 0; i < predicates; ++i) expect_ok &= AddPredicate(&b);
    uint64_t seq = engine_->visible_seq() + 1;
    int ops = static_cast<int>(rng_() % 4);
    for (int i = 0; i < ops; ++i) {
      std::string key = RandomKey();
      if (rng_() % 3 == 0) {
        b.Delete(key);
        next.erase(key);
      } else {
        std::string value = "v" + std::to_string(step) + "." + std::to_string(i);
        b.Put(key, value);
        next[key] = {value, seq};
      }
    }
    std::optional<std::string> pin_name;
    if (rng_() % 50 == 0) {
      pin_name = "pin" + std::to_string(step);
      b.Pin(*pin_name);
    }
    auto result = engine_->Commit(b);
    ASSERT_EQ(result.ok(), expect_ok) << "step " << step << ": " << result.status().ToString();
    if (result.ok() && !b.empty()) {
      ASSERT_EQ(*result, seq);
      model_ = std::move(next);
      if (pin_name) durable[*pin_name] = model_;
    }

    switch (rng_() % 40) {
      case 0:
        views.push_back({engine_->Pin(), model_});
        break;
      case 1:
        if (!views.empty()) views.erase(views.begin() + static_cast<long>(rng_() % views.size()));
        break;
      case 2:
        engine_->Sweep();
        break;
      case 3:
        ASSERT_TRUE(engine_->Checkpoint().ok());
        break;
      case 4:
        if (!durable.empty()) {
          auto it = std::next(durable.begin(), static_cast<long>(rng_() % durable.size()));
          Batch unpin;
          unpin.Unpin(it->first);
          ASSERT_TRUE(engine_->Commit(unpin).ok());
          durable.erase(it);
        }
        break;
      case 5:
        views.clear();
        Reopen();
        break;
      default:
        break;
    }
    std::string probe = RandomKey();
    auto got = engine_->Get(probe);
    auto want = model_.find(probe);
    ASSERT_EQ(got.ok(), want != model_.end()) << "key " << probe;
    if (got.ok()) {
      ASSERT_EQ(got->bytes, want->second.value);
      ASSERT_EQ(got->seq, want->second.seq);
    }
    CheckScan(nullptr, model_);
    for (auto& held : views) CheckScan(&held.view, held.state);
    if (step % 97 == 0) {
      ASSERT_EQ(testing::Dump(*engine_), Values(model_));
      for (auto& held : views) ASSERT_EQ(testing::Dump(*engine_, &held.view), Values(held.state));
      for (auto& [name, state] : durable) {
        auto view = engine_->PinDurable(name);
        ASSERT_TRUE(view.ok()) << name;
        ASSERT_EQ(testing::Dump(*engine_, &*view), Values(state)) << name;
      }
    }
  }
  views.clear();
  engine_->Sweep();
  EXPECT_GE(engine_->GetStats().versions, model_.size());
  if (durable.empty()) {
    EXPECT_EQ(engine_->GetStats().keys, model_.size());
    EXPECT_EQ(engine_->GetStats().versions, model_.size());
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, ModelTest, ::testing::Values(1u, 2u, 3u, 4u));

}  // namespace
}  // namespace nokv::holt
