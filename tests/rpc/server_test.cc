// rpc::Server and rpc::Client over real sockets: calls, pipelining, limits,
// timeouts, auth, shutdown and hostile clients.
#include "rpc/server.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "rpc/client.h"
#include "rpc_test_util.h"
#include "test_dir.h"

namespace nokv::rpc {
namespace {

using std::chrono::milliseconds;
using testing::kTestWait;
using testing::RawSocket;
using testing::WaitUntil;

// Answers "echo" with its payload, "whoami" with the transport and whether
// the peer authenticated, "fail" with a typed error.
void EchoHandler(Request request, Responder responder) {
  if (request.method == "echo") return responder.Respond(Status::Ok(), request.payload);
  if (request.method == "whoami") {
    std::string who(TransportName(request.peer->transport));
    return responder.Respond(Status::Ok(), who + (request.peer->authenticated ? "+auth" : ""));
  }
  if (request.method == "fail") {
    return responder.Respond(Status(Code::kAborted, "moved", Reason::kStaleRead));
  }
  responder.Respond(Status::NotSupported("no method " + request.method));
}

// Handler requests that park their responders until the test answers them.
class ParkedCalls {
 public:
  void Park(Request request, Responder responder) {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.emplace_back(std::move(request), std::move(responder));
    ++total_;
    cv_.notify_all();
  }
  Handler AsHandler() {
    return [this](Request r, Responder s) { Park(std::move(r), std::move(s)); };
  }
  // Waits until at least `n` calls have arrived in total.
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kTestWait, [&] { return total_ >= n; });
  }
  std::vector<std::pair<Request, Responder>> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(calls_, {});
  }
  size_t total() {
    std::lock_guard<std::mutex> lock(mu_);
    return total_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<Request, Responder>> calls_;
  size_t total_ = 0;
};

class RpcServerTest : public ::testing::Test {
 protected:
  void Start(ServerOptions options, Handler handler) {
    server_ = std::make_unique<Server>(std::move(options), std::move(handler));
    auto tcp = server_->Listen("127.0.0.1:0");
    ASSERT_TRUE(tcp.ok()) << tcp.status().ToString();
    tcp_ = *tcp;
    auto unix_address = server_->Listen("unix:" + dir_.Sub("s.sock"));
    ASSERT_TRUE(unix_address.ok()) << unix_address.status().ToString();
    unix_ = *unix_address;
    ASSERT_TRUE(server_->Start().ok());
  }

  std::unique_ptr<Client> MustConnect(const Address& address, ClientOptions options = {}) {
    auto client = Client::Connect(address, std::move(options));
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(*client) : nullptr;
  }

  nokv::testing::TempDir dir_;
  std::unique_ptr<Server> server_;
  Address tcp_;
  Address unix_;
};

TEST_F(RpcServerTest, CallsRoundTripOverTcpAndUnix) {
  Start({}, EchoHandler);
  EXPECT_NE(tcp_.port, 0);
  for (const Address& address : {tcp_, unix_}) {
    auto client = MustConnect(address);
    ASSERT_TRUE(client);
    auto r = client->Call("echo", std::string("pay\0load", 8), DeadlineIn(kTestWait));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->status.ok());
    EXPECT_EQ(r->payload, std::string("pay\0load", 8));
    auto who = client->Call("whoami", "", DeadlineIn(kTestWait));
    ASSERT_TRUE(who.ok());
    EXPECT_EQ(who->payload, std::string(TransportName(address.transport)));
    auto fail = client->Call("fail", "", DeadlineIn(kTestWait));
    ASSERT_TRUE(fail.ok());
    EXPECT_EQ(fail->status, Status(Code::kAborted, "moved", Reason::kStaleRead));
  }
  ServerStats stats = server_->Stats();
  EXPECT_EQ(stats.frames_in, 6u);
  EXPECT_EQ(stats.frames_out, 6u);
  EXPECT_EQ(stats.connections_total, 2u);
  EXPECT_GT(stats.bytes_in, 0u);
  EXPECT_GT(stats.bytes_out, 0u);
}

