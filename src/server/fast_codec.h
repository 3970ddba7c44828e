// The hottest metadata values written and read as MessagePack directly
// (rpc/msgpack.h), without a nlohmann::json tree: attributes, directory
// entries and pages, pins, opened files, manifests, publish requests, and
// the small argument maps of the calls made most often.
//
// Same wire form as server/codec.h (docs/formats/rpc.md, "Methods"): every
// Write* produces a map that codec.h's FromWire decodes to the same value,
// and every Read* accepts what codec.h's ToWire produces. The readers are
// strict about types and ranges and accept no more than codec.h does: a
// Read* returns false for anything it does not take (wrong type, value out of
// range, missing required field, unknown enum), and the caller then decodes
// the same bytes with codec.h, which accepts or names the problem. Unknown
// keys are skipped, as codec.h ignores them. A later key of the same name
// wins, as in nlohmann::json.
//
// Thread-safety: pure functions.
#pragma once

#include <limits>

#include "fs/metadata.h"
#include "rpc/msgpack.h"

namespace nokv::server {

void WriteAttr(rpc::MsgWriter& w, const meta::Attr& attr);
void WriteDirEntry(rpc::MsgWriter& w, const meta::DirEntry& entry);
void WriteDirPage(rpc::MsgWriter& w, const meta::DirPage& page);
void WriteManifest(rpc::MsgWriter& w, const meta::Manifest& manifest);
void WritePin(rpc::MsgWriter& w, const fs::Pin& pin);
void WriteOpenedFile(rpc::MsgWriter& w, const fs::OpenedFile& file);
void WriteReadAt(rpc::MsgWriter& w, const fs::ReadAt& at);
void WriteNodeOptions(rpc::MsgWriter& w, const meta::NodeOptions& node);
// The body, if any, is written as bytes.
void WritePublishRequest(rpc::MsgWriter& w, const meta::PublishRequest& request);

bool ReadAttr(rpc::MsgReader& r, meta::Attr* attr);
bool ReadAttrList(rpc::MsgReader& r, std::vector<meta::Attr>* attrs);
bool ReadDirEntry(rpc::MsgReader& r, meta::DirEntry* entry);
bool ReadDirPage(rpc::MsgReader& r, meta::DirPage* page);
bool ReadManifest(rpc::MsgReader& r, meta::Manifest* manifest);
bool ReadPin(rpc::MsgReader& r, fs::Pin* pin);
bool ReadOpenedFile(rpc::MsgReader& r, fs::OpenedFile* file);
// Nil reads as the latest read point, as in codec.h.
bool ReadReadAt(rpc::MsgReader& r, fs::ReadAt* at);
bool ReadNodeOptions(rpc::MsgReader& r, meta::NodeOptions* node);
// The body, if any, views the reader's input.
bool ReadPublishRequest(rpc::MsgReader& r, meta::PublishRequest* request);

// Reads a map, calling `field(key)` for each key; `field` must read the
// value (or Skip it) and return false when it cannot.
template <typename Field>
bool ReadFields(rpc::MsgReader& r, Field&& field) {
  uint32_t n = 0;
  if (!r.Map(&n)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    std::string_view key;
    if (!r.Str(&key) || !field(key)) return false;
  }
  return true;
}

// Reads an unsigned integer that must fit `Int`.
template <typename Int>
bool ReadUint(rpc::MsgReader& r, Int* v) {
  uint64_t x = 0;
  if (!r.Uint(&x) || x > std::numeric_limits<Int>::max()) return false;
  *v = static_cast<Int>(x);
  return true;
}

// Decodes a whole payload holding one value with `read`: true only when it
// read every byte.
template <typename T>
bool ReadWhole(std::string_view payload, bool (*read)(rpc::MsgReader&, T*), T* out) {
  rpc::MsgReader r(payload);
  return read(r, out) && r.done();
}

}  // namespace nokv::server
