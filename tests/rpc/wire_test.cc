// Frame, handshake, address, payload and token coding: everything that is a
// pure function of bytes.
#include "rpc/wire.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "common/coding.h"
#include "rpc/address.h"
#include "rpc/auth.h"
#include "rpc/payload.h"
#include "test_dir.h"

namespace nokv::rpc {
namespace {

std::string Encode(const Frame& frame) {
  std::string out;
  EXPECT_TRUE(EncodeFrame(frame, &out).ok());
  return out;
}

Frame RequestFrame(uint64_t id, std::string method, std::string payload) {
  Frame f;
  f.kind = FrameKind::kRequest;
  f.request_id = id;
  f.method = std::move(method);
  f.payload = std::move(payload);
  return f;
}

TEST(FrameTest, RequestAndResponseRoundTripByteByByte) {
  Frame response;
  response.kind = FrameKind::kResponse;
  response.request_id = 1ull << 40;
  response.status = Status(Code::kAborted, "moved", Reason::kStaleRead);
  response.payload = std::string("\0\1binary", 8);
  std::string bytes = Encode(RequestFrame(7, "meta.Lookup", "abc")) + Encode(response);
  FrameDecoder decoder;
  for (char c : bytes) ASSERT_TRUE(decoder.Feed(std::string_view(&c, 1)).ok());
  auto first = decoder.Next();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->kind, FrameKind::kRequest);
  EXPECT_EQ((*first)->request_id, 7u);
  EXPECT_EQ((*first)->method, "meta.Lookup");
  EXPECT_EQ((*first)->payload, "abc");
  auto second = decoder.Next();
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->request_id, 1ull << 40);
  EXPECT_EQ((*second)->status, response.status);
  EXPECT_EQ((*second)->payload, response.payload);
  auto none = decoder.Next();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_TRUE(decoder.at_boundary());
}

TEST(FrameTest, EveryCodeAndReasonRoundTrips) {
  for (int code = 0; code <= static_cast<int>(Code::kUnavailable); ++code) {
    for (int reason = 0; reason <= static_cast<int>(Reason::kSymlinkLoop); ++reason) {
      Status status(static_cast<Code>(code), "m", static_cast<Reason>(reason));
      Status back = StatusFromWire(StatusToWire(status));
      if (static_cast<Reason>(reason) == Reason::kNotSent && code != 0) {
        // Only the sender knows whether its request left; a peer cannot say.
        EXPECT_EQ(back, Status(static_cast<Code>(code), "m")) << code;
        continue;
      }
      EXPECT_EQ(back, status) << code << "/" << reason;
    }
  }
  EXPECT_EQ(CodeName(Code::kUnavailable), "unavailable");
  EXPECT_EQ(ReasonName(Reason::kSymlinkLoop), "symlink_loop");
}

TEST(FrameTest, UnknownCodeFromANewerPeerIsAnIOErrorNamingIt) {
  WireStatus wire{200, 250, "later"};
  Status s = StatusFromWire(wire);
  EXPECT_EQ(s.code(), Code::kIOError);
  EXPECT_EQ(s.reason(), Reason::kNone);
  EXPECT_NE(s.message().find("200"), std::string_view::npos);
}

TEST(FrameTest, TruncatedFrameWaitsForTheRest) {
  std::string bytes = Encode(RequestFrame(3, "m", "payload"));
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.Feed(bytes.substr(0, bytes.size() - 1)).ok());
  auto partial = decoder.Next();
  ASSERT_TRUE(partial.ok());
  EXPECT_FALSE(partial->has_value());
  EXPECT_FALSE(decoder.at_boundary());
  ASSERT_TRUE(decoder.Feed(bytes.substr(bytes.size() - 1)).ok());
  auto whole = decoder.Next();
  ASSERT_TRUE(whole.ok() && whole->has_value());
  EXPECT_EQ((*whole)->payload, "payload");
}

