// Watch long polls over a real Unix socket wait in the WatchHub, not on a
// worker: with one worker and every mutation on the workers, eight parked
// followers do not stop a mkdir, and all of them wake with its event; a
// follower that goes away is answered and forgotten. Verbs see the
// cancellation of their request.
#include "server/watch_hub.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <latch>
#include <mutex>
#include <optional>
#include <thread>

#include "memory_fs.h"
#include "rpc/client.h"
#include "rpc/payload.h"
#include "server/methods.h"
#include "server/remote_metadata.h"
#include "test_dir.h"

namespace nokv::server {
namespace {

constexpr std::chrono::seconds kTestWait{10};

class WatchHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = OpenMemoryFs(dir_.path());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    fs_ = std::move(opened).value();
    methods_ = std::make_unique<MetadataMethods>(fs_->metadata());
    rpc::ServerOptions options;
    options.worker_threads = 1;  // a long poll held here would stall every change
    options.run_inline = MetadataInlinePredicate(methods_.get());
    rpc_ = std::make_unique<rpc::Server>(options, MetadataHandler(methods_.get()));
    auto address = rpc_->Listen("unix:" + dir_.path() + "/t.sock");
    ASSERT_TRUE(address.ok()) << address.status().ToString();
    address_ = address->ToString();
    ASSERT_TRUE(rpc_->Start().ok());
  }
  void TearDown() override { rpc_.reset(); }

  std::unique_ptr<RemoteMetadata> Connect() {
    auto remote = RemoteMetadata::Connect(address_);
    EXPECT_TRUE(remote.ok()) << remote.status().ToString();
    return remote.ok() ? std::move(remote).value() : nullptr;
  }

  // Polls `condition` (cheap, lock-free reads) until it holds or kTestWait.
  template <typename Fn>
  static bool Eventually(Fn condition) {
    auto deadline = std::chrono::steady_clock::now() + kTestWait;
    while (!condition()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }

  nokv::testing::TempDir dir_;
  std::unique_ptr<fs::Filesystem> fs_;
  std::unique_ptr<MetadataMethods> methods_;
  std::unique_ptr<rpc::Server> rpc_;
  std::string address_;
};

TEST_F(WatchHubTest, ParkedFollowersLeaveTheWorkersFreeAndAllWake) {
  constexpr int kFollowers = 8;
  auto writer = Connect();
  ASSERT_NE(writer, nullptr);
  auto cursor = writer->LatestCursor();
  ASSERT_TRUE(cursor.ok());

  std::vector<std::unique_ptr<RemoteMetadata>> followers;
  std::vector<std::optional<Result<meta::EventPage>>> pages(kFollowers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kFollowers; ++i) followers.push_back(Connect());
  for (int i = 0; i < kFollowers; ++i) {
    threads.emplace_back([&, i] { pages[i] = followers[i]->Watch("/", *cursor, 10, kTestWait); });
  }
  ASSERT_TRUE(Eventually([&] { return methods_->parked_watches() == kFollowers; }));

  // The only worker is free: a mkdir (a worker method here) commits at once.
  auto started = std::chrono::steady_clock::now();
  auto made = writer->Mkdir("/wake", {});
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - started, kTestWait / 2);

  for (auto& t : threads) t.join();
  for (int i = 0; i < kFollowers; ++i) {
    ASSERT_TRUE(pages[i].has_value());
    ASSERT_TRUE(pages[i]->ok()) << pages[i]->status().ToString();
    ASSERT_EQ((*pages[i])->events.size(), 1u) << i;
    EXPECT_EQ((*pages[i])->events[0].path, "/wake");
  }
  EXPECT_EQ(methods_->parked_watches(), 0u);
}

