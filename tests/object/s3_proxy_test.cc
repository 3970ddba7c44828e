// Faults between S3Store and a real RGW, injected by a TCP proxy: connections
// reset mid-upload (single and multipart), and a server that stops answering.
// RGW must never end up with a partial object, and a failed multipart upload
// must be aborted.
#include <gtest/gtest.h>

#include <chrono>

#include "fault_proxy.h"
#include "rgw_env.h"
#include "store_conformance.h"

namespace nokv::object::testing {
namespace {

int PortOf(const std::string& endpoint) {
  return std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
}

class RgwProxyTest : public RgwTest {
 protected:
  void SetUp() override {
    RgwTest::SetUp();
    proxy_ = std::make_unique<FaultProxy>(PortOf(options_.endpoint));
  }
  // A store that reaches RGW through the proxy, with the same key prefix.
  std::unique_ptr<S3Store> ThroughProxy(int max_retries) {
    S3Options options = options_;
    options.endpoint = "http://127.0.0.1:" + std::to_string(proxy_->port());
    options.max_retries = max_retries;
    options.retry_base_delay_ms = 10;
    options.multipart_threshold = 5 << 20;
    options.part_size = 5 << 20;
    options.multipart_concurrency = 1;
    return OpenRgw(options);
  }
  std::unique_ptr<FaultProxy> proxy_;
};

TEST_F(RgwProxyTest, ResetMidUploadIsRetriedAndTheWholeBodyLands) {
  auto store = ThroughProxy(3);
  std::string body = RandomBytes(3 << 20, 21);
  proxy_->ResetUploads(1, 1 << 20);
  Status s = store->Put("reset/once", body);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(proxy_->resets(), 1);
  EXPECT_GE(store->retries(), 1u);
  EXPECT_EQ(store_->Get("reset/once").value(), body);  // read directly from RGW
}

TEST_F(RgwProxyTest, PersistentResetFailsAndRgwKeepsThePreviousObject) {
  ASSERT_TRUE(store_->Put("reset/always", "previous version").ok());
  auto store = ThroughProxy(2);
  proxy_->ResetUploads(100, 1 << 20);
  Status s = store->Put("reset/always", RandomBytes(3 << 20, 22));
  EXPECT_TRUE(s.Is(Code::kIOError)) << s.ToString();
  EXPECT_EQ(proxy_->resets(), 3);  // the first attempt and two retries
  EXPECT_EQ(store_->Get("reset/always").value(), "previous version");
  Status fresh = store->Put("reset/new", RandomBytes(3 << 20, 23));
  EXPECT_FALSE(fresh.ok());
  EXPECT_TRUE(store_->Head("reset/new").status().Is(Code::kNotFound));
}

TEST_F(RgwProxyTest, ResetDuringAMultipartPartIsRetried) {
  auto store = ThroughProxy(3);
  std::string body = RandomBytes((11 << 20) + 5, 24);
  proxy_->ResetUploads(1, 3 << 20);  // inside the first part
  Status s = store->Put("reset/multi", body);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(proxy_->resets(), 1);
  EXPECT_EQ(store_->Get("reset/multi").value(), body);
}

TEST_F(RgwProxyTest, FailedMultipartUploadIsAbortedAndLeavesNothing) {
  auto store = ThroughProxy(1);
  proxy_->ResetUploads(1000, 2 << 20);  // every part upload dies
  Status s = store->Put("reset/multi-fail", RandomBytes(12 << 20, 25));
  EXPECT_TRUE(s.Is(Code::kIOError)) << s.ToString();
  EXPECT_TRUE(store_->Head("reset/multi-fail").status().Is(Code::kNotFound));
  ASSERT_EQ(Aws("s3api list-multipart-uploads --bucket " + options_.bucket + " --prefix " +
                Quote(options_.key_prefix) + " --output json"),
            0)
      << AwsError();
  EXPECT_EQ(AwsOutput().find("UploadId"), std::string::npos) << AwsOutput();
}

TEST_F(RgwProxyTest, ServerThatStopsAnsweringHitsTheTimeout) {
  S3Options options = options_;
  options.endpoint = "http://127.0.0.1:" + std::to_string(proxy_->port());
  options.max_retries = 1;
  options.retry_base_delay_ms = 10;
  options.request_timeout_ms = 700;
  auto store = OpenRgw(options);
  ASSERT_TRUE(store->Put("stall/k", "v").ok());
  proxy_->Blackhole(true);
  auto start = std::chrono::steady_clock::now();
  auto got = store->Get("stall/k");
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(got.status().Is(Code::kTimedOut)) << got.status().ToString();
  EXPECT_LT(elapsed, std::chrono::seconds(10));
  proxy_->Blackhole(false);
  EXPECT_EQ(store->Get("stall/k").value(), "v");  // and it recovers
}

}  // namespace
}  // namespace nokv::object::testing
