// Holt as a ShapeStore: one create = two puts in a Batch; lookups are Engine::Get.
// Also the recovery workload (E4), which needs the engine itself.
#include "holt_store.h"

#include <utility>

namespace nokv::bench {

namespace {

void AddCreate(const CreateOp& op, holt::Batch* batch, std::string* key, std::string* value) {
  key->clear();
  value->clear();
  AppendInodeKey(op.inode, key);
  AppendNodeValue(op.attrs, value);
  batch->Put(*key, *value);
  key->clear();
  value->clear();
  AppendDentryKey(op.parent, op.name, key);
  AppendDentryValue(op.inode, op.attrs.type, value);
  batch->Put(*key, *value);
}

// Thread-safety: Create() from any thread (the engine queues writers behind
// its group-commit leader); Lookup() from one thread at a time (it reuses a
// key buffer).
class HoltStore : public ShapeStore {
 public:
  explicit HoltStore(std::unique_ptr<holt::Engine> engine) : engine_(std::move(engine)) {}

  Status Create(std::span<const CreateOp> creates) override {
    holt::Batch batch;
    std::string key, value;
    for (const CreateOp& op : creates) AddCreate(op, &batch, &key, &value);
    return engine_->Commit(batch).status();
  }

  Status Lookup(const CreateOp& op, bool dentry) override {
    lookup_key_.clear();
    if (dentry) {
      AppendDentryKey(op.parent, op.name, &lookup_key_);
    } else {
      AppendInodeKey(op.inode, &lookup_key_);
    }
    return engine_->Get(lookup_key_).status();
  }

  Result<Footprint> Measure() override {
    holt::Stats stats = engine_->GetStats();
    Footprint f;
    f.bytes = stats.resident_bytes;
    f.details = {{"keys", static_cast<double>(stats.keys)},
                 {"versions", static_cast<double>(stats.versions)},
                 {"record_bytes", static_cast<double>(stats.record_bytes)},
                 {"node_bytes", static_cast<double>(stats.node_bytes)},
                 {"wal_bytes", static_cast<double>(stats.wal_bytes)},
                 {"checkpoints", static_cast<double>(stats.checkpoints)},
                 {"commits", static_cast<double>(stats.commits)},
                 {"commit_groups", static_cast<double>(stats.commit_groups)}};
    return f;
  }

 private:
  std::unique_ptr<holt::Engine> engine_;
  std::string lookup_key_;
};

holt::Options RecoveryOptions() {
  holt::Options options;
  options.durability = holt::Durability::kNone;
  options.checkpoint_wal_bytes = 0;
  return options;
}

Status WriteRecords(const std::string& dir, uint64_t records) {
  NOKV_ASSIGN_OR_RETURN(auto engine, holt::Engine::Open(dir, RecoveryOptions()));
  CreateOp op;
  holt::Batch batch;
  std::string key, value;
  for (uint64_t i = 0; i < records; ++i) {
    FillCreate(0, i, &op);
    batch.Clear();
    AddCreate(op, &batch, &key, &value);
    NOKV_RETURN_IF_ERROR(engine->Commit(batch).status());
  }
  return Status::Ok();
}

}  // namespace

const char* DurabilityName(holt::Durability d) {
  switch (d) {
    case holt::Durability::kSync:
      return "sync";
    case holt::Durability::kGroup:
      return "group";
    case holt::Durability::kNone:
      return "none";
  }
  return "?";
}

StoreSpec HoltSpec(holt::Durability durability) {
  StoreSpec spec;
  spec.system = "holt";
  spec.durability = DurabilityName(durability);
  spec.config = std::string("wal=") + spec.durability;
  spec.open = [durability](const std::string& dir) -> Result<std::unique_ptr<ShapeStore>> {
    holt::Options options;
    options.durability = durability;
    NOKV_ASSIGN_OR_RETURN(auto engine, holt::Engine::Open(dir, options));
    return std::unique_ptr<ShapeStore>(std::make_unique<HoltStore>(std::move(engine)));
  };
  return spec;
}

Result<Measurement> MeasureHoltRecovery(const std::string& dir, uint64_t records, int repeats,
                                        bool cold) {
  NOKV_RETURN_IF_ERROR(WriteRecords(dir, records));
  return Repeat(repeats, [&](int) -> Result<Trial> {
    if (cold) NOKV_RETURN_IF_ERROR(EvictFromPageCache(dir));
    Clock::time_point start = Clock::now();
    NOKV_ASSIGN_OR_RETURN(auto engine, holt::Engine::Open(dir, RecoveryOptions()));
    Trial trial;
    trial.seconds = SecondsSince(start);
    trial.ops = engine->GetStats().last_seq;
    if (trial.ops < records) {
      return Status::Corruption("recovered " + std::to_string(trial.ops) + " of " +
                                std::to_string(records) + " records");
    }
    return trial;  // closing (freeing the tree) is not timed
  });
}

}  // namespace nokv::bench
