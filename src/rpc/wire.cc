// Frame and handshake coding (docs/formats/rpc.md).
#include "rpc/wire.h"

#include <algorithm>

#include "common/coding.h"

namespace nokv::rpc {
namespace {

constexpr size_t kLengthFieldBytes = 4;
constexpr size_t kRequestFixedBytes = 1;   // method length
constexpr size_t kResponseFixedBytes = 4;  // code, reason, message length
constexpr size_t kHelloFixedBytes = 14;    // magic, version, flags, token length
constexpr size_t kReplyFixedBytes = 18;    // magic, version, result, 0, cap, message length
constexpr uint16_t kHelloFlagToken = 1;
constexpr uint8_t kLastCode = static_cast<uint8_t>(Code::kUnavailable);
constexpr uint8_t kLastReason = static_cast<uint8_t>(Reason::kSymlinkLoop);
constexpr uint8_t kLastHelloResult = static_cast<uint8_t>(HelloResult::kBadHello);

size_t BodyBytes(const Frame& frame) {
  switch (frame.kind) {
    case FrameKind::kRequest:
      return kRequestFixedBytes + frame.method.size() + frame.payload.size();
    case FrameKind::kResponse:
      return kResponseFixedBytes + std::min(frame.status.message().size(), kMaxStatusMessageBytes) +
             frame.payload.size();
    case FrameKind::kCancel:
      return 0;
  }
  return 0;
}

// Checks the magic prefix as far as `buffered` reaches.
bool MagicPrefixMatches(std::string_view buffered) {
  size_t n = std::min(buffered.size(), kMagic.size());
  return buffered.substr(0, n) == kMagic.substr(0, n);
}

}  // namespace

size_t EncodedFrameBytes(const Frame& frame) { return kFrameHeaderBytes + BodyBytes(frame); }

Status EncodeFrame(const Frame& frame, std::string* out) {
  if (frame.kind == FrameKind::kRequest && frame.method.size() > kMaxMethodBytes) {
    return Status::InvalidArgument("rpc: method name longer than 255 bytes");
  }
  size_t total = EncodedFrameBytes(frame);
  if (total - kLengthFieldBytes > UINT32_MAX) return Status::TooLarge("rpc: frame over 4 GiB");
  out->reserve(out->size() + total);
  PutFixed32(out, static_cast<uint32_t>(total - kLengthFieldBytes));
  PutFixed64(out, frame.request_id);
  out->push_back(static_cast<char>(frame.kind));
  out->push_back(0);  // flags
  if (frame.kind == FrameKind::kRequest) {
    out->push_back(static_cast<char>(frame.method.size()));
    out->append(frame.method);
    out->append(frame.payload);
  } else if (frame.kind == FrameKind::kResponse) {
    WireStatus wire = StatusToWire(frame.status);
    out->push_back(static_cast<char>(wire.code));
    out->push_back(static_cast<char>(wire.reason));
    PutFixed16(out, static_cast<uint16_t>(wire.message.size()));
    out->append(wire.message);
    out->append(frame.payload);
  }
  return Status::Ok();
}

WireStatus StatusToWire(const Status& status) {
  WireStatus wire;
  wire.code = static_cast<uint8_t>(status.code());
  wire.reason = static_cast<uint8_t>(status.reason());
  wire.message = std::string(status.message().substr(0, kMaxStatusMessageBytes));
  return wire;
}

Status StatusFromWire(const WireStatus& wire) {
  if (wire.code == 0) return Status::Ok();
  Reason reason = wire.reason <= kLastReason ? static_cast<Reason>(wire.reason) : Reason::kNone;
  // Whether a request left is for the sender's side to say, never a peer's.
  if (reason == Reason::kNotSent) reason = Reason::kNone;
  if (wire.code > kLastCode) {
    return Status(
        Code::kIOError,
        "peer sent unknown status code " + std::to_string(wire.code) + ": " + wire.message, reason);
  }
  return Status(static_cast<Code>(wire.code), wire.message, reason);
}

FrameDecoder::FrameDecoder(uint32_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

Status FrameDecoder::CheckHeader() {
  if (buffered() < kLengthFieldBytes) return Status::Ok();
  uint64_t length = DecodeFixed32(buffer_.data() + start_);
  if (length + kLengthFieldBytes < kFrameHeaderBytes) {
    error_ = Status::Corruption("rpc: frame length " + std::to_string(length) +
                                " is shorter than a frame header");
  } else if (length + kLengthFieldBytes > max_frame_bytes_) {
    error_ = Status::TooLarge("rpc: frame of " + std::to_string(length + kLengthFieldBytes) +
                              " bytes exceeds the cap of " + std::to_string(max_frame_bytes_));
  }
  return error_;
}

Status FrameDecoder::Feed(std::string_view bytes) {
  if (!error_.ok()) return error_;
  if (start_ > 0 && start_ >= buffer_.size() / 2) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  buffer_.append(bytes);
  return CheckHeader();
}

Result<std::optional<Frame>> FrameDecoder::Next() {
  NOKV_RETURN_IF_ERROR(CheckHeader());
  if (buffered() < kFrameHeaderBytes) return std::optional<Frame>();
  std::string_view rest(buffer_.data() + start_, buffered());
  size_t total = DecodeFixed32(rest.data()) + kLengthFieldBytes;
  if (rest.size() < total) return std::optional<Frame>();
  Decoder in(rest.substr(kLengthFieldBytes, total - kLengthFieldBytes));
  Frame frame;
  uint8_t kind = 0, flags = 0;
  (void)(in.GetFixed64(&frame.request_id) && in.GetFixed8(&kind) && in.GetFixed8(&flags));
  bool ok = flags == 0;
  if (ok && kind == static_cast<uint8_t>(FrameKind::kRequest)) {
    frame.kind = FrameKind::kRequest;
    uint8_t method_len = 0;
    std::string_view method;
    ok = in.GetFixed8(&method_len) && in.GetBytes(method_len, &method);
    frame.method = std::string(method);
  } else if (ok && kind == static_cast<uint8_t>(FrameKind::kResponse)) {
    frame.kind = FrameKind::kResponse;
    WireStatus wire;
    uint16_t message_len = 0;
    std::string_view message;
    ok = in.GetFixed8(&wire.code) && in.GetFixed8(&wire.reason) && in.GetFixed16(&message_len) &&
         in.GetBytes(message_len, &message);
    wire.message = std::string(message);
    frame.status = StatusFromWire(wire);
  } else if (ok && kind == static_cast<uint8_t>(FrameKind::kCancel)) {
    frame.kind = FrameKind::kCancel;
    ok = in.empty();
  } else {
    ok = false;
  }
  if (!ok) {
    error_ = Status::Corruption("rpc: malformed frame (kind " + std::to_string(kind) + ", flags " +
                                std::to_string(flags) + ")");
    return error_;
  }
  frame.payload = std::string(in.rest());
  start_ += total;
  return std::optional<Frame>(std::move(frame));
}

std::string EncodeHello(const Hello& hello) {
  std::string out(kMagic);
  PutFixed16(&out, hello.version);
  PutFixed16(&out, hello.token.empty() ? 0 : kHelloFlagToken);
  PutFixed16(&out, static_cast<uint16_t>(hello.token.size()));
  out.append(hello.token);
  return out;
}

Result<size_t> ParseHello(std::string_view buffered, Hello* hello) {
  if (!MagicPrefixMatches(buffered)) {
    return Status::Corruption("rpc: the hello does not start with the NOKVRPC magic");
  }
  if (buffered.size() < kHelloFixedBytes) return size_t{0};
  uint16_t flags = DecodeFixed16(buffered.data() + 10);
  size_t token_len = DecodeFixed16(buffered.data() + 12);
  if ((flags & ~kHelloFlagToken) != 0) {
    return Status::Corruption("rpc: the hello sets reserved flags");
  }
  if (token_len > kMaxTokenBytes || ((flags & kHelloFlagToken) == 0) != (token_len == 0)) {
    return Status::Corruption("rpc: the hello's token length is invalid");
  }
  if (buffered.size() < kHelloFixedBytes + token_len) return size_t{0};
  hello->version = DecodeFixed16(buffered.data() + 8);
  hello->token = std::string(buffered.substr(kHelloFixedBytes, token_len));
  return kHelloFixedBytes + token_len;
}

std::string EncodeHelloReply(const HelloReply& reply) {
  std::string out(kMagic);
  std::string_view message = std::string_view(reply.message).substr(0, UINT16_MAX);
  PutFixed16(&out, reply.version);
  out.push_back(static_cast<char>(reply.result));
  out.push_back(0);
  PutFixed32(&out, reply.max_frame_bytes);
  PutFixed16(&out, static_cast<uint16_t>(message.size()));
  out.append(message);
  return out;
}

Result<size_t> ParseHelloReply(std::string_view buffered, HelloReply* reply) {
  if (!MagicPrefixMatches(buffered)) {
    return Status::Corruption("rpc: the peer is not a NoKV RPC server (wrong magic)");
  }
  if (buffered.size() < kReplyFixedBytes) return size_t{0};
  uint8_t result = static_cast<uint8_t>(buffered[10]);
  if (result > kLastHelloResult || buffered[11] != 0) {
    return Status::Corruption("rpc: malformed handshake reply");
  }
  size_t message_len = DecodeFixed16(buffered.data() + 16);
  if (buffered.size() < kReplyFixedBytes + message_len) return size_t{0};
  reply->version = DecodeFixed16(buffered.data() + 8);
  reply->result = static_cast<HelloResult>(result);
  reply->max_frame_bytes = DecodeFixed32(buffered.data() + 12);
  reply->message = std::string(buffered.substr(kReplyFixedBytes, message_len));
  return kReplyFixedBytes + message_len;
}

Status HelloReplyStatus(const HelloReply& reply, uint16_t client_version) {
  switch (reply.result) {
    case HelloResult::kAccepted:
      return Status::Ok();
    case HelloResult::kVersionMismatch:
      return Status::NotSupported("rpc: protocol version mismatch: client speaks version " +
                                  std::to_string(client_version) + ", server speaks version " +
                                  std::to_string(reply.version));
    case HelloResult::kAuthRefused:
      return Status::PermissionDenied("rpc: the server refused authentication: " + reply.message);
    case HelloResult::kBadHello:
      return Status::InvalidArgument("rpc: the server refused the hello: " + reply.message);
  }
  return Status::Corruption("rpc: malformed handshake reply");
}

}  // namespace nokv::rpc
