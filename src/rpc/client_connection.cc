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
  std::string label = address.ToString();
  std::unique_ptr<ClientConnection> conn(
      new ClientConnection(std::move(fd), std::move(wake), label, kDefaultMaxFrameBytes));
  Hello hello;
  hello.token = options.auth_token;
  NOKV_RETURN_IF_ERROR(conn->Send(EncodeHello(hello), deadline));
  std::string rest;
  NOKV_ASSIGN_OR_RETURN(HelloReply reply, ReadHelloReply(conn->fd_.get(), deadline, &rest));
  NOKV_RETURN_IF_ERROR(HelloReplyStatus(reply));
  conn->server_max_frame_ = reply.max_frame_bytes;
  FrameDecoder decoder(options.max_frame_bytes);
  if (Status s = decoder.Feed(rest); !s.ok()) return s;
  ClientConnection* raw = conn.get();
  conn->reader_ =
      std::thread([raw, d = std::move(decoder)]() mutable { raw->ReaderLoop(std::move(d)); });
  return conn;
}

ClientConnection::ClientConnection(UniqueFd fd, UniqueFd wake, std::string label,
                                   uint32_t server_max_frame)
    : fd_(std::move(fd)),
      wake_fd_(std::move(wake)),
      label_(std::move(label)),
      server_max_frame_(server_max_frame) {}

ClientConnection::~ClientConnection() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  Wake();
  if (reader_.joinable()) reader_.join();
  Fail(Status::Unavailable("rpc: the client closed the connection to " + label_));
}

bool ClientConnection::broken() {
  std::lock_guard<std::mutex> lock(mu_);
  return !broken_.ok();
}

void ClientConnection::Wake() {
  uint64_t one = 1;
  (void)!::write(wake_fd_.get(), &one, sizeof(one));
}

void ClientConnection::Call(std::string_view method, std::string_view payload, Deadline deadline,
                            CallCallback done) {
  Frame frame;
  frame.kind = FrameKind::kRequest;
  frame.request_id = next_id_.fetch_add(1);
  frame.method = std::string(method);
  frame.payload = std::string(payload);
  size_t size = EncodedFrameBytes(frame);
  if (size > server_max_frame_) {
    return done(Status::TooLarge("rpc: a request of " + std::to_string(size) +
                                 " bytes exceeds the server's frame cap of " +
                                 std::to_string(server_max_frame_)));
  }
  std::string bytes;
  if (Status s = EncodeFrame(frame, &bytes); !s.ok()) return done(s);
  bool earliest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!broken_.ok()) return done(broken_);
    // Wake the reader only when it would sleep past this deadline.
    earliest = deadline < reader_wakes_at_;
    if (earliest) reader_wakes_at_ = deadline;
    pending_.emplace(frame.request_id, Pending{deadline, std::move(done)});
    deadlines_.emplace(deadline, frame.request_id);
  }
  if (earliest) Wake();
  Status sent = Send(bytes, deadline);
  CallCallback mine;
  if (!sent.ok() && Take(frame.request_id, &mine)) mine(sent);
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
  }
  ::shutdown(fd_.get(), SHUT_RDWR);  // wakes the reader if it is not the caller
  for (auto& [id, p] : failed) p.done(why);
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
    Frame cancel;
    cancel.kind = FrameKind::kCancel;
    cancel.request_id = id;
    std::string bytes;
    if (EncodeFrame(cancel, &bytes).ok())
      (void)Send(bytes, DeadlineIn(std::chrono::milliseconds(100)));
  }
}

void ClientConnection::ReaderLoop(FrameDecoder decoder) {
  while (true) {
    Deadline next = std::chrono::steady_clock::now() + kReaderTick;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closing_ || !broken_.ok()) return;
      if (!deadlines_.empty()) next = std::min(next, deadlines_.begin()->first);
      reader_wakes_at_ = next;
    }
    pollfd fds[2] = {{fd_.get(), POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
    int rc = ::poll(fds, 2, PollTimeoutMs(next));
    if (rc < 0 && errno != EINTR) {
      Fail(Status::Unavailable("rpc: poll failed on the connection to " + label_));
      return;
    }
    if (fds[1].revents & POLLIN) {
      uint64_t count;
      (void)!::read(wake_fd_.get(), &count, sizeof(count));
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) && !ReadAndDispatch(&decoder)) return;
    ExpireDue();
  }
}

bool ClientConnection::ReadAndDispatch(FrameDecoder* decoder) {
  std::string& chunk = read_buffer_;
  chunk.resize(kReadChunkBytes);
  ssize_t n = ::read(fd_.get(), chunk.data(), chunk.size());
  if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return true;
  if (n <= 0) {
    Fail(Status::Unavailable("rpc: the connection to " + label_ + " was closed"));
    return false;
  }
  Status fed = decoder->Feed(std::string_view(chunk.data(), static_cast<size_t>(n)));
  while (fed.ok()) {
    Result<std::optional<Frame>> next = decoder->Next();
    if (!next.ok()) {
      fed = next.status();
      break;
    }
    if (!next->has_value()) return true;
    Frame& frame = **next;
    if (frame.kind != FrameKind::kResponse) {
      fed = Status::Corruption("rpc: the server sent a frame that is not a response");
    } else if (frame.request_id == 0) {
      Fail(Status::Unavailable("rpc: the server closed the connection to " + label_ + ": " +
                               frame.status.ToString()));
      return false;
    } else if (CallCallback done; Take(frame.request_id, &done)) {
      done(Response{std::move(frame.status), std::move(frame.payload)});
    }
  }
  Fail(Status::Unavailable("rpc: bad data from " + label_ + ": " + fed.ToString()));
  return false;
}

}  // namespace nokv::rpc