TEST_F(RpcServerTest, PipelinedResponsesArriveInCompletionOrder) {
  ParkedCalls parked;
  Start({}, parked.AsHandler());
  auto client = MustConnect(unix_);
  ASSERT_TRUE(client);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> order;
  for (std::string name : {"a", "b", "c"}) {
    client->CallAsync("m", name, DeadlineIn(kTestWait), [&, name](Result<Response> r) {
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(r.ok() ? name + "=" + r->payload : r.status().ToString());
      cv.notify_all();
    });
  }
  ASSERT_TRUE(parked.WaitFor(3));
  // Workers park the calls in whatever order they pick them up: answer
  // them by name, last sent first.
  auto calls = parked.Take();
  std::sort(calls.begin(), calls.end(),
            [](const auto& x, const auto& y) { return x.first.payload > y.first.payload; });
  for (auto& [request, responder] : calls) responder.Respond(Status::Ok(), "re-" + request.payload);
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, kTestWait, [&] { return order.size() == 3; }));
  EXPECT_EQ(order, (std::vector<std::string>{"c=re-c", "b=re-b", "a=re-a"}));
}

TEST_F(RpcServerTest, ManyThreadsShareOneConnection) {
  Start({}, EchoHandler);
  auto client = MustConnect(tcp_);
  ASSERT_TRUE(client);
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        std::string payload = std::to_string(t) + "/" + std::to_string(i);
        auto r = client->Call("echo", payload, DeadlineIn(kTestWait));
        if (r.ok() && r->payload == payload) ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 1600);
  EXPECT_EQ(server_->Stats().connections_total, 1u);
}

TEST_F(RpcServerTest, InlineHandlersRunOnTheEventLoopWithoutWorkers) {
  ServerOptions options;
  options.worker_threads = 0;
  std::atomic<int> calls{0};
  std::thread::id handler_thread;
  Start(options, [&](Request request, Responder responder) {
    if (calls++ == 0) handler_thread = std::this_thread::get_id();
    EXPECT_EQ(std::this_thread::get_id(), handler_thread) << "one loop thread runs every call";
    EchoHandler(std::move(request), std::move(responder));
  });
  auto a = MustConnect(unix_);
  auto b = MustConnect(tcp_);
  ASSERT_TRUE(a && b);
  for (int i = 0; i < 50; ++i) {
    auto r = (i % 2 ? a : b)->Call("echo", std::to_string(i), DeadlineIn(kTestWait));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->payload, std::to_string(i));
  }
  EXPECT_EQ(calls.load(), 50);
}

TEST_F(RpcServerTest, InlineMethodsAnswerWhileEveryWorkerIsStuck) {
  ServerOptions options;
  options.worker_threads = 1;
  options.run_inline = [](std::string_view method) { return method == "fast"; };
  std::mutex mu;
  std::condition_variable cv;
  bool slow_entered = false;
  bool release_slow = false;
  std::thread::id slow_thread;
  std::thread::id fast_thread;
  Start(options, [&](Request request, Responder responder) {
    std::unique_lock<std::mutex> lock(mu);
    if (request.method == "fast") {
      fast_thread = std::this_thread::get_id();
      lock.unlock();
      return responder.Respond(Status::Ok(), "quick");
    }
    slow_thread = std::this_thread::get_id();
    slow_entered = true;
    cv.notify_all();
    cv.wait_for(lock, kTestWait, [&] { return release_slow; });
    lock.unlock();
    responder.Respond(Status::Ok(), "late");
  });
  auto client = MustConnect(unix_);
  ASSERT_TRUE(client);
  // Two slow calls: one holds the only worker, the other queues behind it.
  std::atomic<int> slow_done{0};
  for (int i = 0; i < 2; ++i) {
    client->CallAsync("slow", "", DeadlineIn(kTestWait), [&](Result<Response> r) {
      if (r.ok() && r->payload == "late") ++slow_done;
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kTestWait, [&] { return slow_entered; }));
  }
  auto fast = client->Call("fast", "", DeadlineIn(kTestWait));
  ASSERT_TRUE(fast.ok()) << fast.status().ToString();
  EXPECT_EQ(fast->payload, "quick");
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(slow_done.load(), 0) << "the fast call answered while the worker was stuck";
    EXPECT_NE(fast_thread, slow_thread);
    release_slow = true;
  }
  cv.notify_all();
  EXPECT_TRUE(WaitUntil([&] { return slow_done.load() == 2; }));
  EXPECT_EQ(server_->Stats().requests_in_flight, 0u);
}

