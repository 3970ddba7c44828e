// The metadata server over a real Unix socket with the production dispatch:
// batches through RemoteMetadata (results in order, leases tracked like
// single calls) and cheap methods answered on the event loop while the only
// worker is held by a long poll.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "fs/embedded.h"
#include "server/methods.h"
#include "server/remote_metadata.h"
#include "test_dir.h"

namespace nokv::server {
namespace {

constexpr std::chrono::seconds kTestWait{10};

class RemoteBatchTest : public ::testing::Test {
 protected:
  // A server with `workers` worker threads; commits never wait for fsync, so
  // namespace mutations run inline as `nokv serve` runs them at that durability.
  void Start(size_t workers) {
    fs::EmbeddedOptions embedded;
    embedded.data_dir = dir_.path();
    embedded.store.kind = fs::StoreConfig::Kind::kMemory;
    embedded.durability = fs::Durability::kNone;
    embedded.create_if_missing = true;
    auto opened = fs::OpenEmbedded(embedded);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    fs_ = std::move(opened).value();
    MethodOptions method_options;
    method_options.inline_mutations = true;
    methods_ = std::make_unique<MetadataMethods>(fs_->metadata(), method_options);
    rpc::ServerOptions options;
    options.worker_threads = workers;
    options.run_inline = MetadataInlinePredicate(methods_.get());
    rpc::Handler handler = MetadataHandler(methods_.get());
    if (wrap_) handler = wrap_(std::move(handler));
    rpc_ = std::make_unique<rpc::Server>(options, std::move(handler));
    auto address = rpc_->Listen("unix:" + dir_.path() + "/t.sock");
    ASSERT_TRUE(address.ok()) << address.status().ToString();
    ASSERT_TRUE(rpc_->Start().ok());
    auto remote = RemoteMetadata::Connect(address->ToString(), remote_options_);
    ASSERT_TRUE(remote.ok()) << remote.status().ToString();
    remote_ = std::move(remote).value();
  }
  void TearDown() override {
    remote_.reset();
    rpc_.reset();
  }

  RemoteOptions remote_options_;  // set before Start
  // Set before Start to put a handler in front of the real one.
  std::function<rpc::Handler(rpc::Handler)> wrap_;
  nokv::testing::TempDir dir_;
  std::unique_ptr<fs::Filesystem> fs_;
  std::unique_ptr<MetadataMethods> methods_;
  std::unique_ptr<rpc::Server> rpc_;
  std::unique_ptr<RemoteMetadata> remote_;
};

TEST_F(RemoteBatchTest, CreateBatchAnswersEveryNameInOrder) {
  Start(2);
  auto dir = remote_->Mkdir("/d", {});
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  ASSERT_TRUE(remote_->CreateAt(dir->inode, "b", {}).ok());
  std::vector<std::string> names = {"a", "b", "c"};
  auto created = remote_->CreateBatch(dir->inode, names);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_EQ(created->size(), 3u);
  ASSERT_TRUE((*created)[0].ok());
  EXPECT_EQ((*created)[1].status().code(), Code::kAlreadyExists);
  ASSERT_TRUE((*created)[2].ok());
  EXPECT_NE((*created)[0]->inode, (*created)[2]->inode);
  auto c = remote_->Lookup(dir->inode, "c", {});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->inode, (*created)[2]->inode);

  std::vector<std::string> too_many(kMaxBatchCalls + 1, "x");
  EXPECT_EQ(remote_->CreateBatch(dir->inode, too_many).status().code(), Code::kInvalidArgument);
}

TEST_F(RemoteBatchTest, LeasesTakenAndReleasedInABatchAreTrackedLikeSingleCalls) {
  Start(2);
  ASSERT_TRUE(remote_->Mkdir("/d", {}).ok());
  auto items = remote_->CallBatch({{"meta.pin", Json::object()},
                                   {"meta.begin_upload", Json::object()},
                                   {"meta.stat", {{"path", "/missing"}}}});
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 3u);
  ASSERT_TRUE((*items)[0].ok());
  ASSERT_TRUE((*items)[1].ok());
  EXPECT_EQ((*items)[2].status().code(), Code::kNotFound);
  EXPECT_EQ(remote_->held_leases(), 2u);
  EXPECT_EQ(methods_->leases(), 2u);

  uint64_t pin = (*items)[0]->at("id").get<uint64_t>();
  uint64_t upload = (*items)[1]->at("id").get<uint64_t>();
  auto released = remote_->CallBatch(
      {{"meta.unpin", {{"id", pin}}}, {"meta.end_upload", {{"id", upload}}}}, true);
  ASSERT_TRUE(released.ok()) << released.status().ToString();
  EXPECT_TRUE((*released)[0].ok() && (*released)[1].ok());
  EXPECT_EQ(remote_->held_leases(), 0u);
  EXPECT_EQ(methods_->leases(), 0u);
}

