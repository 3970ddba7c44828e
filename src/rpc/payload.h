// MessagePack payloads: the encoding the layer above puts inside frames.
//
// nlohmann::json::from_msgpack (3.11) does not reserve memory by a declared
// length, but it recurses once per nesting level (a payload of 0x91 bytes
// overflows the stack) and turns each input byte into a heap-allocated value
// tens of bytes large. DecodePayload therefore walks the bytes first, without
// recursion or allocation, and checks depth, element count and declared
// lengths against PayloadLimits before handing them to the library, whose
// exceptions it catches. Thread-safe: pure functions.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/status.h"
#include "rpc/wire.h"

namespace nokv::rpc {

struct PayloadLimits {
  size_t max_bytes = kDefaultMaxFrameBytes;
  // Containers nested deeper than this are refused.
  size_t max_depth = 64;
  // Values in all containers together (a map entry counts key and value).
  size_t max_elements = size_t{1} << 20;
};

// Encodes `value` as MessagePack.
std::string EncodePayload(const nlohmann::json& value);

// Checks `bytes` is one well-formed MessagePack value within `limits` (no
// trailing bytes). TooLarge for a limit, InvalidArgument for malformed input.
[[nodiscard]] Status ValidatePayload(std::string_view bytes, const PayloadLimits& limits = {});

// ValidatePayload, then decodes. An empty payload decodes as null. Errors as
// ValidatePayload, plus InvalidArgument for what the library rejects (a map
// key that is not a string, invalid UTF-8 is accepted as is).
Result<nlohmann::json> DecodePayload(std::string_view bytes, const PayloadLimits& limits = {});

}  // namespace nokv::rpc