TEST(RpcServerOptionsTest, LimitsThatCouldNeverServeAreRefusedAtStart) {
  nokv::testing::TempDir dir;
  for (int which = 0; which < 3; ++which) {
    ServerOptions options;
    if (which == 0) options.max_in_flight_per_connection = 0;
    if (which == 1) options.max_connections = 0;
    if (which == 2) options.max_frame_bytes = 16;
    Server server(options, EchoHandler);
    ASSERT_TRUE(server.Listen("unix:" + dir.Sub("o.sock")).ok());
    EXPECT_EQ(server.Start().code(), Code::kInvalidArgument) << which;
  }
}

TEST_F(RpcServerTest, HandlerThatDropsItsResponderAnswersAborted) {
  Start({}, [](Request, Responder) {});
  auto client = MustConnect(unix_);
  ASSERT_TRUE(client);
  auto r = client->Call("m", "", DeadlineIn(kTestWait));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status.code(), Code::kAborted);
}

TEST_F(RpcServerTest, TruncatedFrameAtEndOfStreamIsAProtocolError) {
  Start({}, EchoHandler);
  RawSocket raw(tcp_);
  raw.Handshake();
  Frame frame;
  frame.request_id = 1;
  frame.method = "echo";
  frame.payload = "0123456789";
  std::string bytes;
  ASSERT_TRUE(EncodeFrame(frame, &bytes).ok());
  raw.Send(bytes.substr(0, bytes.size() - 3));
  raw.ShutdownWrite();
  raw.ReadUntilEof();
  EXPECT_TRUE(WaitUntil([&] { return server_->Stats().protocol_errors == 1; }));
  EXPECT_EQ(server_->Stats().frames_in, 0u);
}

// Reads what the server sent after the handshake: one response for request
// id 0 naming the connection-level error, then end of stream.
Status ConnectionErrorFrom(const std::string& bytes) {
  FrameDecoder decoder;
  EXPECT_TRUE(decoder.Feed(bytes).ok());
  auto frame = decoder.Next();
  EXPECT_TRUE(frame.ok() && frame->has_value());
  if (!frame.ok() || !frame->has_value()) return Status::Ok();
  EXPECT_EQ((*frame)->request_id, 0u);
  return (*frame)->status;
}

TEST_F(RpcServerTest, OversizedFrameIsRefusedAndTheConnectionClosed) {
  ServerOptions options;
  options.max_frame_bytes = 4096;
  Start(options, EchoHandler);
  RawSocket raw(unix_);
  raw.Handshake();
  raw.Send(std::string("\x00\x10\x00\x00", 4));  // announces 1 MiB, sends nothing more
  Status error = ConnectionErrorFrom(raw.ReadUntilEof());
  EXPECT_EQ(error.code(), Code::kTooLarge);
  EXPECT_EQ(server_->Stats().protocol_errors, 1u);

  // A well-behaved client learns the cap in the handshake and keeps its
  // connection.
  auto client = MustConnect(unix_);
  ASSERT_TRUE(client);
  auto big = client->Call("echo", std::string(5000, 'x'), DeadlineIn(kTestWait));
  EXPECT_EQ(big.status().code(), Code::kTooLarge);
  auto small = client->Call("echo", "ok", DeadlineIn(kTestWait));
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->payload, "ok");
}

