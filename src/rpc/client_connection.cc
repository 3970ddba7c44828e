// The client's connection: handshake, framed sends, the reader thread.
#include "rpc/client_connection.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace nokv::rpc {
namespace {

constexpr size_t kReadChunkBytes = 64 << 10;
// The reader looks at deadlines at least this often, so a call whose deadline
// is further away need not wake it (one eventfd write and a context switch
// less per call).
constexpr std::chrono::milliseconds kReaderTick{500};

// Reads the server's hello reply; leftover bytes go to *rest.
Result<HelloReply> ReadHelloReply(int fd, Deadline deadline, std::string* rest) {
  std::string buffer;
  char chunk[4096];
  while (true) {
    HelloReply reply;
    NOKV_ASSIGN_OR_RETURN(size_t used, ParseHelloReply(buffer, &reply));
    if (used > 0) {
      *rest = buffer.substr(used);
      return reply;
    }
    pollfd p{fd, POLLIN, 0};
    int rc = ::poll(&p, 1, PollTimeoutMs(deadline));
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) return Status::TimedOut("rpc: no handshake reply before the deadline");
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0)
      return Status::Unavailable("rpc: the server closed the connection during the handshake");
    buffer.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace

Result<std::unique_ptr<ClientConnection>> ClientConnection::Open(const Address& address,
                                                                 const ClientOptions& options) {
  Deadline deadline = DeadlineIn(options.connect_timeout);
  NOKV_ASSIGN_OR_RETURN(UniqueFd fd, Connect(address, deadline));
  UniqueFd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake.valid()) return Status::FromErrno(errno, "rpc: eventfd");
  std::unique_ptr<ClientConnection> conn(new ClientConnection(
      std::move(fd), std::move(wake), address.ToString(), options.max_frame_bytes));
  Hello hello;
  hello.token = options.auth_token;
  NOKV_RETURN_IF_ERROR(conn->Send(EncodeHello(hello), deadline));
  std::string rest;
  NOKV_ASSIGN_OR_RETURN(HelloReply reply, ReadHelloReply(conn->fd_.get(), deadline, &rest));
  NOKV_RETURN_IF_ERROR(HelloReplyStatus(reply));
  conn->server_max_frame_ = reply.max_frame_bytes;
  NOKV_RETURN_IF_ERROR(conn->decoder_.Feed(rest));
  conn->background_ = std::thread([raw = conn.get()] { raw->BackgroundReader(); });
  return conn;
}

ClientConnection::ClientConnection(UniqueFd fd, UniqueFd wake, std::string label,
                                   uint32_t max_frame)
    : fd_(std::move(fd)),
      wake_fd_(std::move(wake)),
      label_(std::move(label)),
      decoder_(max_frame) {}

ClientConnection::~ClientConnection() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  ::shutdown(fd_.get(), SHUT_RDWR);  // ends a poll in progress
  Wake();
  background_cv_.notify_one();
  if (background_.joinable()) background_.join();
  Fail(Status::Unavailable("rpc: the client closed the connection to " + label_));
}

void ClientConnection::Wake() {
  uint64_t one = 1;
  (void)!::write(wake_fd_.get(), &one, sizeof(one));
}

uint64_t ClientConnection::Begin(std::string_view method, std::string_view payload,
                                 Deadline deadline, CallCallback done, bool async) {
  Frame frame;
  frame.kind = FrameKind::kRequest;
  frame.request_id = next_id_.fetch_add(1);
  frame.method = std::string(method);
  frame.payload = std::string(payload);
  size_t size = EncodedFrameBytes(frame);
  if (size > server_max_frame_) {
    done(Status::TooLarge("rpc: a request of " + std::to_string(size) +
                          " bytes exceeds the server's frame cap of " +
                          std::to_string(server_max_frame_)));
    return 0;
  }
  std::string bytes;
  if (Status s = EncodeFrame(frame, &bytes); !s.ok()) {
    done(s);
    return 0;
  }
  bool wake = false;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!broken_.ok()) {
      Status why = broken_;
      lock.unlock();
      done(why);
      return 0;
    }
    pending_.emplace(frame.request_id, Pending{deadline, std::move(done), async});
    deadlines_.emplace(deadline, frame.request_id);
    if (async) {
      ++async_pending_;
      // Wake the reader only when it would sleep past this deadline.
      wake = reading_ && deadline < reader_wakes_at_;
    }
  }
  if (async) background_cv_.notify_one();
  if (wake) Wake();
  Status sent = Send(bytes, deadline);
  CallCallback mine;
  if (!sent.ok() && Take(frame.request_id, &mine)) mine(sent);
  return frame.request_id;
}

