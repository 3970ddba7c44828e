// ArtIndex point operations: Find, Upsert and Erase, including path-compressed
// prefix checks, leaf and prefix splits, and node teardown and shape counts.
//
// Find and Erase check only the inline prefix bytes while descending and then
// compare the whole key at the record they reach (optimistic path
// compression). Upsert needs the exact split point, so it compares the full
// prefix, reading bytes beyond the inline ones from a record below the node.
#include "holt/art/art.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "holt/art/node.h"

namespace nokv::holt {
namespace {

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// Optimistically consumes `node`'s prefix: false when `key` is too short or
// differs in an inline byte; else advances *depth past the prefix.
inline bool SkipPrefix(const Node* node, std::string_view key, size_t* depth) {
  const size_t len = node->prefix_len;
  if (len == 0) return true;
  if (key.size() - *depth < len) return false;
  if (std::memcmp(node->prefix, key.data() + *depth, std::min(len, kInlinePrefix)) != 0) {
    return false;
  }
  *depth += len;
  return true;
}

inline Record* IfKeyIs(Record* record, std::string_view key) {
  return record != nullptr && record->key() == key ? record : nullptr;
}

// Number of leading prefix bytes of `node` that `key` matches from `depth`
// (stops where the key ends). Equals prefix_len on a full match.
size_t MatchPrefix(const Node* node, std::string_view key, size_t depth) {
  const size_t limit = std::min<size_t>(node->prefix_len, key.size() - depth);
  const uint8_t* want = Bytes(key) + depth;
  const size_t inline_limit = std::min(limit, kInlinePrefix);
  for (size_t i = 0; i < inline_limit; ++i) {
    if (node->prefix[i] != want[i]) return i;
  }
  if (limit <= kInlinePrefix) return limit;
  const uint8_t* full = PrefixBytes(node, depth);
  for (size_t i = kInlinePrefix; i < limit; ++i) {
    if (full[i] != want[i]) return i;
  }
  return limit;
}

// Puts `record` into a fresh node that sits at key offset `at` (after its
// prefix): the end slot when the key ends there, else a child leaf.
void Place(Node4* node, Record* record, size_t at) {
  const std::string_view key = record->key();
  if (key.size() == at) {
    node->end = record;
  } else {
    node->Add(static_cast<uint8_t>(key[at]), MakeLeaf(record));
  }
}

// Replaces the leaf at *ref (reached at `depth`) by a Node4 holding both the
// old record and `record`, whose keys differ.
void SplitLeaf(void** ref, size_t depth, Record* record, size_t* bytes) {
  Record* old = LeafRecord(*ref);
  const std::string_view a = old->key().substr(depth);
  const std::string_view b = record->key().substr(depth);
  const size_t common = static_cast<size_t>(
      std::mismatch(a.begin(), a.begin() + std::min(a.size(), b.size()), b.begin()).first -
      a.begin());
  auto* node = NewNode<Node4>(bytes);
  node->prefix_len = static_cast<uint32_t>(common);
  std::memcpy(node->prefix, b.data(), std::min(common, kInlinePrefix));
  Place(node, old, depth + common);
  Place(node, record, depth + common);
  *ref = node;
}

// The key of `record` leaves the prefix of the node at *ref (reached at
// `depth`) after `matched` bytes: inserts a Node4 above it whose prefix is the
// shared part, and shortens the old node's prefix.
void SplitPrefix(void** ref, size_t depth, size_t matched, Record* record, size_t* bytes) {
  Node* old = AsNode(*ref);
  const uint8_t* full = PrefixBytes(old, depth);
  auto* node = NewNode<Node4>(bytes);
  node->prefix_len = static_cast<uint32_t>(matched);
  std::memcpy(node->prefix, full, std::min(matched, kInlinePrefix));
  const uint8_t old_byte = full[matched];
  const size_t rest = old->prefix_len - matched - 1;
  uint8_t shortened[kInlinePrefix];
  std::memcpy(shortened, full + matched + 1, std::min(rest, kInlinePrefix));  // full may alias
  std::memcpy(old->prefix, shortened, std::min(rest, kInlinePrefix));
  old->prefix_len = static_cast<uint32_t>(rest);
  node->Add(old_byte, old);
  Place(node, record, depth + matched);
  *ref = node;
}

}  // namespace

ArtIndex::ArtIndex() = default;

ArtIndex::~ArtIndex() {
  std::vector<Node*> pending;
  if (root_ != nullptr && !IsLeaf(root_)) pending.push_back(AsNode(root_));
  while (!pending.empty()) {
    Node* node = pending.back();
    pending.pop_back();
    for (int pos = NextPos(node, 0); pos != kNoPos; pos = NextPos(node, pos)) {
      void* child = EntryAt(node, pos);
      if (!IsLeaf(child)) pending.push_back(AsNode(child));
    }
    FreeNode(node, &node_bytes_);
  }
}

Record* ArtIndex::Find(std::string_view key) const {
  const void* ref = root_;
  size_t depth = 0;
  while (ref != nullptr && !IsLeaf(ref)) {
    const Node* node = AsNode(ref);
    if (!SkipPrefix(node, key, &depth)) return nullptr;
    if (depth == key.size()) return IfKeyIs(node->end, key);
    ref = FindChild(node, static_cast<uint8_t>(key[depth]));
    ++depth;
  }
  return ref == nullptr ? nullptr : IfKeyIs(LeafRecord(ref), key);
}

Record* ArtIndex::Upsert(Record* record) {
  const std::string_view key = record->key();
  void** ref = &root_;
  size_t depth = 0;
  for (;;) {
    if (*ref == nullptr) {  // only an empty root
      *ref = MakeLeaf(record);
      break;
    }
    if (IsLeaf(*ref)) {
      Record* old = LeafRecord(*ref);
      if (old->key() == key) {
        *ref = MakeLeaf(record);
        return old;
      }
      SplitLeaf(ref, depth, record, &node_bytes_);
      break;
    }
    Node* node = AsNode(*ref);
    const size_t matched = MatchPrefix(node, key, depth);
    if (matched < node->prefix_len) {
      SplitPrefix(ref, depth, matched, record, &node_bytes_);
      break;
    }
    depth += matched;
    if (depth == key.size()) {
      Record* old = node->end;
      node->end = record;
      if (old != nullptr) return old;
      break;
    }
    const auto byte = static_cast<uint8_t>(key[depth]);
    void** slot = FindChildSlot(node, byte);
    if (slot == nullptr) {
      AddChild(ref, byte, MakeLeaf(record), &node_bytes_);
      break;
    }
    ref = slot;
    ++depth;
  }
  ++size_;
  return nullptr;
}

Record* ArtIndex::Erase(std::string_view key) {
  if (root_ == nullptr) return nullptr;
  if (IsLeaf(root_)) {
    Record* record = IfKeyIs(LeafRecord(root_), key);
    if (record == nullptr) return nullptr;
    root_ = nullptr;
    --size_;
    return record;
  }
  void** ref = &root_;  // always an inner node below
  size_t depth = 0;
  for (;;) {
    Node* node = AsNode(*ref);
    if (!SkipPrefix(node, key, &depth)) return nullptr;
    Record* record = nullptr;
    if (depth == key.size()) {
      record = IfKeyIs(node->end, key);
      if (record == nullptr) return nullptr;
      node->end = nullptr;
    } else {
      const auto byte = static_cast<uint8_t>(key[depth]);
      void** slot = FindChildSlot(node, byte);
      if (slot == nullptr) return nullptr;
      if (!IsLeaf(*slot)) {
        ref = slot;
        ++depth;
        continue;
      }
      record = IfKeyIs(LeafRecord(*slot), key);
      if (record == nullptr) return nullptr;
      RemoveChild(node, byte);
    }
    Rebalance(ref, &node_bytes_);
    --size_;
    return record;
  }
}

ArtIndex::Shape ArtIndex::shape() const {
  Shape shape;
  std::vector<const Node*> pending;
  if (root_ != nullptr && !IsLeaf(root_)) pending.push_back(AsNode(root_));
  while (!pending.empty()) {
    const Node* node = pending.back();
    pending.pop_back();
    switch (node->kind) {
      case NodeKind::kNode4:
        ++shape.node4;
        break;
      case NodeKind::kNode16:
        ++shape.node16;
        break;
      case NodeKind::kNode48:
        ++shape.node48;
        break;
      case NodeKind::kNode256:
        ++shape.node256;
        break;
    }
    for (int pos = NextPos(node, 0); pos != kNoPos; pos = NextPos(node, pos)) {
      const void* child = EntryAt(node, pos);
      if (!IsLeaf(child)) pending.push_back(AsNode(child));
    }
  }
  return shape;
}

}  // namespace nokv::holt
