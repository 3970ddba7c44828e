// S3Store against a scripted fake server: retries on 5xx and resets, no retry
// on 4xx, timeouts, the headers every request must carry, and that no
// credential leaks into an error. Hermetic (no RGW needed).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "fake_s3_server.h"
#include "object/s3_store.h"
#include "store_conformance.h"

namespace nokv::object {
namespace {

using testing::FakeS3Server;
using testing::Fault;

constexpr char kSecret[] = "fakeSecretKeyThatMustNeverLeak1234";

class S3FaultTest : public ::testing::Test {
 protected:
  std::unique_ptr<S3Store> Open(int max_retries = 3, int64_t request_timeout_ms = 10'000) {
    S3Options options;
    options.endpoint = server_.endpoint();
    options.bucket = "bkt";
    options.access_key_id = "FAKEACCESSKEY";
    options.secret_access_key = kSecret;
    options.max_retries = max_retries;
    options.retry_base_delay_ms = 1;
    options.retry_max_delay_ms = 5;
    options.request_timeout_ms = request_timeout_ms;
    options.connect_timeout_ms = 2000;
    options.multipart_threshold = uint64_t{64} << 20;
    return S3Store::Open(options).value();
  }

  FakeS3Server server_;
};

TEST_F(S3FaultTest, EveryRequestIsSignedAndCarriesAPayloadHash) {
  auto store = Open();
  ASSERT_TRUE(store->Put("dir/a b+c", "body").ok());
  ASSERT_TRUE(store->Get("dir/a b+c").ok());
  ASSERT_TRUE(store->Head("dir/a b+c").ok());
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].target, "/bkt/dir/a%20b%2Bc");
  for (const auto& r : requests) {
    ASSERT_TRUE(r.headers.contains("authorization")) << r.method;
    EXPECT_TRUE(
        r.headers.at("authorization").starts_with("AWS4-HMAC-SHA256 Credential=FAKEACCESSKEY/"));
    EXPECT_NE(r.headers.at("authorization").find("x-amz-content-sha256"), std::string::npos);
    ASSERT_TRUE(r.headers.contains("x-amz-content-sha256"));
    ASSERT_TRUE(r.headers.contains("x-amz-date"));
  }
  EXPECT_EQ(requests[0].headers.at("x-amz-content-sha256"), DigestHex(Sha256::Of("body")));
  EXPECT_EQ(requests[1].headers.at("x-amz-content-sha256"), std::string(kEmptyPayloadSha256));
}

TEST_F(S3FaultTest, ServerErrorsAreRetriedUntilSuccess) {
  auto store = Open(4);
  server_.InjectFaults({Fault::kStatus503, Fault::kStatus500, Fault::kStatus503});
  ASSERT_TRUE(store->Put("k", "value").ok());
  EXPECT_EQ(store->retries(), 3u);
  EXPECT_TRUE(server_.HasObject("/bkt/k"));
  server_.InjectFaults({Fault::kStatus503});
  EXPECT_EQ(store->Get("k").value(), "value");
}

