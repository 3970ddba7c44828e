// The answer path from a Responder to the event loop (server_reply.h).
#include "rpc/server_reply.h"

#include <unistd.h>

#include <utility>

#include "rpc/wire.h"

namespace nokv::rpc {

namespace internal {

void CancelState::Cancel() {
  std::function<void()> callback;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (cancelled) return;
    cancelled = true;
    callback = std::move(on_cancel);
  }
  if (callback) callback();
}

bool CancelState::IsCancelled() {
  std::lock_guard<std::mutex> lock(mu);
  return cancelled;
}

void CancelState::OnCancel(std::function<void()> callback) {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!cancelled) {
      on_cancel = std::move(callback);
      return;
    }
  }
  callback();
}

void CompletionQueue::Push(Item item) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  bool was_empty = items_.empty();
  items_.push_back(std::move(item));
  if (was_empty && std::this_thread::get_id() != loop_thread_) {
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof(one));
  }
}

std::vector<CompletionQueue::Item> CompletionQueue::TakeAll() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(items_, {});
}

bool CompletionQueue::empty() {
  std::lock_guard<std::mutex> lock(mu_);
  return items_.empty();
}

void CompletionQueue::SetLoopThread(std::thread::id id) {
  std::lock_guard<std::mutex> lock(mu_);
  loop_thread_ = id;
}

void CompletionQueue::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  items_.clear();
}

void ReplyState::Send(const Status& status, std::string payload) {
  if (responded.exchange(true)) return;
  Frame frame;
  frame.kind = FrameKind::kResponse;
  frame.request_id = request_id;
  frame.status = status;
  frame.payload = std::move(payload);
  size_t size = EncodedFrameBytes(frame);
  if (size > queue->max_frame_bytes()) {
    frame.status = Status::TooLarge("rpc: a response of " + std::to_string(size) +
                                    " bytes exceeds the frame cap of " +
                                    std::to_string(queue->max_frame_bytes()));
    frame.payload.clear();
  }
  std::string bytes;
  if (!EncodeFrame(frame, &bytes).ok()) return;
  queue->Push({connection_id, request_id, std::move(bytes)});
}

ReplyState::~ReplyState() {
  if (!responded.load()) {
    Send(Status::Aborted("rpc: the handler dropped the request without answering"), {});
  }
}

}  // namespace internal

}  // namespace nokv::rpc
