// The read path: point reads, ordered scans, prefix counts and read pins.
//
// Readers hold tree_mu_ shared for the duration of one call and read the
// visible sequence inside it, so a concurrent prune (which needs tree_mu_
// exclusively) can never free a version the call is about to see.
#include <algorithm>

#include "holt/engine.h"
#include "holt/versions.h"

namespace nokv::holt {
namespace {

// The smallest string greater than every string starting with `prefix`, or
// nullopt when there is none (empty or all-0xff prefix).
std::optional<std::string> PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty() && static_cast<unsigned char>(s.back()) == 0xff) s.pop_back();
  if (s.empty()) return std::nullopt;
  s.back() = static_cast<char>(static_cast<unsigned char>(s.back()) + 1);
  return s;
}

void PositionForward(ArtIndex::Iterator* it, const ScanOptions& options) {
  if (options.start_after.has_value() && *options.start_after >= options.prefix) {
    it->Seek(*options.start_after, /*inclusive=*/false);
  } else {
    it->Seek(options.prefix, /*inclusive=*/true);
  }
}

void PositionReverse(ArtIndex::Iterator* it, const ScanOptions& options) {
  std::optional<std::string> bound = PrefixSuccessor(options.prefix);
  if (options.start_after.has_value() && (!bound || *options.start_after < *bound)) {
    bound = options.start_after;
  }
  if (bound.has_value()) {
    it->SeekForPrev(*bound, /*inclusive=*/false);
  } else {
    it->SeekToLast();
  }
}

}  // namespace

Result<Value> Engine::Get(std::string_view key, const ReadView* view) const {
  std::shared_lock tree(tree_mu_);
  uint64_t seq = view != nullptr ? view->seq() : visible_seq();
  const Record* record = VisibleAt(index_.Find(key), seq);
  if (record == nullptr) return Status::NotFound("no such key");
  return Value{std::string(record->value()), record->seq};
}

Result<std::vector<Entry>> Engine::Scan(const ScanOptions& options, const ReadView* view) const {
  std::vector<Entry> out;
  if (options.limit == 0) return out;
  std::shared_lock tree(tree_mu_);
  uint64_t seq = view != nullptr ? view->seq() : visible_seq();
  ArtIndex::Iterator it(index_);
  if (options.reverse) {
    PositionReverse(&it, options);
  } else {
    PositionForward(&it, options);
  }
  while (it.Valid() && it.key().starts_with(options.prefix)) {
    if (const Record* record = VisibleAt(it.record(), seq)) {
      Entry& e = out.emplace_back();
      e.key = record->key();
      if (!options.keys_only) e.value = record->value();
      e.seq = record->seq;
      if (out.size() >= options.limit) break;
    }
    if (options.reverse) {
      it.Prev();
    } else {
      it.Next();
    }
  }
  return out;
}

uint64_t Engine::CountPrefix(std::string_view prefix, const ReadView* view) const {
  std::shared_lock tree(tree_mu_);
  uint64_t seq = view != nullptr ? view->seq() : visible_seq();
  uint64_t count = 0;
  ArtIndex::Iterator it(index_);
  for (it.Seek(prefix); it.Valid() && it.key().starts_with(prefix); it.Next()) {
    if (VisibleAt(it.record(), seq) != nullptr) ++count;
  }
  return count;
}

ReadView Engine::Pin() {
  std::shared_lock tree(tree_mu_);
  uint64_t seq = visible_seq();
  RegisterPin(seq);
  return ReadView(this, seq);
}

Result<ReadView> Engine::PinAt(uint64_t seq) {
  std::shared_lock tree(tree_mu_);
  uint64_t visible = visible_seq();
  if (seq > visible) {
    return Status::InvalidArgument("sequence " + std::to_string(seq) +
                                   " is not visible yet (latest is " + std::to_string(visible) +
                                   ")");
  }
  std::lock_guard lock(pin_mu_);
  bool held =
      reader_pins_.contains(seq) || std::any_of(durable_pins_.begin(), durable_pins_.end(),
                                                [&](const auto& kv) { return kv.second == seq; });
  if (seq != visible && !held && seq < prune_floor_) {
    return Status::Expired("sequence " + std::to_string(seq) +
                           " is no longer retained; restart from the latest (" +
                           std::to_string(visible) + ")");
  }
  reader_pins_[seq]++;
  return ReadView(this, seq);
}

Result<ReadView> Engine::PinDurable(std::string_view name) {
  std::shared_lock tree(tree_mu_);
  std::lock_guard lock(pin_mu_);
  auto it = durable_pins_.find(std::string(name));
  if (it == durable_pins_.end()) {
    return Status::NotFound("no durable pin named '" + std::string(name) + "'");
  }
  reader_pins_[it->second]++;
  return ReadView(this, it->second);
}

std::map<std::string, uint64_t> Engine::DurablePins() const {
  std::lock_guard lock(pin_mu_);
  return durable_pins_;
}

uint64_t Engine::OldestPin() const {
  std::lock_guard lock(pin_mu_);
  uint64_t oldest = visible_seq();
  if (!reader_pins_.empty()) oldest = std::min(oldest, reader_pins_.begin()->first);
  for (const auto& [name, seq] : durable_pins_) oldest = std::min(oldest, seq);
  return oldest;
}

uint64_t Engine::OldestReaderPin() const {
  std::lock_guard lock(pin_mu_);
  uint64_t oldest = visible_seq();
  if (!reader_pins_.empty()) oldest = std::min(oldest, reader_pins_.begin()->first);
  return oldest;
}

void Engine::RegisterPin(uint64_t seq) {
  std::lock_guard lock(pin_mu_);
  reader_pins_[seq]++;
}

void Engine::ReleasePin(uint64_t seq) {
  std::lock_guard lock(pin_mu_);
  auto it = reader_pins_.find(seq);
  if (it != reader_pins_.end() && --it->second == 0) reader_pins_.erase(it);
}

ReadView::ReadView(ReadView&& other) noexcept
    : engine_(std::exchange(other.engine_, nullptr)), seq_(other.seq_) {}

ReadView& ReadView::operator=(ReadView&& other) noexcept {
  if (this != &other) {
    Release();
    engine_ = std::exchange(other.engine_, nullptr);
    seq_ = other.seq_;
  }
  return *this;
}

ReadView::~ReadView() { Release(); }

void ReadView::Release() {
  if (engine_ != nullptr) engine_->ReleasePin(seq_);
  engine_ = nullptr;
}

}  // namespace nokv::holt
