// libFuzzer target for everything the RPC transport decodes from a peer: the
// frame stream, the client hello, the server's reply and MessagePack
// payloads, including the direct readers of the hot metadata values
// (server/fast_codec.h) on the same payload bytes. The first input byte picks
// the decoder (low two bits) and the chunk size frames are fed in (the rest). Beyond "no crash, no
// sanitizer report", each decoder must round-trip what it accepted.
//
// Built two ways (tests/fuzz/CMakeLists.txt): as rpc_fuzz with libFuzzer
// (scripts/fuzz.sh rpc) and into rpc_fuzz_replay_test, which replays
// tests/fuzz/corpus/rpc plus deterministic mutations through the same function.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "rpc/msgpack.h"
#include "rpc/payload.h"
#include "rpc/wire.h"
#include "server/fast_codec.h"

namespace nokv::rpc {
namespace {

using fuzz::Require;

constexpr uint32_t kFuzzMaxFrame = 1 << 20;

void FuzzFrames(std::string_view in, size_t chunk) {
  FrameDecoder decoder(kFuzzMaxFrame);
  size_t pos = 0;
  while (pos < in.size()) {
    std::string_view piece = in.substr(pos, chunk);
    pos += piece.size();
    if (!decoder.Feed(piece).ok()) return;
    while (true) {
      Result<std::optional<Frame>> next = decoder.Next();
      if (!next.ok()) return;
      if (!next->has_value()) break;
      const Frame& frame = **next;
      if (frame.status.message().size() > kMaxStatusMessageBytes) continue;
      std::string again;
      Require(EncodeFrame(frame, &again).ok(), "a decoded frame encodes");
      FrameDecoder second(kFuzzMaxFrame);
      Require(second.Feed(again).ok(), "a re-encoded frame feeds");
      Result<std::optional<Frame>> back = second.Next();
      Require(back.ok() && back->has_value(), "a re-encoded frame decodes");
      Require((*back)->kind == frame.kind && (*back)->request_id == frame.request_id &&
                  (*back)->method == frame.method && (*back)->payload == frame.payload,
              "frame fields round-trip");
      if (frame.status.code() != Code::kIOError) {
        Require((*back)->status == frame.status, "frame status round-trips");
      }
    }
  }
}

// A value the direct reader `read` accepted re-encodes (with `write`) to
// valid MessagePack that reads back to the same encoding.
template <typename T>
void FuzzDirect(std::string_view in, bool (*read)(MsgReader&, T*),
                void (*write)(MsgWriter&, const T&)) {
  T value;
  if (!server::ReadWhole(in, read, &value)) return;
  std::string once;
  MsgWriter w(&once);
  write(w, value);
  Require(ValidatePayload(once).ok(), "a directly written value is valid MessagePack");
  T back;
  Require(server::ReadWhole(once, read, &back), "a directly written value reads back");
  std::string twice;
  MsgWriter w2(&twice);
  write(w2, back);
  Require(once == twice, "a direct value round-trips");
}

void FuzzDirectReaders(std::string_view in) {
  FuzzDirect(in, server::ReadAttr, server::WriteAttr);
  FuzzDirect(in, server::ReadDirEntry, server::WriteDirEntry);
  FuzzDirect(in, server::ReadDirPage, server::WriteDirPage);
  FuzzDirect(in, server::ReadOpenedFile, server::WriteOpenedFile);
  FuzzDirect(in, server::ReadReadAt, server::WriteReadAt);
  FuzzDirect(in, server::ReadNodeOptions, server::WriteNodeOptions);
  FuzzDirect(in, server::ReadPublishRequest, server::WritePublishRequest);
  MsgReader skip(in);
  if (std::string_view raw; skip.Skip(&raw)) Require(raw.size() <= in.size(), "skip in bounds");
}

void FuzzPayload(std::string_view in) {
  FuzzDirectReaders(in);
  PayloadLimits limits;
  limits.max_depth = 32;
  limits.max_elements = 4096;
  Result<nlohmann::json> value = DecodePayload(in, limits);
  if (!value.ok()) return;
  std::string again = EncodePayload(*value);
  Require(DecodePayload(again, limits).ok() || again.size() > in.size(),
          "a decoded payload re-encodes to something decodable");
}

void FuzzHello(std::string_view in) {
  Hello hello;
  Result<size_t> used = ParseHello(in, &hello);
  if (!used.ok() || *used == 0) return;
  Require(*used <= in.size(), "hello length within input");
  Hello back;
  std::string again = EncodeHello(hello);
  Result<size_t> used_again = ParseHello(again, &back);
  Require(used_again.ok() && *used_again == again.size() && back.token == hello.token &&
              back.version == hello.version,
          "hello round-trips");
}

void FuzzHelloReply(std::string_view in) {
  HelloReply reply;
  Result<size_t> used = ParseHelloReply(in, &reply);
  if (!used.ok() || *used == 0) return;
  Require(*used <= in.size(), "reply length within input");
  HelloReply back;
  std::string again = EncodeHelloReply(reply);
  Result<size_t> used_again = ParseHelloReply(again, &back);
  Require(used_again.ok() && *used_again == again.size() && back.message == reply.message &&
              back.result == reply.result && back.max_frame_bytes == reply.max_frame_bytes,
          "hello reply round-trips");
  (void)HelloReplyStatus(back);
}

}  // namespace
}  // namespace nokv::rpc

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in = nokv::fuzz::Rest(data, size);
  switch (data[0] & 3) {
    case 0:
      nokv::rpc::FuzzFrames(in, (data[0] >> 2) + 1);
      break;
    case 1:
      nokv::rpc::FuzzPayload(in);
      break;
    case 2:
      nokv::rpc::FuzzHello(in);
      break;
    default:
      nokv::rpc::FuzzHelloReply(in);
      break;
  }
  return 0;
}
