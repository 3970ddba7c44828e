"""Exceptions raised by the nokv package, and the one mapping from NoKV's
status codes (src/common/status.h) to them.

Where Python has a built-in exception for the condition, that is what is
raised (FileNotFoundError, FileExistsError, IsADirectoryError,
NotADirectoryError, PermissionError, OSError with ENOTEMPTY, TimeoutError),
so code written for local files handles NoKV the same way. The rest are
subclasses of NokvError, itself an OSError. Every exception carries the
status code name in ``code``.

This module imports nothing native: the extension imports it to build the
exceptions it raises.
"""

import errno as _errno

__all__ = [
    "NokvError",
    "ConflictError",
    "BusyError",
    "UnavailableError",
    "CorruptionError",
    "InvalidArgumentError",
    "NotSupportedError",
    "ExpiredError",
    "VerbError",
    "from_status",
    "from_verb_error",
]


class NokvError(OSError):
    """A NoKV failure without a closer built-in exception."""

    code = "error"


class ConflictError(NokvError):
    """A write with an expected generation found another one.

    ``expected_generation`` is what the writer asked for and
    ``current_generation`` what the file had when the write failed (0 when
    it did not exist).
    """

    code = "failed_precondition"

    def __init__(self, message, path=None, expected_generation=0, current_generation=0):
        super().__init__(_errno.ESTALE, message, path)
        self.expected_generation = expected_generation
        self.current_generation = current_generation


class BusyError(NokvError):
    """The data directory is held by a process that does not serve it."""

    code = "busy"


class UnavailableError(NokvError, ConnectionError):
    """The server (or the holder's socket) could not be reached."""

    code = "unavailable"


class CorruptionError(NokvError):
    """Stored bytes are damaged (a block or metadata failed its check)."""

    code = "corruption"


class InvalidArgumentError(NokvError, ValueError):
    """An argument NoKV rejects (a bad path, name or option)."""

    code = "invalid_argument"


class NotSupportedError(NokvError):
    """The operation is not possible here (e.g. a change on a read-only open)."""

    code = "not_supported"


class ExpiredError(NokvError):
    """A cursor, pinned generation or snapshot that is no longer retained."""

    code = "expired"


class VerbError(NokvError):
    """An agent verb answered with an error object; ``hint`` says what to do."""

    def __init__(self, code, message, hint=""):
        super().__init__(_errno.EINVAL, message)
        self.code = code
        self.hint = hint


# status code name -> (exception class, errno)
_BY_CODE = {
    "not_found": (FileNotFoundError, _errno.ENOENT),
    "already_exists": (FileExistsError, _errno.EEXIST),
    "not_a_directory": (NotADirectoryError, _errno.ENOTDIR),
    "is_a_directory": (IsADirectoryError, _errno.EISDIR),
    "permission_denied": (PermissionError, _errno.EACCES),
    "not_empty": (OSError, _errno.ENOTEMPTY),
    "timed_out": (TimeoutError, _errno.ETIMEDOUT),
    "no_space": (OSError, _errno.ENOSPC),
    "too_large": (OSError, _errno.EFBIG),
    "io_error": (OSError, _errno.EIO),
    "failed_precondition": (ConflictError, _errno.ESTALE),
    "busy": (BusyError, _errno.EBUSY),
    "unavailable": (UnavailableError, _errno.ECONNREFUSED),
    "corruption": (CorruptionError, _errno.EIO),
    "invalid_argument": (InvalidArgumentError, _errno.EINVAL),
    "not_supported": (NotSupportedError, _errno.EOPNOTSUPP),
    "expired": (ExpiredError, _errno.ESTALE),
    "aborted": (NokvError, _errno.EAGAIN),
    "cancelled": (NokvError, _errno.ECANCELED),
}


# typed reasons that name a POSIX error of their own, whatever the code
_BY_REASON = {
    "symlink_loop": (OSError, _errno.ELOOP),
}


def from_status(code, message, path=None, reason=None):
    """The exception for a failed NoKV status ``code`` ("not_found", ...)
    with its typed ``reason`` ("symlink_loop", ...), if any."""
    cls, err = _BY_REASON.get(reason) or _BY_CODE.get(code, (NokvError, _errno.EIO))
    if cls is ConflictError:
        exc = ConflictError(message, path)
    elif path is None:
        exc = cls(err, message)
    else:
        exc = cls(err, message, path)
    exc.code = code
    return exc


# agent verb error code (schemas/error.json) -> status code name
_VERB_CODES = {
    "not_found": "not_found",
    "not_a_directory": "not_a_directory",
    "not_a_file": "is_a_directory",
    "invalid_argument": "invalid_argument",
    "too_large": "too_large",
    "permission_denied": "permission_denied",
    "generation_gone": "expired",
    "cursor_expired": "expired",
}


def from_verb_error(error):
    """The exception for a verb's ``{"code", "message", "hint"}`` error."""
    code = error.get("code", "internal")
    message = error.get("message", "")
    hint = error.get("hint", "")
    if hint:
        message = f"{message} ({hint})"
    status_code = _VERB_CODES.get(code)
    if status_code is None:
        return VerbError(code, message, hint)
    exc = from_status(status_code, message)
    exc.hint = hint
    return exc