TEST_F(RpcServerTest, GarbageAfterTheHandshakeClosesTheConnection) {
  Start({}, EchoHandler);
  RawSocket raw(tcp_);
  raw.Handshake();
  raw.Send(std::string("\x00\x00\x00\x05garbage-garbage-garbage", 27));
  Status error = ConnectionErrorFrom(raw.ReadUntilEof());
  EXPECT_EQ(error.code(), Code::kCorruption);
  EXPECT_EQ(server_->Stats().protocol_errors, 1u);
  EXPECT_EQ(server_->Stats().frames_in, 0u);
}

HelloReply ReadRefusal(RawSocket& raw) {
  std::string bytes = raw.ReadUntilEof();
  HelloReply reply;
  auto used = ParseHelloReply(bytes, &reply);
  EXPECT_TRUE(used.ok() && *used == bytes.size()) << "expected exactly one hello reply";
  return reply;
}

TEST_F(RpcServerTest, WrongMagicIsRefused) {
  Start({}, EchoHandler);
  RawSocket raw(tcp_);
  raw.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  HelloReply reply = ReadRefusal(raw);
  EXPECT_EQ(reply.result, HelloResult::kBadHello);
  EXPECT_EQ(server_->Stats().protocol_errors, 1u);
}

TEST_F(RpcServerTest, WrongVersionIsRefusedNamingBothVersions) {
  Start({}, EchoHandler);
  RawSocket raw(unix_);
  Hello hello;
  const uint16_t other = kProtocolVersion - 1;  // a peer built before the last change
  hello.version = other;
  raw.Send(EncodeHello(hello));
  HelloReply reply = ReadRefusal(raw);
  EXPECT_EQ(reply.result, HelloResult::kVersionMismatch);
  EXPECT_EQ(reply.version, kProtocolVersion);
  EXPECT_NE(reply.message.find("client speaks version " + std::to_string(other)), std::string::npos)
      << reply.message;
  EXPECT_NE(reply.message.find("server speaks version " + std::to_string(kProtocolVersion)),
            std::string::npos)
      << reply.message;
  Status s = HelloReplyStatus(reply, other);
  EXPECT_EQ(s.code(), Code::kNotSupported);
}

TEST_F(RpcServerTest, SlowlorisHelloIsClosedAfterTheHandshakeTimeout) {
  ServerOptions options;
  options.handshake_timeout = milliseconds(200);
  Start(options, EchoHandler);
  RawSocket raw(tcp_);
  auto start = std::chrono::steady_clock::now();
  raw.Send(EncodeHello({}).substr(0, 7));
  EXPECT_EQ(raw.ReadUntilEof(), "");
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(200));
  EXPECT_EQ(server_->Stats().handshake_timeouts, 1u);
  EXPECT_TRUE(WaitUntil([&] { return server_->Stats().connections_open == 0; }));
}

TEST_F(RpcServerTest, IdleConnectionIsClosedAndTheClientReconnectsOnlyWhenAsked) {
  ServerOptions options;
  options.idle_timeout = milliseconds(200);
  Start(options, EchoHandler);
  RawSocket raw(unix_);
  auto start = std::chrono::steady_clock::now();
  raw.Handshake();
  EXPECT_EQ(raw.ReadUntilEof(), "");
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(200));
  EXPECT_GE(server_->Stats().idle_timeouts, 1u);

  auto client = MustConnect(unix_);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Call("echo", "x", DeadlineIn(kTestWait)).ok());
  EXPECT_TRUE(WaitUntil([&] { return !client->connected(); }));
  EXPECT_EQ(client->Call("echo", "x", DeadlineIn(kTestWait)).status().code(), Code::kUnavailable);
  ASSERT_TRUE(client->Reconnect().ok());
  auto again = client->Call("echo", "y", DeadlineIn(kTestWait));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->payload, "y");
}

