// Deterministic create generation and the Holt encoding of the filesystem shape.
#include "fs_shape.h"

#include <charconv>

#include "common/coding.h"

namespace nokv::bench {

namespace {

constexpr uint64_t kStreamShift = 40;           // 2^40 creates per stream
constexpr uint64_t kDirInodeBase = 1ull << 62;  // directory inodes live above files
constexpr int64_t kEpochNs = 1'700'000'000'000'000'000;

}  // namespace

void FillCreate(uint32_t stream, uint64_t index, CreateOp* op) {
  uint64_t base = static_cast<uint64_t>(stream) << kStreamShift;
  op->inode = 2 + base + index;
  op->parent = kDirInodeBase + base + index / kFilesPerDir;
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), index);
  (void)ec;  // 24 chars always hold a uint64
  op->name.assign("file-");
  op->name.append(digits, end);
  op->attrs = NodeAttrs{};
  op->attrs.parent = op->parent;
  op->attrs.atime_ns = op->attrs.mtime_ns = op->attrs.ctime_ns =
      kEpochNs + static_cast<int64_t>(index);
}

CreateOp MakeCreate(uint32_t stream, uint64_t index) {
  CreateOp op;
  FillCreate(stream, index, &op);
  return op;
}

void AppendInodeKey(uint64_t inode, std::string* dst) {
  dst->push_back('i');
  PutFixed64(dst, inode);
}

void AppendDentryKey(uint64_t parent, std::string_view name, std::string* dst) {
  dst->push_back('d');
  PutFixed64(dst, parent);
  dst->append(name);
}

void AppendNodeValue(const NodeAttrs& a, std::string* dst) {
  size_t start = dst->size();
  dst->push_back(static_cast<char>(a.type));
  PutFixed32(dst, a.mode);
  PutFixed32(dst, a.uid);
  PutFixed32(dst, a.gid);
  PutFixed32(dst, a.nlink);
  PutFixed64(dst, a.length);
  PutFixed64(dst, static_cast<uint64_t>(a.atime_ns));
  PutFixed64(dst, static_cast<uint64_t>(a.mtime_ns));
  PutFixed64(dst, static_cast<uint64_t>(a.ctime_ns));
  PutFixed32(dst, a.rdev);
  PutFixed64(dst, a.parent);
  dst->resize(start + kNodeValueBytes, '\0');  // flags and reserved bytes
}

void AppendDentryValue(uint64_t inode, uint8_t type, std::string* dst) {
  PutFixed64(dst, inode);
  dst->push_back(static_cast<char>(type));
}

}  // namespace nokv::bench
