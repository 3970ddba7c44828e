// FaultProxy implementation on plain POSIX sockets.
#include "fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace nokv::object::testing {
namespace {

int ListenLoopback(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::listen(fd, 64);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

int ConnectLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void Reset(int fd) {
  linger lg{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  ::shutdown(fd, SHUT_RDWR);
}

}  // namespace

FaultProxy::FaultProxy(int upstream_port) : upstream_port_(upstream_port) {
  listen_fd_ = ListenLoopback(&port_);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FaultProxy::~FaultProxy() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  acceptor_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  for (int fd : fds_) ::close(fd);
}

void FaultProxy::ResetUploads(int connections, uint64_t after_bytes) {
  std::lock_guard lock(mu_);
  reset_budget_ = connections;
  reset_after_ = after_bytes;
}

void FaultProxy::AcceptLoop() {
  while (!stopping_) {
    int client = ::accept(listen_fd_, nullptr, nullptr);
    if (client < 0) continue;
    std::lock_guard lock(mu_);
    if (stopping_) {
      ::close(client);
      break;
    }
    fds_.push_back(client);
    threads_.emplace_back([this, client] { Serve(client); });
  }
}

void FaultProxy::Serve(int client) {
  int upstream = ConnectLoopback(upstream_port_);
  if (upstream < 0) {
    Reset(client);
    return;
  }
  uint64_t reset_after = UINT64_MAX;
  {
    std::lock_guard lock(mu_);
    fds_.push_back(upstream);
    if (reset_budget_ > 0) {
      --reset_budget_;
      reset_after = reset_after_;
    }
  }
  // Client -> upstream on a helper thread; upstream -> client here.
  std::thread up([this, client, upstream, reset_after] {
    char buf[65536];
    uint64_t sent = 0;
    for (;;) {
      ssize_t n = ::recv(client, buf, sizeof(buf), 0);
      if (n <= 0) break;
      if (sent + static_cast<uint64_t>(n) > reset_after) {
        ++resets_;
        Reset(client);
        Reset(upstream);
        return;
      }
      if (::send(upstream, buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) break;
      sent += static_cast<uint64_t>(n);
    }
    ::shutdown(upstream, SHUT_WR);
  });
  char buf[65536];
  for (;;) {
    pollfd pfd{upstream, POLLIN, 0};
    if (::poll(&pfd, 1, 100) == 0 || blackhole_) {
      if (stopping_) break;
      if (blackhole_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    ssize_t n = ::recv(upstream, buf, sizeof(buf), 0);
    if (n <= 0) break;
    if (::send(client, buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) break;
  }
  ::shutdown(client, SHUT_RDWR);
  up.join();
}

}  // namespace nokv::object::testing