TEST(FrameTest, OversizedFrameIsRefusedOnItsLengthFieldAlone) {
  FrameDecoder decoder(1024);
  std::string length_only("\x00\x00\x04\x00", 4);  // 1024 + 4 bytes: one too many
  Status s = decoder.Feed(length_only);
  EXPECT_EQ(s.code(), Code::kTooLarge);
  EXPECT_EQ(decoder.Next().status().code(), Code::kTooLarge);  // sticky
  FrameDecoder big;
  EXPECT_EQ(big.Feed(std::string("\xff\xff\xff\xff", 4)).code(), Code::kTooLarge);
}

TEST(FrameTest, FrameAtTheCapIsAccepted) {
  std::string bytes = Encode(RequestFrame(1, "m", std::string(100, 'x')));
  FrameDecoder decoder(static_cast<uint32_t>(bytes.size()));
  ASSERT_TRUE(decoder.Feed(bytes).ok());
  auto f = decoder.Next();
  ASSERT_TRUE(f.ok() && f->has_value());
}

TEST(FrameTest, GarbageIsCorruption) {
  struct Case {
    const char* name;
    std::string bytes;
  };
  std::string method_overrun = Encode(RequestFrame(1, "abc", ""));
  method_overrun[kFrameHeaderBytes] = 10;  // method longer than the frame
  std::string bad_kind = Encode(RequestFrame(1, "m", ""));
  bad_kind[12] = 9;
  std::string bad_flags = Encode(RequestFrame(1, "m", ""));
  bad_flags[13] = 1;
  Frame cancel;
  cancel.kind = FrameKind::kCancel;
  std::string cancel_with_body = Encode(cancel) + "x";
  cancel_with_body[3] = static_cast<char>(cancel_with_body[3] + 1);
  std::vector<Case> cases = {
      {"short length", std::string("\x00\x00\x00\x03garbage...", 14)},
      {"method overrun", method_overrun},
      {"unknown kind", bad_kind},
      {"reserved flags", bad_flags},
      {"cancel with body", cancel_with_body},
  };
  for (const Case& c : cases) {
    FrameDecoder decoder;
    Status fed = decoder.Feed(c.bytes);
    Status status = fed.ok() ? decoder.Next().status() : fed;
    EXPECT_EQ(status.code(), Code::kCorruption) << c.name;
  }
}

TEST(FrameTest, LongMethodNameIsRefusedWhenEncoding) {
  std::string out;
  EXPECT_EQ(EncodeFrame(RequestFrame(1, std::string(256, 'm'), ""), &out).code(),
            Code::kInvalidArgument);
}

TEST(HandshakeTest, HelloAndReplyRoundTrip) {
  Hello hello;
  hello.token = "tok";
  std::string bytes = EncodeHello(hello) + "rest";
  Hello parsed;
  for (size_t n = 0; n < bytes.size() - 4; ++n) {
    auto partial = ParseHello(std::string_view(bytes).substr(0, n), &parsed);
    ASSERT_TRUE(partial.ok());
    EXPECT_EQ(*partial, 0u);
  }
  auto used = ParseHello(bytes, &parsed);
  ASSERT_TRUE(used.ok());
  EXPECT_EQ(*used, bytes.size() - 4);
  EXPECT_EQ(parsed.token, "tok");
  EXPECT_EQ(parsed.version, kProtocolVersion);

  HelloReply reply;
  reply.result = HelloResult::kAuthRefused;
  reply.max_frame_bytes = 4096;
  reply.message = "no";
  std::string reply_bytes = EncodeHelloReply(reply);
  HelloReply back;
  auto reply_used = ParseHelloReply(reply_bytes, &back);
  ASSERT_TRUE(reply_used.ok());
  EXPECT_EQ(*reply_used, reply_bytes.size());
  EXPECT_EQ(back.result, HelloResult::kAuthRefused);
  EXPECT_EQ(back.max_frame_bytes, 4096u);
  EXPECT_EQ(HelloReplyStatus(back).code(), Code::kPermissionDenied);
}

