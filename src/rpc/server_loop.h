// The server's event loop and the state a Responder shares with it.
// Internal to rpc/; see server.h for the contract.
//
// Threads: the loop thread owns listeners, connections and their buffers.
// Answers come back through the CompletionQueue (rpc/server_reply.h).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/thread_pool.h"
#include "rpc/server.h"
#include "rpc/server_reply.h"
#include "rpc/socket.h"

namespace nokv::rpc {

class EventLoop {
 public:
  EventLoop(ServerOptions options, Handler handler);
  ~EventLoop();

  Result<Address> Listen(const Address& address);
  Status Start();
  void Stop();
  ServerStats Stats() const;

 private:
  struct Connection;
  using Clock = std::chrono::steady_clock;

  void Run();
  void Accept(size_t listener_index);
  void OnReadable(Connection* c);
  void OnHello(Connection* c);
  void RefuseHello(Connection* c, HelloResult result, std::string message);
  void ProcessFrames(Connection* c);
  void Dispatch(Connection* c, Frame frame);
  void DeliverCompletions();
  void Flush(Connection* c);
  void UpdateInterest(Connection* c);
  // Marks `c` dead and cancels what it has in flight; ReapDead closes it.
  void Kill(Connection* c);
  void ReapDead();
  bool EvictHandshake();
  void SetAcceptPaused(bool paused);
  void ProtocolError(Connection* c, const Status& status);
  void CheckTimers(Clock::time_point now);
  void BeginStop();
  void CloseListeners();
  int NextTimeoutMs() const;

  ServerOptions options_;
  Handler handler_;
  std::vector<Listener> listeners_;  // loop-owned after Start
  UniqueFd epoll_fd_;
  UniqueFd wake_fd_;
  std::shared_ptr<internal::CompletionQueue> queue_;
  std::unique_ptr<ThreadPool> pool_;
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
  bool started_ = false;
  bool stopped_ = false;
  std::mutex stop_mu_;  // serializes Stop callers

  // Loop-thread state.
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
  uint64_t next_connection_id_;
  Clock::time_point next_timer_check_;
  bool stopping_ = false;
  Clock::time_point stop_deadline_;
  bool accept_paused_ = false;
  std::vector<uint64_t> dead_;  // connections to erase at the end of this turn
  std::vector<char> read_buffer_;

  struct Counters {
    std::atomic<uint64_t> connections_open{0}, connections_total{0}, connections_rejected{0},
        frames_in{0}, frames_out{0}, bytes_in{0}, bytes_out{0}, requests_in_flight{0},
        protocol_errors{0}, auth_failures{0}, handshake_timeouts{0}, handshakes_evicted{0},
        idle_timeouts{0}, reads_paused{0};
  };
  Counters counters_;
};

}  // namespace nokv::rpc
