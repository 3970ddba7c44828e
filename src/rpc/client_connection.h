// ClientConnection: one handshaken socket of an rpc::Client and its calls in
// flight. Internal to rpc/.
//
// Reading is a token, not a thread: whoever holds it reads the socket and
// completes every call whose response arrives. A synchronous caller takes the
// token while it waits, so in the common case it reads its own response and
// no thread hand-off sits in the round trip. A background thread takes the
// token only while asynchronous calls are pending and nobody else reads.
//
// Invariants: at most one thread holds the read token (reading_) and only it
// touches decoder_ and read_buffer_; a call is in pending_ until exactly one
// of a response, its deadline, a send error or Fail takes it out and runs its
// callback (never under mu_); once broken_ is set nothing enters pending_.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "rpc/client.h"
#include "rpc/socket.h"

namespace nokv::rpc {

class ClientConnection {
 public:
  // Connects, handshakes and starts the background reader.
  static Result<std::unique_ptr<ClientConnection>> Open(const Address& address,
                                                        const ClientOptions& options);
  // Fails pending calls with Unavailable and joins the background reader.
  // Callers of CallSync must have returned.
  ~ClientConnection();

  // Blocks until the response or the deadline; may read the socket itself.
  // When `cancelled` becomes true first, fails with Cancelled and sends the
  // server a cancel (checked every kCancelCheck).
  Result<Response> CallSync(std::string_view method, std::string_view payload, Deadline deadline,
                            const std::atomic<bool>* cancelled = nullptr);
  void CallAsync(std::string_view method, std::string_view payload, Deadline deadline,
                 CallCallback done);
  // True once the connection dropped; notices a close by the server even
  // when no call is in flight.
  bool broken();

 private:
  struct Pending {
    Deadline deadline;
    CallCallback done;
    bool async;
  };
  // A thread inside CallSync. Lives on its stack; signalled under mu_.
  struct SyncWaiter {
    std::condition_variable cv;              // its result arrived, or the read token is free
    std::optional<Result<Response>> result;  // guarded by mu_
  };

  ClientConnection(UniqueFd fd, UniqueFd wake, std::string label, uint32_t max_frame);
  // Encodes, registers and sends a call; `done` runs exactly once whatever
  // happens. Returns the request id, 0 when the call already failed.
  uint64_t Begin(std::string_view method, std::string_view payload, Deadline deadline,
                 CallCallback done, bool async);
  void BackgroundReader();
  // With the read token held: waits for data until `until` (or an earlier
  // async deadline), reads and dispatches what came, expires due calls.
  void ReadOnce(Deadline until);
  void ReadAndDispatch();
  void ExpireDue();
  void SendCancel(uint64_t id);
  // Takes call `id` out of pending_; false if someone else already did.
  bool Take(uint64_t id, CallCallback* done);
  // Marks the connection broken and fails every pending call with `why`.
  void Fail(const Status& why);
  Status Send(std::string_view bytes, Deadline deadline);
  void Wake();
  // Called under mu_ when the read token is released: hands it to one
  // waiting caller, else to the background reader if async calls wait.
  void HandOffToken();

  UniqueFd fd_;
  UniqueFd wake_fd_;         // eventfd: an async call with an earlier deadline
  const std::string label_;  // the server address, for messages
  uint32_t server_max_frame_ = kDefaultMaxFrameBytes;  // set by Open before any call
  std::atomic<uint64_t> next_id_{1};
  std::mutex write_mu_;  // one frame at a time on the socket

  FrameDecoder decoder_;     // read-token holder only
  std::string read_buffer_;  // read-token holder only

  std::mutex mu_;
  // The background reader's: async work arrived, the token is free for it,
  // or the connection broke or is closing.
  std::condition_variable background_cv_;
  std::deque<SyncWaiter*> token_waiters_;          // guarded by mu_; callers waiting to read
  std::unordered_map<uint64_t, Pending> pending_;  // guarded by mu_
  std::multimap<Deadline, uint64_t> deadlines_;    // guarded by mu_; same calls
  size_t async_pending_ = 0;                       // guarded by mu_
  bool reading_ = false;                           // guarded by mu_; the read token
  Deadline reader_wakes_at_;                       // guarded by mu_; when the holder's poll ends
  Status broken_;                                  // guarded by mu_; OK while healthy
  bool closing_ = false;                           // guarded by mu_
  std::thread background_;
};

}  // namespace nokv::rpc