TEST_F(WatchHubTest, APollWhosePathSeesNoEventKeepsWaitingAndTimesOutEmpty) {
  auto writer = Connect();
  auto follower = Connect();
  auto cursor = writer->LatestCursor();
  ASSERT_TRUE(cursor.ok());
  std::optional<Result<meta::EventPage>> page;
  std::thread t(
      [&] { page = follower->Watch("/quiet", *cursor, 10, std::chrono::milliseconds(300)); });
  ASSERT_TRUE(Eventually([&] { return methods_->parked_watches() == 1; }));
  ASSERT_TRUE(writer->Mkdir("/elsewhere", {}).ok());  // not under /quiet
  t.join();
  ASSERT_TRUE(page.has_value() && page->ok());
  EXPECT_TRUE((*page)->events.empty());
  // The cursor moved past the event it skipped, so the next poll starts there.
  EXPECT_NE((*page)->next_cursor, *cursor);
}

TEST_F(WatchHubTest, AFollowerThatGoesAwayIsAnsweredAndForgotten) {
  auto writer = Connect();
  auto cursor = writer->LatestCursor();
  ASSERT_TRUE(cursor.ok());
  auto client = rpc::Client::Connect(address_);
  ASSERT_TRUE(client.ok());
  std::latch sent(1);
  (*client)->CallAsync(
      "meta.watch", rpc::EncodePayload({{"path", "/"}, {"cursor", *cursor}, {"wait_ms", 20000}}),
      rpc::DeadlineIn(std::chrono::seconds(30)), [&](Result<rpc::Response>) { sent.count_down(); });
  ASSERT_TRUE(Eventually([&] { return methods_->parked_watches() == 1; }));
  client->reset();  // the connection closes with the poll in flight
  EXPECT_TRUE(Eventually([&] { return methods_->parked_watches() == 0; }));
  sent.wait();
}

TEST_F(WatchHubTest, AVerbStopsWhenItsRequestIsCancelled) {
  std::atomic<bool> cancelled{true};
  auto result =
      methods_->Handle("meta.verb", {{"verb", "ls"}, {"args", {{"path", "/"}}}}, &cancelled);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_TRUE(result->contains("error")) << result->dump();
  EXPECT_EQ((*result)["error"]["code"], "cancelled");
  cancelled = false;
  result = methods_->Handle("meta.verb", {{"verb", "ls"}, {"args", {{"path", "/"}}}}, &cancelled);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->contains("error")) << result->dump();
}

// The client side: a verb call whose control is cancelled fails at once
// with "cancelled" and the server's Responder for it learns of the cancel
// (which, in MetadataMethods::Dispatch, stops the verb).
TEST(RemoteVerbCancelTest, ACancelledCallCancelsItsRequestOnTheServer) {
  nokv::testing::TempDir dir;
  std::latch parked(1), server_saw_cancel(1);
  std::mutex mu;
  std::optional<rpc::Responder> held;
  rpc::Server server({}, [&](rpc::Request request, rpc::Responder responder) {
    if (request.method != "meta.verb")
      return responder.Respond(Status::Ok(), rpc::EncodePayload({}));
    responder.OnCancel([&] { server_saw_cancel.count_down(); });
    {
      std::lock_guard lock(mu);
      held = responder;  // answered only by the cancel
    }
    parked.count_down();
  });
  auto address = server.Listen("unix:" + dir.path() + "/v.sock");
  ASSERT_TRUE(address.ok());
  ASSERT_TRUE(server.Start().ok());
  auto remote = RemoteMetadata::Connect(address->ToString());
  ASSERT_TRUE(remote.ok()) << remote.status().ToString();

  std::atomic<bool> cancelled{false};
  query::CallControl control;
  control.cancelled = &cancelled;
  std::thread canceller([&] {
    parked.wait();
    cancelled = true;
  });
  auto started = std::chrono::steady_clock::now();
  Json result = (*remote)->CallVerb("grep", {{"pattern", "x"}}, {}, control);
  canceller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, kTestWait);
  ASSERT_TRUE(result.contains("error")) << result.dump();
  EXPECT_EQ(result["error"]["code"], "cancelled");
  server_saw_cancel.wait();
}

}  // namespace
}  // namespace nokv::server
