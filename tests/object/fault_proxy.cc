// FaultProxy implementation on plain POSIX sockets.
#include "fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

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

const char* FaultProxy::FaultName(int fault) {
  static const char* const kNames[kFaultKinds] = {"reset", "500",       "503 SlowDown",
                                                  "429",   "truncated", "slow"};
  return fault >= 0 && fault < kFaultKinds ? kNames[fault] : "?";
}

void FaultProxy::Chaos(double rate, uint64_t seed) {
  std::lock_guard lock(mu_);
  chaos_rate_ = rate;
  rng_.seed(seed);
}

std::array<int, FaultProxy::kFaultKinds> FaultProxy::faults() {
  std::lock_guard lock(mu_);
  return faults_;
}

void FaultProxy::Refuse(int client, int status, const char* code) {
  // Read the request head first, so the client sees an answer, not a reset.
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < (64 << 10)) {
    pollfd pfd{client, POLLIN, 0};
    if (::poll(&pfd, 1, 2000) <= 0) break;
    ssize_t n = ::recv(client, buf, sizeof(buf), 0);
    if (n <= 0) break;
    head.append(buf, static_cast<size_t>(n));
  }
  std::string body = std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>") + code +
                     "</Code><Message>injected by the fault proxy</Message></Error>";
  std::string reason = status == 500   ? "Internal Server Error"
                       : status == 503 ? "Service Unavailable"
                                       : "Too Many Requests";
  std::string response =
      "HTTP/1.1 " + std::to_string(status) + " " + reason +
      "\r\nContent-Type: application/xml\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n" + body;
  (void)::send(client, response.data(), response.size(), MSG_NOSIGNAL);
  ::shutdown(client, SHUT_RDWR);
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
  if (down_) {
    ++refused_;
    Reset(client);
    return;
  }
  int fault = -1;
  uint64_t cut = 0;  // kReset: request bytes; kTruncated: response bytes
  int delay_ms = 0;
  {
    std::lock_guard lock(mu_);
    if (chaos_rate_ > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < chaos_rate_) {
      fault = static_cast<int>(rng_() % kFaultKinds);
      ++faults_[fault];
      cut = rng_() % (64 << 10);
      delay_ms = static_cast<int>(rng_() % 300);
    }
  }
  switch (fault) {
    case kServerError:
      return Refuse(client, 500, "InternalError");
    case kSlowDown:
      return Refuse(client, 503, "SlowDown");
    case kTooMany:
      return Refuse(client, 429, "TooManyRequests");
    default:
      break;
  }
  int upstream = ConnectLoopback(upstream_port_);
  if (upstream < 0) {
    Reset(client);
    return;
  }
  uint64_t reset_after = fault == kReset ? cut : UINT64_MAX;
  uint64_t truncate_after = fault == kTruncated ? cut % 8192 : UINT64_MAX;
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
  uint64_t forwarded = 0;
  for (;;) {
    pollfd pfd{upstream, POLLIN, 0};
    if (::poll(&pfd, 1, 100) == 0 || blackhole_) {
      if (stopping_) break;
      if (blackhole_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    ssize_t n = ::recv(upstream, buf, sizeof(buf), 0);
    if (n <= 0) break;
    if (fault == kSlow && forwarded == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    }
    size_t give = static_cast<size_t>(n);
    if (forwarded + give > truncate_after) {
      give = static_cast<size_t>(truncate_after - forwarded);
      (void)::send(client, buf, give, MSG_NOSIGNAL);
      Reset(client);
      Reset(upstream);
      break;
    }
    if (::send(client, buf, give, MSG_NOSIGNAL) != n) break;
    forwarded += give;
  }
  ::shutdown(client, SHUT_RDWR);
  up.join();
}

}  // namespace nokv::object::testing
