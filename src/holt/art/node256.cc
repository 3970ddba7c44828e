// Node256: one child pointer per byte value. Shrinks into a Node48.
#include "holt/art/node.h"

namespace nokv::holt {

void Node256::Add(uint8_t byte, void* child) {
  children[byte] = child;
  ++num_children;
}

void Node256::Remove(uint8_t byte) {
  children[byte] = nullptr;
  --num_children;
}

int Node256::NextByte(int from) const {
  for (int b = from; b < 256; ++b) {
    if (children[b] != nullptr) return b;
  }
  return kNoPos;
}

int Node256::PrevByte(int upto) const {
  for (int b = upto; b >= 0; --b) {
    if (children[b] != nullptr) return b;
  }
  return kNoPos;
}

void ShrinkNode256(void** ref, size_t* bytes) {
  auto* old = static_cast<Node256*>(*ref);
  auto* shrunk = NewNode<Node48>(bytes);
  CopyHeader(shrunk, old);
  int slot = 0;
  for (int b = 0; b < 256; ++b) {
    if (old->children[b] == nullptr) continue;
    shrunk->children[slot] = old->children[b];
    shrunk->child_index[b] = static_cast<uint8_t>(slot + 1);
    ++slot;
  }
  shrunk->count = static_cast<uint8_t>(slot);
  *ref = shrunk;
  FreeNode(old, bytes);
}

}  // namespace nokv::holt
