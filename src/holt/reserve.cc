// The space reserve file (see reserve.h).
#include "holt/reserve.h"

namespace nokv::holt {

Status ReleaseReserve(Env* env, const std::string& dir) {
  std::string path = JoinPath(dir, kReserveFileName);
  if (!env->FileExists(path)) return Status::Ok();
  Status s = env->RemoveFile(path);
  if (!s.ok() && s.code() != Code::kNotFound) return s;
  return Status::Ok();
}

Status EnsureReserve(Env* env, const std::string& dir, uint64_t bytes) {
  std::string path = JoinPath(dir, kReserveFileName);
  if (auto size = env->GetFileSize(path); size.ok() && *size >= bytes) return Status::Ok();
  return env->AllocateFile(path, bytes);
}

}  // namespace nokv::holt