TEST_F(RpcServerTest, FiveHundredConcurrentConnections) {
  rlimit limit;
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur < 2048) {
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 2048);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
  }
  ASSERT_GE(limit.rlim_cur, 1100u) << "cannot raise RLIMIT_NOFILE far enough";
  ServerOptions options;
  options.worker_threads = 4;
  Start(options, EchoHandler);
  constexpr int kClients = 500;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(MustConnect(tcp_));
    ASSERT_TRUE(clients.back()) << "client " << i;
  }
  EXPECT_EQ(server_->Stats().connections_open, static_cast<uint64_t>(kClients));
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 10; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kClients; i += 10) {
        auto r = clients[i]->Call("echo", std::to_string(i), DeadlineIn(kTestWait));
        if (r.ok() && r->payload == std::to_string(i)) ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), kClients);
  EXPECT_EQ(server_->Stats().frames_out, static_cast<uint64_t>(kClients));
  clients.clear();
  EXPECT_TRUE(WaitUntil([&] { return server_->Stats().connections_open == 0; }));
}

TEST_F(RpcServerTest, ConnectionsOverTheCapAreClosed) {
  ServerOptions options;
  options.max_connections = 2;
  Start(options, EchoHandler);
  auto a = MustConnect(unix_);
  auto b = MustConnect(unix_);
  ASSERT_TRUE(a && b);
  auto c = Client::Connect(unix_);
  EXPECT_EQ(c.status().code(), Code::kUnavailable);
  EXPECT_EQ(server_->Stats().connections_rejected, 1u);
}

// Connections that never finish their hello cannot fill the table: at the
// cap the one waiting longest makes room for a client; handshaken ones stay.
TEST_F(RpcServerTest, AtTheCapAnUnfinishedHandshakeMakesRoomForAClient) {
  ServerOptions options;
  options.max_connections = 3;
  options.handshake_timeout = std::chrono::seconds(60);  // no timeout helps here
  Start(options, EchoHandler);
  auto served = MustConnect(unix_);
  ASSERT_TRUE(served);
  RawSocket first(tcp_), second(tcp_);
  first.Send(EncodeHello({}).substr(0, 5));
  second.Send(EncodeHello({}).substr(0, 5));
  ASSERT_TRUE(WaitUntil([&] { return server_->Stats().connections_open == 3; }));
  auto client = MustConnect(unix_);
  ASSERT_TRUE(client) << "a client gets in at the cap";
  auto echo = client->Call("echo", "in", DeadlineIn(kTestWait));
  ASSERT_TRUE(echo.ok());
  EXPECT_EQ(echo->payload, "in");
  EXPECT_EQ(first.ReadUntilEof(), "") << "the oldest unfinished hello was closed";
  EXPECT_EQ(server_->Stats().handshakes_evicted, 1u);
  EXPECT_EQ(server_->Stats().connections_rejected, 0u);
  // With every slot handshaken, the cap holds.
  auto third = MustConnect(unix_);
  ASSERT_TRUE(third);  // evicts `second`
  EXPECT_EQ(Client::Connect(unix_).status().code(), Code::kUnavailable);
  EXPECT_EQ(server_->Stats().connections_rejected, 1u);
  ASSERT_TRUE(served->Call("echo", "still", DeadlineIn(kTestWait)).ok());
}

TEST_F(RpcServerTest, InFlightLimitPausesReadingInsteadOfFailing) {
  ParkedCalls parked;
  ServerOptions options;
  options.max_in_flight_per_connection = 2;
  Start(options, parked.AsHandler());
  auto client = MustConnect(tcp_);
  ASSERT_TRUE(client);
  std::atomic<int> answered{0};
  for (int i = 0; i < 5; ++i) {
    client->CallAsync("m", std::to_string(i), DeadlineIn(kTestWait), [&](Result<Response> r) {
      if (r.ok() && r->status.ok()) ++answered;
    });
  }
  // The server reads two requests, then stops reading that connection.
  ASSERT_TRUE(WaitUntil([&] { return server_->Stats().reads_paused >= 1; }));
  ASSERT_TRUE(parked.WaitFor(2));
  EXPECT_EQ(parked.total(), 2u);
  EXPECT_EQ(server_->Stats().requests_in_flight, 2u);
  // Answering frees slots; every request is served in the end, none failed.
  size_t answered_by_test = 0;
  while (answered_by_test < 5) {
    auto calls = parked.Take();
    for (auto& [request, responder] : calls) {
      EXPECT_LE(server_->Stats().requests_in_flight, 2u);
      responder.Respond(Status::Ok(), request.payload);
      ++answered_by_test;
    }
    if (answered_by_test < 5) {
      ASSERT_TRUE(parked.WaitFor(answered_by_test + 1));
    }
  }
  EXPECT_TRUE(WaitUntil([&] { return answered.load() == 5; }));
  EXPECT_EQ(parked.total(), 5u);
}

