// Node4: up to four children in sorted parallel arrays. Grows into a Node16;
// when left with a single entry it collapses into that entry, merging its
// prefix into an inner child's.
#include <algorithm>
#include <cstring>

#include "holt/art/node.h"

namespace nokv::holt {

void** Node4::FindSlot(uint8_t byte) {
  for (int i = 0; i < count; ++i) {
    if (keys[i] == byte) return &children[i];
  }
  return nullptr;
}

void Node4::Add(uint8_t byte, void* child) {
  int i = 0;
  while (i < count && keys[i] < byte) ++i;
  for (int j = count; j > i; --j) {
    keys[j] = keys[j - 1];
    children[j] = children[j - 1];
  }
  keys[i] = byte;
  children[i] = child;
  ++count;
}

void Node4::Remove(uint8_t byte) {
  int i = 0;
  while (keys[i] != byte) ++i;
  for (int j = i + 1; j < count; ++j) {
    keys[j - 1] = keys[j];
    children[j - 1] = children[j];
  }
  --count;
  children[count] = nullptr;
}

int Node4::NextByte(int from) const {
  for (int i = 0; i < count; ++i) {
    if (keys[i] >= from) return keys[i];
  }
  return kNoPos;
}

int Node4::PrevByte(int upto) const {
  for (int i = count - 1; i >= 0; --i) {
    if (keys[i] <= upto) return keys[i];
  }
  return kNoPos;
}

void GrowNode4(void** ref, size_t* bytes) {
  auto* old = static_cast<Node4*>(*ref);
  auto* grown = NewNode<Node16>(bytes);
  CopyHeader(grown, old);
  std::memcpy(grown->keys, old->keys, old->count);
  std::memcpy(grown->children, old->children, old->count * sizeof(void*));
  grown->count = old->count;
  *ref = grown;
  FreeNode(old, bytes);
}

namespace {

// Makes `child` (an inner node) absorb `parent`'s prefix and the byte leading
// to it: child prefix := parent prefix + byte + child prefix.
void MergePrefixInto(const Node4* parent, uint8_t byte, Node* child) {
  uint8_t merged[kInlinePrefix];
  size_t n = std::min<size_t>(parent->prefix_len, kInlinePrefix);
  std::memcpy(merged, parent->prefix, n);
  if (n < kInlinePrefix) merged[n++] = byte;
  const size_t from_child = std::min<size_t>(kInlinePrefix - n, child->prefix_len);
  std::memcpy(merged + n, child->prefix, from_child);
  n += from_child;
  std::memcpy(child->prefix, merged, n);
  child->prefix_len += parent->prefix_len + 1;
}

}  // namespace

void CollapseNode4(void** ref, size_t* bytes) {
  auto* node = static_cast<Node4*>(*ref);
  if (node->count == 0) {
    *ref = MakeLeaf(node->end);  // only the end slot is left
  } else {
    void* child = node->children[0];
    if (!IsLeaf(child)) MergePrefixInto(node, node->keys[0], AsNode(child));
    *ref = child;
  }
  FreeNode(node, bytes);
}

}  // namespace nokv::holt
