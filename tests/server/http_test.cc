// The HTTP control plane over a real socket (cpp-httplib client): probes,
// stats, Prometheus metrics that count real RPC calls, and maintenance
// endpoints that need the token and never show it.
#include <gtest/gtest.h>
#include <httplib.h>

#include "memory_fs.h"
#include "server/http_control.h"
#include "server/remote_metadata.h"
#include "test_dir.h"

namespace nokv::server {
namespace {

constexpr char kToken[] = "s3cret-token-for-tests";

class HttpControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = OpenMemoryFs(dir_.path());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    fs_ = std::move(opened).value();
    methods_ = std::make_unique<MetadataMethods>(fs_->metadata());
    rpc_ = std::make_unique<rpc::Server>(rpc::ServerOptions{}, MetadataHandler(methods_.get()));
    auto address = rpc_->Listen("unix:" + dir_.path() + "/t.sock");
    ASSERT_TRUE(address.ok()) << address.status().ToString();
    ASSERT_TRUE(rpc_->Start().ok());
    address_ = address->ToString();
    http_ = std::make_unique<HttpControl>(fs_->metadata(), methods_.get(), rpc_.get(), kToken);
    auto port = http_->Listen("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    http_->Start();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", *port);
  }
  void TearDown() override {
    http_.reset();
    rpc_.reset();
  }

  nokv::testing::TempDir dir_;
  std::unique_ptr<fs::Filesystem> fs_;
  std::unique_ptr<MetadataMethods> methods_;
  std::unique_ptr<rpc::Server> rpc_;
  std::string address_;
  std::unique_ptr<HttpControl> http_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpControlTest, ProbesAnswer) {
  auto health = client_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto ready = client_->Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(client_->Get("/nothing-here")->status, 404);
}

TEST_F(HttpControlTest, StatsAndMetricsCountRealCalls) {
  auto remote = RemoteMetadata::Connect(address_);
  ASSERT_TRUE(remote.ok()) << remote.status().ToString();
  ASSERT_TRUE((*remote)->Mkdir("/a", {}).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*remote)->Stat("/a", {}).ok());
  EXPECT_EQ((*remote)->Stat("/missing", {}).status().code(), Code::kNotFound);

  auto stats = client_->Get("/stats");
  ASSERT_TRUE(stats);
  ASSERT_EQ(stats->status, 200);
  Json doc = Json::parse(stats->body);
  EXPECT_EQ(doc["methods"]["meta.stat"]["calls"], 4);
  EXPECT_EQ(doc["methods"]["meta.stat"]["errors"], 1);
  EXPECT_EQ(doc["methods"]["meta.mkdir"]["calls"], 1);
  EXPECT_GE(doc["rpc"]["connections_open"].get<uint64_t>(), 1u);
  EXPECT_EQ(doc["namespace"]["directories"], fs_->Totals()->directories);

  auto metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  ASSERT_EQ(metrics->status, 200);
  const std::string& text = metrics->body;
  EXPECT_NE(text.find("nokv_rpc_requests_total{method=\"meta.stat\",outcome=\"ok\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("nokv_rpc_requests_total{method=\"meta.stat\",outcome=\"error\"} 1\n"),
            std::string::npos);
  EXPECT_NE(
      text.find("nokv_rpc_request_duration_seconds_bucket{method=\"meta.stat\",le=\"+Inf\"} 4\n"),
      std::string::npos);
  EXPECT_NE(text.find("nokv_rpc_request_duration_seconds_count{method=\"meta.stat\"} 4\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE nokv_commit_sequence gauge"), std::string::npos);
  // Unused methods stay out; the token never appears.
  EXPECT_EQ(text.find("meta.reindex"), std::string::npos);
  EXPECT_EQ(text.find(kToken), std::string::npos);
  EXPECT_EQ(stats->body.find(kToken), std::string::npos);
}

TEST_F(HttpControlTest, MaintenanceNeedsTheTokenAndPost) {
  auto anonymous = client_->Post("/gc");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(anonymous->body.find(kToken), std::string::npos);
  httplib::Headers wrong = {{"Authorization", "Bearer not-it"}};
  EXPECT_EQ(client_->Post("/gc", wrong, "", "text/plain")->status, 401);
  EXPECT_EQ(client_->Get("/gc")->status, 404);  // only POST runs it

  httplib::Headers right = {{"Authorization", std::string("Bearer ") + kToken}};
  auto gc = client_->Post("/gc", right, "", "text/plain");
  ASSERT_TRUE(gc);
  ASSERT_EQ(gc->status, 200) << gc->body;
  EXPECT_TRUE(Json::parse(gc->body).contains("blocks_deleted"));
  auto checkpoint = client_->Post("/checkpoint", right, "", "text/plain");
  ASSERT_TRUE(checkpoint);
  EXPECT_EQ(checkpoint->status, 200) << checkpoint->body;
  auto after = fs_->metadata()->Stats();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->checkpoint_seq, after->visible_seq);
}

TEST(HttpControlListenTest, OffLoopbackNeedsAToken) {
  HttpControl http(nullptr, nullptr, nullptr, "");
  EXPECT_EQ(http.Listen("0.0.0.0", 0).status().code(), Code::kPermissionDenied);
}

}  // namespace
}  // namespace nokv::server
