// Not a test: prints round trips per second of an empty RPC call over a Unix
// socket and loopback TCP, with 1 and 8 client threads (each with its own
// connection, and 8 threads sharing one), next to a raw 1-byte ping-pong on
// the same transport: the loopback ceiling of shared/design/BENCHMARKS.md M2.
//
//   build/tests/rpc/rpc_roundtrip_probe [seconds per row, default 2]
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

#include "rpc/client.h"
#include "rpc/server.h"
#include "rpc/socket.h"

namespace nokv::rpc {
namespace {

using Clock = std::chrono::steady_clock;

// Runs `threads` loops of `one_call` for `seconds`; returns calls per second.
template <typename Fn>
double Rate(int threads, double seconds, Fn one_call) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> calls{0};
  std::vector<std::thread> workers;
  auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      uint64_t mine = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        if (!one_call(t)) std::abort();
        ++mine;
      }
      calls += mine;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(calls.load()) / elapsed;
}

// A raw ping-pong: one byte each way per round trip, an echo thread per connection.
double PingPong(const Address& address, int threads, double seconds) {
  auto listener = address.transport == Transport::kUnix ? ListenUnix(address.path, 64)
                                                        : ListenTcp(address.host, 0, 64);
  if (!listener.ok()) std::abort();
  std::vector<UniqueFd> clients;
  std::vector<std::thread> echoes;
  for (int t = 0; t < threads; ++t) {
    auto fd = Connect(listener->bound, Clock::now() + std::chrono::seconds(5));
    if (!fd.ok()) std::abort();
    pollfd p{listener->fd.get(), POLLIN, 0};
    ::poll(&p, 1, 5000);
    int server_fd = ::accept4(listener->fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
    echoes.emplace_back([server_fd] {
      char c;
      while (::read(server_fd, &c, 1) == 1 && ::write(server_fd, &c, 1) == 1) {
      }
      ::close(server_fd);
    });
    int flags = ::fcntl(fd->get(), F_GETFL);
    ::fcntl(fd->get(), F_SETFL, flags & ~O_NONBLOCK);
    clients.push_back(std::move(*fd));
  }
  double rate = Rate(threads, seconds, [&](int t) {
    char c = 'x';
    return ::write(clients[t].get(), &c, 1) == 1 && ::read(clients[t].get(), &c, 1) == 1;
  });
  clients.clear();  // the echo threads see end of stream
  for (auto& e : echoes) e.join();
  if (address.transport == Transport::kUnix) std::filesystem::remove(address.path);
  return rate;
}

void Row(const char* transport, const char* mode, const char* shape, double rpc, double raw) {
  std::printf("| %-5s | %-9s | %-26s | %8.0f | %8.0f | %4.2f |\n", transport, mode, shape, rpc, raw,
              raw > 0 ? rpc / raw : 0.0);
}

void RunRows(const char* mode, std::vector<Address> addresses, const std::string& dir,
             double seconds);

int Main(double seconds) {
  std::string dir =
      std::filesystem::temp_directory_path() / ("nokv-rpc-probe-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::printf("| transport | handler | clients | RPC calls/s | raw ping-pong/s | ratio |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (size_t workers : {size_t{8}, size_t{0}}) {
    ServerOptions options;
    options.worker_threads = workers;
    Server server(options, [](Request, Responder r) { r.Respond(Status::Ok()); });
    Address tcp = *server.Listen("127.0.0.1:0");
    Address unix_address = *server.Listen("unix:" + dir + "/probe.sock");
    if (!server.Start().ok()) return 1;
    RunRows(workers == 0 ? "inline" : "8 workers", {unix_address, tcp}, dir, seconds);
  }
  std::filesystem::remove_all(dir);
  return 0;
}

void RunRows(const char* mode, std::vector<Address> addresses, const std::string& dir,
             double seconds) {
  for (const Address& address : addresses) {
    const char* name = address.transport == Transport::kUnix ? "unix" : "tcp";
    Address raw = address;
    if (raw.transport == Transport::kUnix) raw.path = dir + "/raw.sock";
    for (int threads : {1, 8}) {
      std::vector<std::unique_ptr<Client>> clients;
      for (int t = 0; t < threads; ++t) clients.push_back(std::move(*Client::Connect(address)));
      double rpc = Rate(threads, seconds, [&](int t) {
        return clients[t]->Call("m", "", DeadlineIn(std::chrono::seconds(5))).ok();
      });
      double ping = PingPong(raw, threads, seconds);
      Row(name, mode, threads == 1 ? "1 thread" : "8 threads, 8 connections", rpc, ping);
    }
    auto shared = std::move(*Client::Connect(address));
    double pipelined = Rate(8, seconds, [&](int) {
      return shared->Call("m", "", DeadlineIn(std::chrono::seconds(5))).ok();
    });
    Row(name, mode, "8 threads, 1 shared conn", pipelined, 0);
  }
}

}  // namespace
}  // namespace nokv::rpc

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  return nokv::rpc::Main(seconds > 0 ? seconds : 2.0);
}
