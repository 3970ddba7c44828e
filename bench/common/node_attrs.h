// The attributes of one inode as the benchmarks' stores keep them: the
// columns of JuiceFS's jfs_node table, shared by the Holt encoding of the
// engine suite and by every SQLite peer.
#pragma once

#include <cstdint>

namespace nokv::bench {

inline constexpr uint8_t kTypeFile = 1;
inline constexpr uint8_t kTypeDirectory = 2;

struct NodeAttrs {
  uint8_t type = kTypeFile;
  uint32_t mode = 0644;
  uint32_t uid = 1000;
  uint32_t gid = 1000;
  uint32_t nlink = 1;
  uint64_t length = 0;
  int64_t atime_ns = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint32_t rdev = 0;
  uint64_t parent = 0;
};

}  // namespace nokv::bench
