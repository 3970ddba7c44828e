// libFuzzer target for the metadata value codecs (meta/codec.h,
// meta/index_keys.h, meta/merge.h; docs/formats/meta-keys.md): what a
// damaged engine, a restored image or `nokv fsck` hands the decoders. The
// first byte picks the decoder (modulo the count below). Properties: a
// malformed value is a Status, never a crash; what decodes re-encodes to
// bytes that decode and re-encode to the same bytes; the merge operator
// returns a Status for any existing value and operand; a block is only
// returned by ReadVerifiedBlock when it matches the manifest's digest.
#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/coding.h"
#include "common/sha256.h"
#include "fuzz/fuzz_check.h"
#include "meta/codec.h"
#include "meta/index_keys.h"
#include "meta/merge.h"
#include "object/block.h"
#include "object/block_check.h"
#include "object/memory_store.h"

namespace nokv::fuzz {
namespace {

using namespace nokv::meta;  // every decoder under test lives there

// decode(in) -> value -> encode -> decode -> encode: the two encodings match.
template <typename Decode, typename Encode>
void RoundTrip(std::string_view in, Decode decode, Encode encode, const char* what) {
  auto first = decode(in);
  if (!first.ok()) return;
  std::string once = encode(*first);
  auto second = decode(once);
  Require(second.ok(), what);
  Require(encode(*second) == once, what);
}

// Splits off a u8-length-prefixed head (a name, a previous path, a key).
std::string_view TakeHead(std::string_view* in) {
  if (in->empty()) return {};
  size_t n = std::min<size_t>(static_cast<uint8_t>((*in)[0]), in->size() - 1);
  std::string_view head = in->substr(1, n);
  in->remove_prefix(1 + n);
  return head;
}

void FuzzEvent(std::string_view in) {
  std::string_view previous = TakeHead(&in);
  RoundTrip(
      in, [&](std::string_view v) { return DecodeEvent(7, 3, v, previous); },
      [&](const Event& e) { return EncodeEvent(e, previous); }, "event round-trips");
}

void FuzzMerge(std::string_view in) {
  std::string_view key = TakeHead(&in);
  std::string_view existing = TakeHead(&in);
  bool has_existing = !existing.empty();
  Result<std::string> merged = MetaMerge(key, has_existing ? &existing : nullptr, in, 9);
  (void)merged;
}

// A manifest (u16-length-prefixed) and the bytes offered as its first block.
void FuzzBlock(std::string_view in) {
  if (in.size() < 2) return;
  size_t n = std::min<size_t>(DecodeFixed16(in.data()), in.size() - 2);
  Result<Manifest> manifest = DecodeManifest(in.substr(2, n));
  if (!manifest.ok() || manifest->layout.blocks.empty()) return;
  std::string_view block = in.substr(2 + n);
  object::MemoryStore store;
  const object::BlockRef& ref = manifest->layout.blocks[0];
  Require(store.Put(object::BlockKey(ref.digest), block).ok(), "a memory put succeeds");
  Result<std::string> read = object::ReadVerifiedBlock(&store, manifest->layout, 0, 0);
  if (!read.ok()) return;
  Require(*read == block && Sha256::Of(block) == ref.digest,
          "only a block matching its digest is returned");
}

void FuzzOne(uint8_t which, std::string_view in) {
  switch (which % 13) {
    case 0:
      return RoundTrip(
          in, [](std::string_view v) { return DecodeAttr(42, v); }, EncodeAttr, "attr round-trips");
    case 1:
      return RoundTrip(
          in, [](std::string_view v) { return DecodeDentry("name", v); },
          [](const DirEntry& e) { return EncodeDentry(e.inode, e.type); }, "dentry round-trips");
    case 2:
      return RoundTrip(in, DecodeManifest, EncodeManifest, "manifest round-trips");
    case 3:
      return RoundTrip(
          in, [](std::string_view v) { return DecodeSnapshot("snap", v); }, EncodeSnapshot,
          "snapshot round-trips");
    case 4:
      return RoundTrip(
          in, [](std::string_view v) { return DecodeBackup("b1", v); }, EncodeBackup,
          "backup round-trips");
    case 5:
      return FuzzEvent(in);
    case 6:
      return RoundTrip(in, DecodeBlockRef, EncodeBlockRef, "block ref round-trips");
    case 7:
      return RoundTrip(in, DecodeDedupe, EncodeDedupe, "dedupe round-trips");
    case 8:
      return RoundTrip(
          in, DecodeGcHint,
          [](const std::vector<InodeId>& v) {
            return EncodeGcHint(std::set<InodeId>(v.begin(), v.end()));
          },
          "gc hint round-trips");
    case 9:
      return RoundTrip(in, DecodeRuleRecord, EncodeRuleRecord, "rule record round-trips");
    case 10:
      return RoundTrip(in, DecodeStoredRow, EncodeStoredRow, "stored row round-trips");
    case 11:
      return FuzzMerge(in);
    default:
      return FuzzBlock(in);
  }
}

}  // namespace
}  // namespace nokv::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  nokv::fuzz::FuzzOne(data[0], nokv::fuzz::Rest(data, size));
  return 0;
}
