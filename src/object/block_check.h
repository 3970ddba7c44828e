// Whole-block verification for the doctor and fsck's scrub: a block is read
// whole and checked against everything its layout says about it (length,
// SHA-256 address, chunk checksums). Readers of byte ranges use BlockReader,
// which checks only the chunks they touch.
//
// Pure functions over a store the caller owns; thread-safe when the store is.
#pragma once

#include <cstddef>
#include <string>

#include "common/result.h"
#include "object/block.h"
#include "object/object_store.h"

namespace nokv::object {

// Reads block `index` of `layout` whole from `store` and checks its length,
// SHA-256 and (when the layout has them) chunk checksums; `chunk_index` is the
// position of its first CRC in layout.chunk_crcs. Returns the bytes; NotFound
// when the object is missing, Corruption (saying what differs) when it does
// not match, any other store error as it came.
Result<std::string> ReadVerifiedBlock(ObjectStore* store, const BodyLayout& layout, size_t index,
                                      size_t chunk_index);

}  // namespace nokv::object
