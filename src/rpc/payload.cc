// MessagePack validation and decoding (see payload.h for why both).
#include "rpc/payload.h"

#include <cstdint>
#include <vector>

#include "common/coding.h"

namespace nokv::rpc {
namespace {

// What one MessagePack type byte announces.
struct Head {
  size_t header_bytes = 1;  // the type byte plus its length field
  uint64_t skip_bytes = 0;  // raw bytes that follow (str, bin, ext, numbers)
  uint64_t children = 0;    // values that follow (array, map: twice the entries)
  bool container = false;
  bool valid = true;
};

uint64_t ReadBigEndian(std::string_view bytes, size_t offset, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[offset + i]);
  return v;
}

// Decodes the head at `pos`; `header_bytes` may reach past the input, which
// the caller checks before using the length fields (read only when present).
Head ReadHead(std::string_view in, size_t pos) {
  uint8_t b = static_cast<uint8_t>(in[pos]);
  Head h;
  auto sized = [&](size_t width, uint64_t extra, bool container, uint64_t per_entry) {
    h.header_bytes = 1 + width;
    if (pos + h.header_bytes > in.size()) return;
    uint64_t n = ReadBigEndian(in, pos + 1, width);
    h.container = container;
    if (container) {
      h.children = n * per_entry;
    } else {
      h.skip_bytes = n + extra;
    }
  };
  if (b <= 0x7f || b >= 0xe0 || (b >= 0xc0 && b <= 0xc3 && b != 0xc1)) return h;
  if (b <= 0x9f) {  // fixmap, fixarray
    h.container = true;
    h.children = (b <= 0x8f ? 2 : 1) * uint64_t{b & 0x0fu};
    return h;
  }
  if (b <= 0xbf) {  // fixstr
    h.skip_bytes = b & 0x1fu;
    return h;
  }
  switch (b) {
    case 0xc4:
      sized(1, 0, false, 0);
      break;  // bin 8/16/32
    case 0xc5:
      sized(2, 0, false, 0);
      break;
    case 0xc6:
      sized(4, 0, false, 0);
      break;
    case 0xc7:
      sized(1, 1, false, 0);
      break;  // ext 8/16/32: length, type, data
    case 0xc8:
      sized(2, 1, false, 0);
      break;
    case 0xc9:
      sized(4, 1, false, 0);
      break;
    case 0xca:
      h.skip_bytes = 4;
      break;  // float32
    case 0xcb:
      h.skip_bytes = 8;
      break;  // float64
    case 0xcc:
    case 0xd0:
      h.skip_bytes = 1;
      break;
    case 0xcd:
    case 0xd1:
      h.skip_bytes = 2;
      break;
    case 0xce:
    case 0xd2:
      h.skip_bytes = 4;
      break;
    case 0xcf:
    case 0xd3:
      h.skip_bytes = 8;
      break;
    case 0xd4:
      h.skip_bytes = 2;
      break;  // fixext 1/2/4/8/16: type, data
    case 0xd5:
      h.skip_bytes = 3;
      break;
    case 0xd6:
      h.skip_bytes = 5;
      break;
    case 0xd7:
      h.skip_bytes = 9;
      break;
    case 0xd8:
      h.skip_bytes = 17;
      break;
    case 0xd9:
      sized(1, 0, false, 0);
      break;  // str 8/16/32
    case 0xda:
      sized(2, 0, false, 0);
      break;
    case 0xdb:
      sized(4, 0, false, 0);
      break;
    case 0xdc:
      sized(2, 0, true, 1);
      break;  // array 16/32
    case 0xdd:
      sized(4, 0, true, 1);
      break;
    case 0xde:
      sized(2, 0, true, 2);
      break;  // map 16/32
    case 0xdf:
      sized(4, 0, true, 2);
      break;
    default:
      h.valid = false;
      break;  // 0xc1 is never used
  }
  return h;
}

Status Malformed(const char* what, size_t pos) {
  return Status::InvalidArgument(std::string("rpc: malformed MessagePack payload: ") + what +
                                 " at byte " + std::to_string(pos));
}

}  // namespace

std::string EncodePayload(const nlohmann::json& value) {
  std::string out;
  nlohmann::json::to_msgpack(value, out);
  return out;
}

Status ValidatePayload(std::string_view in, const PayloadLimits& limits) {
  if (in.size() > limits.max_bytes) {
    return Status::TooLarge("rpc: payload of " + std::to_string(in.size()) +
                            " bytes exceeds the cap of " + std::to_string(limits.max_bytes));
  }
  std::vector<uint64_t> pending = {1};  // values still expected at each open level
  uint64_t elements = 0;
  size_t pos = 0;
  while (!pending.empty()) {
    if (pending.back() == 0) {
      pending.pop_back();
      continue;
    }
    --pending.back();
    if (pos >= in.size()) return Malformed("truncated", pos);
    Head h = ReadHead(in, pos);
    if (!h.valid) return Malformed("invalid type byte", pos);
    if (h.header_bytes > in.size() - pos) return Malformed("truncated length", pos);
    pos += h.header_bytes;
    if (h.skip_bytes > in.size() - pos) return Malformed("declared length past the end", pos);
    pos += h.skip_bytes;
    if (!h.container) continue;
    // Every value takes at least one byte, so a count beyond the rest is a lie.
    if (h.children > in.size() - pos) return Malformed("declared count past the end", pos);
    elements += h.children;
    if (elements > limits.max_elements) {
      return Status::TooLarge("rpc: payload has more than " + std::to_string(limits.max_elements) +
                              " elements");
    }
    if (pending.size() > limits.max_depth) {
      return Status::TooLarge("rpc: payload nests deeper than " + std::to_string(limits.max_depth) +
                              " levels");
    }
    pending.push_back(h.children);
  }
  if (pos != in.size()) return Malformed("trailing bytes", pos);
  return Status::Ok();
}

Result<nlohmann::json> DecodePayload(std::string_view bytes, const PayloadLimits& limits) {
  if (bytes.empty()) return nlohmann::json();
  NOKV_RETURN_IF_ERROR(ValidatePayload(bytes, limits));
  try {
    return nlohmann::json::from_msgpack(bytes.begin(), bytes.end());
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("rpc: malformed MessagePack payload: ") + e.what());
  }
}

}  // namespace nokv::rpc
