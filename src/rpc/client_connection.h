// ClientConnection: one handshaken socket of an rpc::Client, its pending
// calls and the reader thread that completes them. Internal to rpc/.
//
// Threads: Start/Send/Register from any thread; the reader thread reads,
// completes and expires calls. Invariant: a call is in pending_ until exactly
// one of the reader (response, deadline), Fail or the sender (send error)
// takes it out and runs its callback; after broken_ is set nothing enters.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "rpc/client.h"
#include "rpc/socket.h"

namespace nokv::rpc {

class ClientConnection {
 public:
  // Connects, handshakes and starts the reader.
  static Result<std::unique_ptr<ClientConnection>> Open(const Address& address,
                                                        const ClientOptions& options);
  ~ClientConnection();  // fails pending calls with Unavailable, joins the reader

  void Call(std::string_view method, std::string_view payload, Deadline deadline,
            CallCallback done);
  bool broken();

 private:
  struct Pending {
    Deadline deadline;
    CallCallback done;
  };

  ClientConnection(UniqueFd fd, UniqueFd wake, std::string label, uint32_t server_max_frame);
  void ReaderLoop(FrameDecoder decoder);
  bool ReadAndDispatch(FrameDecoder* decoder);
  void ExpireDue();
  // Takes call `id` out of pending_; false if someone else already did.
  bool Take(uint64_t id, CallCallback* done);
  // Marks the connection broken and fails every pending call with `why`.
  void Fail(const Status& why);
  Status Send(std::string_view bytes, Deadline deadline);
  void Wake();

  UniqueFd fd_;
  UniqueFd wake_fd_;           // eventfd: new earlier deadline, or shutting down
  const std::string label_;    // the server address, for messages
  uint32_t server_max_frame_;  // set by Open before the reader starts
  std::atomic<uint64_t> next_id_{1};
  std::mutex write_mu_;  // one frame at a time on the socket

  std::mutex mu_;
  std::unordered_map<uint64_t, Pending> pending_;  // guarded by mu_
  std::multimap<Deadline, uint64_t> deadlines_;    // guarded by mu_; same calls
  Status broken_;                                  // guarded by mu_; OK while healthy
  bool closing_ = false;                           // guarded by mu_
  Deadline reader_wakes_at_;                       // guarded by mu_; when the reader's poll ends
  std::string read_buffer_;                        // reader thread only
  std::thread reader_;
};

}  // namespace nokv::rpc
