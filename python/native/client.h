// ClientCore: the Filesystem a Python `nokv.Client` talks to, opened the way
// the CLI opens it (src/cli/context.cc, Context::Fs), and opened again in a
// process forked from the one that opened it.
//
// Opening: an address (`host:port`, `unix:/path`, `/path.sock`) goes to
// server::OpenRemote with NOKV_TOKEN (or the token given); a data directory
// goes to server::SharedDirectory::Open, which opens it in-process when
// nobody holds it (and, by default, serves it on DIR/nokv.sock so other
// processes and forked DataLoader workers reach it), or goes through the
// socket of the process that serves it.
//
// Fork: a forked child inherits the parent's Filesystem, whose sockets,
// threads and engine lock belong to the parent. The first call in the child
// abandons that object without running its destructor (which would join
// threads that do not exist in the child and talk on the parent's sockets)
// and opens the directory or server afresh: the parent still holds a data
// directory it serves, so the child becomes a client of its socket.
//
// Lifetime: the Filesystem (and so the data directory, when this process
// holds it) is released when the last owner lets go: the Python client and
// every file it opened share the core.
//
// Thread-safety: every method may be called from any thread; Fs() hands out
// a Filesystem that stays valid while this object lives in this process.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "common/result.h"
#include "fs/filesystem.h"
#include "server/shared.h"

namespace nokv::python {

struct ClientOptions {
  std::string data_dir;  // a data directory, or
  std::string server;    // an address (rpc/address.h forms)
  std::string token;     // for a TCP server; "" = NOKV_TOKEN
  // Hold and serve the data directory when nobody holds it (a long-lived
  // Python process); off: hold it unserved (other processes then wait).
  bool serve = true;
  bool read_only = false;  // open the data directory for reading only
  bool create = false;     // initialize the data directory when missing
  std::chrono::milliseconds wait{10'000};
};

// A counter of forks of this process, bumped in the child (pthread_atfork).
uint64_t ForkGeneration();

class ClientCore {
 public:
  // Opens now, so a bad address or directory fails at construction.
  static Result<std::shared_ptr<ClientCore>> Open(ClientOptions options);
  ~ClientCore();
  ClientCore(const ClientCore&) = delete;
  ClientCore& operator=(const ClientCore&) = delete;

  // The filesystem of this process (reopened after a fork).
  Result<fs::Filesystem*> Fs();
  // "serving", "embedded", "client" (through a holder's socket), "remote"
  // (a --server address), or "closed" when a forked child cannot reopen.
  std::string Role();
  // Changes of process since the first open (forks that reopened).
  uint64_t reopens() const;
  const ClientOptions& options() const { return options_; }

 private:
  explicit ClientCore(ClientOptions options) : options_(std::move(options)) {}
  Status OpenLocked();
  Result<fs::Filesystem*> FsLocked();
  void AbandonInheritedLocked();

  const ClientOptions options_;
  mutable std::mutex mu_;
  uint64_t fork_generation_ = 0;                     // guarded by mu_
  std::unique_ptr<server::SharedDirectory> shared_;  // guarded by mu_
  std::unique_ptr<fs::Filesystem> remote_;           // guarded by mu_
  fs::Filesystem* fs_ = nullptr;                     // guarded by mu_
  uint64_t reopens_ = 0;                             // guarded by mu_
};

}  // namespace nokv::python
