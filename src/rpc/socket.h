// Sockets for the RPC transport: an owning descriptor and the few POSIX calls
// the server and client make (listen, connect, peer names). Internal to rpc/.
// Thread-safety: a UniqueFd is owned by one thread at a time; the functions
// are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/result.h"
#include "rpc/address.h"

namespace nokv::rpc {

// Owns one file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release();
  void Reset(int fd = -1);

 private:
  int fd_ = -1;
};

// A bound, listening, non-blocking socket and what it is bound to.
struct Listener {
  UniqueFd fd;
  Address bound;          // with the real port for TCP
  bool loopback = false;  // TCP: bound to 127.0.0.0/8 or ::1
  uint64_t inode = 0;     // Unix: the socket file's inode, to unlink only our own
};

// Listens on a Unix socket created with mode 0600. A stale socket file (no
// one accepting on it) is replaced; a live one is AlreadyExists, as is a
// path that is not a socket.
Result<Listener> ListenUnix(const std::string& path, int backlog);
// Listens on host:port (port 0: the kernel picks one).
Result<Listener> ListenTcp(const std::string& host, uint16_t port, int backlog);

// Connects to `address`, giving up at `deadline` (TimedOut). Returns a
// non-blocking socket. Unavailable when nothing listens there.
Result<UniqueFd> Connect(const Address& address, std::chrono::steady_clock::time_point deadline);

Status SetNonBlocking(int fd);

// "ip:port" of a TCP peer, "pid N uid N" of a Unix one; *uid gets the Unix
// peer's uid (-1 for TCP or when unknown).
std::string PeerName(int fd, Transport transport, int64_t* uid);

// Milliseconds until `deadline` for poll(2): 0 when past, capped at a day.
int PollTimeoutMs(std::chrono::steady_clock::time_point deadline);

}  // namespace nokv::rpc
