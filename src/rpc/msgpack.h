// A small MessagePack writer and reader for payloads of fixed, known shapes
// (the hot metadata values: attributes, directory pages, the arguments of
// stat, lookup, create, ...), without building a nlohmann::json tree.
//
// MsgWriter appends values to a string. MsgReader reads them from borrowed
// bytes without allocating: every read checks the type byte and the declared
// length against the bytes left and returns false on any mismatch, after
// which the reader stays failed. A reader never recurses (Skip counts the
// values it still owes), so hostile nesting cannot exhaust the stack.
//
// Both produce and accept plain MessagePack: what MsgWriter writes decodes
// with rpc::DecodePayload, and a payload MsgReader accepts also passes
// rpc::ValidatePayload with the default limits except the nesting depth
// (callers that embed skipped values validate them; see server/fast_methods.cc).
//
// Thread-safety: value types; one thread per object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace nokv::rpc {

class MsgWriter {
 public:
  // Appends to *out, which must outlive the writer.
  explicit MsgWriter(std::string* out) : out_(out) {}

  void Map(uint32_t entries);
  void Array(uint32_t items);
  void Str(std::string_view s);
  void Bin(std::string_view bytes);
  void Uint(uint64_t v);
  void Int(int64_t v);  // negative values as signed, others as Uint
  void Bool(bool v);
  void Nil();
  // One value that is already MessagePack (copied as is).
  void Raw(std::string_view encoded) { out_->append(encoded); }

 private:
  void Head(uint8_t type, uint64_t value, int bytes);
  std::string* out_;
};

class MsgReader {
 public:
  // `in` must outlive the reader and every view it returns.
  explicit MsgReader(std::string_view in) : in_(in) {}

  // Each reads the next value if it has that type; false (and failed) if not.
  bool Map(uint32_t* entries);
  bool Array(uint32_t* items);
  bool Str(std::string_view* s);  // a view into the input
  bool Bin(std::string_view* bytes);
  bool Uint(uint64_t* v);  // any integer >= 0
  bool Int(int64_t* v);    // any integer within int64
  bool Bool(bool* v);
  // True, and consumed, when the next value is nil; false otherwise (the
  // reader is not failed by a non-nil value).
  bool TryNil();
  // Skips one whole value of any type; *raw (if given) views its bytes.
  bool Skip(std::string_view* raw = nullptr);

  bool ok() const { return ok_; }
  // True when every byte was read and nothing failed.
  bool done() const { return ok_ && pos_ == in_.size(); }

 private:
  bool Fail() { return ok_ = false; }
  // Reads a big-endian unsigned of `bytes` bytes.
  bool Fixed(int bytes, uint64_t* v);
  // Reads the length that follows a str/bin/ext/array/map type byte `b`.
  bool Length(uint8_t b, uint64_t* n);
  bool Take(uint64_t n, std::string_view* out);

  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace nokv::rpc
