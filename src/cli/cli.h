// The `nokv` command line: global flags, the command table, output helpers
// and exit codes. Commands only translate: arguments in, fs::Filesystem
// calls, Status out to messages and exit codes (docs/cli.md).
#pragma once

#include <chrono>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "fs/embedded.h"
#include "fs/filesystem.h"
#include "server/shared.h"

namespace nokv::cli {

inline constexpr std::string_view kVersion = "nokv 0.1.0";

// Documented exit codes.
enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,
  kExitUsage = 2,
  kExitNotFound = 3,
  kExitConflict = 4,  // exists, generation mismatch, not empty
  kExitBusy = 5,      // data directory locked by another process
  kExitCorrupt = 6,   // stored bytes are damaged (Corruption): metadata or a block
};

// Exit code for a failed Status.
int ExitCodeFor(const Status& status);

// The arguments of one command as parsed (dispatch.cc, by CLI11): each given
// flag under its key (the first of its names, e.g. "-r" for "-r,--recursive")
// with its values in order, and the positionals in order.
class Args {
 public:
  void Add(const std::string& key, std::string value) { values_.emplace(key, std::move(value)); }
  void AddPositional(std::string value) { positional_.push_back(std::move(value)); }
  bool Has(const std::string& name) const { return values_.contains(name); }
  std::optional<std::string> Get(const std::string& name) const;  // the last one given
  std::vector<std::string> GetAll(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  // The positionals as NoKV paths (PathArg applied to each).
  std::vector<std::string> PathPositionals() const;

 private:
  std::multimap<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

// What every command gets: global options and lazily opened filesystem.
class Context {
 public:
  fs::EmbeddedOptions embedded;
  std::string server;  // --server ADDR ("" = embedded)
  // How long to wait for a data directory another process holds without
  // serving it (--wait, --no-wait).
  std::chrono::milliseconds wait{10'000};
  // Go through the holder's socket when another process serves the data
  // directory (off for `nokv serve` itself).
  bool follow_holder = true;
  // A long-running command (mcp, watch --follow): hold the data directory
  // and serve it to other processes (server/shared.h), falling back to a
  // read-only open that is not served when it cannot be written.
  bool serve_dir = false;
  // How the directory is served when this process serves it.
  server::HolderOptions holder;
  bool json = false;
  bool quiet = false;
  bool verbose = false;
  // Where each setting came from, by setting name ("data_dir", "object_store",
  // "s3_bucket", ...): "flag --s3-bucket", "env NOKV_S3_BUCKET", ... Settings
  // given on the command line or by a NOKV_* variable are "explicit": they
  // may not contradict what the data directory stores (settings.cc).
  std::map<std::string, std::string> origins;
  std::map<std::string, bool> explicit_settings;
  std::string s3_profile;  // --s3-profile: the AWS profile for credentials
  std::string credentials_origin;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  // The file descriptor behind `out` (-1: none). Bulk output (cat) is
  // written to it directly, after flushing `out`.
  int out_fd = -1;

  // Opens the filesystem on first use: remote with --server; else embedded,
  // or through the socket of the process that holds the data directory, or
  // embedded after waiting (bounded) for a holder that does not serve it.
  Result<fs::Filesystem*> Fs();
  // Reads the data directory's stored settings (once) into `embedded`,
  // refusing explicit settings that contradict them, and finds S3
  // credentials (environment, then the AWS shared files). settings.cc.
  Status ResolveSettings();
  // NotFound with a hint when no data directory was named and none was
  // found upward from the working directory.
  Status RequireDataDir() const;
  // How the data directory was reached (null with --server or before Fs()).
  server::SharedDirectory* shared() { return shared_.get(); }
  // Prints "nokv: <what>: <message>" (with a hint when one applies) to err
  // and returns the exit code for `status`.
  int Fail(std::string_view what, const Status& status);
  int Usage(std::string_view message);
  // Prints `value` as one line of JSON, every string with the byte escape (names
  // that are not UTF-8 stay exact and can be passed back as path arguments).
  void PrintJson(const nlohmann::json& value);

 private:
  std::unique_ptr<fs::Filesystem> remote_;           // --server
  std::unique_ptr<server::SharedDirectory> shared_;  // the data directory
  fs::Filesystem* fs_ = nullptr;
  bool resolved_ = false;
};

// One flag of a command (or a global flag), declared once: the parser, the
// per-command help, the shell completions and the man page are all made from
// these declarations.
struct Flag {
  Flag(std::string names, std::string help, std::string value = "", bool repeat = false,
       std::vector<std::string> choices = {}, std::string env = "")
      : names(std::move(names)),
        help(std::move(help)),
        value(std::move(value)),
        repeat(repeat),
        choices(std::move(choices)),
        env(std::move(env)) {}

  std::string names;  // as CLI11 takes them: "-r,--recursive"; the first is the key
  std::string help;
  std::string value;                 // the value's placeholder ("N", "DURATION"); empty: a switch
  bool repeat = false;               // may be given more than once, every value kept
  std::vector<std::string> choices;  // the only values accepted (completed too)
  std::string env;                   // environment variable that sets it (global flags)
};

struct Command {
  std::string name;
  std::string summary;                // one line, in `nokv --help`
  std::vector<std::string> synopsis;  // usage lines after "nokv NAME "
  std::string description;            // paragraphs after the usage lines
  std::vector<Flag> flags;
  std::vector<std::string> verbs;  // words its first positional takes (snapshot create ...)
  std::function<int(Context&, const Args&)> run;
};

// The flags every command takes (before or after the command name).
const std::vector<Flag>& GlobalFlags();

// Runs `fn` with the opened filesystem, or reports why it could not open.
int WithFs(Context& ctx, std::string_view what, const std::function<int(fs::Filesystem&)>& fn);
// WithFs for commands that only read: opens the data directory read-only
// (no file is written, so it works on a full disk and beside other readers).
int WithReadOnlyFs(Context& ctx, std::string_view what,
                   const std::function<int(fs::Filesystem&)>& fn);
// The --snapshot flag as a read point.
fs::ReadAt ReadAtFlag(const Args& args);
// A NoKV path given on the command line, as the filesystem takes it: every
// U+F780..U+F7FF (the byte escape `--json` prints names with, docs/cli.md "Names that
// are not UTF-8") becomes the byte 0x80..0xFF; other bytes, raw non-UTF-8 included,
// are kept. Not for local paths (put's SRC, get's DST), which are the OS's bytes.
std::string PathArg(std::string_view arg);

// Parses "30s", "15m", "2h", "7d" (or plain seconds) into nanoseconds.
Result<int64_t> ParseDuration(std::string_view text);
// A size in bytes: a whole number with an optional unit, K/M/G/T/P or
// KiB/MiB/GiB/TiB/PiB (powers of 1024), KB/MB/GB/TB/PB (powers of 1000), B
// ("512M", "10GiB", "1.5G" is refused). InvalidArgument naming `what`.
Result<uint64_t> ParseSize(std::string_view text, std::string_view what);
// A rate in bytes per second: a size with an optional "/s" ("100M/s").
Result<uint64_t> ParseRate(std::string_view text, std::string_view what);
// A whole number from 0 to 2^64-1, all digits ("-1", "1e3", " 7", "" are
// refused with InvalidArgument naming `what`).
Result<uint64_t> ParseCount(std::string_view text, std::string_view what);

// Every command, in help order (commands.cc).
const std::vector<Command>& Commands();

// Entry point: returns the process exit code. `out_fd` is the descriptor
// behind `out`, if any (the binary passes stdout's).
int Main(int argc, char** argv, std::ostream& out, std::ostream& err, int out_fd = -1);

// Output helpers.
std::string HumanSize(uint64_t bytes);
std::string FormatTime(int64_t ns);  // "2026-11-21 05:04:21"
// The JSON of an inode at `path`: field names shared with the MCP verbs
// (path, name, kind, size_bytes, entry_count, mtime, generation, target);
// times as RFC 3339 UTC with milliseconds (`mtime`) and exact nanoseconds as
// a decimal string (`mtime_ns`), as AddTime writes them.
nlohmann::json AttrJson(const meta::Attr& attr, std::string_view path);
void AddTime(nlohmann::json& j, std::string_view name, int64_t ns);
// The exit code's error document: {"error": {"code", "message", "hint"?}}.
nlohmann::json ErrorJson(std::string_view code, std::string_view message, std::string_view hint);

}  // namespace nokv::cli
