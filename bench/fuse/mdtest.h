// F1: our own mdtest clone, one task, plain POSIX calls on full paths (as
// mdtest's POSIX backend makes them).
//
// Shape `-b B -I I -z Z`: a tree of directories, "mdtest_tree.0" at depth 0
// and B children under every directory above depth Z, numbered breadth
// first (child c of tree node n is node n*B + c + 1). The tree has
// (B^(Z+1) - 1) / (B - 1) directories, and every one of them gets I items,
// so the item count is I times that. For -b 6 -I 8 -z 4: 1 + 6 + 36 + 216 +
// 1296 = 1,555 tree directories, 8 x 1,555 = 12,440 items. As mdtest does
// without -D or -F, the items are made twice: a pass of 12,440 directories
// ("dir.mdtest.0.K") and a pass of 12,440 empty files ("file.mdtest.0.K";
// mdtest's defaults -w 0 -e 0: a file is created and closed, and "read"
// opens and closes it).
//
// Phases, in mdtest's order, each timed on its own: tree creation, directory
// creation / stat / removal, file creation / stat / read / removal, tree
// removal. Caches are not dropped between them (mdtest does not).
//
// A stonewall (mdtest -W) bounds the slow filesystems: a creation phase
// that reaches it stops there, and the stat, read and removal phases of its
// items then work on the items created (removal always removes them all,
// untimed past the stonewall). The tree phases are never cut short.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace nokv::bench {

struct MdtestShape {
  int branch = 6;  // -b
  int items = 8;   // -I
  int depth = 4;   // -z

  uint64_t TreeDirs() const;
  uint64_t Items() const { return TreeDirs() * static_cast<uint64_t>(items); }
  std::string Flags() const;  // "-b 6 -I 8 -z 4"
};

enum class MdPhase {
  kTreeCreate,
  kDirCreate,
  kDirStat,
  kDirRemove,
  kFileCreate,
  kFileStat,
  kFileRead,
  kFileRemove,
  kTreeRemove,
};
inline constexpr MdPhase kMdPhases[] = {
    MdPhase::kTreeCreate, MdPhase::kDirCreate,  MdPhase::kDirStat,
    MdPhase::kDirRemove,  MdPhase::kFileCreate, MdPhase::kFileStat,
    MdPhase::kFileRead,   MdPhase::kFileRemove, MdPhase::kTreeRemove};

// mdtest's own label, e.g. "File creation".
const char* MdPhaseName(MdPhase phase);

struct MdPhaseTiming {
  MdPhase phase;
  uint64_t ops = 0;
  double seconds = 0;
};

// Runs every phase under `base` (an existing directory, left empty again).
// `stonewall_s` > 0 bounds each item phase (see above). Fails on the first
// call that fails, naming it and the path.
Result<std::vector<MdPhaseTiming>> RunMdtest(const std::string& base, const MdtestShape& shape,
                                             double stonewall_s = 0);

}  // namespace nokv::bench
