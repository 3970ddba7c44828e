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

// Parsed arguments of one command: flags (--name value, --name=value,
// --switch) and positionals, in order.
class Args {
 public:
  // `switches` are flags that take no value. Unknown flags are an error.
  static Result<Args> Parse(const std::vector<std::string>& argv,
                            const std::vector<std::string>& flags,
                            const std::vector<std::string>& switches);
  bool Has(const std::string& name) const { return values_.contains(name); }
  std::optional<std::string> Get(const std::string& name) const;
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
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  // The file descriptor behind `out` (-1: none). Bulk output (cat) is
  // written to it directly, after flushing `out`.
  int out_fd = -1;

  // Opens the filesystem on first use: remote with --server; else embedded,
  // or through the socket of the process that holds the data directory, or
  // embedded after waiting (bounded) for a holder that does not serve it.
  Result<fs::Filesystem*> Fs();
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
};

struct Command {
  std::string name;
  std::string summary;
  std::string usage;                  // full help text (flags and examples)
  std::vector<std::string> flags;     // flags that take a value
  std::vector<std::string> switches;  // flags without a value
  std::function<int(Context&, const Args&)> run;
};

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
nlohmann::json AttrJson(const meta::Attr& attr, std::string_view path);

}  // namespace nokv::cli
