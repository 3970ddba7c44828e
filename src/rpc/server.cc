// rpc::Server and rpc::Responder: thin fronts over the event loop.
#include "rpc/server.h"

#include "rpc/server_loop.h"

namespace nokv::rpc {

void Responder::Respond(const Status& status, std::string payload) {
  state_->Send(status, std::move(payload));
}

bool Responder::cancelled() const { return state_->cancel->IsCancelled(); }

void Responder::OnCancel(std::function<void()> callback) {
  state_->cancel->OnCancel(std::move(callback));
}

Server::Server(ServerOptions options, Handler handler)
    : loop_(std::make_unique<EventLoop>(std::move(options), std::move(handler))) {}

Server::~Server() { Stop(); }

Result<Address> Server::Listen(const Address& address) { return loop_->Listen(address); }

Result<Address> Server::Listen(std::string_view address) {
  NOKV_ASSIGN_OR_RETURN(Address parsed, ParseAddress(address));
  return loop_->Listen(parsed);
}

Status Server::Start() { return loop_->Start(); }

void Server::Stop() { loop_->Stop(); }

ServerStats Server::Stats() const { return loop_->Stats(); }

}  // namespace nokv::rpc