TEST_F(RemoteBatchTest, InlineMethodsAnswerWhileALongPollHoldsTheOnlyWorker) {
  Start(1);
  auto cursor = remote_->LatestCursor();
  ASSERT_TRUE(cursor.ok()) << cursor.status().ToString();
  // A second connection long-polls; it holds the only worker until an event.
  auto watcher = RemoteMetadata::Connect("unix:" + dir_.path() + "/t.sock");
  ASSERT_TRUE(watcher.ok());
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Result<meta::EventPage>> page;
  std::thread poll([&] {
    auto got = (*watcher)->Watch("/", *cursor, 10, kTestWait);
    std::lock_guard lock(mu);
    page.emplace(std::move(got));
    cv.notify_all();
  });
  // Wait until the long poll is on the server (in flight there).
  auto deadline = std::chrono::steady_clock::now() + kTestWait;
  while (rpc_->Stats().requests_in_flight == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(rpc_->Stats().requests_in_flight, 1u);

  // Stat and create run on the loop: they answer while the worker is held.
  EXPECT_EQ(remote_->Stat("/", {}).status().code(), Code::kOk);
  auto made = remote_->Mkdir("/wake", {});
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, kTestWait, [&] { return page.has_value(); }));
  ASSERT_TRUE(page->ok()) << page->status().ToString();
  ASSERT_FALSE((*page)->events.empty()) << "the mkdir woke the long poll";
  EXPECT_EQ((*page)->events.front().path, "/wake");
  lock.unlock();
  poll.join();
}

TEST_F(RemoteBatchTest, UnpinReturnsBeforeTheServerAnswers) {
  // The server parks every meta.unpin until the test answers it.
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<rpc::Request, rpc::Responder>> parked;  // guarded by mu
  rpc::Handler real;
  wrap_ = [&](rpc::Handler inner) -> rpc::Handler {
    real = inner;
    return [&, inner](rpc::Request request, rpc::Responder responder) {
      if (request.method != "meta.unpin") return inner(std::move(request), std::move(responder));
      std::lock_guard lock(mu);
      parked.emplace_back(std::move(request), std::move(responder));
      cv.notify_all();
    };
  };
  Start(2);
  auto pin = remote_->PinRead({});
  ASSERT_TRUE(pin.ok()) << pin.status().ToString();
  ASSERT_EQ(methods_->leases(), 1u);

  auto start = std::chrono::steady_clock::now();
  remote_->Unpin(pin->id);  // the old client waited for the answer (120 s deadline)
  EXPECT_LT(std::chrono::steady_clock::now() - start, kTestWait);
  EXPECT_EQ(remote_->held_leases(), 0u);  // no longer renewed

  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, kTestWait, [&] { return !parked.empty(); }));
  EXPECT_EQ(methods_->leases(), 1u);  // the server has not run it yet
  auto [request, responder] = std::move(parked.front());
  parked.clear();
  lock.unlock();
  real(std::move(request), std::move(responder));
  EXPECT_EQ(methods_->leases(), 0u);
  // The connection still serves calls after the answer nobody waits for.
  EXPECT_TRUE(remote_->Stat("/", {}).ok());
}

TEST_F(RemoteBatchTest, ClosingDoesNotWaitForARenewalTheServerNeverAnswers) {
  // The server parks every meta.renew and never answers it.
  std::mutex mu;
  std::condition_variable cv;
  std::vector<rpc::Responder> parked;  // guarded by mu
  wrap_ = [&](rpc::Handler inner) -> rpc::Handler {
    return [&, inner](rpc::Request request, rpc::Responder responder) {
      if (request.method != "meta.renew") return inner(std::move(request), std::move(responder));
      std::lock_guard lock(mu);
      parked.push_back(std::move(responder));
      cv.notify_all();
    };
  };
  remote_options_.lease_ttl = std::chrono::milliseconds(30);  // renews every 10 ms
  remote_options_.call_timeout = std::chrono::minutes(10);
  Start(2);
  ASSERT_TRUE(remote_->PinRead({}).ok());
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kTestWait, [&] { return !parked.empty(); }));
  }
  // The renewal is in flight with a ten-minute deadline; closing gives it up.
  auto start = std::chrono::steady_clock::now();
  remote_.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, kTestWait);
  std::lock_guard lock(mu);
  parked.clear();
}

}  // namespace
}  // namespace nokv::server