TEST_F(RpcServerTest, ClientThatDoesNotReadStopsBeingRead) {
  ServerOptions options;
  options.max_queued_response_bytes = 64 << 10;
  Start(options, [](Request, Responder responder) {
    responder.Respond(Status::Ok(), std::string(32 << 10, 'r'));
  });
  RawSocket raw(tcp_);
  raw.Handshake();
  // 32 MiB of responses: far beyond what the kernel buffers between the two
  // sockets (loopback TCP autotunes them to several MiB).
  constexpr int kRequests = 1000;
  std::string requests;
  for (int i = 1; i <= kRequests; ++i) {
    Frame frame;
    frame.request_id = static_cast<uint64_t>(i);
    frame.method = "big";
    ASSERT_TRUE(EncodeFrame(frame, &requests).ok());
  }
  raw.Send(requests);
  ASSERT_TRUE(WaitUntil([&] { return server_->Stats().reads_paused >= 1; }));
  EXPECT_LT(server_->Stats().frames_in, static_cast<uint64_t>(kRequests));
  // Reading the responses lets the server read the rest; every one arrives.
  FrameDecoder decoder;
  int responses = 0;
  char buf[65536];
  while (responses < kRequests) {
    pollfd p{raw.fd(), POLLIN, 0};
    ASSERT_GT(::poll(&p, 1, 10000), 0);
    ssize_t n = ::read(raw.fd(), buf, sizeof(buf));
    if (n < 0 && errno == EAGAIN) continue;
    ASSERT_GT(n, 0);
    ASSERT_TRUE(decoder.Feed(std::string_view(buf, static_cast<size_t>(n))).ok());
    while (true) {
      auto f = decoder.Next();
      ASSERT_TRUE(f.ok());
      if (!f->has_value()) break;
      EXPECT_EQ((*f)->payload.size(), size_t{32 << 10});
      ++responses;
    }
  }
  EXPECT_EQ(server_->Stats().frames_in, static_cast<uint64_t>(kRequests));
}

TEST_F(RpcServerTest, DeadlinePassedTimesOutAndCancelsOnTheServer) {
  std::mutex mu;
  std::condition_variable cv;
  bool cancelled_seen = false;
  Start({}, [&](Request, Responder responder) {
    responder.OnCancel([&, responder]() mutable {
      responder.Respond(Status::Cancelled("gone"));
      std::lock_guard<std::mutex> lock(mu);
      cancelled_seen = true;
      cv.notify_all();
    });
  });
  auto client = MustConnect(unix_);
  ASSERT_TRUE(client);
  auto r = client->Call("poll", "", DeadlineIn(milliseconds(100)));
  EXPECT_EQ(r.status().code(), Code::kTimedOut);
  std::unique_lock<std::mutex> lock(mu);
  EXPECT_TRUE(cv.wait_for(lock, kTestWait, [&] { return cancelled_seen; }));
  EXPECT_TRUE(client->connected());
}

