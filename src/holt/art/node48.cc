// Node48: up to 48 children reached through a 256-entry byte -> slot index.
// Grows into a Node256 and shrinks into a Node16.
#include "holt/art/node.h"

namespace nokv::holt {

void** Node48::FindSlot(uint8_t byte) {
  const uint8_t slot = child_index[byte];
  return slot != 0 ? &children[slot - 1] : nullptr;
}

void Node48::Add(uint8_t byte, void* child) {
  int slot = 0;
  while (children[slot] != nullptr) ++slot;  // count < kCapacity: a free slot exists
  children[slot] = child;
  child_index[byte] = static_cast<uint8_t>(slot + 1);
  ++count;
}

void Node48::Remove(uint8_t byte) {
  children[child_index[byte] - 1] = nullptr;
  child_index[byte] = 0;
  --count;
}

int Node48::NextByte(int from) const {
  for (int b = from; b < 256; ++b) {
    if (child_index[b] != 0) return b;
  }
  return kNoPos;
}

int Node48::PrevByte(int upto) const {
  for (int b = upto; b >= 0; --b) {
    if (child_index[b] != 0) return b;
  }
  return kNoPos;
}

void GrowNode48(void** ref, size_t* bytes) {
  auto* old = static_cast<Node48*>(*ref);
  auto* grown = NewNode<Node256>(bytes);
  CopyHeader(grown, old);
  for (int b = 0; b < 256; ++b) {
    if (old->child_index[b] != 0) grown->children[b] = old->children[old->child_index[b] - 1];
  }
  grown->num_children = old->count;
  *ref = grown;
  FreeNode(old, bytes);
}

void ShrinkNode48(void** ref, size_t* bytes) {
  auto* old = static_cast<Node48*>(*ref);
  auto* shrunk = NewNode<Node16>(bytes);
  CopyHeader(shrunk, old);
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    if (old->child_index[b] == 0) continue;
    shrunk->keys[n] = static_cast<uint8_t>(b);
    shrunk->children[n] = old->children[old->child_index[b] - 1];
    ++n;
  }
  shrunk->count = static_cast<uint8_t>(n);
  *ref = shrunk;
  FreeNode(old, bytes);
}

}  // namespace nokv::holt
