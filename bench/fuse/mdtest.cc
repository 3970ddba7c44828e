// The mdtest clone (see mdtest.h).
#include "mdtest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <functional>

#include "bench/common/harness.h"

namespace nokv::bench {
namespace {

// Every path a run touches, computed before any timing.
struct MdPaths {
  std::vector<std::string> tree;   // breadth first: parents before children
  std::vector<std::string> dirs;   // the directory items
  std::vector<std::string> files;  // the file items
};

MdPaths Plan(const std::string& base, const MdtestShape& shape) {
  MdPaths p;
  uint64_t n_tree = shape.TreeDirs();
  p.tree.reserve(n_tree);
  p.tree.push_back(base + "/mdtest_tree.0");
  for (uint64_t node = 0; p.tree.size() < n_tree; ++node) {
    for (int c = 0; c < shape.branch && p.tree.size() < n_tree; ++c) {
      uint64_t child = node * static_cast<uint64_t>(shape.branch) + static_cast<uint64_t>(c) + 1;
      p.tree.push_back(p.tree[node] + "/mdtest_tree." + std::to_string(child));
    }
  }
  for (uint64_t node = 0; node < n_tree; ++node) {
    for (int i = 0; i < shape.items; ++i) {
      std::string k =
          std::to_string(node * static_cast<uint64_t>(shape.items) + static_cast<uint64_t>(i));
      p.dirs.push_back(p.tree[node] + "/dir.mdtest.0." + k);
      p.files.push_back(p.tree[node] + "/file.mdtest.0." + k);
    }
  }
  return p;
}

Status Fail(const char* call, const std::string& path) {
  return Status::FromErrno(errno, std::string(call) + " " + path);
}

Status MakeDir(const std::string& path) {
  return ::mkdir(path.c_str(), 0755) == 0 ? Status::Ok() : Fail("mkdir", path);
}

Status RemoveDir(const std::string& path) {
  return ::rmdir(path.c_str()) == 0 ? Status::Ok() : Fail("rmdir", path);
}

Status Stat(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? Status::Ok() : Fail("stat", path);
}

Status CreateFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return Fail("create", path);
  return ::close(fd) == 0 ? Status::Ok() : Fail("close", path);
}

Status OpenClose(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail("open", path);
  return ::close(fd) == 0 ? Status::Ok() : Fail("close", path);
}

Status Unlink(const std::string& path) {
  return ::unlink(path.c_str()) == 0 ? Status::Ok() : Fail("unlink", path);
}

// Applies `op` to paths [0, count), in order or reversed, timed as one
// phase; stops early once `stonewall_s` (> 0) has passed. Returns how many
// it did.
Result<MdPhaseTiming> Timed(MdPhase phase, const std::vector<std::string>& paths, size_t count,
                            bool reverse, double stonewall_s,
                            const std::function<Status(const std::string&)>& op) {
  Clock::time_point start = Clock::now();
  size_t done = 0;
  for (; done < count; ++done) {
    if (stonewall_s > 0 && SecondsSince(start) >= stonewall_s) break;
    NOKV_RETURN_IF_ERROR(op(paths[reverse ? count - 1 - done : done]));
  }
  return MdPhaseTiming{phase, done, SecondsSince(start)};
}

}  // namespace

uint64_t MdtestShape::TreeDirs() const {
  uint64_t total = 0, level = 1;
  for (int d = 0; d <= depth; ++d) {
    total += level;
    level *= static_cast<uint64_t>(branch);
  }
  return total;
}

std::string MdtestShape::Flags() const {
  return "-b " + std::to_string(branch) + " -I " + std::to_string(items) + " -z " +
         std::to_string(depth);
}

const char* MdPhaseName(MdPhase phase) {
  switch (phase) {
    case MdPhase::kTreeCreate:
      return "Tree creation";
    case MdPhase::kDirCreate:
      return "Directory creation";
    case MdPhase::kDirStat:
      return "Directory stat";
    case MdPhase::kDirRemove:
      return "Directory removal";
    case MdPhase::kFileCreate:
      return "File creation";
    case MdPhase::kFileStat:
      return "File stat";
    case MdPhase::kFileRead:
      return "File read";
    case MdPhase::kFileRemove:
      return "File removal";
    case MdPhase::kTreeRemove:
      return "Tree removal";
  }
  return "?";
}

Result<std::vector<MdPhaseTiming>> RunMdtest(const std::string& base, const MdtestShape& shape,
                                             double stonewall_s) {
  MdPaths p = Plan(base, shape);
  std::vector<MdPhaseTiming> out;
  // Times `op` over the first `count` paths; the timing's ops say how many it did.
  auto run = [&](MdPhase phase, const std::vector<std::string>& paths, size_t count, bool reverse,
                 double limit,
                 const std::function<Status(const std::string&)>& op) -> Result<size_t> {
    NOKV_ASSIGN_OR_RETURN(MdPhaseTiming t, Timed(phase, paths, count, reverse, limit, op));
    out.push_back(t);
    return static_cast<size_t>(t.ops);
  };
  // Removes every item of the first `count` (a stonewalled removal leaves some).
  auto finish = [](const std::vector<std::string>& paths, size_t from, size_t count,
                   const std::function<Status(const std::string&)>& op) -> Status {
    for (size_t i = from; i < count; ++i) NOKV_RETURN_IF_ERROR(op(paths[i]));
    return Status::Ok();
  };
  const size_t n_tree = p.tree.size();
  const double wall = stonewall_s;
  NOKV_RETURN_IF_ERROR(run(MdPhase::kTreeCreate, p.tree, n_tree, false, 0, MakeDir).status());
  NOKV_ASSIGN_OR_RETURN(size_t dirs,
                        run(MdPhase::kDirCreate, p.dirs, p.dirs.size(), false, wall, MakeDir));
  NOKV_RETURN_IF_ERROR(run(MdPhase::kDirStat, p.dirs, dirs, false, wall, Stat).status());
  NOKV_ASSIGN_OR_RETURN(size_t gone,
                        run(MdPhase::kDirRemove, p.dirs, dirs, false, wall, RemoveDir));
  NOKV_RETURN_IF_ERROR(finish(p.dirs, gone, dirs, RemoveDir));
  NOKV_ASSIGN_OR_RETURN(
      size_t files, run(MdPhase::kFileCreate, p.files, p.files.size(), false, wall, CreateFile));
  NOKV_RETURN_IF_ERROR(run(MdPhase::kFileStat, p.files, files, false, wall, Stat).status());
  NOKV_RETURN_IF_ERROR(run(MdPhase::kFileRead, p.files, files, false, wall, OpenClose).status());
  NOKV_ASSIGN_OR_RETURN(gone, run(MdPhase::kFileRemove, p.files, files, false, wall, Unlink));
  NOKV_RETURN_IF_ERROR(finish(p.files, gone, files, Unlink));
  // Children before parents.
  NOKV_RETURN_IF_ERROR(run(MdPhase::kTreeRemove, p.tree, n_tree, true, 0, RemoveDir).status());
  return out;
}

}  // namespace nokv::bench
