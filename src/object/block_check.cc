// Whole-block verification (block_check.h).
#include "object/block_check.h"

#include <algorithm>
#include <vector>

namespace nokv::object {

Result<std::string> ReadVerifiedBlock(ObjectStore* store, const BodyLayout& layout, size_t index,
                                      size_t chunk_index) {
  const BlockRef& ref = layout.blocks[index];
  NOKV_ASSIGN_OR_RETURN(std::string bytes, store->Get(BlockKey(ref.digest)));
  if (bytes.size() != ref.length) {
    return Status::Corruption("has " + std::to_string(bytes.size()) + " bytes, the manifest says " +
                              std::to_string(ref.length));
  }
  if (Sha256::Of(bytes) != ref.digest) return Status::Corruption("does not match its SHA-256");
  if (layout.has_chunk_crcs()) {
    std::vector<uint32_t> crcs;
    AppendChunkCrcs(bytes, layout.chunk_size, &crcs);
    if (!std::equal(crcs.begin(), crcs.end(), layout.chunk_crcs.begin() + chunk_index)) {
      return Status::Corruption("does not match the chunk checksums in the manifest");
    }
  }
  return bytes;
}

}  // namespace nokv::object
