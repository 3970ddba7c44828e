#include "fuse/errno.h"

#include <cerrno>

namespace nokv::fuse {

int ToErrno(const Status& status) {
  switch (status.code()) {
    case Code::kOk:
      return 0;
    case Code::kNotFound:
      return ENOENT;
    case Code::kAlreadyExists:
      return EEXIST;
    case Code::kInvalidArgument:
      return EINVAL;
    case Code::kFailedPrecondition:
      // A file changed under a conditional replace, or a state that forbids
      // the change: the caller's view is stale.
      if (status.Is(Reason::kSymlinkLoop)) return ELOOP;
      return status.Is(Reason::kPredicateFailed) ? ESTALE : EINVAL;
    case Code::kCorruption:
    case Code::kIOError:
      return EIO;
    case Code::kNoSpace:
      return ENOSPC;
    case Code::kBusy:
      return EBUSY;
    case Code::kAborted:
      return EAGAIN;
    case Code::kNotSupported:
      return EOPNOTSUPP;
    case Code::kPermissionDenied:
      return EACCES;
    case Code::kNotADirectory:
      return ENOTDIR;
    case Code::kIsADirectory:
      return EISDIR;
    case Code::kNotEmpty:
      return ENOTEMPTY;
    case Code::kTooLarge:
      return EFBIG;
    case Code::kExpired:
      return ESTALE;
    case Code::kTimedOut:
      return ETIMEDOUT;
    case Code::kCancelled:
      return EINTR;
    case Code::kUnavailable:
      return ENOTCONN;
  }
  return EIO;
}

}  // namespace nokv::fuse