TEST_F(S3FaultTest, ServerErrorsBeyondTheRetryBudgetAreReported) {
  auto store = Open(2);
  server_.InjectFaults({Fault::kStatus503, Fault::kStatus503, Fault::kStatus503});
  Status s = store->Put("k", "value");
  EXPECT_TRUE(s.Is(Code::kIOError)) << s.ToString();
  EXPECT_NE(s.message().find("SlowDown"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("3 attempts"), std::string::npos) << s.ToString();
}

TEST_F(S3FaultTest, TooManyRequestsIsRetriedWithBackoff) {
  auto store = Open(4);
  server_.InjectFaults({Fault::kStatus429, Fault::kStatus429});
  Status s = store->Put("k", "value");
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(store->retries(), 2u);
  EXPECT_TRUE(server_.HasObject("/bkt/k"));
  // Past the budget it is an IOError, not a client error.
  auto limited = Open(1);
  server_.InjectFaults({Fault::kStatus429, Fault::kStatus429});
  Status throttled = limited->Put("k2", "v");
  EXPECT_TRUE(throttled.Is(Code::kIOError)) << throttled.ToString();
}

// A store that uploads in 5 MiB parts, one request at a time (requests reach
// the fake server in a known order), with quick retries.
std::unique_ptr<S3Store> OpenMultipartStore(const std::string& endpoint) {
  S3Options options;
  options.endpoint = endpoint;
  options.bucket = "bkt";
  options.max_retries = 3;
  options.retry_base_delay_ms = 1;
  options.retry_max_delay_ms = 5;
  options.part_size = 5 << 20;
  options.multipart_threshold = 5 << 20;
  options.multipart_concurrency = 1;
  return S3Store::Open(options).value();
}

TEST_F(S3FaultTest, CompletionRetriedAfterALostResponseIsAccepted) {
  auto store = OpenMultipartStore(server_.endpoint());
  std::string body = testing::RandomBytes((10 << 20) + 1234, 21);  // three parts
  // initiate, part 1, part 2, part 3 go through; the completion happens but
  // its 200 is lost, so the retry finds no such upload.
  server_.InjectFaults(
      {Fault::kNone, Fault::kNone, Fault::kNone, Fault::kNone, Fault::kDropResponse});
  Status s = store->Put("big", body);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(store->Get("big").value(), body);
  auto head = store->Head("big");
  ASSERT_TRUE(head.ok());
  EXPECT_TRUE(head->etag.ends_with("-3\"")) << head->etag;
}

TEST_F(S3FaultTest, CompletionRetryThatFindsNoObjectStillFails) {
  auto store = OpenMultipartStore(server_.endpoint());
  std::string body = testing::RandomBytes((10 << 20) + 1234, 22);
  // The first completion fails (500), the retry is told the upload is gone
  // although nothing was completed: the put must fail, not trust the retry.
  server_.InjectFaults({Fault::kNone, Fault::kNone, Fault::kNone, Fault::kNone, Fault::kStatus500,
                        Fault::kNoSuchUpload});
  Status s = store->Put("big2", body);
  EXPECT_TRUE(s.Is(Code::kNotFound)) << s.ToString();
  EXPECT_NE(s.message().find("NoSuchUpload"), std::string::npos) << s.ToString();
  EXPECT_FALSE(server_.HasObject("/bkt/big2"));
}

TEST_F(S3FaultTest, HeadReportsTheLastModifiedTime) {
  auto store = Open();
  ASSERT_TRUE(store->Put("t", "v").ok());
  auto head = store->Head("t");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->last_modified_ns, int64_t{1255369800} * 1'000'000'000);  // 2009-10-12 17:50 UTC
}

TEST_F(S3FaultTest, ClientErrorsAreNeverRetried) {
  auto store = Open(5);
  server_.InjectFaults({Fault::kStatus403});
  Status s = store->Put("k", "value");
  EXPECT_TRUE(s.Is(Code::kPermissionDenied)) << s.ToString();
  EXPECT_NE(s.message().find("SignatureDoesNotMatch"), std::string::npos);
  EXPECT_EQ(store->retries(), 0u);
  EXPECT_EQ(server_.requests().size(), 1u);
  EXPECT_TRUE(store->Get("missing").status().Is(Code::kNotFound));
  EXPECT_EQ(store->retries(), 0u);
}

TEST_F(S3FaultTest, ConnectionResetMidUploadIsRetriedAndStoresTheWholeBody) {
  auto store = Open(3);
  std::string body = testing::RandomBytes(3 << 20, 9);  // large enough to be mid-flight
  server_.InjectFaults({Fault::kResetMidBody});
  Status s = store->Put("big", body);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_GE(store->retries(), 1u);
  EXPECT_EQ(store->Get("big").value(), body);
}

TEST_F(S3FaultTest, PersistentResetIsReportedAndLeavesNoObject) {
  auto store = Open(1);
  std::string body = testing::RandomBytes(2 << 20, 10);
  server_.InjectFaults({Fault::kResetMidBody, Fault::kResetMidBody});
  Status s = store->Put("big", body);
  EXPECT_TRUE(s.Is(Code::kIOError)) << s.ToString();
  EXPECT_FALSE(server_.HasObject("/bkt/big"));
  EXPECT_TRUE(store->Get("big").status().Is(Code::kNotFound));
}

TEST_F(S3FaultTest, ServerThatStopsAnsweringHitsTheTimeout) {
  auto store = Open(1, 500);
  server_.InjectFaults({Fault::kHang, Fault::kHang});
  auto start = std::chrono::steady_clock::now();
  auto got = store->Get("anything");
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(got.status().Is(Code::kTimedOut)) << got.status().ToString();
  EXPECT_NE(got.status().message().find("2 attempts"), std::string::npos);
  EXPECT_LT(elapsed, std::chrono::seconds(10));
}

TEST_F(S3FaultTest, UnreachableEndpointIsAnIOError) {
  S3Options options;
  server_.Stop();
  options.endpoint = server_.endpoint();  // nothing listens there any more
  options.bucket = "bkt";
  options.max_retries = 1;
  options.retry_base_delay_ms = 1;
  auto store = S3Store::Open(options).value();
  Status s = store->Put("k", "v");
  EXPECT_TRUE(s.Is(Code::kIOError)) << s.ToString();
}

TEST_F(S3FaultTest, CredentialsNeverAppearInErrors) {
  auto store = Open(0);
  server_.InjectFaults({Fault::kStatus403, Fault::kStatus500, Fault::kHang});
  std::vector<std::string> messages = {store->Put("k", "v").ToString(),
                                       store->Get("k").status().ToString()};
  for (const auto& m : messages) {
    EXPECT_EQ(m.find(kSecret), std::string::npos) << m;
  }
  EXPECT_EQ(store->options().ToString().find(kSecret), std::string::npos);
  EXPECT_EQ(store->options().ToString().find("FAKEACCESSKEY"), std::string::npos);
}

TEST(S3OptionsTest, FlagsAndEnvironmentAreParsed) {
  ::setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "SECRET", 1);
  ::setenv("AWS_REGION", "eu-west-3", 1);
  ::setenv("AWS_ENDPOINT_URL", "http://localhost:9000", 1);
  S3Options options = S3Options::FromEnvironment();
  EXPECT_EQ(options.access_key_id, "AKID");
  EXPECT_EQ(options.secret_access_key, "SECRET");
  EXPECT_EQ(options.region, "eu-west-3");
  EXPECT_EQ(options.endpoint, "http://localhost:9000");
  EXPECT_TRUE(options.Validate().Is(Code::kInvalidArgument));  // no bucket yet
  ASSERT_TRUE(options.ApplyFlag("--s3-bucket", "b").ok());
  ASSERT_TRUE(options.ApplyFlag("addressing", "virtual").ok());
  ASSERT_TRUE(options.ApplyFlag("--s3-max-retries", "7").ok());
  EXPECT_FALSE(options.path_style);
  EXPECT_EQ(options.max_retries, 7);
  EXPECT_TRUE(options.Validate().ok());
  EXPECT_TRUE(options.ApplyFlag("--s3-max-retries", "x").Is(Code::kInvalidArgument));
  EXPECT_TRUE(options.ApplyFlag("--s3-colour", "red").Is(Code::kInvalidArgument));
  EXPECT_TRUE(options.ApplyFlag("part-size", "1024").ok());
  EXPECT_TRUE(options.Validate().Is(Code::kInvalidArgument));  // below 5 MiB
  for (const char* v :
       {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ENDPOINT_URL"}) {
    ::unsetenv(v);
  }
}

}  // namespace
}  // namespace nokv::object
