// The per-invocation context: opening the filesystem, errors, JSON output.
#include <cctype>
#include <charconv>
#include <iostream>

#include "cli/cli.h"
#include "query/text_codec.h"
#include "server/remote_fs.h"

namespace nokv::cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case Code::kOk:
      return kExitOk;
    case Code::kNotFound:
      return kExitNotFound;
    case Code::kAlreadyExists:
    case Code::kFailedPrecondition:
    case Code::kNotEmpty:
      return kExitConflict;
    case Code::kBusy:
      return kExitBusy;
    case Code::kCorruption:
      return kExitCorrupt;
    case Code::kInvalidArgument:
      return kExitUsage;
    default:
      return kExitError;
  }
}

Result<fs::Filesystem*> Context::Fs() {
  if (fs_ != nullptr) return fs_;
  if (!server.empty()) {
    server::RemoteFsOptions options;
    options.address = server;
    if (const char* token = std::getenv("NOKV_TOKEN"); token != nullptr) {
      options.remote.client.auth_token = token;
    }
    NOKV_ASSIGN_OR_RETURN(remote_, server::OpenRemote(options));
    fs_ = remote_.get();
    return fs_;
  }
  NOKV_RETURN_IF_ERROR(RequireDataDir());
  NOKV_RETURN_IF_ERROR(ResolveSettings());
  server::ShareOptions options;
  options.embedded = embedded;
  options.serve = serve_dir;
  options.read_only_fallback = serve_dir;
  options.holder = holder;
  options.join = follow_holder;
  options.wait = wait;
  options.remote.client.connect_timeout = std::chrono::milliseconds(2000);
  options.on_wait = [this](const Status& held) {
    if (!quiet) *err << "nokv: waiting for " << embedded.data_dir << ": " << held.message() << "\n";
  };
  options.on_change = [this](std::string_view what) {
    if (!quiet) *err << "nokv: " << what << "\n";
  };
  NOKV_ASSIGN_OR_RETURN(shared_, server::SharedDirectory::Open(std::move(options)));
  fs_ = shared_->fs();
  return fs_;
}

namespace {

std::string HintFor(const Status& status, std::string_view what) {
  if (status.code() == Code::kAlreadyExists && what.starts_with("put")) return "use --replace";
  if (status.code() == Code::kNotEmpty && what.starts_with("rm")) return "use -r";
  if (status.code() == Code::kCorruption) {
    return "damaged data, left as it is; see docs/holt.md#damaged-metadata";
  }
  return "";
}

// `text` with its middle left out when longer than 1 KiB (a hostile path of
// 10 KiB must not come back whole in an error), cut on UTF-8 boundaries.
std::string Clip(std::string_view text) {
  constexpr size_t kKeep = 480;
  if (text.size() <= 2 * kKeep + 64) return std::string(text);
  auto boundary = [&](size_t i) {  // back to the start of a character
    while (i > 0 && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) --i;
    return i;
  };
  size_t head = boundary(kKeep), tail = boundary(text.size() - kKeep);
  return std::string(text.substr(0, head)) + "...(" + std::to_string(tail - head) +
         " bytes left out)..." + std::string(text.substr(tail));
}

}  // namespace

nlohmann::json ErrorJson(std::string_view code, std::string_view message, std::string_view hint) {
  nlohmann::json error = {{"code", code}, {"message", message}};
  if (!hint.empty()) error["hint"] = hint;
  return {{"error", error}};
}

int Context::Fail(std::string_view what, const Status& status) {
  std::string hint = HintFor(status, what);
  std::string message = Clip(what) + ": " + Clip(status.message());
  if (json) {
    PrintJson(ErrorJson(nokv::CodeName(status.code()), message, hint));
  } else {
    *err << "nokv: " << message << (hint.empty() ? "" : " (" + hint + ")") << "\n";
  }
  return ExitCodeFor(status);
}

int Context::Usage(std::string_view message) {
  if (json) {
    PrintJson(ErrorJson("usage", message, "see --help"));
  } else {
    *err << "nokv: " << message << " (see --help)\n";
  }
  return kExitUsage;
}

void Context::PrintJson(const nlohmann::json& value) { *out << query::DumpEscaped(value) << "\n"; }

int WithFs(Context& ctx, std::string_view what, const std::function<int(fs::Filesystem&)>& fn) {
  auto fs = ctx.Fs();
  if (!fs.ok()) return ctx.Fail(what, fs.status());
  return fn(**fs);
}

int WithReadOnlyFs(Context& ctx, std::string_view what,
                   const std::function<int(fs::Filesystem&)>& fn) {
  ctx.embedded.read_only = true;
  return WithFs(ctx, what, fn);
}

fs::ReadAt ReadAtFlag(const Args& args) { return fs::ReadAt{args.Get("--snapshot").value_or("")}; }

Result<int64_t> ParseDuration(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("empty duration");
  int64_t unit = 1'000'000'000;
  switch (text.back()) {
    case 's':
      text.remove_suffix(1);
      break;
    case 'm':
      unit *= 60;
      text.remove_suffix(1);
      break;
    case 'h':
      unit *= 3600;
      text.remove_suffix(1);
      break;
    case 'd':
      unit *= 86400;
      text.remove_suffix(1);
      break;
    default:
      break;
  }
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 0) {
    return Status::InvalidArgument("bad duration '" + std::string(text) +
                                   "' (use e.g. 30s, 15m, 2h, 7d)");
  }
  // A century is more than any retention needs and keeps deadlines far
  // from overflowing when added to the clock.
  constexpr int64_t kMaxDurationNs = int64_t{100} * 366 * 86400 * 1'000'000'000;
  if (n > kMaxDurationNs / unit) {
    return Status::InvalidArgument("duration '" + std::string(text) +
                                   "' is too long (at most 100 years)");
  }
  return n * unit;
}

Result<uint64_t> ParseCount(std::string_view text, std::string_view what) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument(std::string(what) + ": '" + std::string(text) +
                                   "' is not a whole number from 0 to 18446744073709551615");
  }
  return n;
}

Result<uint64_t> ParseRate(std::string_view text, std::string_view what) {
  if (text.ends_with("/s")) text.remove_suffix(2);
  return ParseSize(text, what);
}

Result<uint64_t> ParseSize(std::string_view text, std::string_view what) {
  auto bad = [&] {
    return Status::InvalidArgument(std::string(what) + ": '" + std::string(text) +
                                   "' is not a size (use e.g. 4096, 512M, 10GiB, 2TB)");
  };
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return bad();
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + digits, n);
  if (ec != std::errc()) return bad();
  std::string unit(text.substr(digits));
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const std::string_view kPrefixes = "KMGTP";
  uint64_t multiplier = 1;
  if (!unit.empty() && unit != "B") {
    size_t power = kPrefixes.find(unit[0]);
    std::string_view rest = std::string_view(unit).substr(1);
    uint64_t base = rest == "" || rest == "IB" ? 1024 : rest == "B" ? 1000 : 0;
    if (power == std::string_view::npos || base == 0) return bad();
    for (size_t i = 0; i <= power; ++i) multiplier *= base;
  }
  if (n > UINT64_MAX / multiplier) {
    return Status::InvalidArgument(std::string(what) + ": '" + std::string(text) +
                                   "' is too large");
  }
  return n * multiplier;
}

}  // namespace nokv::cli
