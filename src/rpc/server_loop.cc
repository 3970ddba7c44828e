// The server event loop: accept, handshake, frames in, responses out, timers.
#include "rpc/server_loop.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/logging.h"
#include "rpc/auth.h"

namespace nokv::rpc {
namespace {

constexpr uint64_t kWakeId = 0;  // epoll ids: 0 wake, 1..n listeners, then connections
constexpr uint64_t kFirstConnectionId = uint64_t{1} << 32;
constexpr size_t kReadChunkBytes = 64 << 10;
constexpr int kMaxEvents = 256;
// A frame cap below this could not carry a status message worth reading.
constexpr uint32_t kMinMaxFrameBytes = 1024;

void Bump(std::atomic<uint64_t>& counter, uint64_t n = 1) {
  counter.fetch_add(n, std::memory_order_relaxed);
}
void Drop(std::atomic<uint64_t>& counter, uint64_t n = 1) {
  counter.fetch_sub(n, std::memory_order_relaxed);
}

}  // namespace

// One accepted socket. Invariants: `dead` connections are only waiting to be
// erased; `closing` ones read nothing more and close once their output is
// written and nothing is in flight; in_flight holds exactly the requests
// handed to the handler and not yet answered.
struct EventLoop::Connection {
  explicit Connection(uint32_t max_frame_bytes) : decoder(max_frame_bytes) {}
  size_t queued() const { return out.size() - out_pos; }

  uint64_t id = 0;
  UniqueFd fd;
  std::shared_ptr<PeerInfo> peer;  // mutated only before the handshake completes
  bool handshaken = false;
  std::string hello;  // bytes of an unfinished hello
  FrameDecoder decoder;
  std::string out;  // bytes [out_pos, size) not yet written
  size_t out_pos = 0;
  std::unordered_map<uint64_t, std::shared_ptr<internal::CancelState>> in_flight;
  Clock::time_point handshake_deadline;
  Clock::time_point last_activity;
  bool read_paused = false;
  bool closing = false;
  bool dead = false;
  uint32_t interest = 0;  // the epoll mask registered now
};

EventLoop::EventLoop(ServerOptions options, Handler handler)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      next_connection_id_(kFirstConnectionId) {}

EventLoop::~EventLoop() { Stop(); }

Result<Address> EventLoop::Listen(const Address& address) {
  if (started_ || stopped_) return Status::FailedPrecondition("rpc: Listen after Start");
  Listener listener;
  if (address.transport == Transport::kUnix) {
    NOKV_ASSIGN_OR_RETURN(listener, ListenUnix(address.path, options_.listen_backlog));
  } else {
    NOKV_ASSIGN_OR_RETURN(listener, ListenTcp(address.host, address.port, options_.listen_backlog));
    if (!listener.loopback && options_.auth_token.empty()) {
      return Status::FailedPrecondition("rpc: refusing to listen on non-loopback address " +
                                        listener.bound.ToString() + " without an auth token");
    }
  }
  Address bound = listener.bound;
  listeners_.push_back(std::move(listener));
  return bound;
}

Status EventLoop::Start() {
  if (started_ || stopped_) return Status::FailedPrecondition("rpc: Start called twice");
  if (listeners_.empty()) return Status::FailedPrecondition("rpc: Start with no listener");
  if (options_.max_in_flight_per_connection == 0 || options_.max_connections == 0 ||
      options_.max_frame_bytes < kMinMaxFrameBytes) {
    return Status::InvalidArgument(
        "rpc: ServerOptions needs max_in_flight_per_connection and max_connections of at least "
        "1 and max_frame_bytes of at least " +
        std::to_string(kMinMaxFrameBytes));
  }
  epoll_fd_.Reset(::epoll_create1(EPOLL_CLOEXEC));
  wake_fd_.Reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!epoll_fd_.valid() || !wake_fd_.valid()) return Status::FromErrno(errno, "rpc: epoll");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeId;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, wake_fd_.get(), &ev) != 0) {
    return Status::FromErrno(errno, "rpc: epoll_ctl");
  }
  for (size_t i = 0; i < listeners_.size(); ++i) {
    ev.data.u64 = i + 1;
    if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, listeners_[i].fd.get(), &ev) != 0) {
      return Status::FromErrno(errno, "rpc: epoll_ctl");
    }
  }
  queue_ = std::make_shared<internal::CompletionQueue>(wake_fd_.get(), options_.max_frame_bytes);
  if (options_.worker_threads > 0) pool_ = std::make_unique<ThreadPool>(options_.worker_threads);
  started_ = true;
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void EventLoop::Stop() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (!started_) {
    CloseListeners();
    return;
  }
  stop_requested_.store(true);
  uint64_t one = 1;
  (void)!::write(wake_fd_.get(), &one, sizeof(one));
  thread_.join();
  queue_->Close();
  pool_.reset();  // runs handlers still queued; what they answer is dropped
}

