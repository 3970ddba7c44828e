// The filesystem metadata shape every engine workload writes and reads.
//
// One "create" is what a metadata layer stores for a new file: an inode
// record and a directory entry. In Holt that is two keys,
//   inode:  'i' + be64(inode)               -> 64-byte packed attributes
//   dentry: 'd' + be64(parent) + name       -> be64(inode) + type (9 bytes)
// and in SQLite one row in `node` plus one row in `edge` (JuiceFS SQL layout).
// Creates are generated deterministically from (stream, index) so concurrent
// writers use disjoint inode and directory ranges and readers can regenerate keys.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bench/common/node_attrs.h"

namespace nokv::bench {

inline constexpr uint64_t kFilesPerDir = 1024;
inline constexpr size_t kNodeValueBytes = 64;
inline constexpr size_t kDentryValueBytes = 9;

struct CreateOp {
  uint64_t inode = 0;
  uint64_t parent = 0;
  std::string name;
  NodeAttrs attrs;
};

// The `index`-th create of writer `stream`.
CreateOp MakeCreate(uint32_t stream, uint64_t index);
// Same, reusing *op's storage (no allocation once the name buffer is large enough).
void FillCreate(uint32_t stream, uint64_t index, CreateOp* op);

// Holt keys and values; each Append* appends to *dst.
void AppendInodeKey(uint64_t inode, std::string* dst);
void AppendDentryKey(uint64_t parent, std::string_view name, std::string* dst);
void AppendNodeValue(const NodeAttrs& attrs, std::string* dst);          // kNodeValueBytes
void AppendDentryValue(uint64_t inode, uint8_t type, std::string* dst);  // kDentryValueBytes

}  // namespace nokv::bench
