// MemoryStore implementation.
#include "object/memory_store.h"

#include <mutex>

namespace nokv::object {

Status MemoryStore::Put(std::string_view key, std::string_view body, const PutOptions& options) {
  NOKV_RETURN_IF_ERROR(ValidateKey(key));
  std::unique_lock lock(mu_);
  auto it = objects_.find(key);
  if (it != objects_.end()) {
    if (options.if_none_match) {
      return Status::AlreadyExists("object exists: " + std::string(key));
    }
    it->second.assign(body);
  } else {
    objects_.emplace(std::string(key), std::string(body));
  }
  return Status::Ok();
}

Result<std::string> MemoryStore::Get(std::string_view key) {
  NOKV_RETURN_IF_ERROR(ValidateKey(key));
  std::shared_lock lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound("no such object: " + std::string(key));
  return it->second;
}

Result<std::string> MemoryStore::GetRange(std::string_view key, ByteRange range) {
  NOKV_RETURN_IF_ERROR(ValidateKey(key));
  std::shared_lock lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound("no such object: " + std::string(key));
  auto [begin, end] = ClipRange(range, it->second.size());
  return it->second.substr(begin, end - begin);
}

Result<ObjectInfo> MemoryStore::Head(std::string_view key) {
  NOKV_RETURN_IF_ERROR(ValidateKey(key));
  std::shared_lock lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound("no such object: " + std::string(key));
  return ObjectInfo{it->first, it->second.size(), ""};
}

Status MemoryStore::Delete(std::string_view key) {
  NOKV_RETURN_IF_ERROR(ValidateKey(key));
  std::unique_lock lock(mu_);
  auto it = objects_.find(key);
  if (it != objects_.end()) objects_.erase(it);
  return Status::Ok();
}

Result<ListResult> MemoryStore::List(const ListOptions& options) {
  ListResult result;
  std::shared_lock lock(mu_);
  auto it = options.start_after.empty() ? objects_.lower_bound(options.prefix)
                                        : objects_.upper_bound(options.start_after);
  if (it != objects_.end() && it->first < options.prefix) it = objects_.lower_bound(options.prefix);
  for (; it != objects_.end(); ++it) {
    if (!std::string_view(it->first).starts_with(options.prefix)) break;
    if (options.limit != 0 && result.objects.size() == options.limit) {
      result.truncated = true;
      break;
    }
    result.objects.push_back(ObjectInfo{it->first, it->second.size(), ""});
  }
  return result;
}

size_t MemoryStore::object_count() const {
  std::shared_lock lock(mu_);
  return objects_.size();
}

uint64_t MemoryStore::total_bytes() const {
  std::shared_lock lock(mu_);
  uint64_t total = 0;
  for (const auto& [key, body] : objects_) total += body.size();
  return total;
}

}  // namespace nokv::object