ServerStats EventLoop::Stats() const {
  auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  ServerStats s;
  s.connections_open = get(counters_.connections_open);
  s.connections_total = get(counters_.connections_total);
  s.connections_rejected = get(counters_.connections_rejected);
  s.frames_in = get(counters_.frames_in);
  s.frames_out = get(counters_.frames_out);
  s.bytes_in = get(counters_.bytes_in);
  s.bytes_out = get(counters_.bytes_out);
  s.requests_in_flight = get(counters_.requests_in_flight);
  s.protocol_errors = get(counters_.protocol_errors);
  s.auth_failures = get(counters_.auth_failures);
  s.handshake_timeouts = get(counters_.handshake_timeouts);
  s.handshakes_evicted = get(counters_.handshakes_evicted);
  s.idle_timeouts = get(counters_.idle_timeouts);
  s.reads_paused = get(counters_.reads_paused);
  return s;
}

void EventLoop::Run() {
  queue_->SetLoopThread(std::this_thread::get_id());
  std::vector<epoll_event> events(kMaxEvents);
  next_timer_check_ = Clock::now() + std::min(options_.handshake_timeout, options_.idle_timeout);
  while (true) {
    if (stop_requested_.load() && !stopping_) BeginStop();
    if (stopping_ && (connections_.empty() || Clock::now() >= stop_deadline_)) break;
    // Answers pushed from this thread (inline handlers, cancel callbacks) do
    // not wake the loop: poll without waiting while any are queued.
    int timeout = queue_->empty() ? NextTimeoutMs() : 0;
    int n = ::epoll_wait(epoll_fd_.get(), events.data(), kMaxEvents, timeout);
    for (int i = 0; i < n; ++i) {
      uint64_t id = events[i].data.u64;
      uint32_t what = events[i].events;
      if (id == kWakeId) {
        uint64_t count;
        (void)!::read(wake_fd_.get(), &count, sizeof(count));
        continue;
      }
      if (id < kFirstConnectionId) {
        Accept(id - 1);
        continue;
      }
      auto it = connections_.find(id);
      if (it == connections_.end() || it->second->dead) continue;
      Connection* c = it->second.get();
      if (what & (EPOLLERR | EPOLLHUP)) {
        Kill(c);
        continue;
      }
      if (what & EPOLLOUT) {
        Flush(c);
        // Paused for its queued answers: once the client drained them,
        // nothing else may come to resume reading (nothing left in flight).
        if (!c->dead && c->read_paused) ProcessFrames(c);
      }
      if ((what & EPOLLIN) && !c->dead) OnReadable(c);
    }
    DeliverCompletions();
    Clock::time_point now = Clock::now();
    if (now >= next_timer_check_) CheckTimers(now);
    ReapDead();
  }
  for (auto& [id, c] : connections_) Kill(c.get());
  ReapDead();
  CloseListeners();
}

int EventLoop::NextTimeoutMs() const {
  Clock::time_point next = next_timer_check_;
  if (stopping_) next = std::min(next, stop_deadline_);
  return PollTimeoutMs(next);
}

