// Merge operands and their application.
#include "meta/merge.h"

#include <algorithm>

#include "common/coding.h"
#include "common/sha256.h"
#include "meta/codec.h"

namespace nokv::meta {
namespace {

constexpr char kDirOp = 'D';
constexpr char kBlockOp = 'B';
constexpr char kMoveOp = 'M';
constexpr char kTotalsOp = 'T';
constexpr char kHighWaterOp = 'H';

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

Result<std::string> ApplyDirUpdate(std::string_view key, const std::string_view* existing,
                                   Decoder* d, bool move) {
  uint64_t child = 0, nlink = 0, time = 0;
  InodeId inode = 0;
  if (!d->GetVarint64(&child) || !d->GetVarint64(&nlink) || !d->GetVarint64(&time) ||
      !ParseInodeKey(key, &inode)) {
    return Status::Corruption("bad directory merge operand");
  }
  if (existing == nullptr) return Status::NotFound("directory was removed");
  NOKV_ASSIGN_OR_RETURN(Attr attr, DecodeAttr(inode, *existing));
  int64_t children = static_cast<int64_t>(attr.child_count) + UnZigZag(child);
  int64_t links = static_cast<int64_t>(attr.nlink) + UnZigZag(nlink);
  if (children < 0 || links < 0) return Status::Corruption("directory counts would go negative");
  attr.child_count = static_cast<uint64_t>(children);
  attr.nlink = static_cast<uint32_t>(links);
  if (time != 0) {
    attr.mtime_ns = static_cast<int64_t>(time);
    attr.ctime_ns = static_cast<int64_t>(time);
  }
  if (move) {
    std::string_view name;
    if (!d->GetVarint64(&attr.parent) || !d->GetLengthPrefixed(&name)) {
      return Status::Corruption("bad directory move operand");
    }
    attr.name = name;
  }
  return EncodeAttr(attr);
}

Result<std::string> ApplyBlockDelta(const std::string_view* existing, Decoder* d) {
  uint64_t raw = 0;
  uint8_t revive = 0;
  if (!d->GetVarint64(&raw) || !d->GetFixed8(&revive)) {
    return Status::Corruption("bad block merge operand");
  }
  int64_t delta = UnZigZag(raw);
  BlockRefValue value;
  if (existing != nullptr) {
    NOKV_ASSIGN_OR_RETURN(value, DecodeBlockRef(*existing));
  }
  // Reviving is decided by the writer, which guards the version it saw.
  if (delta > 0 && revive && value.state != BlockState::kLive) value = BlockRefValue{};
  if (delta > 0 && value.state == BlockState::kClaimed) {
    return Status(Code::kAborted, "block is being collected", Reason::kBlockClaimed);
  }
  if (delta > 0 && value.state == BlockState::kCollected) {
    return Status(Code::kAborted, "block was collected", Reason::kBlockCollected);
  }
  int64_t count = static_cast<int64_t>(value.count) + delta;
  if (count < 0) return Status::Corruption("block reference count would go negative");
  value.count = static_cast<uint64_t>(count);
  return EncodeBlockRef(value);
}

}  // namespace

std::string DirUpdateOperand(int64_t child_delta, int64_t nlink_delta, int64_t time_ns) {
  std::string op(1, kDirOp);
  PutVarint64(&op, ZigZag(child_delta));
  PutVarint64(&op, ZigZag(nlink_delta));
  PutVarint64(&op, static_cast<uint64_t>(time_ns));
  return op;
}

std::string DirMoveOperand(int64_t child_delta, int64_t nlink_delta, int64_t time_ns,
                           InodeId new_parent, std::string_view new_name) {
  std::string op = DirUpdateOperand(child_delta, nlink_delta, time_ns);
  op[0] = kMoveOp;
  PutVarint64(&op, new_parent);
  PutLengthPrefixed(&op, new_name);
  return op;
}

std::string TotalsOperand(int64_t files, int64_t directories, int64_t symlinks, int64_t bytes) {
  std::string op(1, kTotalsOp);
  for (int64_t v : {files, directories, symlinks, bytes}) PutVarint64(&op, ZigZag(v));
  return op;
}

std::string EncodeTotals(const Totals& totals) {
  std::string out;
  for (int64_t v : {totals.files, totals.directories, totals.symlinks, totals.bytes}) {
    PutVarint64(&out, ZigZag(v));
  }
  return out;
}

Totals DecodeTotals(std::string_view value) {
  Totals t;
  Decoder d(value);
  uint64_t v[4] = {0, 0, 0, 0};
  for (auto& x : v) {
    if (!d.GetVarint64(&x)) return Totals{};
  }
  return Totals{UnZigZag(v[0]), UnZigZag(v[1]), UnZigZag(v[2]), UnZigZag(v[3])};
}

std::string HighWaterOperand(uint64_t value) {
  std::string op(1, kHighWaterOp);
  PutFixed64(&op, value);
  return op;
}

std::string BlockDeltaOperand(int64_t delta, bool revive) {
  std::string op(1, kBlockOp);
  PutVarint64(&op, ZigZag(delta));
  op.push_back(revive ? 1 : 0);
  return op;
}

Result<std::string> MetaMerge(std::string_view key, const std::string_view* existing,
                              std::string_view operand, uint64_t /*seq*/) {
  if (operand.empty()) return Status::Corruption("empty merge operand");
  Decoder d(operand.substr(1));
  switch (operand[0]) {
    case kDirOp:
      return ApplyDirUpdate(key, existing, &d, /*move=*/false);
    case kMoveOp:
      return ApplyDirUpdate(key, existing, &d, /*move=*/true);
    case kHighWaterOp: {
      if (operand.size() != 9) return Status::Corruption("bad high-water operand");
      uint64_t value = DecodeFixed64(operand.data() + 1);
      if (existing != nullptr && existing->size() == 8) {
        value = std::max(value, DecodeFixed64(existing->data()));
      }
      std::string out;
      PutFixed64(&out, value);
      return out;
    }
    case kTotalsOp: {
      Totals t = existing ? DecodeTotals(*existing) : Totals{};
      Totals delta = DecodeTotals(operand.substr(1));
      t.files += delta.files;
      t.directories += delta.directories;
      t.symlinks += delta.symlinks;
      t.bytes += delta.bytes;
      return EncodeTotals(t);
    }
    case kBlockOp:
      return ApplyBlockDelta(existing, &d);
    default:
      return Status::Corruption("unknown merge operand");
  }
}

}  // namespace nokv::meta
