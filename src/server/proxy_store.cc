// ProxyStore: each ObjectStore call as `block.*` requests on its own
// connection to the server.
#include "server/proxy_store.h"

#include <algorithm>
#include <limits>

#include "rpc/payload.h"

namespace nokv::server {

Result<std::unique_ptr<ProxyStore>> ProxyStore::Connect(std::string_view address,
                                                        ProxyStoreOptions options) {
  if (options.get_chunk_bytes == 0 || options.sync_batch_keys == 0) {
    return Status::InvalidArgument("ProxyStore chunk and batch sizes must be positive");
  }
  NOKV_ASSIGN_OR_RETURN(auto client, rpc::Client::Connect(address, options.client));
  return std::unique_ptr<ProxyStore>(new ProxyStore(std::move(client), std::move(options)));
}

Status ProxyStore::EnsureConnected() {
  std::lock_guard lock(reconnect_mu_);
  if (client_->connected()) return Status::Ok();
  return client_->Reconnect();
}

Result<Json> ProxyStore::Invoke(std::string_view method, const Json& args) {
  std::string payload = rpc::EncodePayload(args);
  for (int attempt = 0;; ++attempt) {
    NOKV_RETURN_IF_ERROR(EnsureConnected());
    auto response = client_->Call(method, payload, rpc::DeadlineIn(options_.call_timeout));
    if (!response.ok()) {
      if (response.status().code() == Code::kUnavailable && attempt == 0) continue;
      return response.status();
    }
    if (!response->status.ok()) return response->status;
    return rpc::DecodePayload(response->payload);
  }
}

Status ProxyStore::Put(std::string_view key, std::string_view body,
                       const object::PutOptions& options) {
  NOKV_RETURN_IF_ERROR(object::ValidateKey(key));
  if (body.size() > options_.max_put_bytes) {
    return Status::TooLarge("a block of " + std::to_string(body.size()) +
                            " bytes is larger than the server takes through block.put (" +
                            std::to_string(options_.max_put_bytes) + ")");
  }
  Json args = {{"key", key}, {"b", Json::binary(std::vector<uint8_t>(body.begin(), body.end()))}};
  if (options.if_none_match) args["inm"] = true;
  return Invoke("block.put", args).status();
}

Result<std::string> ProxyStore::Read(std::string_view key, uint64_t offset, uint64_t length) {
  NOKV_RETURN_IF_ERROR(object::ValidateKey(key));
  std::string out;
  // At least one call, so a missing key is NotFound even for an empty range.
  for (bool first = true; first || length > 0; first = false) {
    uint64_t want = std::min(length, options_.get_chunk_bytes);
    NOKV_ASSIGN_OR_RETURN(Json answer,
                          Invoke("block.get", {{"key", key}, {"off", offset}, {"len", want}}));
    if (!answer.is_object() || !answer.contains("b") || !answer["b"].is_binary()) {
      return Status::Corruption("block.get answered no bytes for " + std::string(key));
    }
    const auto& bytes = answer["b"].get_binary();
    if (bytes.size() > want) {
      return Status::Corruption("block.get answered more bytes than asked for " + std::string(key));
    }
    out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (bytes.size() < want) break;  // the object ends here
    offset += want;
    length -= want;
  }
  return out;
}

Result<std::string> ProxyStore::Get(std::string_view key) {
  return Read(key, 0, std::numeric_limits<uint64_t>::max());
}

Result<std::string> ProxyStore::GetRange(std::string_view key, object::ByteRange range) {
  // The server clips each piece; clip the total here so offset + length
  // cannot wrap.
  uint64_t length = std::min(range.length, std::numeric_limits<uint64_t>::max() - range.offset);
  return Read(key, range.offset, length);
}

Result<object::ObjectInfo> ProxyStore::Head(std::string_view key) {
  NOKV_RETURN_IF_ERROR(object::ValidateKey(key));
  NOKV_ASSIGN_OR_RETURN(Json answer, Invoke("block.head", {{"key", key}}));
  ArgReader a(answer);
  object::ObjectInfo info;
  info.key = std::string(key);
  info.size = a.U64("s");
  info.last_modified_ns = a.I64("mt");
  info.etag = a.OptString("e");
  NOKV_RETURN_IF_ERROR(a.status());
  return info;
}

Status ProxyStore::Delete(std::string_view key) {
  return Status::PermissionDenied("clients cannot delete blocks (" + std::string(key) +
                                  "): the server's garbage collector removes them");
}

Status ProxyStore::DeleteMany(std::span<const std::string> keys) {
  if (keys.empty()) return Status::Ok();
  return Delete(keys.front());
}

Result<object::ListResult> ProxyStore::List(const object::ListOptions&) {
  return Status::NotSupported("a client cannot list the server's object store");
}

Status ProxyStore::Sync(std::span<const std::string> keys) {
  for (size_t i = 0; i < keys.size(); i += options_.sync_batch_keys) {
    auto batch = keys.subspan(i, std::min(options_.sync_batch_keys, keys.size() - i));
    NOKV_RETURN_IF_ERROR(
        Invoke("block.sync", {{"keys", std::vector<std::string>(batch.begin(), batch.end())}})
            .status());
  }
  return Status::Ok();
}

std::string ProxyStore::Describe() const { return "proxy:" + client_->address().ToString(); }

}  // namespace nokv::server
