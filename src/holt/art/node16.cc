// Node16: up to sixteen children in sorted parallel arrays, searched with one
// SSE2 compare on x86-64 (a scalar loop elsewhere). Grows into a Node48 and
// shrinks into a Node4.
#include <cstring>

#include "holt/art/node.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace nokv::holt {

void** Node16::FindSlot(uint8_t byte) {
#if defined(__SSE2__)
  const __m128i needle = _mm_set1_epi8(static_cast<char>(byte));
  const __m128i haystack = _mm_loadu_si128(reinterpret_cast<const __m128i*>(keys));
  const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(needle, haystack))) &
                        ((1u << count) - 1);
  return mask != 0 ? &children[__builtin_ctz(mask)] : nullptr;
#else
  for (int i = 0; i < count; ++i) {
    if (keys[i] == byte) return &children[i];
  }
  return nullptr;
#endif
}

void Node16::Add(uint8_t byte, void* child) {
  int i = 0;
  while (i < count && keys[i] < byte) ++i;
  std::memmove(keys + i + 1, keys + i, count - i);
  std::memmove(children + i + 1, children + i, (count - i) * sizeof(void*));
  keys[i] = byte;
  children[i] = child;
  ++count;
}

void Node16::Remove(uint8_t byte) {
  int i = 0;
  while (keys[i] != byte) ++i;
  std::memmove(keys + i, keys + i + 1, count - i - 1);
  std::memmove(children + i, children + i + 1, (count - i - 1) * sizeof(void*));
  --count;
  keys[count] = 0;
  children[count] = nullptr;
}

int Node16::NextByte(int from) const {
  for (int i = 0; i < count; ++i) {
    if (keys[i] >= from) return keys[i];
  }
  return kNoPos;
}

int Node16::PrevByte(int upto) const {
  for (int i = count - 1; i >= 0; --i) {
    if (keys[i] <= upto) return keys[i];
  }
  return kNoPos;
}

void GrowNode16(void** ref, size_t* bytes) {
  auto* old = static_cast<Node16*>(*ref);
  auto* grown = NewNode<Node48>(bytes);
  CopyHeader(grown, old);
  for (int i = 0; i < old->count; ++i) {
    grown->child_index[old->keys[i]] = static_cast<uint8_t>(i + 1);
    grown->children[i] = old->children[i];
  }
  grown->count = old->count;
  *ref = grown;
  FreeNode(old, bytes);
}

void ShrinkNode16(void** ref, size_t* bytes) {
  auto* old = static_cast<Node16*>(*ref);
  auto* shrunk = NewNode<Node4>(bytes);
  CopyHeader(shrunk, old);
  std::memcpy(shrunk->keys, old->keys, old->count);
  std::memcpy(shrunk->children, old->children, old->count * sizeof(void*));
  shrunk->count = old->count;
  *ref = shrunk;
  FreeNode(old, bytes);
}

}  // namespace nokv::holt
