// POSIX socket calls for the RPC transport.
#include "rpc/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace nokv::rpc {
namespace {

sockaddr_un UnixSockaddr(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.data(), std::min(path.size(), sizeof(sa.sun_path) - 1));
  return sa;
}

// True when something accepts connections on the Unix socket at `path`.
bool UnixSocketLive(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return false;
  sockaddr_un sa = UnixSockaddr(path);
  return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0;
}

bool IsLoopback(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    uint32_t ip = ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr);
    return (ip >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(&a);
  }
  return false;
}

std::string IpPort(const sockaddr* sa, uint16_t* port) {
  char ip[INET6_ADDRSTRLEN] = "?";
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    ::inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
    *port = ntohs(in->sin_port);
    return ip;
  }
  auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
  ::inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
  *port = ntohs(in6->sin6_port);
  return ip;
}

using AddrInfoPtr = std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)>;

Result<AddrInfoPtr> Resolve(const std::string& host, uint16_t port, bool passive) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    return Status::Unavailable("rpc: cannot resolve " + host + ": " + ::gai_strerror(rc));
  }
  return AddrInfoPtr(res, &::freeaddrinfo);
}

// Waits until a non-blocking connect on `fd` finishes.
Status FinishConnect(int fd, const std::string& what,
                     std::chrono::steady_clock::time_point deadline) {
  pollfd p{fd, POLLOUT, 0};
  int rc;
  do {
    rc = ::poll(&p, 1, PollTimeoutMs(deadline));
  } while (rc < 0 && errno == EINTR);
  if (rc == 0) return Status::TimedOut("rpc: connecting to " + what + " timed out");
  int err = 0;
  socklen_t len = sizeof(err);
  if (rc < 0)
    err = errno;
  else
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    return Status::Unavailable("rpc: cannot connect to " + what + ": " + std::strerror(err));
  }
  return Status::Ok();
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) Reset(other.Release());
  return *this;
}

int UniqueFd::Release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::Reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Status SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return Status::FromErrno(errno, "rpc: fcntl O_NONBLOCK");
  }
  return Status::Ok();
}

int PollTimeoutMs(std::chrono::steady_clock::time_point deadline) {
  auto left =
      std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return 0;
  return static_cast<int>(std::min<int64_t>(left.count(), 86'400'000));
}

Result<Listener> ListenUnix(const std::string& path, int backlog) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Status::AlreadyExists("rpc: " + path + " exists and is not a socket");
    }
    if (UnixSocketLive(path)) {
      return Status::AlreadyExists("rpc: a server is already listening on " + path);
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Status::FromErrno(errno, "rpc: removing stale socket " + path);
    }
  }
  Listener l;
  l.fd.Reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!l.fd.valid()) return Status::FromErrno(errno, "rpc: socket");
  // Linux creates the socket file with the socket inode's mode (less the
  // umask), so it is never reachable by others, even briefly.
  if (::fchmod(l.fd.get(), 0600) != 0) return Status::FromErrno(errno, "rpc: fchmod " + path);
  sockaddr_un sa = UnixSockaddr(path);
  if (::bind(l.fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    return Status::FromErrno(errno, "rpc: bind " + path);
  }
  if (::chmod(path.c_str(), 0600) != 0 || ::stat(path.c_str(), &st) != 0 ||
      ::listen(l.fd.get(), backlog) != 0) {
    int err = errno;
    ::unlink(path.c_str());
    return Status::FromErrno(err, "rpc: listen " + path);
  }
  l.bound.transport = Transport::kUnix;
  l.bound.path = path;
  l.inode = st.st_ino;
  return l;
}

Result<Listener> ListenTcp(const std::string& host, uint16_t port, int backlog) {
  NOKV_ASSIGN_OR_RETURN(AddrInfoPtr res, Resolve(host, port, true));
  std::string what = host + ":" + std::to_string(port);
  Listener l;
  l.fd.Reset(::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!l.fd.valid()) return Status::FromErrno(errno, "rpc: socket");
  int one = 1;
  ::setsockopt(l.fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(l.fd.get(), res->ai_addr, res->ai_addrlen) != 0) {
    return Status::FromErrno(errno, "rpc: bind " + what);
  }
  if (::listen(l.fd.get(), backlog) != 0) return Status::FromErrno(errno, "rpc: listen " + what);
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return Status::FromErrno(errno, "rpc: getsockname " + what);
  }
  l.bound.transport = Transport::kTcp;
  l.bound.host = IpPort(reinterpret_cast<sockaddr*>(&ss), &l.bound.port);
  l.loopback = IsLoopback(reinterpret_cast<sockaddr*>(&ss));
  return l;
}

Result<UniqueFd> Connect(const Address& address, std::chrono::steady_clock::time_point deadline) {
  std::string what = address.ToString();
  UniqueFd fd;
  int rc;
  if (address.transport == Transport::kUnix) {
    fd.Reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.valid()) return Status::FromErrno(errno, "rpc: socket");
    sockaddr_un sa = UnixSockaddr(address.path);
    rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa));
  } else {
    NOKV_ASSIGN_OR_RETURN(AddrInfoPtr res, Resolve(address.host, address.port, false));
    fd.Reset(::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.valid()) return Status::FromErrno(errno, "rpc: socket");
    int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    rc = ::connect(fd.get(), res->ai_addr, res->ai_addrlen);
  }
  if (rc != 0 && errno == EINPROGRESS) {
    NOKV_RETURN_IF_ERROR(FinishConnect(fd.get(), what, deadline));
  } else if (rc != 0) {
    return Status::Unavailable("rpc: cannot connect to " + what + ": " + std::strerror(errno));
  }
  return fd;
}

std::string PeerName(int fd, Transport transport, int64_t* uid) {
  *uid = -1;
  if (transport == Transport::kUnix) {
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return "unix";
    *uid = cred.uid;
    return "pid " + std::to_string(cred.pid) + " uid " + std::to_string(cred.uid);
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "tcp";
  uint16_t port = 0;
  std::string ip = IpPort(reinterpret_cast<sockaddr*>(&ss), &port);
  bool v6 = ip.find(':') != std::string::npos;
  return (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

}  // namespace nokv::rpc
