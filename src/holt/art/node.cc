// Kind-independent node operations: allocation, dispatch of add/remove/walk
// over the four node kinds, rebalancing after removal, and prefix recovery.
#include "holt/art/node.h"

#include <algorithm>
#include <cstring>

namespace nokv::holt {

size_t NodeSize(NodeKind kind) {
  switch (kind) {
    case NodeKind::kNode4:
      return sizeof(Node4);
    case NodeKind::kNode16:
      return sizeof(Node16);
    case NodeKind::kNode48:
      return sizeof(Node48);
    case NodeKind::kNode256:
      return sizeof(Node256);
  }
  return 0;
}

void FreeNode(Node* node, size_t* bytes) {
  *bytes -= NodeSize(node->kind);
  switch (node->kind) {
    case NodeKind::kNode4:
      delete static_cast<Node4*>(node);
      return;
    case NodeKind::kNode16:
      delete static_cast<Node16*>(node);
      return;
    case NodeKind::kNode48:
      delete static_cast<Node48*>(node);
      return;
    case NodeKind::kNode256:
      delete static_cast<Node256*>(node);
      return;
  }
}

void CopyHeader(Node* to, const Node* from) {
  to->prefix_len = from->prefix_len;
  std::memcpy(to->prefix, from->prefix, kInlinePrefix);
  to->end = from->end;
}

int ChildCount(const Node* node) {
  if (node->kind == NodeKind::kNode256) return static_cast<const Node256*>(node)->num_children;
  return node->count;
}

void AddChild(void** ref, uint8_t byte, void* child, size_t* bytes) {
  Node* node = AsNode(*ref);
  switch (node->kind) {
    case NodeKind::kNode4:
      if (node->count < Node4::kCapacity) return static_cast<Node4*>(node)->Add(byte, child);
      GrowNode4(ref, bytes);
      return static_cast<Node16*>(*ref)->Add(byte, child);
    case NodeKind::kNode16:
      if (node->count < Node16::kCapacity) return static_cast<Node16*>(node)->Add(byte, child);
      GrowNode16(ref, bytes);
      return static_cast<Node48*>(*ref)->Add(byte, child);
    case NodeKind::kNode48:
      if (node->count < Node48::kCapacity) return static_cast<Node48*>(node)->Add(byte, child);
      GrowNode48(ref, bytes);
      return static_cast<Node256*>(*ref)->Add(byte, child);
    case NodeKind::kNode256:
      return static_cast<Node256*>(node)->Add(byte, child);
  }
}

void RemoveChild(Node* node, uint8_t byte) {
  switch (node->kind) {
    case NodeKind::kNode4:
      return static_cast<Node4*>(node)->Remove(byte);
    case NodeKind::kNode16:
      return static_cast<Node16*>(node)->Remove(byte);
    case NodeKind::kNode48:
      return static_cast<Node48*>(node)->Remove(byte);
    case NodeKind::kNode256:
      return static_cast<Node256*>(node)->Remove(byte);
  }
}

void Rebalance(void** ref, size_t* bytes) {
  Node* node = AsNode(*ref);
  const int children = ChildCount(node);
  switch (node->kind) {
    case NodeKind::kNode4:
      if (children + (node->end != nullptr ? 1 : 0) < 2) CollapseNode4(ref, bytes);
      return;
    case NodeKind::kNode16:
      if (children <= Node16::kShrinkAt) ShrinkNode16(ref, bytes);
      return;
    case NodeKind::kNode48:
      if (children <= Node48::kShrinkAt) ShrinkNode48(ref, bytes);
      return;
    case NodeKind::kNode256:
      if (children <= Node256::kShrinkAt) ShrinkNode256(ref, bytes);
      return;
  }
}

namespace {

// Smallest child byte >= from (0 <= from <= 255), or kNoPos.
int NextChildByte(const Node* node, int from) {
  switch (node->kind) {
    case NodeKind::kNode4:
      return static_cast<const Node4*>(node)->NextByte(from);
    case NodeKind::kNode16:
      return static_cast<const Node16*>(node)->NextByte(from);
    case NodeKind::kNode48:
      return static_cast<const Node48*>(node)->NextByte(from);
    case NodeKind::kNode256:
      return static_cast<const Node256*>(node)->NextByte(from);
  }
  return kNoPos;
}

// Largest child byte <= upto (0 <= upto <= 255), or kNoPos.
int PrevChildByte(const Node* node, int upto) {
  switch (node->kind) {
    case NodeKind::kNode4:
      return static_cast<const Node4*>(node)->PrevByte(upto);
    case NodeKind::kNode16:
      return static_cast<const Node16*>(node)->PrevByte(upto);
    case NodeKind::kNode48:
      return static_cast<const Node48*>(node)->PrevByte(upto);
    case NodeKind::kNode256:
      return static_cast<const Node256*>(node)->PrevByte(upto);
  }
  return kNoPos;
}

}  // namespace

int NextPos(const Node* node, int after) {
  if (after < 0 && node->end != nullptr) return 0;
  // Position b + 1 > after  <=>  b >= after.
  const int from = std::max(after, 0);
  if (from > 255) return kNoPos;
  const int byte = NextChildByte(node, from);
  return byte == kNoPos ? kNoPos : byte + 1;
}

int PrevPos(const Node* node, int before) {
  // Position b + 1 < before  <=>  b <= before - 2.
  const int upto = std::min(before - 2, 255);
  if (upto >= 0) {
    const int byte = PrevChildByte(node, upto);
    if (byte != kNoPos) return byte + 1;
  }
  if (before > 0 && node->end != nullptr) return 0;
  return kNoPos;
}

void* EntryAt(const Node* node, int pos) {
  if (pos == 0) return MakeLeaf(node->end);
  return FindChild(node, static_cast<uint8_t>(pos - 1));
}

const Record* AnyRecord(const Node* node) {
  for (;;) {
    if (node->end != nullptr) return node->end;
    const void* child = FindChild(node, static_cast<uint8_t>(NextChildByte(node, 0)));
    if (IsLeaf(child)) return LeafRecord(child);
    node = AsNode(child);
  }
}

const uint8_t* PrefixBytes(const Node* node, size_t depth) {
  if (node->prefix_len <= kInlinePrefix) return node->prefix;
  return reinterpret_cast<const uint8_t*>(AnyRecord(node)->data()) + depth;
}

}  // namespace nokv::holt
