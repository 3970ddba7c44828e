// The NoKV RPC wire format: the handshake and the frames that follow it.
//
// Byte layout, limits and versioning: docs/formats/rpc.md (magic "NOKVRPC\0",
// protocol version 1). Server and client both encode with EncodeFrame and
// decode with FrameDecoder, so the two sides cannot drift. Payloads are opaque
// bytes here; the layer above puts MessagePack in them (rpc/payload.h).
//
// Everything in this header is a pure function or a value type; a
// FrameDecoder is owned by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/status.h"

namespace nokv::rpc {

inline constexpr std::string_view kMagic{"NOKVRPC\0", 8};
inline constexpr uint16_t kProtocolVersion = 2;

// Default cap on one frame, header included (ServerOptions/ClientOptions).
inline constexpr uint32_t kDefaultMaxFrameBytes = 64u << 20;
// The frame header: length u32, request id u64, kind u8, flags u8.
inline constexpr size_t kFrameHeaderBytes = 14;
// Longest method name a request may carry.
inline constexpr size_t kMaxMethodBytes = 255;
// Longest status message a response carries; longer ones are cut.
inline constexpr size_t kMaxStatusMessageBytes = 65535;
// Longest auth token a hello may carry.
inline constexpr size_t kMaxTokenBytes = 1024;

enum class FrameKind : uint8_t {
  kRequest = 1,   // client -> server: method + payload
  kResponse = 2,  // server -> client: status + payload
  kCancel = 3,    // client -> server: the caller gave up on request_id
};

// One decoded frame. Which fields mean something depends on `kind`.
struct Frame {
  FrameKind kind = FrameKind::kRequest;
  uint64_t request_id = 0;
  std::string method;   // kRequest only
  Status status;        // kResponse only: code, reason and message
  std::string payload;  // kRequest and kResponse; opaque
};

// Appends the encoding of `frame` to *out. Method names longer than
// kMaxMethodBytes and status messages longer than kMaxStatusMessageBytes are
// programmer errors for the former (InvalidArgument) and cut for the latter.
// The caller checks the size against the peer's cap (EncodedFrameBytes).
[[nodiscard]] Status EncodeFrame(const Frame& frame, std::string* out);

// Bytes EncodeFrame would append for `frame`.
size_t EncodedFrameBytes(const Frame& frame);

// The wire form of a Status: code and reason as bytes, message as is.
struct WireStatus {
  uint8_t code = 0;
  uint8_t reason = 0;
  std::string message;
};
WireStatus StatusToWire(const Status& status);
// An unknown code (a newer peer) decodes as IOError naming the number; an
// unknown reason decodes as Reason::kNone. Code 0 is OK whatever the message.
Status StatusFromWire(const WireStatus& wire);

// Splits a byte stream into frames. Feed bytes as they arrive and pop
// complete frames with Next. The length field of each frame is checked
// against the cap as soon as its 4 bytes are buffered, before any allocation
// sized by it. After an error the decoder stays failed.
class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_frame_bytes = kDefaultMaxFrameBytes);

  // Buffers `bytes`. Returns TooLarge when the next frame's declared length
  // exceeds the cap, Corruption when it is shorter than a header.
  [[nodiscard]] Status Feed(std::string_view bytes);
  // Returns the next complete frame, std::nullopt when more bytes are
  // needed, or Corruption/TooLarge for a malformed frame.
  Result<std::optional<Frame>> Next();

  // Bytes buffered but not yet returned as frames.
  size_t buffered() const { return buffer_.size() - start_; }
  // True once a frame boundary is reached with nothing buffered.
  bool at_boundary() const { return buffered() == 0; }

 private:
  Status CheckHeader();

  uint32_t max_frame_bytes_;
  std::string buffer_;  // bytes [start_, size) are unconsumed
  size_t start_ = 0;
  Status error_;  // sticky
};

// The first bytes a client sends. docs/formats/rpc.md "Client hello".
struct Hello {
  uint16_t version = kProtocolVersion;
  std::string token;  // empty: none
};

enum class HelloResult : uint8_t {
  kAccepted = 0,
  kVersionMismatch = 1,
  kAuthRefused = 2,
  kBadHello = 3,  // wrong magic, a reserved flag set, a token too long
};

// The server's answer to a hello.
struct HelloReply {
  uint16_t version = kProtocolVersion;  // the version the server speaks
  HelloResult result = HelloResult::kAccepted;
  uint32_t max_frame_bytes = kDefaultMaxFrameBytes;  // the server's cap
  std::string message;                               // human-readable reason when not accepted
};

std::string EncodeHello(const Hello& hello);
std::string EncodeHelloReply(const HelloReply& reply);

// Parses a hello from the start of `buffered`. Returns the bytes it used, 0
// when more are needed, or Corruption (wrong magic, reserved flags, token too
// long: checked as soon as the bytes that show it are present).
Result<size_t> ParseHello(std::string_view buffered, Hello* hello);
// Same for the server's reply.
Result<size_t> ParseHelloReply(std::string_view buffered, HelloReply* reply);

// What a client makes of a reply: OK when accepted; NotSupported naming both
// versions on a mismatch; PermissionDenied when auth was refused;
// InvalidArgument for a refused hello.
Status HelloReplyStatus(const HelloReply& reply, uint16_t client_version = kProtocolVersion);

}  // namespace nokv::rpc