TEST_F(RpcServerTest, ShortDeadlinesHoldWhileAnotherCallerIsReading) {
  ParkedCalls parked;
  Start({}, parked.AsHandler());
  auto client = MustConnect(unix_);
  ASSERT_TRUE(client);
  // This caller takes the read token and polls until its own, long deadline.
  std::optional<Result<Response>> slow;
  std::thread reader([&] { slow.emplace(client->Call("slow", "", DeadlineIn(kTestWait))); });
  ASSERT_TRUE(parked.WaitFor(1));

  auto start = std::chrono::steady_clock::now();
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Status> async_status;
  client->CallAsync("async", "", DeadlineIn(milliseconds(100)), [&](Result<Response> r) {
    std::lock_guard<std::mutex> lock(mu);
    async_status = r.status();
    cv.notify_all();
  });
  auto sync = client->Call("sync", "", DeadlineIn(milliseconds(100)));
  EXPECT_EQ(sync.status().code(), Code::kTimedOut);
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kTestWait, [&] { return async_status.has_value(); }));
    EXPECT_EQ(async_status->code(), Code::kTimedOut);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, kTestWait / 2);

  ASSERT_TRUE(parked.WaitFor(3));
  for (auto& [request, responder] : parked.Take()) responder.Respond(Status::Ok(), request.method);
  reader.join();
  ASSERT_TRUE(slow->ok());
  EXPECT_EQ((*slow)->payload, "slow");
}

TEST_F(RpcServerTest, AuthTokenIsRequiredOverTcpOnly) {
  const std::string token = "tok-3f9a1c-very-secret";
  ServerOptions options;
  options.auth_token = token;
  Start(options, EchoHandler);
  std::vector<Status> errors;
  auto none = Client::Connect(tcp_);
  EXPECT_EQ(none.status().code(), Code::kPermissionDenied);
  errors.push_back(none.status());
  ClientOptions wrong;
  wrong.auth_token = token + "x";
  auto bad = Client::Connect(tcp_, wrong);
  EXPECT_EQ(bad.status().code(), Code::kPermissionDenied);
  errors.push_back(bad.status());
  EXPECT_EQ(server_->Stats().auth_failures, 2u);

  ClientOptions right;
  right.auth_token = token;
  auto good = MustConnect(tcp_, right);
  ASSERT_TRUE(good);
  auto who = good->Call("whoami", "", DeadlineIn(kTestWait));
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->payload, "tcp+auth");

  auto local = MustConnect(unix_);  // file permissions guard the Unix socket
  ASSERT_TRUE(local);
  auto local_who = local->Call("whoami", "", DeadlineIn(kTestWait));
  ASSERT_TRUE(local_who.ok());
  EXPECT_EQ(local_who->payload, "unix");

  Server open_server({}, EchoHandler);
  Status refused = open_server.Listen("0.0.0.0:0").status();
  EXPECT_EQ(refused.code(), Code::kFailedPrecondition);
  errors.push_back(refused);
  Server guarded(options, EchoHandler);
  EXPECT_TRUE(guarded.Listen("0.0.0.0:0").ok());
  for (const Status& s : errors) {
    EXPECT_EQ(s.ToString().find(token), std::string::npos) << s.ToString();
  }
}

