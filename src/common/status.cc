// Status construction, naming and errno mapping.
#include "common/status.h"

#include <cerrno>
#include <cstring>

namespace nokv {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kNotFound:
      return "not_found";
    case Code::kAlreadyExists:
      return "already_exists";
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kFailedPrecondition:
      return "failed_precondition";
    case Code::kCorruption:
      return "corruption";
    case Code::kIOError:
      return "io_error";
    case Code::kNoSpace:
      return "no_space";
    case Code::kBusy:
      return "busy";
    case Code::kAborted:
      return "aborted";
    case Code::kNotSupported:
      return "not_supported";
    case Code::kPermissionDenied:
      return "permission_denied";
    case Code::kNotADirectory:
      return "not_a_directory";
    case Code::kIsADirectory:
      return "is_a_directory";
    case Code::kNotEmpty:
      return "not_empty";
    case Code::kTooLarge:
      return "too_large";
    case Code::kExpired:
      return "expired";
    case Code::kTimedOut:
      return "timed_out";
    case Code::kCancelled:
      return "cancelled";
    case Code::kUnavailable:
      return "unavailable";
  }
  return "unknown";
}

std::string_view ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kNone:
      return "none";
    case Reason::kPredicateFailed:
      return "predicate_failed";
    case Reason::kStaleRead:
      return "stale_read";
    case Reason::kBlockClaimed:
      return "block_claimed";
    case Reason::kBlockCollected:
      return "block_collected";
    case Reason::kNotSent:
      return "not_sent";
    case Reason::kSymlinkLoop:
      return "symlink_loop";
  }
  return "unknown";
}

Status::Status(Code code, std::string_view message, Reason reason) {
  if (code != Code::kOk) state_.reset(new State{code, std::string(message), reason});
}

Status::Status(const Status& other)
    : state_(other.state_ ? std::make_unique<State>(*other.state_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) state_ = other.state_ ? std::make_unique<State>(*other.state_) : nullptr;
  return *this;
}

Status Status::FromErrno(int err, std::string_view context) {
  std::string message(context);
  message += ": ";
  message += std::strerror(err);
  switch (err) {
    case ENOENT:
      return NotFound(message);
    case EEXIST:
      return AlreadyExists(message);
    case ENOSPC:
    case EDQUOT:
      return NoSpace(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return PermissionDenied(message);
    case ENOTDIR:
      return NotADirectory(message);
    case EISDIR:
      return IsADirectory(message);
    case ENOTEMPTY:
      return NotEmpty(message);
    case EINVAL:
    case ENAMETOOLONG:
      return InvalidArgument(message);
    case EWOULDBLOCK:
      return Busy(message);
    case EFBIG:
      return TooLarge(message);
    case ETIMEDOUT:
      return TimedOut(message);
    default:
      return IOError(message);
  }
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(CodeName(state_->code));
  out += ": ";
  out += state_->message;
  return out;
}

Status Status::WithContext(std::string_view prefix) const {
  if (ok()) return Status();
  std::string message(prefix);
  message += ": ";
  message += state_->message;
  return Status(state_->code, message, state_->reason);
}

}  // namespace nokv