void ClientConnection::CallAsync(std::string_view method, std::string_view payload,
                                 Deadline deadline, CallCallback done) {
  (void)Begin(method, payload, deadline, std::move(done), true);
}

Result<Response> ClientConnection::CallSync(std::string_view method, std::string_view payload,
                                            Deadline deadline, const std::atomic<bool>* cancelled) {
  // How often a cancellable call looks at its flag while it waits.
  constexpr std::chrono::milliseconds kCancelCheck{20};
  auto wake_by = [&] {
    return cancelled == nullptr ? deadline : std::min<Deadline>(deadline, DeadlineIn(kCancelCheck));
  };
  SyncWaiter me;
  // The callback notifies under mu_, so `me` outlives its last use.
  uint64_t id = Begin(
      method, payload, deadline,
      [this, waiter = &me](Result<Response> r) {
        std::lock_guard<std::mutex> lock(mu_);
        waiter->result.emplace(std::move(r));
        waiter->cv.notify_one();
      },
      false);
  std::unique_lock<std::mutex> lock(mu_);
  while (!me.result.has_value()) {
    if (cancelled != nullptr && cancelled->load()) {
      lock.unlock();
      CallCallback done;
      if (Take(id, &done)) {
        done(Status::Cancelled("rpc: call to " + label_ + " cancelled by the caller"));
        SendCancel(id);
      }
      lock.lock();
      continue;
    }
    if (!reading_ && broken_.ok() && !closing_) {
      reading_ = true;
      lock.unlock();
      ReadOnce(wake_by());
      lock.lock();
      reading_ = false;
      HandOffToken();
      continue;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      lock.unlock();
      CallCallback done;
      if (Take(id, &done)) {
        done(Status::TimedOut("rpc: call to " + label_ + " passed its deadline"));
        SendCancel(id);
      }
      lock.lock();
      continue;
    }
    token_waiters_.push_back(&me);
    me.cv.wait_until(lock, wake_by());
    token_waiters_.erase(std::find(token_waiters_.begin(), token_waiters_.end(), &me));
  }
  // Woken for the token but leaving with a result: pass the token on.
  if (!reading_) HandOffToken();
  return std::move(*me.result);
}

void ClientConnection::HandOffToken() {
  if (!token_waiters_.empty()) {
    token_waiters_.front()->cv.notify_one();
  } else if (async_pending_ > 0 || closing_ || !broken_.ok()) {
    background_cv_.notify_one();
  }
}

Status ClientConnection::Send(std::string_view bytes, Deadline deadline) {
  std::lock_guard<std::mutex> lock(write_mu_);
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_.get(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_.get(), POLLOUT, 0};
      if (::poll(&p, 1, PollTimeoutMs(deadline)) != 0) continue;
      Status timed_out = Status::TimedOut("rpc: sending to " + label_ + " timed out");
      if (sent == 0) return timed_out;
      // Half a frame is on the wire: the stream cannot be used any more.
      Fail(Status::Unavailable("rpc: connection to " + label_ + " abandoned mid-frame"));
      return timed_out;
    }
    Status lost = Status::Unavailable("rpc: connection to " + label_ +
                                      " lost: " + std::strerror(n < 0 ? errno : EPIPE));
    Fail(lost);
    return lost;
  }
  return Status::Ok();
}

void ClientConnection::SendCancel(uint64_t id) {
  Frame cancel;
  cancel.kind = FrameKind::kCancel;
  cancel.request_id = id;
  std::string bytes;
  if (EncodeFrame(cancel, &bytes).ok()) {
    (void)Send(bytes, DeadlineIn(std::chrono::milliseconds(100)));
  }
}

