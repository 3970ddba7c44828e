// What a Responder shares with the server's event loop. Internal to rpc/.
//
// A worker (or any thread) that answers pushes the encoded response onto the
// CompletionQueue and wakes the loop through an eventfd; the loop appends it
// to the connection's output. Cancellation flows the other way through a
// CancelState, which the loop and the responder share. All three are
// thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

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
  // Queues `item` and wakes the loop, unless the loop thread itself pushes
  // (it delivers what is queued before it next waits).
  void Push(Item item);
  std::vector<Item> TakeAll();
  bool empty();
  // The thread that takes the items; set once when the loop starts.
  void SetLoopThread(std::thread::id id);
  // After Close, Push drops items and no longer touches the wake fd.
  void Close();
  uint32_t max_frame_bytes() const { return max_frame_bytes_; }

 private:
  std::mutex mu_;
  std::vector<Item> items_;      // guarded by mu_
  bool closed_ = false;          // guarded by mu_
  std::thread::id loop_thread_;  // guarded by mu_
  int wake_fd_;                  // an eventfd owned by the loop; valid until Close
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

}  // namespace nokv::rpc
