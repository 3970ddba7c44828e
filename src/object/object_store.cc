// Shared ObjectStore helpers: key validation, range clipping, the DeleteMany,
// ReadInto and Sync defaults.
#include "object/object_store.h"

#include <algorithm>

namespace nokv::object {

Status ObjectStore::DeleteMany(std::span<const std::string> keys) {
  for (const std::string& key : keys) {
    NOKV_RETURN_IF_ERROR(Delete(key));
  }
  return Status::Ok();
}

Result<size_t> ObjectStore::ReadInto(std::string_view key, uint64_t offset, std::span<char> out) {
  NOKV_ASSIGN_OR_RETURN(std::string bytes, GetRange(key, ByteRange{offset, out.size()}));
  size_t n = std::min(bytes.size(), out.size());
  std::copy_n(bytes.data(), n, out.data());
  return n;
}

Status ObjectStore::Sync(std::span<const std::string> keys) {
  for (const std::string& key : keys) NOKV_RETURN_IF_ERROR(ValidateKey(key));
  return Status::Ok();
}

const char* StoreOpName(StoreOp op) {
  switch (op) {
    case StoreOp::kPut:
      return "put";
    case StoreOp::kGet:
      return "get";
    case StoreOp::kHead:
      return "head";
    case StoreOp::kDelete:
      return "delete";
    case StoreOp::kList:
      return "list";
    case StoreOp::kSync:
      return "sync";
  }
  return "unknown";
}

Status ValidateKey(std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("empty object key");
  if (key.size() > kMaxKeyBytes) {
    return Status::InvalidArgument("object key longer than 1024 bytes");
  }
  if (key.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("object key contains a NUL byte");
  }
  return Status::Ok();
}

std::pair<uint64_t, uint64_t> ClipRange(ByteRange range, uint64_t size) {
  uint64_t begin = std::min(range.offset, size);
  uint64_t end = size - begin < range.length ? size : begin + range.length;
  return {begin, end};
}

}  // namespace nokv::object
