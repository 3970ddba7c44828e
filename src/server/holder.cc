// Holder: the metadata methods on the data directory's socket.
#include "server/holder.h"

#include "server/block_methods.h"

namespace nokv::server {

std::string SocketPath(std::string_view data_dir) {
  std::string path(data_dir);
  if (path.empty()) path = ".";
  if (path.back() != '/') path += '/';
  return path + kSocketName;
}

Result<std::unique_ptr<Holder>> Holder::Start(std::string_view data_dir, fs::Metadata* metadata,
                                              object::ObjectStore* store, HolderOptions options) {
  AddBlockMethods(store, &options.methods);
  std::unique_ptr<Holder> holder(new Holder());
  holder->methods_ = std::make_unique<MetadataMethods>(metadata, std::move(options.methods));
  // Cheap methods answer on the event loop, the rest on workers.
  if (!options.rpc.run_inline)
    options.rpc.run_inline = MetadataInlinePredicate(holder->methods_.get());
  holder->rpc_ =
      std::make_unique<rpc::Server>(options.rpc, MetadataHandler(holder->methods_.get()));
  std::vector<std::string> addresses = {
      "unix:" + (options.unix_path.empty() ? SocketPath(data_dir) : options.unix_path)};
  addresses.insert(addresses.end(), options.listen.begin(), options.listen.end());
  for (const auto& address : addresses) {
    auto bound = holder->rpc_->Listen(address);
    if (!bound.ok()) return bound.status().WithContext("listen on " + address);
    holder->addresses_.push_back(*bound);
  }
  NOKV_RETURN_IF_ERROR(holder->rpc_->Start());
  holder->maintenance_ = std::make_unique<Maintenance>(metadata, std::move(options.maintenance));
  holder->maintenance_->Start();
  return holder;
}

Holder::~Holder() { Stop(); }

void Holder::Stop() {
  if (rpc_) rpc_->Stop();
  if (maintenance_) maintenance_->Stop();
}

}  // namespace nokv::server
