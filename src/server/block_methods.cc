// The block.* methods: each checks that it names block keys only, applies
// its size cap, then makes one call on the server's object store.
#include "server/block_methods.h"

#include <vector>

#include "object/block.h"

namespace nokv::server {
namespace {

// The digest a block key names, or InvalidArgument: the methods serve
// nothing but blocks.
Result<Digest> BlockDigest(const std::string& key) {
  Digest digest;
  if (!object::ParseBlockKey(key, &digest)) {
    return Status::InvalidArgument("not a block key: '" + key + "'");
  }
  return digest;
}

std::string_view BytesOf(const Json::binary_t& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

Result<Json> Get(object::ObjectStore* store, const BlockMethodOptions& limits, const Json& j) {
  ArgReader a(j);
  std::string key = a.String("key");
  uint64_t offset = a.OptU64("off", 0);
  uint64_t length = a.OptU64("len", limits.max_get_bytes);
  NOKV_RETURN_IF_ERROR(a.status());
  NOKV_RETURN_IF_ERROR(BlockDigest(key).status());
  if (length > limits.max_get_bytes) {
    return Status::TooLarge("block.get answers at most " + std::to_string(limits.max_get_bytes) +
                            " bytes a call, asked for " + std::to_string(length));
  }
  NOKV_ASSIGN_OR_RETURN(std::string bytes, store->GetRange(key, {offset, length}));
  return Json{{"b", Json::binary(std::vector<uint8_t>(bytes.begin(), bytes.end()))}};
}

Result<Json> Put(object::ObjectStore* store, const BlockMethodOptions& limits, const Json& j) {
  ArgReader a(j);
  std::string key = a.String("key");
  bool if_none_match = a.OptBool("inm", false);
  NOKV_RETURN_IF_ERROR(a.status());
  NOKV_ASSIGN_OR_RETURN(Digest digest, BlockDigest(key));
  auto body = j.find("b");
  if (body == j.end() || !body->is_binary()) {
    return Status::InvalidArgument("argument 'b' must be bytes");
  }
  std::string_view bytes = BytesOf(body->get_binary());
  if (bytes.size() > limits.max_put_bytes) {
    return Status::TooLarge("block.put takes blocks of at most " +
                            std::to_string(limits.max_put_bytes) + " bytes, got " +
                            std::to_string(bytes.size()));
  }
  // The key is the content's address: bytes that hash elsewhere are refused,
  // so no client can plant wrong bytes under a block others reference.
  if (Sha256::Of(bytes) != digest) {
    return Status::Corruption("block.put: the bytes do not hash to " + key);
  }
  object::PutOptions options;
  options.if_none_match = if_none_match;
  options.sha256 = digest;
  NOKV_RETURN_IF_ERROR(store->Put(key, bytes, options));
  return Json::object();
}

Result<Json> Head(object::ObjectStore* store, const Json& j) {
  ArgReader a(j);
  std::string key = a.String("key");
  NOKV_RETURN_IF_ERROR(a.status());
  NOKV_RETURN_IF_ERROR(BlockDigest(key).status());
  NOKV_ASSIGN_OR_RETURN(object::ObjectInfo info, store->Head(key));
  Json out = {{"s", info.size}, {"mt", info.last_modified_ns}};
  if (!info.etag.empty()) out["e"] = info.etag;
  return out;
}

Result<Json> Sync(object::ObjectStore* store, const BlockMethodOptions& limits, const Json& j) {
  if (!j.is_object() || !j.contains("keys") || !j["keys"].is_array()) {
    return Status::InvalidArgument("block.sync takes a list 'keys'");
  }
  const Json& list = j["keys"];
  if (list.size() > limits.max_sync_keys) {
    return Status::TooLarge("block.sync takes at most " + std::to_string(limits.max_sync_keys) +
                            " keys a call");
  }
  std::vector<std::string> keys;
  keys.reserve(list.size());
  for (const auto& key : list) {
    if (!key.is_string()) return Status::InvalidArgument("block.sync keys are strings");
    keys.push_back(key.get<std::string>());
    NOKV_RETURN_IF_ERROR(BlockDigest(keys.back()).status());
  }
  NOKV_RETURN_IF_ERROR(store->Sync(keys));
  return Json::object();
}

}  // namespace

void AddBlockMethods(object::ObjectStore* store, MethodOptions* options,
                     BlockMethodOptions limits) {
  auto& methods = options->extra_methods;
  methods["block.get"] = [store, limits](const Json& j) { return Get(store, limits, j); };
  methods["block.put"] = [store, limits](const Json& j) { return Put(store, limits, j); };
  methods["block.head"] = [store](const Json& j) { return Head(store, j); };
  methods["block.sync"] = [store, limits](const Json& j) { return Sync(store, limits, j); };
  if (!options->store_info.is_object()) options->store_info = Json{{"kind", "proxy"}};
  options->store_info["proxy"] = true;
}

}  // namespace nokv::server
