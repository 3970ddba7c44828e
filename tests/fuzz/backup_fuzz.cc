// libFuzzer target for backup descriptors (fs/backup.h; the BACKUP document
// of each backup, docs/cli.md "Backups"): `nokv backup ls` and `nokv
// restore` read them from a target store that anything may have written or
// damaged. The input is the document's bytes. Properties: a document that is
// not a descriptor is a Status (no exception escapes); a descriptor that
// reads prints (DescriptorToJson) to one that reads to the same JSON.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "fs/backup.h"
#include "fuzz/fuzz_check.h"

namespace nokv::fuzz {
namespace {

void FuzzDescriptor(std::string_view in) {
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded()) return;
  Result<fs::BackupDescriptor> backup = fs::DescriptorFromJson(doc, "fuzz/BACKUP");
  if (!backup.ok()) return;
  nlohmann::json once = fs::DescriptorToJson(*backup);
  Result<fs::BackupDescriptor> back = fs::DescriptorFromJson(once, "again");
  Require(back.ok(), "a printed descriptor reads");
  Require(fs::DescriptorToJson(*back) == once, "a descriptor round-trips");
}

}  // namespace
}  // namespace nokv::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nokv::fuzz::FuzzDescriptor(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
