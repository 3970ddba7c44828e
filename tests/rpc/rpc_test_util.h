// Test helpers for the RPC suites: a raw socket that speaks bytes (to send
// what a well-behaved client never would) and waiting on a condition.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "rpc/socket.h"
#include "rpc/wire.h"

namespace nokv::rpc::testing {

// Upper bound on any wait in these tests; reaching it is a failure.
inline constexpr std::chrono::seconds kTestWait{10};

// Polls `done` until it holds or kTestWait passes; returns whether it held.
inline bool WaitUntil(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + kTestWait;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

class RawSocket {
 public:
  explicit RawSocket(const Address& address) {
    auto fd = Connect(address, std::chrono::steady_clock::now() + kTestWait);
    EXPECT_TRUE(fd.ok()) << fd.status().ToString();
    if (fd.ok()) fd_ = std::move(*fd);
  }

  void Send(std::string_view bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_.get(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EAGAIN) {
        pollfd p{fd_.get(), POLLOUT, 0};
        ::poll(&p, 1, 1000);
        continue;
      }
      ASSERT_GT(n, 0) << "send failed";
      sent += static_cast<size_t>(n);
    }
  }

  void ShutdownWrite() { ::shutdown(fd_.get(), SHUT_WR); }

  // Reads until the peer closes; fails the test if it does not within kTestWait.
  std::string ReadUntilEof() {
    std::string all;
    char buf[4096];
    auto deadline = std::chrono::steady_clock::now() + kTestWait;
    while (true) {
      pollfd p{fd_.get(), POLLIN, 0};
      int rc = ::poll(&p, 1, PollTimeoutMs(deadline));
      if (rc == 0) {
        ADD_FAILURE() << "the server did not close the connection";
        return all;
      }
      ssize_t n = ::read(fd_.get(), buf, sizeof(buf));
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) return all;
      all.append(buf, static_cast<size_t>(n));
    }
  }

  // Sends a hello and reads an accepting reply.
  void Handshake(const std::string& token = "") {
    Hello hello;
    hello.token = token;
    Send(EncodeHello(hello));
    std::string buffer;
    char buf[256];
    HelloReply reply;
    while (true) {
      auto used = ParseHelloReply(buffer, &reply);
      ASSERT_TRUE(used.ok());
      if (*used > 0) break;
      pollfd p{fd_.get(), POLLIN, 0};
      ASSERT_GT(::poll(&p, 1, 10000), 0);
      ssize_t n = ::read(fd_.get(), buf, sizeof(buf));
      ASSERT_GT(n, 0);
      buffer.append(buf, static_cast<size_t>(n));
    }
    ASSERT_EQ(reply.result, HelloResult::kAccepted) << reply.message;
  }

  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
};

}  // namespace nokv::rpc::testing