void EventLoop::Accept(size_t index) {
  Listener& listener = listeners_[index];
  while (true) {
    int fd = ::accept4(listener.fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        NOKV_LOG(kWarn) << "rpc: out of descriptors; accepting again once a connection closes";
        SetAcceptPaused(true);
      }
      return;
    }
    Bump(counters_.connections_total);
    if (connections_.size() - dead_.size() >= options_.max_connections && !EvictHandshake()) {
      Bump(counters_.connections_rejected);  // before the client can see the close
      ::close(fd);
      continue;
    }
    auto c = std::make_unique<Connection>(options_.max_frame_bytes);
    c->id = next_connection_id_++;
    c->fd.Reset(fd);
    Transport transport = listener.bound.transport;
    if (transport == Transport::kTcp) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    c->peer = std::make_shared<PeerInfo>();
    c->peer->connection_id = c->id;
    c->peer->transport = transport;
    c->peer->peer = PeerName(fd, transport, &c->peer->uid);
    Clock::time_point now = Clock::now();
    c->handshake_deadline = now + options_.handshake_timeout;
    c->last_activity = now;
    next_timer_check_ = std::min(next_timer_check_, c->handshake_deadline);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = c->id;
    if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) continue;
    c->interest = EPOLLIN;
    Bump(counters_.connections_open);
    connections_.emplace(c->id, std::move(c));
  }
}

// At capacity, the connection still in its handshake longest makes room:
// connections that never say hello (slowloris) cannot lock clients out for
// the whole handshake timeout. False when every connection is handshaken.
bool EventLoop::EvictHandshake() {
  Connection* oldest = nullptr;
  for (auto& [id, conn] : connections_) {
    Connection* c = conn.get();
    if (c->dead || c->handshaken) continue;
    if (oldest == nullptr || c->handshake_deadline < oldest->handshake_deadline) oldest = c;
  }
  if (oldest == nullptr) return false;
  Bump(counters_.handshakes_evicted);
  NOKV_LOG(kDebug) << "rpc: at capacity; closing " << oldest->peer->peer
                   << ", which has not finished its handshake";
  Kill(oldest);
  return true;
}

void EventLoop::SetAcceptPaused(bool paused) {
  if (accept_paused_ == paused) return;
  accept_paused_ = paused;
  for (size_t i = 0; i < listeners_.size(); ++i) {
    epoll_event ev{};
    ev.events = paused ? 0u : static_cast<uint32_t>(EPOLLIN);
    ev.data.u64 = i + 1;
    ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, listeners_[i].fd.get(), &ev);
  }
}