TEST_F(RpcServerTest, UnixSocketIsPrivateAndOnlyAStaleOneIsReplaced) {
  Start({}, EchoHandler);
  struct stat st;
  ASSERT_EQ(::stat(unix_.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Server second({}, EchoHandler);
  EXPECT_EQ(second.Listen(unix_).status().code(), Code::kAlreadyExists);
  server_->Stop();
  EXPECT_NE(::stat(unix_.path.c_str(), &st), 0) << "Stop removes the socket file";

  // A socket file nobody listens on (a crashed server) is replaced.
  std::string stale = dir_.Sub("stale.sock");
  {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", stale.c_str());
    ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0);
  }
  Server third({}, EchoHandler);
  ASSERT_TRUE(third.Listen("unix:" + stale).ok());
  ASSERT_TRUE(third.Start().ok());
  auto client = MustConnect(*ParseAddress(stale));
  ASSERT_TRUE(client);
  EXPECT_TRUE(client->Call("echo", "", DeadlineIn(kTestWait)).ok());
}

TEST_F(RpcServerTest, StopLetsInFlightCallsFinish) {
  ParkedCalls parked;
  Start({}, [&](Request request, Responder responder) {
    // A long poll: answers when told the server is stopping.
    responder.OnCancel([responder]() mutable { responder.Respond(Status::Ok(), "drained"); });
    parked.Park(std::move(request), responder);
  });
  auto client = MustConnect(tcp_);
  ASSERT_TRUE(client);
  std::optional<Result<Response>> result;
  std::thread caller([&] { result.emplace(client->Call("poll", "", DeadlineIn(kTestWait))); });
  ASSERT_TRUE(parked.WaitFor(1));
  server_->Stop();
  caller.join();
  ASSERT_TRUE(result->ok()) << result->status().ToString();
  EXPECT_EQ((*result)->payload, "drained");
  EXPECT_EQ(Client::Connect(tcp_).status().code(), Code::kUnavailable);
}

TEST_F(RpcServerTest, StopIsBoundedWhenAHandlerNeverAnswers) {
  ParkedCalls parked;
  ServerOptions options;
  options.stop_timeout = milliseconds(100);
  Start(options, parked.AsHandler());
  auto client = MustConnect(unix_);
  ASSERT_TRUE(client);
  std::optional<Result<Response>> result;
  std::thread caller([&] { result.emplace(client->Call("hang", "", DeadlineIn(kTestWait))); });
  ASSERT_TRUE(parked.WaitFor(1));
  auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  caller.join();
  EXPECT_EQ(result->status().code(), Code::kUnavailable);
  auto calls = parked.Take();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_TRUE(calls[0].second.cancelled());
  calls[0].second.Respond(Status::Ok());  // after Stop: dropped, no crash
}

// A server that accepts, completes the handshake, reads one request and dies.
TEST(RpcClientTest, ServerDyingMidCallFailsEveryCallWithUnavailable) {
  nokv::testing::TempDir dir;
  auto listener = ListenUnix(dir.Sub("fake.sock"), 4);
  ASSERT_TRUE(listener.ok());
  std::thread fake([&] {
    pollfd p{listener->fd.get(), POLLIN, 0};
    ASSERT_GT(::poll(&p, 1, 10000), 0);
    UniqueFd conn(::accept(listener->fd.get(), nullptr, nullptr));
    ASSERT_TRUE(conn.valid());
    char buf[4096];
    ASSERT_GT(::read(conn.get(), buf, sizeof(buf)), 0);  // the hello
    std::string reply = EncodeHelloReply({});
    ASSERT_EQ(::write(conn.get(), reply.data(), reply.size()), static_cast<ssize_t>(reply.size()));
    FrameDecoder decoder;
    size_t requests = 0;
    while (requests < 2) {  // wait until both calls are in flight, then die
      ssize_t n = ::read(conn.get(), buf, sizeof(buf));
      ASSERT_GT(n, 0);
      ASSERT_TRUE(decoder.Feed(std::string_view(buf, static_cast<size_t>(n))).ok());
      while (true) {
        auto f = decoder.Next();
        ASSERT_TRUE(f.ok());
        if (!f->has_value()) break;
        ++requests;
      }
    }
  });
  auto client = Client::Connect(listener->bound);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  std::vector<Result<Response>> results;
  std::mutex mu;
  std::condition_variable cv;
  for (int i = 0; i < 2; ++i) {
    (*client)->CallAsync("m", "", DeadlineIn(kTestWait), [&](Result<Response> r) {
      std::lock_guard<std::mutex> lock(mu);
      results.push_back(std::move(r));
      cv.notify_all();
    });
  }
  fake.join();
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kTestWait, [&] { return results.size() == 2; }));
  }
  for (const auto& r : results) EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_FALSE((*client)->connected());
  EXPECT_EQ((*client)->Call("m", "", DeadlineIn(kTestWait)).status().code(), Code::kUnavailable);
}

TEST(RpcClientTest, ConnectingToNothingIsUnavailable) {
  nokv::testing::TempDir dir;
  EXPECT_EQ(Client::Connect("unix:" + dir.Sub("none.sock")).status().code(), Code::kUnavailable);
  EXPECT_EQ(Client::Connect("127.0.0.1:0").status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace nokv::rpc
