// Runs the ObjectStore conformance suite on the hermetic backends: memory,
// local directory (with and without fsync) and tiered (local over memory,
// with a hot tier large enough to hold everything and one that evicts).
#include <memory>

#include "object/counting_store.h"
#include "object/local_store.h"
#include "object/memory_store.h"
#include "object/tiered_store.h"
#include "store_conformance.h"
#include "test_dir.h"

namespace nokv::object::testing {
namespace {

StoreUnderTest MakeMemory() { return {nullptr, std::make_unique<MemoryStore>()}; }

StoreUnderTest MakeLocal(bool fsync) {
  auto dir = std::make_shared<nokv::testing::TempDir>();
  LocalStoreOptions options;
  options.fsync = fsync;
  auto store = LocalStore::Open(dir->path(), options);
  if (!store.ok()) return {};
  return {dir, std::move(*store)};
}

// The cold store and temp dir live as long as the tiered store.
struct TieredParts {
  nokv::testing::TempDir dir;
  MemoryStore cold;
};

StoreUnderTest MakeTiered(uint64_t capacity) {
  auto parts = std::make_shared<TieredParts>();
  TieredStoreOptions options;
  options.capacity_bytes = capacity;
  auto store = TieredStore::Open(&parts->cold, parts->dir.path(), options);
  if (!store.ok()) return {};
  return {parts, std::move(*store)};
}

// The counting decorator must be as transparent as the store it wraps.
StoreUnderTest MakeCountingTiered() {
  StoreUnderTest tiered = MakeTiered(uint64_t{1} << 30);
  if (tiered.store == nullptr) return {};
  auto counting = std::make_unique<CountingStore>(tiered.store.get());
  std::shared_ptr<ObjectStore> inner(std::move(tiered.store));
  // The inner store and its own keepalive outlive the decorator.
  auto keep = std::make_shared<std::pair<std::shared_ptr<void>, std::shared_ptr<ObjectStore>>>(
      std::move(tiered.keepalive), std::move(inner));
  return {keep, std::move(counting)};
}

INSTANTIATE_TEST_SUITE_P(
    Hermetic, StoreConformanceTest,
    ::testing::Values(StoreFactory{"Memory", MakeMemory},
                      StoreFactory{"Local", [] { return MakeLocal(false); }},
                      StoreFactory{"LocalFsync", [] { return MakeLocal(true); }},
                      StoreFactory{"TieredRoomy", [] { return MakeTiered(uint64_t{1} << 30); }},
                      StoreFactory{"TieredEvicting", [] { return MakeTiered(4096); }},
                      StoreFactory{"CountingTiered", MakeCountingTiered}),
    [](const ::testing::TestParamInfo<StoreFactory>& info) { return info.param.name; });

}  // namespace
}  // namespace nokv::object::testing