TEST(HandshakeTest, WrongMagicIsRefusedAsSoonAsItDiffers) {
  Hello parsed;
  EXPECT_EQ(ParseHello("GET / HTTP/1.1\r\n", &parsed).status().code(), Code::kCorruption);
  EXPECT_EQ(ParseHello("NOKVX", &parsed).status().code(), Code::kCorruption);
  HelloReply reply;
  EXPECT_EQ(ParseHelloReply("SSH-2.0-OpenSSH", &reply).status().code(), Code::kCorruption);
}

TEST(HandshakeTest, VersionMismatchNamesBothVersions) {
  HelloReply reply;
  reply.result = HelloResult::kVersionMismatch;
  reply.version = 1;
  Status s = HelloReplyStatus(reply, 7);
  EXPECT_EQ(s.code(), Code::kNotSupported);
  EXPECT_NE(s.message().find("client speaks version 7"), std::string_view::npos);
  EXPECT_NE(s.message().find("server speaks version 1"), std::string_view::npos);
}

TEST(HandshakeTest, OverlongTokenIsRefused) {
  Hello hello;
  hello.token = std::string(kMaxTokenBytes + 1, 't');
  Hello parsed;
  EXPECT_EQ(ParseHello(EncodeHello(hello), &parsed).status().code(), Code::kCorruption);
}

