// ResidencyIndex: LRU bookkeeping and its encoding.
#include "object/residency_index.h"

#include "common/coding.h"
#include "common/crc32c.h"

namespace nokv::object {

const ResidencyIndex::Entry* ResidencyIndex::Touch(std::string_view key) {
  auto it = map_.find(std::string(key));
  if (it == map_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return &*it->second;
}

void ResidencyIndex::MarkVerified(std::string_view key) {
  auto it = map_.find(std::string(key));
  if (it != map_.end()) it->second->verified = true;
}

void ResidencyIndex::Insert(std::string_view key, uint64_t size, bool verified) {
  Erase(key);
  lru_.push_front(Entry{std::string(key), size, verified});
  map_.emplace(lru_.front().key, lru_.begin());
  bytes_ += size;
}

void ResidencyIndex::InsertOldest(std::string_view key, uint64_t size) {
  Erase(key);
  lru_.push_back(Entry{std::string(key), size});
  map_.emplace(lru_.back().key, std::prev(lru_.end()));
  bytes_ += size;
}

bool ResidencyIndex::Erase(std::string_view key) {
  auto it = map_.find(std::string(key));
  if (it == map_.end()) return false;
  bytes_ -= it->second->size;
  lru_.erase(it->second);
  map_.erase(it);
  return true;
}

std::vector<ResidencyIndex::Entry> ResidencyIndex::EvictTo(uint64_t capacity) {
  std::vector<Entry> victims;
  while (bytes_ > capacity && !lru_.empty()) {
    Entry victim = lru_.back();
    Erase(victim.key);
    victims.push_back(std::move(victim));
  }
  return victims;
}

std::vector<ResidencyIndex::Entry> ResidencyIndex::Entries() const {
  return std::vector<Entry>(lru_.begin(), lru_.end());
}

std::string ResidencyIndex::Encode() const {
  std::string out(kResidencyMagic);
  PutFixed32(&out, kResidencyVersion);
  PutVarint64(&out, lru_.size());
  for (const Entry& entry : lru_) {
    PutLengthPrefixed(&out, entry.key);
    PutVarint64(&out, entry.size);
  }
  PutFixed32(&out, crc32c::Mask(crc32c::Value(out)));
  return out;
}

Result<std::vector<ResidencyIndex::Entry>> ResidencyIndex::Decode(std::string_view data) {
  constexpr size_t kTrailer = 4;
  if (data.size() < kResidencyMagic.size() + 4 + 1 + kTrailer ||
      data.substr(0, kResidencyMagic.size()) != kResidencyMagic) {
    return Status::Corruption("residency index: bad magic or too short");
  }
  std::string_view body = data.substr(0, data.size() - kTrailer);
  uint32_t stored = DecodeFixed32(data.data() + body.size());
  if (crc32c::Unmask(stored) != crc32c::Value(body)) {
    return Status::Corruption("residency index: checksum mismatch");
  }
  Decoder in(body.substr(kResidencyMagic.size()));
  uint32_t version = 0;
  uint64_t count = 0;
  if (!in.GetFixed32(&version) || !in.GetVarint64(&count)) {
    return Status::Corruption("residency index: truncated header");
  }
  if (version != kResidencyVersion) {
    return Status::Corruption("residency index: unsupported version " + std::to_string(version));
  }
  std::vector<Entry> entries;
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view key;
    uint64_t size = 0;
    if (!in.GetLengthPrefixed(&key) || !in.GetVarint64(&size)) {
      return Status::Corruption("residency index: truncated entry " + std::to_string(i));
    }
    entries.push_back(Entry{std::string(key), size});
  }
  if (!in.empty()) return Status::Corruption("residency index: trailing bytes");
  return entries;
}

}  // namespace nokv::object
