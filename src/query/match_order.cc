// Match ordering, top-k and projection.
#include "query/match_order.h"

#include <algorithm>

namespace nokv::query {
namespace {

// The value a row sorts by for `key`, or nullptr when missing.
const records::TypedValue* SortValue(const SortKey& key, const MatchRow& row) {
  auto it = row.values.find(key.field);
  if (it == row.values.end() || it->second.empty()) return nullptr;
  const auto& vs = it->second;
  auto pick =
      key.desc ? std::max_element(vs.begin(), vs.end()) : std::min_element(vs.begin(), vs.end());
  return &*pick;
}

}  // namespace

bool ComesBefore(const std::vector<SortKey>& keys, const MatchRow& a, const MatchRow& b) {
  for (const auto& key : keys) {
    const records::TypedValue* va = SortValue(key, a);
    const records::TypedValue* vb = SortValue(key, b);
    if (va == nullptr || vb == nullptr) {
      if (va != vb) return vb == nullptr;  // missing sorts last
      continue;
    }
    int c = records::Compare(*va, *vb);
    if (c != 0) return key.desc ? c > 0 : c < 0;
  }
  return a.path < b.path;
}

void TopK::Offer(MatchRow row) {
  auto before = [this](const MatchRow& a, const MatchRow& b) { return ComesBefore(keys_, a, b); };
  if (heap_.size() == k_) {
    if (k_ == 0 || !before(row, heap_.front())) return;
    std::pop_heap(heap_.begin(), heap_.end(), before);
    heap_.back() = std::move(row);
  } else {
    heap_.push_back(std::move(row));
  }
  std::push_heap(heap_.begin(), heap_.end(), before);
}

std::vector<MatchRow> TopK::Take() {
  auto before = [this](const MatchRow& a, const MatchRow& b) { return ComesBefore(keys_, a, b); };
  std::sort_heap(heap_.begin(), heap_.end(), before);
  return std::move(heap_);
}

bool Projection::Wants(std::string_view id) const {
  if (std::find(ids.begin(), ids.end(), id) != ids.end()) return true;
  for (const auto& p : prefixes) {
    if (id.starts_with(p)) return true;
  }
  return false;
}

}  // namespace nokv::query
