// The ObjectStore conformance suite: behaviour every backend must share.
//
// A test binary instantiates it with factories for its backends:
//   INSTANTIATE_TEST_SUITE_P(Local, StoreConformanceTest, ::testing::Values(...));
// Each factory returns a fresh, empty store (S3 factories use a fresh key
// prefix) plus whatever must outlive it.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "object/object_store.h"

namespace nokv::object::testing {

// A store under test and the things it borrows (temp dirs, cold stores).
// `keepalive` is declared first so that it is destroyed after the store.
struct StoreUnderTest {
  std::shared_ptr<void> keepalive;  // shared: type-erased owner of borrowed state
  std::unique_ptr<ObjectStore> store;
};

struct StoreFactory {
  std::string name;
  std::function<StoreUnderTest()> make;
};

inline std::ostream& operator<<(std::ostream& os, const StoreFactory& f) { return os << f.name; }

class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    under_test_ = GetParam().make();
    ASSERT_NE(under_test_.store, nullptr);
    store_ = under_test_.store.get();
  }
  void TearDown() override;

  StoreUnderTest under_test_;
  ObjectStore* store_ = nullptr;
};

// Deterministic pseudo-random bytes.
std::string RandomBytes(size_t n, uint32_t seed);

}  // namespace nokv::object::testing
