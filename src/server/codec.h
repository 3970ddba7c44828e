// The payloads of the metadata RPC methods: every request and result type of
// the seam (fs/metadata.h) as a JSON value, which the transport carries as
// MessagePack (docs/formats/rpc.md, "Methods").
//
// Encoding is total; decoding checks types and ranges and returns
// InvalidArgument naming the field for anything malformed, so a hostile
// payload never throws past this layer.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/result.h"
#include "fs/metadata.h"

namespace nokv::server {

using Json = nlohmann::json;

// One function pair per wire type.
Json ToWire(const meta::Attr& attr);
Json ToWire(const meta::DirEntry& entry);
Json ToWire(const meta::Manifest& manifest);
Json ToWire(const meta::Snapshot& snapshot);
Json ToWire(const meta::Event& event);
Json ToWire(const meta::DirPage& page);
Json ToWire(const meta::EventPage& page);
Json ToWire(const meta::GcReport& report);
// Also the shape of `nokv gc --dry-run --json` (docs/cli.md).
Json ToWire(const meta::GcPlan& plan);
Json ToWire(const meta::IndexProblems& problems);
Json ToWire(const meta::FsTotals& totals);
// Also the shape of `nokv fsck --json` (docs/fsck.md).
Json ToWire(const meta::FsckReport& report);
Json ToWire(const meta::NodeOptions& options);
Json ToWire(const meta::PublishRequest& request);
Json ToWire(const meta::SetAttrRequest& request);
Json ToWire(const meta::RuleRecord& record);
Json ToWire(const fs::ReadAt& at);
Json ToWire(const fs::Pin& pin);
Json ToWire(const fs::OpenedFile& file);
Json ToWire(const fs::MetadataStats& stats);
Json ToWire(const query::ServiceOptions& scope);

template <typename T>
Result<T> FromWire(const Json& json);

// A manifest's chunk checksums on the wire (field `cc`): one byte string of
// 4-byte big-endian CRC32Cs. FromWire is false when the length is not a
// multiple of 4.
std::string ChunkCrcsToWire(const std::vector<uint32_t>& crcs);
bool ChunkCrcsFromWire(std::string_view bytes, std::vector<uint32_t>* crcs);

// A list of T (encoded with ToWire each).
template <typename T>
Json ListToWire(const std::vector<T>& items) {
  Json out = Json::array();
  for (const auto& item : items) out.push_back(ToWire(item));
  return out;
}
template <typename T>
Result<std::vector<T>> ListFromWire(const Json& json) {
  if (!json.is_array()) return Status::InvalidArgument("expected a list");
  std::vector<T> out;
  out.reserve(json.size());
  for (const auto& item : json) {
    NOKV_ASSIGN_OR_RETURN(T value, FromWire<T>(item));
    out.push_back(std::move(value));
  }
  return out;
}

// Reads a method's arguments (a map). Each getter returns a default when the
// argument is missing or malformed and remembers the first problem; check
// status() before using what was read.
class ArgReader {
 public:
  explicit ArgReader(const Json& args);
  std::string String(const char* key);
  std::string OptString(const char* key);
  uint64_t U64(const char* key);
  uint64_t OptU64(const char* key, uint64_t fallback);
  int64_t I64(const char* key);
  bool OptBool(const char* key, bool fallback);
  // A value of a wire type (FromWire); `optional` arguments may be absent.
  template <typename T>
  T Value(const char* key, bool optional = false) {
    const Json* v = Find(key, optional);
    if (v == nullptr) return T{};
    auto decoded = FromWire<T>(*v);
    if (!decoded.ok()) {
      Fail(decoded.status());
      return T{};
    }
    return std::move(decoded).value();
  }
  const Status& status() const { return status_; }

 private:
  const Json* Find(const char* key, bool optional);
  void Fail(const Status& status);
  const Json& args_;
  Status status_;
};

}  // namespace nokv::server
