// VerbError: the structured error every verb returns instead of a result
// ({"error": {"code", "message", "hint"}}, schemas/error.json), and the
// mapping from module Status codes to it.
//
// Plain value; thread-compatible.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace nokv::query {

struct VerbError {
  std::string code;  // empty: no error
  std::string message;
  std::string hint;
  // With code "conflict": the generation the file is at now (0: missing).
  std::optional<uint64_t> current_generation;

  bool ok() const { return code.empty(); }
  nlohmann::json ToJson() const;

  static VerbError Ok() { return {}; }
  static VerbError NotFound(std::string message, std::string hint = {});
  static VerbError InvalidArgument(std::string message, std::string hint = {});
  static VerbError NotADirectory(std::string message, std::string hint = {});
  static VerbError NotAFile(std::string message, std::string hint = {});
  static VerbError CursorExpired(std::string message, std::string hint = {});
  static VerbError GenerationGone(std::string message, std::string hint = {});
  static VerbError TooLarge(std::string message, std::string hint = {});
  // The write verbs (fs/agent_writes.h): a generation check failed.
  static VerbError Conflict(std::string message, uint64_t current_generation,
                            std::string hint = {});
  static VerbError AlreadyExists(std::string message, std::string hint = {});
  static VerbError NotEmpty(std::string message, std::string hint = {});
  static VerbError PermissionDenied(std::string message, std::string hint = {});
  static VerbError Cancelled();
  static VerbError Internal(std::string message);
};

// Maps a Status from meta/object/records (kExpired becomes generation_gone;
// storage failures become internal; kFailedPrecondition, which only the
// caller can turn into a conflict with its current generation, too).
VerbError FromStatus(const Status& status, std::string hint = {});

// The other way, for callers that report a verb's error as a Status (the
// CLI's exit codes): the code of `error` ({"code", "message", "hint"?}, the
// body of a verb's {"error": ...}) as a Status code, the hint after the
// message.
Status ToStatus(const nlohmann::json& error);

}  // namespace nokv::query

// Returns early from a function returning VerbError when `expr` fails.
#define NOKV_VERB_TRY(expr)                          \
  do {                                               \
    ::nokv::query::VerbError verb_try_err_ = (expr); \
    if (!verb_try_err_.ok()) return verb_try_err_;   \
  } while (0)
