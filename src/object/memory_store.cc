// MemoryStore implementation.
#include "object/memory_store.h"

#include <chrono>
#include <mutex>

namespace nokv::object {

MemoryStore::MemoryStore(Clock clock)
    : clock_(clock ? std::move(clock) : Clock([] {
        return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
      })) {}

Status MemoryStore::Put(std::string_view key, std::string_view body, const PutOptions& options) {
  NOKV_RETURN_IF_ERROR(ValidateKey(key));
  int64_t now = clock_();
  std::unique_lock lock(mu_);
  auto it = objects_.find(key);
  if (it != objects_.end()) {
    if (options.if_none_match) {
      return Status::AlreadyExists("object exists: " + std::string(key));
    }
    it->second = Object{std::string(body), now};
  } else {
    objects_.emplace(std::string(key), Object{std::string(body), now});
  }
  return Status::Ok();
}

Result<std::string> MemoryStore::Get(std::string_view key) {
  NOKV_RETURN_IF_ERROR(ValidateKey(key));
  std::shared_lock lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound("no such object: " + std::string(key));
  return it->second.body;
}

Result<std::string> MemoryStore::GetRange(std::string_view key, ByteRange range) {
  NOKV_RETURN_IF_ERROR(ValidateKey(key));
  std::shared_lock lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound("no such object: " + std::string(key));
  auto [begin, end] = ClipRange(range, it->second.body.size());
  return it->second.body.substr(begin, end - begin);
}

Result<ObjectInfo> MemoryStore::Head(std::string_view key) {
  NOKV_RETURN_IF_ERROR(ValidateKey(key));
  std::shared_lock lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound("no such object: " + std::string(key));
  return ObjectInfo{it->first, it->second.body.size(), "", it->second.modified_ns};
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
    result.objects.push_back(
        ObjectInfo{it->first, it->second.body.size(), "", it->second.modified_ns});
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
  for (const auto& [key, object] : objects_) total += object.body.size();
  return total;
}

}  // namespace nokv::object
