// ServedFs and the ping-pong ceiling probe.
#include "served.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "rpc/socket.h"
#include "server/remote_fs.h"

namespace nokv::bench {

Result<std::unique_ptr<ServedFs>> ServedFs::Start(const std::string& dir,
                                                  fs::Durability durability) {
  std::unique_ptr<ServedFs> s(new ServedFs());
  s->durability_ = durability;
  fs::EmbeddedOptions embedded;
  embedded.data_dir = dir;
  embedded.durability = durability;
  embedded.create_if_missing = true;
  NOKV_ASSIGN_OR_RETURN(s->fs_, fs::OpenEmbedded(embedded));
  server::MethodOptions method_options;
  method_options.store_info = server::StoreInfo(embedded);
  method_options.inline_mutations = durability != fs::Durability::kSync;  // as nokv serve
  s->methods_ = std::make_unique<server::MetadataMethods>(s->fs_->metadata(), method_options);
  rpc::ServerOptions options;
  options.run_inline = server::MetadataInlinePredicate(s->methods_.get());
  s->rpc_ = std::make_unique<rpc::Server>(options, server::MetadataHandler(s->methods_.get()));
  NOKV_ASSIGN_OR_RETURN(s->unix_, s->rpc_->Listen("unix:" + dir + "/nokv.sock"));
  NOKV_ASSIGN_OR_RETURN(s->tcp_, s->rpc_->Listen("127.0.0.1:0"));
  NOKV_RETURN_IF_ERROR(s->rpc_->Start());
  return s;
}

ServedFs::~ServedFs() {
  if (rpc_) rpc_->Stop();
}

Result<Trial> PingPong(const std::string& transport, const std::string& dir, int threads,
                       std::chrono::milliseconds window) {
  std::string path = dir + "/ping.sock";
  auto listener =
      transport == "unix" ? rpc::ListenUnix(path, 64) : rpc::ListenTcp("127.0.0.1", 0, 64);
  NOKV_RETURN_IF_ERROR(listener.status());
  std::vector<rpc::UniqueFd> clients;
  std::vector<std::thread> echoes;
  auto stop_echoes = [&] {
    clients.clear();  // the echo threads see end of stream
    for (auto& e : echoes) e.join();
    if (transport == "unix") ::unlink(path.c_str());
  };
  for (int t = 0; t < threads; ++t) {
    auto fd = rpc::Connect(listener->bound, Clock::now() + std::chrono::seconds(5));
    if (!fd.ok()) {
      stop_echoes();
      return fd.status();
    }
    pollfd p{listener->fd.get(), POLLIN, 0};
    ::poll(&p, 1, 5000);
    int server_fd = ::accept4(listener->fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
    echoes.emplace_back([server_fd] {
      char c;
      while (::read(server_fd, &c, 1) == 1 && ::write(server_fd, &c, 1) == 1) {
      }
      ::close(server_fd);
    });
    ::fcntl(fd->get(), F_SETFL, ::fcntl(fd->get(), F_GETFL) & ~O_NONBLOCK);
    clients.push_back(std::move(*fd));
  }
  auto trial = RunWindow(threads, window, [&](int t, uint64_t* ops) -> Status {
    char c = 'x';
    if (::write(clients[t].get(), &c, 1) != 1 || ::read(clients[t].get(), &c, 1) != 1) {
      return Status::IOError("ping-pong: the echo failed");
    }
    ++*ops;
    return Status::Ok();
  });
  stop_echoes();
  return trial;
}

}  // namespace nokv::bench