void EventLoop::OnReadable(Connection* c) {
  read_buffer_.resize(kReadChunkBytes);
  while (!c->dead && !c->closing && !c->read_paused) {
    ssize_t n = ::read(c->fd.get(), read_buffer_.data(), read_buffer_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {  // end of stream or a reset
      bool mid_message = c->handshaken ? !c->decoder.at_boundary() : !c->hello.empty();
      if (n == 0 && mid_message) {
        ProtocolError(c, Status::Corruption("rpc: the stream ended inside a frame"));
      } else {
        Kill(c);
      }
      return;
    }
    Bump(counters_.bytes_in, static_cast<uint64_t>(n));
    c->last_activity = Clock::now();
    std::string_view bytes(read_buffer_.data(), static_cast<size_t>(n));
    if (!c->handshaken) {
      c->hello.append(bytes);
      OnHello(c);
    } else if (Status s = c->decoder.Feed(bytes); !s.ok()) {
      ProtocolError(c, s);
    } else {
      ProcessFrames(c);
    }
    if (static_cast<size_t>(n) < read_buffer_.size()) return;  // drained, most likely
  }
}

void EventLoop::OnHello(Connection* c) {
  Hello hello;
  Result<size_t> used = ParseHello(c->hello, &hello);
  if (!used.ok()) {
    Bump(counters_.protocol_errors);
    RefuseHello(c, HelloResult::kBadHello, std::string(used.status().message()));
    return;
  }
  if (*used == 0) return;
  if (hello.version != kProtocolVersion) {
    Bump(counters_.protocol_errors);
    RefuseHello(c, HelloResult::kVersionMismatch,
                "protocol version mismatch: client speaks version " +
                    std::to_string(hello.version) + ", server speaks version " +
                    std::to_string(kProtocolVersion));
    return;
  }
  if (c->peer->transport == Transport::kTcp && !options_.auth_token.empty()) {
    if (!TokensEqual(hello.token, options_.auth_token)) {
      Bump(counters_.auth_failures);
      RefuseHello(c, HelloResult::kAuthRefused, "TCP connections need a valid auth token");
      return;
    }
    c->peer->authenticated = true;
  }
  c->handshaken = true;
  HelloReply reply;
  reply.max_frame_bytes = options_.max_frame_bytes;
  c->out.append(EncodeHelloReply(reply));
  std::string rest = c->hello.substr(*used);
  c->hello = std::string();
  if (Status s = c->decoder.Feed(rest); !s.ok()) {
    ProtocolError(c, s);
    return;
  }
  ProcessFrames(c);
  if (!c->dead) Flush(c);
}

void EventLoop::RefuseHello(Connection* c, HelloResult result, std::string message) {
  NOKV_LOG(kDebug) << "rpc: refusing hello from " << c->peer->peer << ": " << message;
  HelloReply reply;
  reply.result = result;
  reply.max_frame_bytes = options_.max_frame_bytes;
  reply.message = std::move(message);
  c->out.append(EncodeHelloReply(reply));
  c->closing = true;
  Flush(c);
}

void EventLoop::ProcessFrames(Connection* c) {
  while (!c->dead && !c->closing) {
    if (c->in_flight.size() >= options_.max_in_flight_per_connection ||
        c->queued() >= options_.max_queued_response_bytes) {
      if (!c->read_paused) {
        c->read_paused = true;
        Bump(counters_.reads_paused);
        UpdateInterest(c);
      }
      return;
    }
    Result<std::optional<Frame>> next = c->decoder.Next();
    if (!next.ok()) {
      ProtocolError(c, next.status());
      return;
    }
    if (!next->has_value()) break;
    Bump(counters_.frames_in);
    Dispatch(c, std::move(**next));
  }
  if (c->read_paused && !c->dead) {
    c->read_paused = false;
    UpdateInterest(c);
  }
}

void EventLoop::Dispatch(Connection* c, Frame frame) {
  if (frame.kind == FrameKind::kCancel) {
    auto it = c->in_flight.find(frame.request_id);
    if (it != c->in_flight.end()) it->second->Cancel();
    return;
  }
  if (frame.kind != FrameKind::kRequest || frame.request_id == 0 ||
      c->in_flight.contains(frame.request_id)) {
    ProtocolError(c, Status::Corruption("rpc: a response frame, request id 0 or a duplicate "
                                        "request id from the client"));
    return;
  }
  auto cancel = std::make_shared<internal::CancelState>();
  c->in_flight.emplace(frame.request_id, cancel);
  Bump(counters_.requests_in_flight);
  auto reply = std::make_shared<internal::ReplyState>();
  reply->queue = queue_;
  reply->cancel = std::move(cancel);
  reply->connection_id = c->id;
  reply->request_id = frame.request_id;
  Request request{frame.request_id, std::move(frame.method), std::move(frame.payload), c->peer};
  // Inline: worker_threads == 0, or a method the options mark as never blocking.
  if (!pool_ || (options_.run_inline && options_.run_inline(request.method))) {
    handler_(std::move(request), Responder(std::move(reply)));
    return;
  }
  pool_->Schedule([handler = &handler_, request = std::move(request),
                   responder = Responder(std::move(reply))]() mutable {
    (*handler)(std::move(request), std::move(responder));
  });
}

void EventLoop::DeliverCompletions() {
  std::vector<internal::CompletionQueue::Item> items = queue_->TakeAll();
  if (items.empty()) return;
  std::vector<Connection*> touched;
  Clock::time_point now = Clock::now();
  for (auto& item : items) {
    auto it = connections_.find(item.connection_id);
    if (it == connections_.end() || it->second->dead) continue;
    Connection* c = it->second.get();
    if (c->in_flight.erase(item.request_id) == 0) continue;
    Drop(counters_.requests_in_flight);
    Bump(counters_.frames_out);
    c->out.append(item.bytes);
    c->last_activity = now;
    if (touched.empty() || touched.back() != c) touched.push_back(c);
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (Connection* c : touched) {
    Flush(c);
    if (!c->dead && c->read_paused) ProcessFrames(c);
  }
}

void EventLoop::Flush(Connection* c) {
  while (c->queued() > 0) {
    ssize_t n = ::send(c->fd.get(), c->out.data() + c->out_pos, c->queued(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) {
      Kill(c);
      return;
    }
    c->out_pos += static_cast<size_t>(n);
    c->last_activity = Clock::now();
    Bump(counters_.bytes_out, static_cast<uint64_t>(n));
  }
  if (c->queued() == 0) {
    c->out.clear();
    c->out_pos = 0;
  } else if (c->out_pos > (c->out.size() / 2)) {
    c->out.erase(0, c->out_pos);
    c->out_pos = 0;
  }
  if (c->closing && c->queued() == 0 && c->in_flight.empty()) {
    Kill(c);
    return;
  }
  UpdateInterest(c);
}

void EventLoop::UpdateInterest(Connection* c) {
  uint32_t want = (c->closing || c->read_paused) ? 0u : static_cast<uint32_t>(EPOLLIN);
  if (c->queued() > 0) want |= EPOLLOUT;
  if (want == c->interest) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = c->id;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, c->fd.get(), &ev) == 0) c->interest = want;
}

void EventLoop::Kill(Connection* c) {
  if (c->dead) return;
  c->dead = true;
  dead_.push_back(c->id);
  Drop(counters_.requests_in_flight, c->in_flight.size());
  Drop(counters_.connections_open);
  auto in_flight = std::move(c->in_flight);
  c->in_flight.clear();
  for (auto& [id, cancel] : in_flight) cancel->Cancel();
}

void EventLoop::ReapDead() {
  if (dead_.empty()) return;
  for (uint64_t id : dead_) connections_.erase(id);  // closes the socket
  dead_.clear();
  if (accept_paused_ && !stopping_) SetAcceptPaused(false);
}

void EventLoop::ProtocolError(Connection* c, const Status& status) {
  Bump(counters_.protocol_errors);
  NOKV_LOG(kDebug) << "rpc: closing connection from " << c->peer->peer << ": " << status.ToString();
  if (!c->handshaken) {
    Kill(c);
    return;
  }
  // Tell the client why (request id 0), drop what is in flight, close.
  Frame frame;
  frame.kind = FrameKind::kResponse;
  frame.status = status;
  if (!EncodeFrame(frame, &c->out).ok()) {
    Kill(c);
    return;
  }
  Drop(counters_.requests_in_flight, c->in_flight.size());
  auto in_flight = std::move(c->in_flight);
  c->in_flight.clear();
  for (auto& [id, cancel] : in_flight) cancel->Cancel();
  c->closing = true;
  Flush(c);
}

void EventLoop::CheckTimers(Clock::time_point now) {
  Clock::time_point next = now + std::min(options_.handshake_timeout, options_.idle_timeout);
  for (auto& [id, conn] : connections_) {
    Connection* c = conn.get();
    if (c->dead) continue;
    if (!c->handshaken) {
      if (now >= c->handshake_deadline) {
        Bump(counters_.handshake_timeouts);
        NOKV_LOG(kDebug) << "rpc: handshake timeout for " << c->peer->peer;
        Kill(c);
        continue;
      }
      next = std::min(next, c->handshake_deadline);
    } else if (c->in_flight.empty()) {
      Clock::time_point idle_at = c->last_activity + options_.idle_timeout;
      if (now >= idle_at) {
        Bump(counters_.idle_timeouts);
        Kill(c);
        continue;
      }
      next = std::min(next, idle_at);
    }
  }
  next_timer_check_ = next;
}

void EventLoop::BeginStop() {
  stopping_ = true;
  stop_deadline_ = Clock::now() + options_.stop_timeout;
  CloseListeners();
  for (auto& [id, conn] : connections_) {
    Connection* c = conn.get();
    if (c->dead) continue;
    if (!c->handshaken) {
      Kill(c);
      continue;
    }
    c->closing = true;
    // Copy: a cancel callback may answer, which only queues a completion.
    std::vector<std::shared_ptr<internal::CancelState>> cancels;
    for (auto& [rid, cancel] : c->in_flight) cancels.push_back(cancel);
    for (auto& cancel : cancels) cancel->Cancel();
    Flush(c);
  }
  ReapDead();
}

void EventLoop::CloseListeners() {
  for (Listener& l : listeners_) {
    struct stat st;
    if (l.bound.transport == Transport::kUnix && ::stat(l.bound.path.c_str(), &st) == 0 &&
        st.st_ino == l.inode) {
      ::unlink(l.bound.path.c_str());
    }
  }
  listeners_.clear();
}

}  // namespace nokv::rpc
