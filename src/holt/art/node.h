// Inner nodes of the ART index: the shared header, tagged child pointers, the
// four node kinds and the kind-dispatching operations used by art.cc and
// iterator.cc. Internal to src/holt/art; nothing outside the index includes it.
//
// A child slot (and ArtIndex::root_) is a tagged `void*`:
//   nullptr               empty (only the root may be empty)
//   low bit 1             a leaf: the Record* with the bit set
//   low bit 0, non-null   an inner node (Node*, 8-byte aligned)
//
// Positions (iteration order inside one node): 0 is the end-of-key slot and
// b + 1 is the child under byte b, so a position sorts like the key it leads to.
#pragma once

#include <cstddef>
#include <cstdint>

#include "holt/record.h"

namespace nokv::holt {

enum class NodeKind : uint8_t { kNode4, kNode16, kNode48, kNode256 };

// Inline prefix bytes held in every node header.
inline constexpr size_t kInlinePrefix = 10;
// Sentinel returned by the position walkers when no position qualifies.
inline constexpr int kNoPos = -1;

// Header shared by all node kinds (24 bytes).
// Invariants, for a node reached after consuming `depth` key bytes:
// - every key below it (end slot included) has length >= depth + prefix_len
//   and holds the node's prefix at [depth, depth + prefix_len);
// - prefix[0, min(prefix_len, kInlinePrefix)) are the first prefix bytes; the
//   rest are read from any record below the node;
// - `end` is the record whose key has length exactly depth + prefix_len;
// - a Node4 holds at least two entries (children plus end slot); a larger
//   kind holds more children than its kShrinkAt (Rebalance restores both).
struct Node {
  uint32_t prefix_len = 0;
  NodeKind kind = NodeKind::kNode4;
  uint8_t count = 0;  // children, for Node4/16/48 (Node256 keeps its own)
  uint8_t prefix[kInlinePrefix] = {};
  Record* end = nullptr;  // end-of-key slot (untagged), or nullptr
};
static_assert(sizeof(Node) == 24);

// Up to 4 children; keys[0, count) strictly ascending, children parallel.
struct Node4 : Node {
  static constexpr NodeKind kKind = NodeKind::kNode4;
  static constexpr int kCapacity = 4;
  uint8_t keys[kCapacity] = {};
  void* children[kCapacity] = {};

  void** FindSlot(uint8_t byte);
  void Add(uint8_t byte, void* child);  // requires count < kCapacity, byte absent
  void Remove(uint8_t byte);            // requires byte present
  int NextByte(int from) const;         // smallest child byte >= from, or kNoPos
  int PrevByte(int upto) const;         // largest child byte <= upto, or kNoPos
};

// 5..16 children (down to 4 before it shrinks); same sorted layout as Node4.
struct Node16 : Node {
  static constexpr NodeKind kKind = NodeKind::kNode16;
  static constexpr int kCapacity = 16;
  static constexpr int kShrinkAt = 3;  // becomes a Node4 at this many children
  uint8_t keys[kCapacity] = {};
  void* children[kCapacity] = {};

  void** FindSlot(uint8_t byte);
  void Add(uint8_t byte, void* child);
  void Remove(uint8_t byte);
  int NextByte(int from) const;
  int PrevByte(int upto) const;
};

// 17..48 children (down to 13 before it shrinks). child_index[b] is 0 when byte b has no child,
// else the slot + 1 in children[]; unused slots of children[] are nullptr.
struct Node48 : Node {
  static constexpr NodeKind kKind = NodeKind::kNode48;
  static constexpr int kCapacity = 48;
  static constexpr int kShrinkAt = 12;  // becomes a Node16 at this many children
  uint8_t child_index[256] = {};
  void* children[kCapacity] = {};

  void** FindSlot(uint8_t byte);
  void Add(uint8_t byte, void* child);
  void Remove(uint8_t byte);
  int NextByte(int from) const;
  int PrevByte(int upto) const;
};

// 49..256 children (down to 38 before it shrinks), indexed directly by byte; `num_children` counts
// non-null entries (the header's uint8 count cannot hold 256).
struct Node256 : Node {
  static constexpr NodeKind kKind = NodeKind::kNode256;
  static constexpr int kShrinkAt = 37;  // becomes a Node48 at this many children
  uint16_t num_children = 0;
  void* children[256] = {};

