// Row encoding: a version byte, then length-prefixed field ids and ordered-encoded values.
#include "records/row.h"

#include "common/coding.h"

namespace nokv::records {

void EncodeRow(const Row& row, std::string* out) {
  out->push_back(kRowEncodingVersion);
  PutVarint32(out, static_cast<uint32_t>(row.fields.size()));
  for (const auto& [id, values] : row.fields) {
    PutLengthPrefixed(out, id);
    PutVarint32(out, static_cast<uint32_t>(values.size()));
    for (const TypedValue& value : values) EncodeOrdered(value, out);
  }
}

Result<Row> DecodeRow(std::string_view encoded) {
  if (encoded.empty()) return Status::Corruption("index row: empty");
  if (encoded.front() != kRowEncodingVersion) {
    return Status::Corruption("index row: unknown encoding version " +
                              std::to_string(static_cast<unsigned char>(encoded.front())));
  }
  Decoder decoder(encoded.substr(1));
  uint32_t field_count = 0;
  if (!decoder.GetVarint32(&field_count)) return Status::Corruption("index row: truncated");
  Row row;
  for (uint32_t f = 0; f < field_count; ++f) {
    std::string_view id;
    uint32_t value_count = 0;
    if (!decoder.GetLengthPrefixed(&id) || !decoder.GetVarint32(&value_count)) {
      return Status::Corruption("index row: truncated field");
    }
    std::string_view rest = decoder.rest();
    std::vector<TypedValue> values;
    for (uint32_t v = 0; v < value_count; ++v) {
      TypedValue value;
      if (!DecodeOrdered(&rest, &value)) return Status::Corruption("index row: bad value");
      values.push_back(std::move(value));
    }
    decoder = Decoder(rest);
    if (!row.fields.emplace(std::string(id), std::move(values)).second) {
      return Status::Corruption("index row: duplicate field id");
    }
  }
  if (!decoder.empty()) return Status::Corruption("index row: trailing bytes");
  return row;
}

}  // namespace nokv::records
