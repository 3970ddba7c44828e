// Helpers shared by the Holt engine tests.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "holt/engine.h"
#include "test_dir.h"

namespace nokv::holt::testing {

inline Options TestOptions(Env* env = nullptr) {
  Options o;
  o.env = env;
  o.background_work = false;
  o.checkpoint_wal_bytes = 0;
  return o;
}

// Every live key/value at `view` (or latest).
inline std::map<std::string, std::string> Dump(const Engine& engine,
                                               const ReadView* view = nullptr) {
  std::map<std::string, std::string> out;
  ScanOptions options;
  options.limit = 1000;
  for (;;) {
    auto page = engine.Scan(options, view);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok() || page->empty()) break;
    for (auto& e : *page) out[e.key] = e.value;
    options.start_after = page->back().key;
  }
  return out;
}

inline uint64_t MustCommit(Engine& engine, const Batch& batch) {
  auto seq = engine.Commit(batch);
  EXPECT_TRUE(seq.ok()) << seq.status().ToString();
  return seq.value_or(0);
}

inline uint64_t Put(Engine& engine, std::string_view key, std::string_view value) {
  Batch b;
  b.Put(key, value);
  return MustCommit(engine, b);
}

}  // namespace nokv::holt::testing
