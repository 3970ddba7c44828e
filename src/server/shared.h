// Opening a data directory that other processes share (docs/cli.md,
// "Sharing a data directory").
//
// One process at a time holds a data directory (its engine lock). A holder
// that runs for a while serves it on <data-dir>/nokv.sock (server/holder.h)
// and every other process goes through that socket. SharedDirectory::Open
// settles which of these this process is:
//
//   the directory is free     open it in-process, and serve it when asked to;
//   held and served           connect to the holder's socket;
//   held, not served          wait for the lock (short commands hold it
//                             briefly) up to ShareOptions::wait, then Busy.
//
// The holder may go away while this process is its client: it exits, or it
// is killed. The first call that finds its socket dead takes the directory
// over the same way (opens it in-process, serving it when asked to, or
// reaches whichever process did), then retries the call when repeating it
// cannot do anything twice: reads, changes that never left this process, and
// changes that carry a request id (every create, mkdir, symlink and
// single-file publish sent through a socket is given one). Any other change
// in flight is reported as Unavailable: it may or may not have happened.
//
// Read pins and upload leases held on a holder that died are gone with it:
// a read of a pinned generation may then fail (Expired), and a publish whose
// blocks were collected meanwhile uploads them again (fs/filesystem.h).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "fs/embedded.h"
#include "fs/filesystem.h"
#include "server/holder.h"
#include "server/remote_metadata.h"

namespace nokv::server {

struct ShareOptions {
  fs::EmbeddedOptions embedded;
  // Serve the directory while this process holds it (long-running
  // processes). A read-only open is never served.
  bool serve = false;
  HolderOptions holder;
  // Go through the socket of a process that serves the directory. Off for
  // `nokv serve`, which must hold the directory itself.
  bool join = true;
  // When the directory cannot be opened for writing (a full disk, a
  // read-only file system), open it read-only instead, not served.
  bool read_only_fallback = false;
  // How long Open waits for a holder that does not serve the directory.
  std::chrono::milliseconds wait{10'000};
  // How long a takeover waits for the lock: a short command may hold it
  // for a moment after the holder went away.
  std::chrono::milliseconds takeover_wait{10'000};
  // Called once, before the first wait for a holder that does not serve the
  // directory (never with a zero wait), with the holder's Busy status.
  std::function<void(const Status& held)> on_wait;
  // Told what happened when the process changes role (took the directory
  // over, fell back to read-only), for a log line.
  std::function<void(std::string_view what)> on_change;
  // For the connection to a holder's socket.
  RemoteOptions remote;
};

class SharedDirectory {
 public:
  enum class Role {
    kServing,   // holds the directory and serves it
    kEmbedded,  // holds the directory, not serving it
    kClient,    // goes through the holder's socket
  };

  static Result<std::unique_ptr<SharedDirectory>> Open(ShareOptions options);
  ~SharedDirectory();
  SharedDirectory(const SharedDirectory&) = delete;
  SharedDirectory& operator=(const SharedDirectory&) = delete;

  fs::Filesystem* fs() { return fs_.get(); }
  Role role() const;
  // The holder serving the directory from this process (null unless
  // role() is kServing). A process that serves from the start keeps
  // serving, so the pointer stays valid while this object lives.
  Holder* holder();
  // Times this process took the directory over (or reached a new holder)
  // after its holder went away.
  uint64_t takeovers() const;

  class Metadata;  // the failover seam the Filesystem runs on (shared.cc)

 private:
  SharedDirectory() = default;

  Metadata* metadata_ = nullptr;  // owned by fs_
  std::unique_ptr<fs::Filesystem> fs_;
};

std::string_view RoleName(SharedDirectory::Role role);

}  // namespace nokv::server
