// ArtIndex::Iterator: an ordered cursor kept as a stack of (node, position)
// frames from the root down to the current record.
//
// Positions are those of node.h (0 = end slot, b + 1 = child under byte b), so
// moving to the next or previous position in a frame is moving to the next or
// previous key range. A seek may leave a "virtual" position in the deepest
// frame (a byte with no child, or an absent end slot) and then step from it.
#include <vector>

#include "holt/art/art.h"
#include "holt/art/node.h"

namespace nokv::holt {
namespace {

// Three-way comparison of target[depth, depth + prefix_len) against the
// node's prefix: <0 when every key below the node sorts after the target
// (including when the target ends inside the prefix), >0 when every key sorts
// before it, 0 when the target holds the whole prefix.
int ComparePrefix(const Node* node, std::string_view target, size_t depth) {
  const size_t len = node->prefix_len;
  if (len == 0) return 0;
  const uint8_t* prefix = PrefixBytes(node, depth);
  const auto* want = reinterpret_cast<const uint8_t*>(target.data()) + depth;
  const size_t avail = target.size() - depth;
  const size_t n = len < avail ? len : avail;
  for (size_t i = 0; i < n; ++i) {
    if (want[i] != prefix[i]) return want[i] < prefix[i] ? -1 : 1;
  }
  return avail < len ? -1 : 0;
}

}  // namespace

// Invariants: `stack` lists the inner nodes from the root to the node holding
// `current` (its end slot or a leaf child), each frame's position naming the
// entry that leads to the next frame; `current` is nullptr when invalid. A
// root leaf has an empty stack.
struct ArtIndex::Iterator::State {
  struct Frame {
    const Node* node;
    int pos;
  };

  const ArtIndex* index;
  std::vector<Frame> stack;
  Record* current = nullptr;

  void Reset() {
    stack.clear();
    current = nullptr;
  }

  // Positions at the smallest record under `ref`, pushing frames.
  void DescendFirst(const void* ref) {
    while (!IsLeaf(ref)) {
      const Node* node = AsNode(ref);
      const int pos = NextPos(node, kNoPos);
      stack.push_back({node, pos});
      ref = EntryAt(node, pos);
    }
    current = LeafRecord(ref);
  }

  // Positions at the largest record under `ref`, pushing frames.
  void DescendLast(const void* ref) {
    while (!IsLeaf(ref)) {
      const Node* node = AsNode(ref);
      const int pos = PrevPos(node, 257);
      stack.push_back({node, pos});
      ref = EntryAt(node, pos);
    }
    current = LeafRecord(ref);
  }

  // Moves to the first record after the deepest frame's position, popping
  // exhausted frames; invalid when none is left.
  void StepForward() {
    while (!stack.empty()) {
      Frame& top = stack.back();
      const int pos = NextPos(top.node, top.pos);
      if (pos != kNoPos) {
        top.pos = pos;
        DescendFirst(EntryAt(top.node, pos));
        return;
      }
      stack.pop_back();
    }
    current = nullptr;
  }

  // Moves to the last record before the deepest frame's position.
  void StepBackward() {
    while (!stack.empty()) {
      Frame& top = stack.back();
      const int pos = PrevPos(top.node, top.pos);
      if (pos != kNoPos) {
        top.pos = pos;
        DescendLast(EntryAt(top.node, pos));
        return;
      }
      stack.pop_back();
    }
    current = nullptr;
  }

  void Seek(std::string_view target, bool inclusive);
  void SeekForPrev(std::string_view target, bool inclusive);
};

void ArtIndex::Iterator::State::Seek(std::string_view target, bool inclusive) {
  Reset();
  const void* ref = index->root_;
  if (ref == nullptr) return;
  size_t depth = 0;
  while (!IsLeaf(ref)) {
    const Node* node = AsNode(ref);
    const int cmp = ComparePrefix(node, target, depth);
    if (cmp < 0) return DescendFirst(ref);
    if (cmp > 0) return StepForward();
    depth += node->prefix_len;
    if (depth == target.size()) {  // the end slot holds target itself
      stack.push_back({node, 0});
      if (inclusive && node->end != nullptr) {
        current = node->end;
        return;
      }
      return StepForward();
    }
    const auto byte = static_cast<uint8_t>(target[depth]);
    stack.push_back({node, byte + 1});
    ref = FindChild(node, byte);
    if (ref == nullptr) return StepForward();
    ++depth;
  }
  current = LeafRecord(ref);
  const std::string_view key = current->key();
  if (key < target || (!inclusive && key == target)) StepForward();
}

void ArtIndex::Iterator::State::SeekForPrev(std::string_view target, bool inclusive) {
  Reset();
  const void* ref = index->root_;
  if (ref == nullptr) return;
  size_t depth = 0;
  while (!IsLeaf(ref)) {
    const Node* node = AsNode(ref);
    const int cmp = ComparePrefix(node, target, depth);
    if (cmp < 0) return StepBackward();
    if (cmp > 0) return DescendLast(ref);
    depth += node->prefix_len;
    if (depth == target.size()) {  // children all sort after target
      if (inclusive && node->end != nullptr) {
        stack.push_back({node, 0});
        current = node->end;
        return;
      }
      return StepBackward();
    }
    const auto byte = static_cast<uint8_t>(target[depth]);
    stack.push_back({node, byte + 1});
    ref = FindChild(node, byte);
    if (ref == nullptr) return StepBackward();
    ++depth;
  }
  current = LeafRecord(ref);
  const std::string_view key = current->key();
  if (key > target || (!inclusive && key == target)) StepBackward();
}

ArtIndex::Iterator::Iterator(const ArtIndex& index) : state_(std::make_unique<State>()) {
  state_->index = &index;
}
ArtIndex::Iterator::~Iterator() = default;
ArtIndex::Iterator::Iterator(Iterator&&) noexcept = default;
ArtIndex::Iterator& ArtIndex::Iterator::operator=(Iterator&&) noexcept = default;

bool ArtIndex::Iterator::Valid() const { return state_ != nullptr && state_->current != nullptr; }

Record* ArtIndex::Iterator::record() const { return state_->current; }

void ArtIndex::Iterator::SeekToFirst() {
  state_->Reset();
  if (state_->index->root_ != nullptr) state_->DescendFirst(state_->index->root_);
}

void ArtIndex::Iterator::SeekToLast() {
  state_->Reset();
  if (state_->index->root_ != nullptr) state_->DescendLast(state_->index->root_);
}

void ArtIndex::Iterator::Seek(std::string_view target, bool inclusive) {
  state_->Seek(target, inclusive);
}

void ArtIndex::Iterator::SeekForPrev(std::string_view target, bool inclusive) {
  state_->SeekForPrev(target, inclusive);
}

void ArtIndex::Iterator::Next() {
  if (Valid()) state_->StepForward();
}

void ArtIndex::Iterator::Prev() {
  if (Valid()) state_->StepBackward();
}

}  // namespace nokv::holt
