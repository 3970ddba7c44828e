// Logging to stderr with levels.
//
//   NOKV_LOG(kWarn) << "cut torn WAL tail at " << path << ":" << offset;
//
// Each message is written with one write(2), so lines from different threads
// never interleave. The threshold is process-wide and atomic (the one mutable
// global the style guide allows), default kInfo, or NOKV_LOG_LEVEL
// (debug|info|warn|error|off) from the environment.
#pragma once

#include <sstream>
#include <string_view>

namespace nokv {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Parses "debug", "info", "warn", "error" or "off"; false otherwise.
bool ParseLogLevel(std::string_view name, LogLevel* level);

class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

}  // namespace nokv

// A one-shot loop rather than if/else, so the macro is safe inside an
// unbraced if.
#define NOKV_LOG(level)                                                                    \
  for (bool nokv_log_on_ = ::nokv::LogLevel::level >= ::nokv::GetLogLevel(); nokv_log_on_; \
       nokv_log_on_ = false)                                                               \
  ::nokv::LogMessage(::nokv::LogLevel::level, __FILE__, __LINE__).stream()
