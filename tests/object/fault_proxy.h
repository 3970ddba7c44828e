// FaultProxy: a TCP proxy on 127.0.0.1 (port 0) in front of a real server
// (RGW in the s3 suite) that can break connections on purpose:
//
//   ResetUploads(n, after)  the next n connections are reset (RST) once more
//                           than `after` request bytes went through them
//   Blackhole(true)         stop forwarding responses (a server that stops
//                           answering); new connections hang too
//
// Thread-safe: an accept thread plus two pump threads per connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nokv::object::testing {

class FaultProxy {
 public:
  explicit FaultProxy(int upstream_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const { return port_; }
  void ResetUploads(int connections, uint64_t after_bytes);
  void Blackhole(bool on) { blackhole_ = on; }
  int resets() const { return resets_; }

 private:
  void AcceptLoop();
  void Serve(int client);

  int listen_fd_ = -1;
  int port_ = 0;
  const int upstream_port_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> blackhole_{false};
  std::atomic<int> resets_{0};
  std::thread acceptor_;

  std::mutex mu_;
  int reset_budget_ = 0;              // guarded by mu_
  uint64_t reset_after_ = 0;          // guarded by mu_
  std::vector<std::thread> threads_;  // guarded by mu_
  std::vector<int> fds_;              // guarded by mu_
};

}  // namespace nokv::object::testing
