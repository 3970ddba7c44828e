// VerbError construction and JSON form.
#include "query/verb_error.h"

#include <map>

namespace nokv::query {
namespace {

VerbError Make(const char* code, std::string message, std::string hint) {
  VerbError error;
  error.code = code;
  error.message = std::move(message);
  error.hint = std::move(hint);
  return error;
}

}  // namespace

nlohmann::json VerbError::ToJson() const {
  nlohmann::json body = {{"code", code}, {"message", message}};
  if (!hint.empty()) body["hint"] = hint;
  if (current_generation) body["current_generation"] = *current_generation;
  return {{"error", std::move(body)}};
}

VerbError VerbError::NotFound(std::string m, std::string h) {
  return Make("not_found", std::move(m), std::move(h));
}
VerbError VerbError::InvalidArgument(std::string m, std::string h) {
  return Make("invalid_argument", std::move(m), std::move(h));
}
VerbError VerbError::NotADirectory(std::string m, std::string h) {
  return Make("not_a_directory", std::move(m), std::move(h));
}
VerbError VerbError::NotAFile(std::string m, std::string h) {
  return Make("not_a_file", std::move(m), std::move(h));
}
VerbError VerbError::CursorExpired(std::string m, std::string h) {
  return Make("cursor_expired", std::move(m), std::move(h));
}
VerbError VerbError::GenerationGone(std::string m, std::string h) {
  return Make("generation_gone", std::move(m), std::move(h));
}
VerbError VerbError::TooLarge(std::string m, std::string h) {
  return Make("too_large", std::move(m), std::move(h));
}
VerbError VerbError::Conflict(std::string m, uint64_t current_generation, std::string h) {
  VerbError error = Make("conflict", std::move(m), std::move(h));
  error.current_generation = current_generation;
  return error;
}
VerbError VerbError::AlreadyExists(std::string m, std::string h) {
  return Make("already_exists", std::move(m), std::move(h));
}
VerbError VerbError::NotEmpty(std::string m, std::string h) {
  return Make("not_empty", std::move(m), std::move(h));
}
VerbError VerbError::PermissionDenied(std::string m, std::string h) {
  return Make("permission_denied", std::move(m), std::move(h));
}
VerbError VerbError::Cancelled() { return Make("cancelled", "the call was cancelled", ""); }
VerbError VerbError::Internal(std::string m) { return Make("internal", std::move(m), ""); }

VerbError FromStatus(const Status& status, std::string hint) {
  std::string message(status.message());
  switch (status.code()) {
    case Code::kOk:
      return VerbError::Ok();
    case Code::kNotFound:
      return VerbError::NotFound(std::move(message), std::move(hint));
    case Code::kInvalidArgument:
      return VerbError::InvalidArgument(std::move(message), std::move(hint));
    case Code::kNotADirectory:
      return VerbError::NotADirectory(std::move(message), std::move(hint));
    case Code::kIsADirectory:
      return VerbError::NotAFile(std::move(message), std::move(hint));
    case Code::kExpired:
      return VerbError::GenerationGone(std::move(message), std::move(hint));
    case Code::kTooLarge:
      return VerbError::TooLarge(std::move(message), std::move(hint));
    case Code::kCancelled:
      return VerbError::Cancelled();
    case Code::kAlreadyExists:
      return VerbError::AlreadyExists(std::move(message), std::move(hint));
    case Code::kNotEmpty:
      return VerbError::NotEmpty(std::move(message), std::move(hint));
    case Code::kPermissionDenied:
      return VerbError::PermissionDenied(std::move(message), std::move(hint));
    default:
      return VerbError::Internal(status.ToString());
  }
}

Status ToStatus(const nlohmann::json& error) {
  static const std::map<std::string, Code, std::less<>> kCodes = {
      {"not_found", Code::kNotFound},
      {"invalid_argument", Code::kInvalidArgument},
      {"not_a_directory", Code::kNotADirectory},
      {"not_a_file", Code::kIsADirectory},
      {"cursor_expired", Code::kExpired},
      {"generation_gone", Code::kExpired},
      {"too_large", Code::kTooLarge},
      {"conflict", Code::kFailedPrecondition},
      {"already_exists", Code::kAlreadyExists},
      {"not_empty", Code::kNotEmpty},
      {"permission_denied", Code::kPermissionDenied},
      {"cancelled", Code::kCancelled},
      {"internal", Code::kIOError},
  };
  auto text = [&](const char* key) {
    auto it = error.find(key);
    return it != error.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto code = kCodes.find(text("code"));
  std::string message = text("message");
  if (std::string hint = text("hint"); !hint.empty()) message += " (" + hint + ")";
  return Status(code == kCodes.end() ? Code::kIOError : code->second, message);
}

}  // namespace nokv::query