bool ClientConnection::Take(uint64_t id, CallCallback* done) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pending_.find(id);
  if (it == pending_.end()) return false;
  auto range = deadlines_.equal_range(it->second.deadline);
  for (auto d = range.first; d != range.second; ++d) {
    if (d->second == id) {
      deadlines_.erase(d);
      break;
    }
  }
  if (it->second.async) --async_pending_;
  *done = std::move(it->second.done);
  pending_.erase(it);
  return true;
}

void ClientConnection::Fail(const Status& why) {
  std::unordered_map<uint64_t, Pending> failed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (broken_.ok()) broken_ = why;
    failed.swap(pending_);
    deadlines_.clear();
    async_pending_ = 0;
  }
  ::shutdown(fd_.get(), SHUT_RDWR);  // ends a poll in progress on another thread
  background_cv_.notify_one();
  for (auto& [id, p] : failed) p.done(why);  // wakes every caller waiting in CallSync
}

bool ClientConnection::broken() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!broken_.ok()) return true;
    if (reading_ || closing_) return false;
    reading_ = true;
  }
  pollfd p{fd_.get(), POLLIN, 0};
  if (::poll(&p, 1, 0) > 0) ReadAndDispatch();  // notices an end of stream
  std::lock_guard<std::mutex> lock(mu_);
  reading_ = false;
  HandOffToken();
  return !broken_.ok();
}

void ClientConnection::ExpireDue() {
  std::vector<uint64_t> due;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Deadline now = std::chrono::steady_clock::now();
    for (auto it = deadlines_.begin(); it != deadlines_.end() && it->first <= now; ++it) {
      due.push_back(it->second);
    }
  }
  for (uint64_t id : due) {
    CallCallback done;
    if (!Take(id, &done)) continue;
    done(Status::TimedOut("rpc: call to " + label_ + " passed its deadline"));
    SendCancel(id);
  }
}

void ClientConnection::BackgroundReader() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    background_cv_.wait(
        lock, [&] { return closing_ || !broken_.ok() || (async_pending_ > 0 && !reading_); });
    if (closing_ || !broken_.ok()) return;
    reading_ = true;
    lock.unlock();
    ReadOnce(DeadlineIn(kReaderTick));
    lock.lock();
    reading_ = false;
    HandOffToken();
  }
}

void ClientConnection::ReadOnce(Deadline until) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!deadlines_.empty()) until = std::min(until, deadlines_.begin()->first);
    reader_wakes_at_ = until;
  }
  pollfd fds[2] = {{fd_.get(), POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
  int rc = ::poll(fds, 2, PollTimeoutMs(until));
  if (rc < 0 && errno != EINTR) {
    Fail(Status::Unavailable("rpc: poll failed on the connection to " + label_));
    return;
  }
  if (fds[1].revents & POLLIN) {
    uint64_t count;
    (void)!::read(wake_fd_.get(), &count, sizeof(count));
  }
  if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) ReadAndDispatch();
  ExpireDue();
}

void ClientConnection::ReadAndDispatch() {
  read_buffer_.resize(kReadChunkBytes);
  ssize_t n = ::read(fd_.get(), read_buffer_.data(), read_buffer_.size());
  if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (n <= 0) {
    Fail(Status::Unavailable("rpc: the connection to " + label_ + " was closed"));
    return;
  }
  Status fed = decoder_.Feed(std::string_view(read_buffer_.data(), static_cast<size_t>(n)));
  while (fed.ok()) {
    Result<std::optional<Frame>> next = decoder_.Next();
    if (!next.ok()) {
      fed = next.status();
      break;
    }
    if (!next->has_value()) return;
    Frame& frame = **next;
    if (frame.kind != FrameKind::kResponse) {
      fed = Status::Corruption("rpc: the server sent a frame that is not a response");
    } else if (frame.request_id == 0) {
      Fail(Status::Unavailable("rpc: the server closed the connection to " + label_ + ": " +
                               frame.status.ToString()));
      return;
    } else if (CallCallback done; Take(frame.request_id, &done)) {
      done(Response{std::move(frame.status), std::move(frame.payload)});
    }
  }
  Fail(Status::Unavailable("rpc: bad data from " + label_ + ": " + fed.ToString()));
}

}  // namespace nokv::rpc