TEST(AddressTest, ParsesEveryForm) {
  struct Case {
    std::string text;
    Transport transport;
    std::string host_or_path;
    uint16_t port;
    std::string printed;
  };
  std::vector<Case> cases = {
      {"unix:/run/nokv.sock", Transport::kUnix, "/run/nokv.sock", 0, "unix:/run/nokv.sock"},
      {"unix:rel.sock", Transport::kUnix, "rel.sock", 0, "unix:rel.sock"},
      {"/data/.nokv/server.sock", Transport::kUnix, "/data/.nokv/server.sock", 0,
       "unix:/data/.nokv/server.sock"},
      {"127.0.0.1:7000", Transport::kTcp, "127.0.0.1", 7000, "127.0.0.1:7000"},
      {"localhost:0", Transport::kTcp, "localhost", 0, "localhost:0"},
      {"tcp:example.org:65535", Transport::kTcp, "example.org", 65535, "example.org:65535"},
      {"[::1]:9", Transport::kTcp, "::1", 9, "[::1]:9"},
  };
  for (const Case& c : cases) {
    auto a = ParseAddress(c.text);
    ASSERT_TRUE(a.ok()) << c.text << ": " << a.status().ToString();
    EXPECT_EQ(a->transport, c.transport) << c.text;
    EXPECT_EQ(c.transport == Transport::kUnix ? a->path : a->host, c.host_or_path);
    EXPECT_EQ(a->port, c.port);
    EXPECT_EQ(a->ToString(), c.printed);
  }
  for (const std::string& bad :
       std::vector<std::string>{"", "unix:", "host", ":80", "host:", "host:65536", "host:8x",
                                "::1:80", "/" + std::string(200, 'p')}) {
    EXPECT_EQ(ParseAddress(bad).status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(PayloadTest, RoundTripsThroughMessagePack) {
  nlohmann::json value = {{"path", "/a/b"}, {"size", 12345}, {"tags", {1, 2.5, nullptr, true}}};
  auto back = DecodePayload(EncodePayload(value));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, value);
  auto empty = DecodePayload("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->is_null());
}

TEST(PayloadTest, DeepNestingIsRefusedBeforeTheRecursiveDecoder) {
  std::string deep(100000, '\x91');  // arrays of one array of one array ...
  deep.push_back('\x01');
  EXPECT_EQ(DecodePayload(deep).status().code(), Code::kTooLarge);
  PayloadLimits limits;
  limits.max_depth = 3;
  EXPECT_TRUE(DecodePayload("\x91\x91\x91\x01", limits).ok());
  EXPECT_EQ(DecodePayload("\x91\x91\x91\x91\x01", limits).status().code(), Code::kTooLarge);
}

TEST(PayloadTest, DeclaredLengthsPastTheEndAreRefused) {
  // array32 of 2^32-1 elements, str32 and bin32 of 4 GiB, with nothing after.
  for (const std::string& bad : std::vector<std::string>{
           std::string("\xdd\xff\xff\xff\xff\x01", 6), std::string("\xdb\xff\xff\xff\xff", 5),
           std::string("\xc6\xff\xff\xff\xff", 5), std::string("\xcb\x00", 2),
           std::string("\xc1", 1), std::string("\x01\x02", 2)}) {
    EXPECT_EQ(DecodePayload(bad).status().code(), Code::kInvalidArgument) << HexEncode(bad);
  }
}

TEST(PayloadTest, ElementAndByteCapsApply) {
  PayloadLimits limits;
  limits.max_elements = 10;
  nlohmann::json eleven = nlohmann::json::array();
  for (int i = 0; i < 11; ++i) eleven.push_back(i);
  EXPECT_EQ(DecodePayload(EncodePayload(eleven), limits).status().code(), Code::kTooLarge);
  limits = PayloadLimits();
  limits.max_bytes = 4;
  EXPECT_EQ(DecodePayload(EncodePayload("hello world"), limits).status().code(), Code::kTooLarge);
}

TEST(PayloadTest, NonStringMapKeyIsInvalidArgumentNotAnException) {
  EXPECT_EQ(DecodePayload(std::string("\x81\x01\x02", 3)).status().code(), Code::kInvalidArgument);
}

TEST(AuthTest, TokensEqualComparesContents) {
  EXPECT_TRUE(TokensEqual("secret", "secret"));
  EXPECT_FALSE(TokensEqual("secret", "secreT"));
  EXPECT_FALSE(TokensEqual("secret", "secret2"));
  EXPECT_FALSE(TokensEqual("", "x"));
}

TEST(AuthTest, TokenFileMustBePrivate) {
  testing::TempDir dir;
  std::string path = dir.Sub("token");
  std::ofstream(path) << "t0p-s3cret\n";
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto refused = LoadTokenFromFile(path);
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied);
  EXPECT_NE(refused.status().message().find("chmod 600"), std::string_view::npos);
  EXPECT_EQ(refused.status().message().find("t0p-s3cret"), std::string_view::npos);
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  auto token = LoadTokenFromFile(path);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(*token, "t0p-s3cret");
  EXPECT_EQ(LoadTokenFromFile(dir.Sub("missing")).status().code(), Code::kNotFound);
  std::ofstream(dir.Sub("empty")) << "\n";
  ASSERT_EQ(::chmod(dir.Sub("empty").c_str(), 0600), 0);
  EXPECT_EQ(LoadTokenFromFile(dir.Sub("empty")).status().code(), Code::kInvalidArgument);
}

TEST(AuthTest, TokenFromEnvironment) {
  ::setenv("NOKV_RPC_TEST_TOKEN", "from-env", 1);
  auto token = LoadTokenFromEnv("NOKV_RPC_TEST_TOKEN");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, "from-env");
  ::unsetenv("NOKV_RPC_TEST_TOKEN");
  auto missing = LoadTokenFromEnv("NOKV_RPC_TEST_TOKEN");
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
}

TEST(AddressTest, LoopbackIsWhatANameResolvesTo) {
  EXPECT_TRUE(HostIsLoopback("127.0.0.1"));
  EXPECT_TRUE(HostIsLoopback("127.8.9.10"));
  EXPECT_TRUE(HostIsLoopback("::1"));
  EXPECT_TRUE(HostIsLoopback("localhost"));
  EXPECT_FALSE(HostIsLoopback("0.0.0.0"));
  EXPECT_FALSE(HostIsLoopback("10.1.2.3"));
  EXPECT_FALSE(HostIsLoopback("::"));
  // Spelt like loopback, but a name that resolves elsewhere (or not at all).
  EXPECT_FALSE(HostIsLoopback("127.0.0.1.nip.invalid"));
  EXPECT_FALSE(HostIsLoopback(""));
}

}  // namespace
}  // namespace nokv::rpc
