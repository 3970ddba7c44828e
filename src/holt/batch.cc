// Batch building and its WAL encoding.
#include "holt/batch.h"

#include "common/coding.h"

namespace nokv::holt {

namespace {
// Encoded bytes of one op: type, key, and the value for puts (and merges,
// which become puts).
size_t EncodedOpSize(std::string_view key, const std::string_view* value) {
  size_t n = 1 + static_cast<size_t>(VarintLength(key.size())) + key.size();
  if (value != nullptr) n += static_cast<size_t>(VarintLength(value->size())) + value->size();
  return n;
}

std::string Printable(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}
}  // namespace

std::string DescribePredicate(const Predicate& p) {
  std::string key = "\"" + Printable(p.key) + "\"";
  switch (p.type) {
    case PredicateType::kExists:
      return "exists " + key;
    case PredicateType::kNotExists:
      return "not_exists " + key;
    case PredicateType::kVersionIs:
      return "version_is " + key + " @" + std::to_string(p.seq);
    case PredicateType::kPrefixEmpty:
      return "prefix_empty " + key;
  }
  return "unknown " + key;
}

void Batch::Put(std::string_view key, std::string_view value, Stamp stamp) {
  ops_.push_back(Op{OpType::kPut, std::string(key), std::string(value), stamp});
  bytes_ += key.size() + value.size() + 8;
  encoded_op_bytes_ += EncodedOpSize(key, &value);
  needs_resolution_ |= stamp.key_offset != kNoStamp || stamp.value_offset != kNoStamp;
}

void Batch::Merge(std::string_view key, std::string_view operand) {
  ops_.push_back(Op{OpType::kMerge, std::string(key), std::string(operand), Stamp{}});
  bytes_ += key.size() + operand.size() + 8;
  encoded_op_bytes_ += EncodedOpSize(key, &operand);
  needs_resolution_ = true;
}

void Batch::Delete(std::string_view key) {
  ops_.push_back(Op{OpType::kDelete, std::string(key), {}, Stamp{}});
  bytes_ += key.size() + 4;
  encoded_op_bytes_ += EncodedOpSize(key, nullptr);
}

void Batch::Pin(std::string_view name) {
  ops_.push_back(Op{OpType::kPin, std::string(name), {}, Stamp{}});
  bytes_ += name.size() + 4;
  encoded_op_bytes_ += EncodedOpSize(name, nullptr);
}

void Batch::Unpin(std::string_view name) {
  ops_.push_back(Op{OpType::kUnpin, std::string(name), {}, Stamp{}});
  bytes_ += name.size() + 4;
  encoded_op_bytes_ += EncodedOpSize(name, nullptr);
}

void Batch::RequireExists(std::string_view key) {
  predicates_.push_back(Predicate{PredicateType::kExists, std::string(key)});
}

void Batch::RequireNotExists(std::string_view key) {
  predicates_.push_back(Predicate{PredicateType::kNotExists, std::string(key)});
}

void Batch::RequireVersion(std::string_view key, uint64_t seq) {
  predicates_.push_back(Predicate{PredicateType::kVersionIs, std::string(key), seq});
}

void Batch::RequirePrefixEmpty(std::string_view prefix) {
  predicates_.push_back(Predicate{PredicateType::kPrefixEmpty, std::string(prefix)});
}

void Batch::Clear() {
  ops_.clear();
  predicates_.clear();
  bytes_ = 0;
  encoded_op_bytes_ = 0;
  needs_resolution_ = false;
}

size_t Batch::encoded_size() const {
  return 8 + static_cast<size_t>(VarintLength(ops_.size())) + encoded_op_bytes_;
}

void Batch::EncodeTo(uint64_t seq, std::string* dst) const {
  // Merges and stamps are resolved by the committer before logging.
  PutFixed64(dst, seq);
  PutVarint64(dst, ops_.size());
  for (const Op& op : ops_) {
    dst->push_back(static_cast<char>(op.type));
    PutLengthPrefixed(dst, op.key);
    if (op.type == OpType::kPut) PutLengthPrefixed(dst, op.value);
  }
}

Status Batch::Decode(std::string_view payload, uint64_t* seq, Batch* batch) {
  batch->Clear();
  Decoder d(payload);
  uint64_t count = 0;
  if (!d.GetFixed64(seq) || !d.GetVarint64(&count)) {
    return Status::Corruption("batch header truncated");
  }
  for (uint64_t i = 0; i < count; ++i) {
    uint8_t type = 0;
    std::string_view key, value;
    if (!d.GetFixed8(&type) || !d.GetLengthPrefixed(&key)) {
      return Status::Corruption("batch op " + std::to_string(i) + " truncated");
    }
    switch (static_cast<OpType>(type)) {
      case OpType::kPut:
        if (!d.GetLengthPrefixed(&value)) return Status::Corruption("batch put value truncated");
        batch->Put(key, value);
        break;
      case OpType::kDelete:
        batch->Delete(key);
        break;
      case OpType::kPin:
        batch->Pin(key);
        break;
      case OpType::kUnpin:
        batch->Unpin(key);
        break;
      case OpType::kMerge:  // never logged: merges are resolved before logging
      default:
        return Status::Corruption("unknown batch op type " + std::to_string(type));
    }
  }
  if (!d.empty()) return Status::Corruption("trailing bytes after batch");
  return Status::Ok();
}

}  // namespace nokv::holt
