// rpc::Client: address handling and reconnection over a ClientConnection.
#include "rpc/client.h"

#include "rpc/client_connection.h"

namespace nokv::rpc {

Deadline DeadlineIn(std::chrono::milliseconds timeout) {
  return std::chrono::steady_clock::now() + timeout;
}

Result<std::unique_ptr<Client>> Client::Connect(std::string_view address, ClientOptions options) {
  NOKV_ASSIGN_OR_RETURN(Address parsed, ParseAddress(address));
  return Connect(parsed, std::move(options));
}

Result<std::unique_ptr<Client>> Client::Connect(const Address& address, ClientOptions options) {
  if (address.transport == Transport::kTcp && address.port == 0) {
    return Status::InvalidArgument("rpc: cannot connect to port 0");
  }
  std::unique_ptr<Client> client(new Client(address, std::move(options)));
  NOKV_RETURN_IF_ERROR(client->Reconnect());
  return client;
}

Client::~Client() {
  std::shared_ptr<ClientConnection> connection;
  {
    std::lock_guard<std::mutex> lock(mu_);
    connection = std::move(connection_);
  }
}

std::shared_ptr<ClientConnection> Client::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connection_;
}

Status Client::Reconnect() {
  NOKV_ASSIGN_OR_RETURN(std::unique_ptr<ClientConnection> fresh,
                        ClientConnection::Open(address_, options_));
  std::shared_ptr<ClientConnection> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = std::exchange(connection_, std::move(fresh));
  }
  return Status::Ok();  // `old` closes here, failing its calls with Unavailable
}

bool Client::connected() const {
  std::shared_ptr<ClientConnection> connection = Current();
  return connection && !connection->broken();
}

void Client::CallAsync(std::string_view method, std::string_view payload, Deadline deadline,
                       CallCallback done) {
  std::shared_ptr<ClientConnection> connection = Current();
  if (!connection) return done(Status::Unavailable("rpc: not connected"));
  connection->CallAsync(method, payload, deadline, std::move(done));
}

Result<Response> Client::Call(std::string_view method, std::string_view payload,
                              Deadline deadline) {
  return Call(method, payload, deadline, nullptr);
}

Result<Response> Client::Call(std::string_view method, std::string_view payload, Deadline deadline,
                              const std::atomic<bool>* cancelled) {
  std::shared_ptr<ClientConnection> connection = Current();
  if (!connection) return Status::Unavailable("rpc: not connected");
  return connection->CallSync(method, payload, deadline, cancelled);
}

}  // namespace nokv::rpc
