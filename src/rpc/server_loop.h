// The server's event loop and the state a Responder shares with it.
// Internal to rpc/; see server.h for the contract.
//
// Threads: the loop thread owns listeners, connections and their buffers. A
// worker (or any thread) that answers pushes the encoded response onto the
// CompletionQueue and wakes the loop through an eventfd; the loop appends it
// to the connection's output. Cancellation flows the other way through a
// CancelState, which the loop and the responder share.
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
#include "rpc/socket.h"

namespace nokv::rpc {

namespace internal {

// Cancellation of one request. Invariant: on_cancel runs at most once, after
// cancelled became true.
struct CancelState {
  std::mutex mu;
  bool cancelled = false;           // guarded by mu
  std::function<void()> on_cancel;  // guarded by mu
  void Cancel();
  bool IsCancelled();
  void OnCancel(std::function<void()> callback);
};

// Encoded responses waiting for the loop. Shared by the loop and every
// ReplyState, so a Responder may outlive the server (then Push drops).
class CompletionQueue {
 public:
  struct Item {
    uint64_t connection_id;
    uint64_t request_id;
    std::string bytes;
  };
  explicit CompletionQueue(int wake_fd, uint32_t max_frame_bytes)
      : wake_fd_(wake_fd), max_frame_bytes_(max_frame_bytes) {}
  void Push(Item item);
  std::vector<Item> TakeAll();
  // After Close, Push drops items and no longer touches the wake fd.
  void Close();
  uint32_t max_frame_bytes() const { return max_frame_bytes_; }

 private:
  std::mutex mu_;
  std::vector<Item> items_;  // guarded by mu_
  bool closed_ = false;      // guarded by mu_
  int wake_fd_;              // an eventfd owned by the loop; valid until Close
  uint32_t max_frame_bytes_;
};

// One request's answer slot, shared by the copies of its Responder.
struct ReplyState {
  // Shared: responders outlive connections and even the server.
  std::shared_ptr<CompletionQueue> queue;
  std::shared_ptr<CancelState> cancel;
  uint64_t connection_id = 0;
  uint64_t request_id = 0;
  std::atomic<bool> responded{false};
  void Send(const Status& status, std::string payload);
  ~ReplyState();
};

}  // namespace internal

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
        protocol_errors{0}, auth_failures{0}, handshake_timeouts{0}, idle_timeouts{0},
        reads_paused{0};
  };
  Counters counters_;
};

}  // namespace nokv::rpc
