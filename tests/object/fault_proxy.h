// FaultProxy: a TCP proxy on 127.0.0.1 (port 0) in front of a real server
// (RGW in the s3 suite) that can break connections on purpose:
//
//   ResetUploads(n, after)  the next n connections are reset (RST) once more
//                           than `after` request bytes went through them
//   Blackhole(true)         stop forwarding responses (a server that stops
//                           answering); new connections hang too
//   Down(true)              reset every new connection (a stopped server)
//   Chaos(rate, seed)       each new connection, with probability `rate`,
//                           gets one Fault chosen at random
//
// Thread-safe: an accept thread plus two pump threads per connection.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace nokv::object::testing {

class FaultProxy {
 public:
  enum Fault {
    kReset,        // RST after a random number of request bytes
    kServerError,  // 500 InternalError, without forwarding
    kSlowDown,     // 503 SlowDown, without forwarding
    kTooMany,      // 429 TooManyRequests, without forwarding
    kTruncated,    // the response cut off after a random number of bytes
    kSlow,         // the response held back up to 300 ms
    kFaultKinds
  };
  static const char* FaultName(int fault);

  explicit FaultProxy(int upstream_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const { return port_; }
  void ResetUploads(int connections, uint64_t after_bytes);
  void Blackhole(bool on) { blackhole_ = on; }
  void Down(bool on) { down_ = on; }
  void Chaos(double rate, uint64_t seed);
  int resets() const { return resets_; }
  // Faults injected by Chaos so far, by kind; refused() counts Down's.
  std::array<int, kFaultKinds> faults();
  int refused() const { return refused_; }

 private:
  void AcceptLoop();
  void Serve(int client);
  // Answers the request on `client` with `status` and an S3 error body.
  void Refuse(int client, int status, const char* code);

  int listen_fd_ = -1;
  int port_ = 0;
  const int upstream_port_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> blackhole_{false};
  std::atomic<bool> down_{false};
  std::atomic<int> refused_{0};
  std::atomic<int> resets_{0};
  std::thread acceptor_;

  std::mutex mu_;
  int reset_budget_ = 0;                   // guarded by mu_
  uint64_t reset_after_ = 0;               // guarded by mu_
  std::vector<std::thread> threads_;       // guarded by mu_
  std::vector<int> fds_;                   // guarded by mu_
  double chaos_rate_ = 0;                  // guarded by mu_
  std::mt19937_64 rng_;                    // guarded by mu_
  std::array<int, kFaultKinds> faults_{};  // guarded by mu_
};

}  // namespace nokv::object::testing
