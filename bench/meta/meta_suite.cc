// The meta suite: E5 + M3 (largest directory first, in a clean heap), then
// M1 mdtest shapes, NoKV side by side with SQLite for every configuration.
#include "meta_suite.h"

#include <algorithm>
#include <array>

#include "meta_workloads.h"
#include "nokv_ns_store.h"
#include "sqlite_ns_store.h"

namespace nokv::bench {

namespace {

// NoKV at `durability` and SQLite at its closest synchronous level.
std::array<NsSpec, 2> Pair(holt::Durability durability) {
  SqliteSync sync = durability == holt::Durability::kNone    ? SqliteSync::kOff
                    : durability == holt::Durability::kGroup ? SqliteSync::kNormal
                                                             : SqliteSync::kFull;
  return {NokvMetaSpec(durability), SqliteMetaSpec(sync)};
}

// Adds the rows of `result` whose id is in `ids` (or its failure).
void AddRows(RowSink* sink, std::string_view what, const std::set<std::string>& ids,
             Result<std::vector<Row>> result) {
  if (!result.ok()) return sink->Add(what, result.status());
  for (Row& row : *result) {
    std::string id = row.id;  // Add() moves the row
    if (ids.count(id)) sink->Add(id, std::move(row));
  }
}

void RunBigDirs(const MetaBenchConfig& c, const std::set<std::string>& ids, RowSink* sink) {
  std::vector<uint64_t> sizes = c.dir_sizes;
  if (!ids.count("M3")) sizes = {c.footprint_entries};
  // The footprint directory first, while the heap is clean.
  std::stable_partition(sizes.begin(), sizes.end(),
                        [&](uint64_t n) { return n == c.footprint_entries; });
  for (uint64_t entries : sizes) {
    bool footprint = ids.count("E5") && entries == c.footprint_entries;
    for (const NsSpec& spec : Pair(holt::Durability::kNone)) {
      AddRows(sink, "M3", ids, RunBigDir(c, spec, entries, footprint));
    }
  }
}

void RunMdtests(const MetaBenchConfig& c, const std::set<std::string>& ids, RowSink* sink) {
  for (MdtestShape shape : {MdtestShape::kEasy, MdtestShape::kHard}) {
    const auto& durabilities =
        shape == MdtestShape::kEasy ? c.easy_durabilities : c.hard_durabilities;
    for (holt::Durability durability : durabilities) {
      for (int batch : c.batches) {
        for (const NsSpec& spec : Pair(durability)) {
          bool stat_and_remove = batch == 1;
          AddRows(sink, "M1", ids, RunMdtest(c, spec, shape, batch, stat_and_remove));
        }
      }
    }
  }
}

}  // namespace

Status RunMetaSuite(const MetaBenchConfig& c, const std::set<std::string>& ids,
                    std::vector<Row>* rows) {
  RowSink sink(rows);
  if (ids.count("E5") || ids.count("M3")) RunBigDirs(c, ids, &sink);
  if (ids.count("M1")) RunMdtests(c, ids, &sink);
  // M1 in run order, M3 by directory size, then E5.
  auto rank = [](const Row& r) {
    return std::pair(r.id == "M1" ? 0 : r.id == "M3" ? 1 : 2, Extra(r, "entries"));
  };
  std::stable_sort(rows->begin(), rows->end(),
                   [&](const Row& a, const Row& b) { return rank(a) < rank(b); });
  return sink.status();
}

}  // namespace nokv::bench
