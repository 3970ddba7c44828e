// Status: the outcome of a fallible call, carried across every module boundary.
//
// A Status is a code plus a human-readable message. The OK status allocates
// nothing; an error status owns one heap block with its message. Statuses are
// values: copy, move and compare them freely from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace nokv {

// The project-wide error codes. Frontends map each code exactly once (errno in
// fuse/, JSON-RPC errors in agent/, exit codes in the CLI).
enum class Code : unsigned char {
  kOk = 0,
  kNotFound,
  kAlreadyExists,
  kInvalidArgument,
  kFailedPrecondition,  // state does not allow it (a predicate failed, ...)
  kCorruption,          // stored bytes are damaged
  kIOError,
  kNoSpace,
  kBusy,     // held by someone else (a lock, a full queue)
  kAborted,  // gave up, retrying may succeed
  kNotSupported,
  kPermissionDenied,
  kNotADirectory,
  kIsADirectory,
  kNotEmpty,
  kTooLarge,
  kExpired,  // a cursor, generation or sequence that is no longer retained
  kTimedOut,
  kCancelled,
  kUnavailable,  // the peer could not be reached or the connection dropped
};

// Returns a stable lowercase name for `code` ("not_found", ...).
std::string_view CodeName(Code code);

// Why a call failed, for the few failures callers react to beyond the code.
// Callers test the reason, never the message text. The reason travels with
// the status (copies, WithContext, and across an RPC hop beside the code).
enum class Reason : unsigned char {
  kNone = 0,
  // FailedPrecondition from holt: a batch predicate did not hold because a
  // concurrent commit changed what the batch was built from. Rebuild, retry.
  kPredicateFailed,
  // Aborted from meta: what a command read moved while it was being built
  // (a directory renamed during resolution). Rebuild, retry.
  kStaleRead,
  // Aborted from meta: a block the batch references is being deleted by a
  // garbage collector. Retry once the collector has finished.
  kBlockClaimed,
  // Aborted from meta: a block the batch references was deleted. Upload its
  // bytes again, then publish with revival.
  kBlockCollected,
  // Unavailable from an RPC client: no connection could be made, so the
  // request never left this process and repeating it cannot apply it twice.
  // Local to the process that failed to send (never sent on the wire).
  kNotSent,
  // FailedPrecondition: resolving a path followed more symbolic links than
  // meta::kMaxSymlinkHops (a loop); POSIX's ELOOP.
  kSymlinkLoop,
};

// Returns a stable lowercase name for `reason` ("predicate_failed", ...).
std::string_view ReasonName(Reason reason);

class [[nodiscard]] Status {
 public:
  Status() noexcept = default;
  Status(Code code, std::string_view message, Reason reason = Reason::kNone);
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;
  ~Status() = default;

  static Status Ok() { return Status(); }
  static Status NotFound(std::string_view m) { return Status(Code::kNotFound, m); }
  static Status AlreadyExists(std::string_view m) { return Status(Code::kAlreadyExists, m); }
  static Status InvalidArgument(std::string_view m) { return Status(Code::kInvalidArgument, m); }
  static Status FailedPrecondition(std::string_view m) {
    return Status(Code::kFailedPrecondition, m);
  }
  static Status Corruption(std::string_view m) { return Status(Code::kCorruption, m); }
  static Status IOError(std::string_view m) { return Status(Code::kIOError, m); }
  static Status NoSpace(std::string_view m) { return Status(Code::kNoSpace, m); }
  static Status Busy(std::string_view m) { return Status(Code::kBusy, m); }
  static Status Aborted(std::string_view m) { return Status(Code::kAborted, m); }
  static Status NotSupported(std::string_view m) { return Status(Code::kNotSupported, m); }
  static Status PermissionDenied(std::string_view m) { return Status(Code::kPermissionDenied, m); }
  static Status NotADirectory(std::string_view m) { return Status(Code::kNotADirectory, m); }
  static Status IsADirectory(std::string_view m) { return Status(Code::kIsADirectory, m); }
  static Status NotEmpty(std::string_view m) { return Status(Code::kNotEmpty, m); }
  static Status TooLarge(std::string_view m) { return Status(Code::kTooLarge, m); }
  static Status Expired(std::string_view m) { return Status(Code::kExpired, m); }
  static Status TimedOut(std::string_view m) { return Status(Code::kTimedOut, m); }
  static Status Cancelled(std::string_view m) { return Status(Code::kCancelled, m); }
  static Status Unavailable(std::string_view m) { return Status(Code::kUnavailable, m); }

  // Builds a status from an errno value: ENOENT becomes NotFound, ENOSPC
  // NoSpace, and so on; `context` (usually a path) prefixes the message.
  static Status FromErrno(int err, std::string_view context);

  bool ok() const { return state_ == nullptr; }
  Code code() const { return state_ ? state_->code : Code::kOk; }
  std::string_view message() const {
    return state_ ? std::string_view(state_->message) : std::string_view();
  }
  bool Is(Code c) const { return code() == c; }
  Reason reason() const { return state_ ? state_->reason : Reason::kNone; }
  bool Is(Reason r) const { return reason() == r; }

  // Returns "ok" or "<code name>: <message>".
  std::string ToString() const;

  // Returns a copy whose message is "<prefix>: <message>"; OK stays OK.
  Status WithContext(std::string_view prefix) const;

 private:
  struct State {
    Code code;
    std::string message;
    Reason reason;
  };
  std::unique_ptr<State> state_;
};

inline bool operator==(const Status& a, const Status& b) {
  return a.code() == b.code() && a.reason() == b.reason() && a.message() == b.message();
}

}  // namespace nokv

// Returns from the enclosing function when `expr` yields a non-OK Status.
#define NOKV_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::nokv::Status nokv_status_ = (expr);        \
    if (!nokv_status_.ok()) return nokv_status_; \
  } while (0)