  void** FindSlot(uint8_t byte) { return children[byte] != nullptr ? &children[byte] : nullptr; }
  void Add(uint8_t byte, void* child);
  void Remove(uint8_t byte);
  int NextByte(int from) const;
  int PrevByte(int upto) const;
};

static_assert(sizeof(Node4) == 64);
static_assert(sizeof(Node16) == 168);
static_assert(sizeof(Node48) == 664);
static_assert(sizeof(Node256) == 2080);

// --- tagged pointers -------------------------------------------------------

static_assert(alignof(Record) >= 2, "leaf tagging uses the low pointer bit");

inline bool IsLeaf(const void* ref) { return (reinterpret_cast<uintptr_t>(ref) & 1) != 0; }
inline Record* LeafRecord(const void* ref) {
  return reinterpret_cast<Record*>(reinterpret_cast<uintptr_t>(ref) & ~uintptr_t{1});
}
inline void* MakeLeaf(Record* record) {
  return reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(record) | 1);
}
inline Node* AsNode(void* ref) { return static_cast<Node*>(ref); }
inline const Node* AsNode(const void* ref) { return static_cast<const Node*>(ref); }

// --- allocation (node.cc); `bytes` tracks ArtIndex::node_bytes_ -------------

// A zeroed node of kind T (header kind set), adding sizeof(T) to *bytes.
template <typename T>
T* NewNode(size_t* bytes) {
  T* node = new T();
  node->kind = T::kKind;
  *bytes += sizeof(T);
  return node;
}
// Frees one inner node (not its children), subtracting its size from *bytes.
void FreeNode(Node* node, size_t* bytes);
// Byte size of a node kind.
size_t NodeSize(NodeKind kind);

// Copies prefix and end slot (not kind or children) from `from` to `to`.
void CopyHeader(Node* to, const Node* from);

// --- growth and shrinking, one per kind (nodeN.cc) --------------------------
// Each replaces the node at *ref by a node of the next kind holding the same
// header and children, and frees the old node.
void GrowNode4(void** ref, size_t* bytes);
void GrowNode16(void** ref, size_t* bytes);
void GrowNode48(void** ref, size_t* bytes);
void ShrinkNode16(void** ref, size_t* bytes);
void ShrinkNode48(void** ref, size_t* bytes);
void ShrinkNode256(void** ref, size_t* bytes);
// Node4 with no end slot and one child: replaces the node by its child,
// merging prefixes when the child is inner. Node4 with only an end slot:
// replaces the node by that leaf.
void CollapseNode4(void** ref, size_t* bytes);

// --- dispatch over kinds (node.cc unless trivial) --------------------------

// The slot holding the child under `byte`, or nullptr.
inline void** FindChildSlot(Node* node, uint8_t byte) {
  switch (node->kind) {
    case NodeKind::kNode4:
      return static_cast<Node4*>(node)->FindSlot(byte);
    case NodeKind::kNode16:
      return static_cast<Node16*>(node)->FindSlot(byte);
    case NodeKind::kNode48:
      return static_cast<Node48*>(node)->FindSlot(byte);
    case NodeKind::kNode256:
      return static_cast<Node256*>(node)->FindSlot(byte);
  }
  return nullptr;
}
inline void* FindChild(const Node* node, uint8_t byte) {
  void** slot = FindChildSlot(const_cast<Node*>(node), byte);
  return slot != nullptr ? *slot : nullptr;
}

// Number of children (end slot excluded).
int ChildCount(const Node* node);
// Adds a child under an absent byte to the node at *ref, growing it if full.
void AddChild(void** ref, uint8_t byte, void* child, size_t* bytes);
// Removes the child under a present byte from the node at *ref.
void RemoveChild(Node* node, uint8_t byte);
// Restores the node invariants at *ref after a child or the end slot was
// removed: shrinks an under-full node, collapses a Node4 into its only entry.
void Rebalance(void** ref, size_t* bytes);

// Smallest position > after, or kNoPos. after = -1 yields the first position.
int NextPos(const Node* node, int after);
// Largest position < before, or kNoPos. before = 257 yields the last position.
int PrevPos(const Node* node, int before);
// The tagged entry at a valid position: MakeLeaf(end) for 0, else the child.
void* EntryAt(const Node* node, int pos);

// Some record below `node` (the end slot, or the first reachable leaf); its key
// supplies prefix bytes beyond the inline ones.
const Record* AnyRecord(const Node* node);
// The node's full prefix bytes: inline when short, else read from AnyRecord.
// `depth` is the number of key bytes consumed before the node.
const uint8_t* PrefixBytes(const Node* node, size_t depth);

}  // namespace nokv::holt
