// Holt behind the ShapeStore interface, and the Holt-only recovery workload (E4).
#pragma once

#include <cstdint>
#include <string>

#include "bench/common/harness.h"
#include "holt/engine.h"
#include "store.h"

namespace nokv::bench {

// "sync", "group" or "none".
const char* DurabilityName(holt::Durability durability);

// Holt with `durability` and otherwise default options (background
// checkpoints on, group sync interval 5 ms).
StoreSpec HoltSpec(holt::Durability durability);

// E4: writes `records` WAL records (one create per batch, durability none,
// automatic checkpoints off) into a fresh engine under `dir`, closes it, then
// times Engine::Open on that directory `repeats` times. With `cold`, the
// directory's files are evicted from the page cache before each Open.
// Trial.seconds is the time until Open returned; Trial.ops the records replayed.
Result<Measurement> MeasureHoltRecovery(const std::string& dir, uint64_t records, int repeats,
                                        bool cold);

}  // namespace nokv::bench
