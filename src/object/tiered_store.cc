// TieredStore implementation.
#include "object/tiered_store.h"

#include <functional>
#include <unordered_map>

#include "common/logging.h"
#include "common/sha256.h"
#include "object/block.h"

namespace nokv::object {

TieredStore::TieredStore(ObjectStore* cold, std::string hot_dir, std::unique_ptr<LocalStore> hot,
                         const TieredStoreOptions& options)
    : cold_(cold),
      hot_dir_(std::move(hot_dir)),
      index_path_(JoinPath(hot_dir_, "residency.idx")),
      hot_(std::move(hot)),
      options_(options),
      env_(options.env != nullptr ? options.env : Env::Default()) {
  if (options_.async_fill) fill_pool_ = std::make_unique<ThreadPool>(1);
}

Result<std::unique_ptr<TieredStore>> TieredStore::Open(ObjectStore* cold,
                                                       const std::string& hot_dir,
                                                       const TieredStoreOptions& options) {
  if (cold == nullptr) return Status::InvalidArgument("TieredStore needs a cold store");
  LocalStoreOptions local;
  local.fsync = options.fsync;
  local.env = options.env;
  NOKV_ASSIGN_OR_RETURN(auto hot, LocalStore::Open(JoinPath(hot_dir, "objects"), local));
  std::unique_ptr<TieredStore> store(new TieredStore(cold, hot_dir, std::move(hot), options));
  NOKV_RETURN_IF_ERROR(store->RebuildIndex());
  return store;
}

TieredStore::~TieredStore() {
  fill_pool_.reset();  // runs the fills still queued
  Status s = SaveIndex();
  if (!s.ok()) NOKV_LOG(kWarn) << "tiered store: could not save residency index: " << s.ToString();
}

Status TieredStore::RebuildIndex() {
  // What is really on disk, then the recency order saved at the last close.
  NOKV_ASSIGN_OR_RETURN(ListResult scan, hot_->List(ListOptions{}));
  std::unordered_map<std::string, uint64_t> on_disk;
  for (const ObjectInfo& info : scan.objects) on_disk.emplace(info.key, info.size);

  std::vector<ResidencyIndex::Entry> saved;
  std::string data;
  if (env_->FileExists(index_path_)) {
    Status read = env_->ReadFileToString(index_path_, &data);
    auto decoded =
        read.ok() ? ResidencyIndex::Decode(data) : Result<std::vector<ResidencyIndex::Entry>>(read);
    if (decoded.ok()) {
      saved = std::move(*decoded);
    } else {
      NOKV_LOG(kWarn) << "tiered store: ignoring " << index_path_ << ": "
                      << decoded.status().ToString() << " (rebuilt from a scan)";
    }
  }
  std::vector<ResidencyIndex::Entry> victims;
  {
    std::lock_guard lock(mu_);
    for (const auto& entry : saved) {
      auto it = on_disk.find(entry.key);
      if (it == on_disk.end()) continue;
      index_.InsertOldest(it->first, it->second);
      on_disk.erase(it);
    }
    for (const ObjectInfo& info : scan.objects) {
      if (on_disk.contains(info.key)) index_.InsertOldest(info.key, info.size);
    }
    victims = index_.EvictTo(options_.capacity_bytes);
    stats_.evictions += victims.size();
  }
  for (const auto& victim : victims) (void)hot_->Delete(victim.key);
  return Status::Ok();
}

void TieredStore::WaitForFills() {
  std::unique_lock lock(mu_);
  fills_done_.wait(lock, [&] { return pending_fills_ == 0; });
}

Status TieredStore::SaveIndex() {
  WaitForFills();
  std::string data;
  {
    std::lock_guard lock(mu_);
    data = index_.Encode();
  }
  Status s = env_->WriteFileAtomically(index_path_, data);
  if (s.Is(Code::kNotFound)) {  // the directory was removed under us
    NOKV_RETURN_IF_ERROR(env_->CreateDirs(hot_dir_));
    s = env_->WriteFileAtomically(index_path_, data);
  }
  return s;
}

std::string TieredStore::Describe() const {
  return "tiered(" + hot_->Describe() + " -> " + cold_->Describe() + ")";
}

StoreStats TieredStore::Stats() const {
  StoreStats out;
  out.tiered = true;
  std::lock_guard lock(mu_);
  out.hot_hits = stats_.hot_hits;
  out.hot_misses = stats_.cold_reads;
  return out;
}

TieredStats TieredStore::stats() const {
  std::lock_guard lock(mu_);
  TieredStats out = stats_;
  out.resident_bytes = index_.bytes();
  out.resident_objects = index_.count();
  return out;
}

bool TieredStore::IsResident(std::string_view key) const {
  std::lock_guard lock(mu_);
  return index_.Contains(key);
}

void TieredStore::NoteHotFailure(const Status& status, std::string_view what) {
  uint64_t failures;
  {
    std::lock_guard lock(mu_);
    failures = ++stats_.hot_failures;
  }
  // Log the first failures and then every 1000th, so a dead disk does not flood.
  if (failures <= 5 || failures % 1000 == 0) {
    NOKV_LOG(kWarn) << "tiered store: hot tier " << what << " failed (" << status.ToString()
                    << "); serving from " << cold_->Describe() << " [" << failures
                    << " failures so far]";
  }
}

uint64_t& TieredStore::GenerationOf(std::string_view key) {
  return generations_[std::hash<std::string_view>{}(key) % kGenerationStripes];
}

uint64_t TieredStore::CurrentGeneration(std::string_view key) {
  std::lock_guard lock(mu_);
  return GenerationOf(key);
}

uint64_t TieredStore::BumpGeneration(std::string_view key) {
  std::lock_guard lock(mu_);
  return ++GenerationOf(key);
}

void TieredStore::FillFromCold(std::string_view key, std::string body, uint64_t generation) {
  if (body.size() > options_.max_fill_bytes || body.size() > options_.capacity_bytes) return;
  auto fill = [this, generation](const std::string& key, const std::string& body) {
    // Bytes from a store we do not control are checked before we vouch for
    // them: a block whose bytes do not match its key is not cached.
    Digest digest{};
    if (ParseBlockKey(key, &digest) && Sha256::Of(body) != digest) {
      std::lock_guard lock(mu_);
      ++stats_.cold_mismatches;
      return;
    }
    Fill(key, body, generation, /*verified=*/true);
  };
  bool queue = false;
  {
    std::lock_guard lock(mu_);
    queue = fill_pool_ != nullptr &&
            pending_fill_bytes_ + body.size() <= options_.max_pending_fill_bytes;
    if (queue) {
      pending_fill_bytes_ += body.size();
      ++pending_fills_;
    }
  }
  if (!queue) return fill(std::string(key), body);
  fill_pool_->Schedule([this, fill, key = std::string(key), body = std::move(body)] {
    fill(key, body);
    std::lock_guard lock(mu_);
    pending_fill_bytes_ -= body.size();
    --pending_fills_;
    fills_done_.notify_all();
  });
}

void TieredStore::Fill(std::string_view key, std::string_view body, uint64_t generation,
                       bool verified) {
  if (body.size() > options_.max_fill_bytes || body.size() > options_.capacity_bytes) return;
  // Runs under the hot store's stripe lock for `key`, which a hot Delete of
  // the key also takes: a delete bumps the generation before deleting.
  std::function<bool()> current = [&] {
    std::lock_guard lock(mu_);
    return GenerationOf(key) == generation;
  };
  Status s = hot_->PutChecked(key, body, current);
  if (s.Is(Code::kAborted)) return;  // the key changed since it was read
  std::vector<ResidencyIndex::Entry> victims;
  bool stale = false;
  {
    std::lock_guard lock(mu_);
    if (s.ok() && GenerationOf(key) != generation) {
      // Deleted or replaced after our copy landed: our copy must not stay
      // (a reopen would index it). At worst this drops a newer fill's copy.
      stale = true;
      index_.Erase(key);
    } else if (s.ok()) {
      index_.Insert(key, body.size(), verified);
      ++stats_.fills;
      victims = index_.EvictTo(options_.capacity_bytes);
    } else if (s.Is(Code::kNoSpace)) {
      // The disk is fuller than our cap assumed: shrink by a tenth.
      index_.Erase(key);
      victims = index_.EvictTo(index_.bytes() - index_.bytes() / 10);
    } else {
      index_.Erase(key);
    }
    stats_.evictions += victims.size();
  }
  if (!s.ok()) NoteHotFailure(s, "write of " + std::string(key));
  if (stale) (void)hot_->Delete(key);
  for (const auto& victim : victims) {
    Status d = hot_->Delete(victim.key);
    if (!d.ok()) NoteHotFailure(d, "eviction of " + victim.key);
  }
}

void TieredStore::DropAfterHotFailure(std::string_view key, const Status& status) {
  {
    std::lock_guard lock(mu_);
    index_.Erase(key);
  }
  if (!status.Is(Code::kNotFound)) NoteHotFailure(status, "read of " + std::string(key));
}

Status TieredStore::Put(std::string_view key, std::string_view body, const PutOptions& options) {
  uint64_t generation = BumpGeneration(key);
  NOKV_RETURN_IF_ERROR(cold_->Put(key, body, options));
  bool fits = body.size() <= options_.max_fill_bytes && body.size() <= options_.capacity_bytes;
  if (options_.write_through && fits) {
    Fill(key, body, generation, /*verified=*/true);  // the bytes we were given
  } else {
    {
      std::lock_guard lock(mu_);
      index_.Erase(key);
    }
    Status stale = hot_->Delete(key);  // an older hot copy must not be served
    if (!stale.ok()) NoteHotFailure(stale, "delete of " + std::string(key));
  }
  return Status::Ok();
}

bool TieredStore::ResidentAndVerified(std::string_view key) {
  Digest digest{};
  bool block = ParseBlockKey(key, &digest);
  std::lock_guard lock(mu_);
  const ResidencyIndex::Entry* entry = index_.Touch(key);
  return entry != nullptr && (entry->verified || !block);
}

std::optional<std::string> TieredStore::ReadHot(std::string_view key, ByteRange range) {
  bool verified;
  {
    std::lock_guard lock(mu_);
    const ResidencyIndex::Entry* entry = index_.Touch(key);
    if (entry == nullptr) return std::nullopt;
    verified = entry->verified;
  }
  // A block copy we cannot vouch for is read whole and checked, then sliced.
  Digest digest{};
  bool check = ParseBlockKey(key, &digest) && !verified;
  auto hot = check ? hot_->Get(key) : hot_->GetRange(key, range);
  if (hot.ok() && check && Sha256::Of(*hot) != digest) {
    // A torn or damaged hot copy (say, unsynced at a crash): never serve it.
    hot = Status::Corruption("hot copy of block " + std::string(key) + " fails its digest");
  }
  if (!hot.ok()) {
    DropAfterHotFailure(key, hot.status());
    if (hot.status().Is(Code::kCorruption)) (void)hot_->Delete(key);
    return std::nullopt;
  }
  {
    std::lock_guard lock(mu_);
    ++stats_.hot_hits;
    if (check) index_.MarkVerified(key);
  }
  auto [begin, end] = ClipRange(range, hot->size());
  if (!check || (begin == 0 && end == hot->size())) return std::move(*hot);
  return hot->substr(begin, end - begin);
}

Result<size_t> TieredStore::ReadInto(std::string_view key, uint64_t offset, std::span<char> out) {
  if (ResidentAndVerified(key)) {
    auto got = hot_->ReadInto(key, offset, out);
    if (got.ok()) {
      std::lock_guard lock(mu_);
      ++stats_.hot_hits;
      return got;
    }
    DropAfterHotFailure(key, got.status());
  }
  return ObjectStore::ReadInto(key, offset, out);  // GetRange: checks, misses, fills
}

void TieredStore::Invalidate(std::string_view key) {
  bool resident;
  {
    std::lock_guard lock(mu_);
    resident = index_.Touch(key) != nullptr;
  }
  if (!resident) return;
  DropAfterHotFailure(key, Status::Corruption("a reader found the hot copy damaged"));
  (void)hot_->Delete(key);
}

Result<std::string> TieredStore::Get(std::string_view key) {
  if (auto hot = ReadHot(key, ByteRange{0, UINT64_MAX})) return std::move(*hot);
  uint64_t generation = CurrentGeneration(key);
  auto cold = cold_->Get(key);
  if (!cold.ok()) return cold;
  {
    std::lock_guard lock(mu_);
    ++stats_.cold_reads;
  }
  FillFromCold(key, *cold, generation);
  return cold;
}

Result<std::string> TieredStore::GetRange(std::string_view key, ByteRange range) {
  if (auto hot = ReadHot(key, range)) return std::move(*hot);
  {
    std::lock_guard lock(mu_);
    ++stats_.cold_reads;
  }
  uint64_t range_end =
      range.length > UINT64_MAX - range.offset ? UINT64_MAX : range.offset + range.length;
  if (range_end > options_.max_fill_bytes) return cold_->GetRange(key, range);
  uint64_t generation = CurrentGeneration(key);
  // Read up to max_fill_bytes + 1: a shorter answer is the whole object.
  auto prefix = cold_->GetRange(key, ByteRange{0, options_.max_fill_bytes + 1});
  if (!prefix.ok()) return prefix;
  auto [begin, end] = ClipRange(range, prefix->size());
  std::string wanted = prefix->substr(begin, end - begin);
  if (prefix->size() <= options_.max_fill_bytes) {
    FillFromCold(key, std::move(*prefix), generation);
  }
  return wanted;
}

// The cold store is the truth about existence and upload time.
Result<ObjectInfo> TieredStore::Head(std::string_view key) { return cold_->Head(key); }

Status TieredStore::Delete(std::string_view key) {
  NOKV_RETURN_IF_ERROR(ValidateKey(key));
  {
    std::lock_guard lock(mu_);
    ++GenerationOf(key);
    index_.Erase(key);
  }
  Status hot = hot_->Delete(key);
  if (!hot.ok()) NoteHotFailure(hot, "delete of " + std::string(key));
  return cold_->Delete(key);
}

Status TieredStore::DeleteMany(std::span<const std::string> keys) {
  {
    std::lock_guard lock(mu_);
    for (const std::string& key : keys) {
      ++GenerationOf(key);
      index_.Erase(key);
    }
  }
  Status hot = hot_->DeleteMany(keys);
  if (!hot.ok()) NoteHotFailure(hot, "multi-delete");
  return cold_->DeleteMany(keys);
}

Result<ListResult> TieredStore::List(const ListOptions& options) { return cold_->List(options); }

Status TieredStore::Sync(std::span<const std::string> keys) {
  NOKV_RETURN_IF_ERROR(cold_->Sync(keys));
  std::vector<std::string> resident;
  {
    std::lock_guard lock(mu_);
    for (const std::string& key : keys) {
      if (index_.Contains(key)) resident.push_back(key);
    }
  }
  if (resident.empty()) return Status::Ok();
  Status hot = hot_->Sync(resident);
  if (!hot.ok()) {
    // A hot copy that may not survive a crash intact is dropped; the cold
    // copy is durable, which is all Sync promises.
    NoteHotFailure(hot, "sync");
    {
      std::lock_guard lock(mu_);
      for (const std::string& key : resident) index_.Erase(key);
    }
    (void)hot_->DeleteMany(resident);
  }
  return Status::Ok();
}

}  // namespace nokv::object
