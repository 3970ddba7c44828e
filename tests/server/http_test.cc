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
    MaintenanceOptions jobs;
    jobs.checkpoint_interval = std::chrono::milliseconds(0);
    maintenance_ = std::make_unique<Maintenance>(fs_->metadata(), jobs);  // run by hand
    http_ = std::make_unique<HttpControl>(fs_->metadata(), methods_.get(), rpc_.get(), kToken);
    http_->SetObjectStore(fs_->store());
    http_->SetMaintenance(maintenance_.get());
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
  std::unique_ptr<Maintenance> maintenance_;
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

// The value of the sample `series` (name with its labels) in Prometheus
// text, or -1 when absent.
double SampleValue(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

TEST_F(HttpControlTest, MetricsShowTheStoreTheEngineAndTheBackgroundJobs) {
  constexpr size_t kBytes = 5000;
  {
    auto writer = fs_->OpenWriter("/model.bin", {});
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(std::string(kBytes, 'm')).ok());
    ASSERT_TRUE((*writer)->Commit().ok());
  }
  ASSERT_TRUE(fs_->Remove("/model.bin", false).ok());
  maintenance_->RunOnce();
  ASSERT_TRUE(fs_->metadata()->Checkpoint().ok());

  auto metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  ASSERT_EQ(metrics->status, 200);
  const std::string& text = metrics->body;
  EXPECT_GT(SampleValue(text, "nokv_object_store_requests_total{op=\"put\"}"), 0) << text;
  EXPECT_GE(SampleValue(text, "nokv_object_store_bytes_total{op=\"put\"}"), double{kBytes});
  EXPECT_GT(SampleValue(text, "nokv_object_store_requests_total{op=\"delete\"}"), 0);
  EXPECT_EQ(SampleValue(text, "nokv_object_store_errors_total{op=\"put\"}"), 0);
  EXPECT_GT(SampleValue(text, "nokv_commit_latency_seconds_count"), 0);
  EXPECT_GT(SampleValue(text, "nokv_commit_latency_seconds{quantile=\"0.99\"}"), 0);
  EXPECT_GE(SampleValue(text, "nokv_wal_segments"), 1);
  EXPECT_EQ(SampleValue(text, "nokv_wal_since_checkpoint_bytes"), 0);  // just checkpointed
  EXPECT_GE(SampleValue(text, "nokv_checkpoints_total"), 1);
  EXPECT_GE(SampleValue(text, "nokv_checkpoint_age_seconds"), 0);
  EXPECT_EQ(SampleValue(text, "nokv_maintenance_runs_total{job=\"gc\"}"), 1);
  EXPECT_EQ(SampleValue(text, "nokv_maintenance_runs_total{job=\"retention\"}"), 1);
  EXPECT_EQ(SampleValue(text, "nokv_maintenance_failures_total{job=\"gc\"}"), 0);
  EXPECT_GT(SampleValue(text, "nokv_gc_collected_total{what=\"blocks\"}"), 0);
  EXPECT_GE(SampleValue(text, "nokv_rpc_connections_total"), 0);
  EXPECT_NE(text.find("# TYPE nokv_commit_latency_seconds summary"), std::string::npos);
  EXPECT_EQ(text.find("nokv_hot_tier_hits_total"), std::string::npos);  // not a tiered store
  EXPECT_EQ(text.find(kToken), std::string::npos);

  auto stats = client_->Get("/stats");
  ASSERT_TRUE(stats);
  Json doc = Json::parse(stats->body);
  EXPECT_GT(doc["object_store"]["ops"]["put"]["requests"].get<uint64_t>(), 0u);
  EXPECT_EQ(doc["maintenance"]["gc"]["runs"], 1);
  EXPECT_GT(doc["maintenance"]["gc"]["last_report"]["blocks_deleted"].get<uint64_t>(), 0u);
  EXPECT_GT(doc["metadata"]["commit_latency"]["count"].get<uint64_t>(), 0u);
  EXPECT_TRUE(doc["metadata"].contains("checkpoint_age_seconds"));
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
  // Judged by what a name resolves to, not by how it is spelt.
  EXPECT_EQ(http.Listen("127.0.0.1.nip.invalid", 0).status().code(), Code::kPermissionDenied);
  auto loopback = http.Listen("localhost", 0);
  EXPECT_TRUE(loopback.ok()) << loopback.status().ToString();
}

}  // namespace
}  // namespace nokv::server
