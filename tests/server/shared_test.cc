// Sharing one data directory between holders and clients (server/shared.h),
// in one process: each SharedDirectory opens the directory on its own, as a
// separate process would (the engine's lock is per open file, not per
// process). Covers serving, joining, waiting for a holder that does not
// serve, and taking over when the holder goes away, with and without a
// change in flight.
#include "server/shared.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <latch>
#include <thread>

#include "server/remote_fs.h"
#include "test_dir.h"

namespace nokv::server {
namespace {

using Role = SharedDirectory::Role;

class SharedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.Sub("data");
    fs::EmbeddedOptions init;
    init.data_dir = dir_;
    init.durability = fs::Durability::kNone;
    ASSERT_TRUE(fs::InitDataDir(init).ok());
  }

  ShareOptions Options(bool serve) {
    ShareOptions options;
    options.embedded.data_dir = dir_;
    options.embedded.durability = fs::Durability::kNone;
    options.serve = serve;
    options.on_change = [this](std::string_view what) {
      std::lock_guard lock(mu_);
      changes_.emplace_back(what);
    };
    return options;
  }

  std::unique_ptr<SharedDirectory> Open(bool serve) {
    auto opened = SharedDirectory::Open(Options(serve));
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  static Status Put(fs::Filesystem* fs, const std::string& path, std::string_view body) {
    NOKV_ASSIGN_OR_RETURN(auto writer, fs->OpenWriter(path, {}));
    NOKV_RETURN_IF_ERROR(writer->Append(body));
    return writer->Commit().status();
  }

  static std::string Read(fs::Filesystem* fs, const std::string& path) {
    auto reader = fs->OpenReader(path);
    if (!reader.ok()) return "<" + reader.status().ToString() + ">";
    std::string out;
    Status s = (*reader)->Read(0, (*reader)->size(), &out);
    return s.ok() ? out : "<" + s.ToString() + ">";
  }

  nokv::testing::TempDir tmp_;
  std::string dir_;
  std::mutex mu_;
  std::vector<std::string> changes_;  // guarded by mu_
};

TEST_F(SharedTest, TheFirstOpenerServesAndLaterOnesGoThroughItsSocket) {
  auto holder = Open(/*serve=*/true);
  ASSERT_NE(holder, nullptr);
  EXPECT_EQ(holder->role(), Role::kServing);
  ASSERT_NE(holder->holder(), nullptr);
  EXPECT_TRUE(std::filesystem::exists(SocketPath(dir_)));

  auto client = Open(/*serve=*/true);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->role(), Role::kClient);
  EXPECT_EQ(client->holder(), nullptr);

  // Each sees the other's changes at once: one process makes every commit.
  ASSERT_TRUE(Put(client->fs(), "/from-client", "c").ok());
  EXPECT_EQ(Read(holder->fs(), "/from-client"), "c");
  ASSERT_TRUE(Put(holder->fs(), "/from-holder", "h").ok());
  EXPECT_EQ(Read(client->fs(), "/from-holder"), "h");
}

TEST_F(SharedTest, AHolderThatDoesNotServeIsWaitedForThenBusy) {
  auto holder = Open(/*serve=*/false);
  ASSERT_NE(holder, nullptr);
  EXPECT_EQ(holder->role(), Role::kEmbedded);
  EXPECT_FALSE(std::filesystem::exists(SocketPath(dir_)));

  ShareOptions options = Options(/*serve=*/false);
  options.wait = std::chrono::milliseconds(200);
  int waits = 0;
  options.on_wait = [&](const Status& held) {
    ++waits;
    EXPECT_EQ(held.code(), Code::kBusy);
  };
  auto second = SharedDirectory::Open(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kBusy);
  EXPECT_NE(second.status().message().find("gave up waiting"), std::string::npos);
  EXPECT_EQ(waits, 1);

  // Once the holder closes, the directory is free again.
  holder.reset();
  options.wait = std::chrono::milliseconds(0);
  auto third = SharedDirectory::Open(options);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ((*third)->role(), Role::kEmbedded);
}

TEST_F(SharedTest, AClientTakesTheDirectoryOverWhenItsHolderGoesAway) {
  auto holder = Open(/*serve=*/true);
  ASSERT_NE(holder, nullptr);
  auto client = Open(/*serve=*/true);
  ASSERT_NE(client, nullptr);
  ASSERT_EQ(client->role(), Role::kClient);
  ASSERT_TRUE(Put(client->fs(), "/acknowledged", "kept").ok());

  holder.reset();  // the holder exits

  // The next call finds the socket dead, takes over and serves in its place.
  EXPECT_EQ(Read(client->fs(), "/acknowledged"), "kept");
  EXPECT_EQ(client->role(), Role::kServing);
  EXPECT_EQ(client->takeovers(), 1u);
  {
    std::lock_guard lock(mu_);
    ASSERT_EQ(changes_.size(), 1u);
    EXPECT_NE(changes_[0].find("took it over"), std::string::npos) << changes_[0];
  }
  // And a newcomer now goes through the new holder.
  auto newcomer = Open(/*serve=*/false);
  ASSERT_NE(newcomer, nullptr);
  EXPECT_EQ(newcomer->role(), Role::kClient);
  ASSERT_TRUE(Put(newcomer->fs(), "/after", "a").ok());
  EXPECT_EQ(Read(client->fs(), "/after"), "a");
}

// A holder by hand whose handler parks one method until released, so a
// change can be in flight when the holder goes away.
class ParkingHolder {
 public:
  ParkingHolder(const std::string& dir, std::string parked_method) {
    fs::EmbeddedOptions options;
    options.data_dir = dir;
    options.durability = fs::Durability::kNone;
    auto parts = fs::OpenEmbeddedParts(options);
    EXPECT_TRUE(parts.ok()) << parts.status().ToString();
    parts_ = std::move(parts).value();
    MethodOptions method_options;
    method_options.store_info = StoreInfo(options);
    methods_ = std::make_unique<MetadataMethods>(parts_.metadata.get(), method_options);
    rpc::ServerOptions rpc_options;
    rpc_options.stop_timeout = std::chrono::milliseconds(20);
    rpc::Handler inner = MetadataHandler(methods_.get());
    server_ = std::make_unique<rpc::Server>(
        rpc_options, [this, inner, parked_method](rpc::Request request, rpc::Responder responder) {
          if (request.method == parked_method) {
            entered_.count_down();
            released_.wait();
          }
          inner(std::move(request), std::move(responder));
        });
    EXPECT_TRUE(server_->Listen("unix:" + SocketPath(dir)).ok());
    EXPECT_TRUE(server_->Start().ok());
  }

  void WaitUntilParked() { entered_.wait(); }
  // Stops serving: the parked call's connection closes unanswered. Once
  // the client has noticed (it waits for the lock, `client_waiting`), lets
  // the parked call finish in the metadata, then closes the directory.
  void GoAway(std::latch& client_waiting) {
    std::thread stopper([this] { server_->Stop(); });  // returns once the call ends
    client_waiting.wait();
    released_.count_down();
    stopper.join();
    server_.reset();
    methods_.reset();
    parts_ = {};
  }

 private:
  fs::FilesystemParts parts_;
  std::unique_ptr<MetadataMethods> methods_;
  std::unique_ptr<rpc::Server> server_;
  std::latch entered_{1};
  std::latch released_{1};
};

// A client of a ParkingHolder: counts `waiting` down when, having lost the
// holder, it waits for the directory's lock.
std::unique_ptr<SharedDirectory> OpenParkedClient(ShareOptions options, std::latch* waiting) {
  options.on_wait = [waiting](const Status&) { waiting->count_down(); };
  auto opened = SharedDirectory::Open(std::move(options));
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  return opened.ok() ? std::move(opened).value() : nullptr;
}

TEST_F(SharedTest, AChangeInFlightWithARequestIdIsRepeatedOnTheNewHolder) {
  ParkingHolder holder(dir_, "meta.mkdir");
  std::latch waiting(1);
  auto client = OpenParkedClient(Options(/*serve=*/false), &waiting);
  ASSERT_NE(client, nullptr);
  ASSERT_EQ(client->role(), Role::kClient);

  Result<meta::Attr> made = Status::Unavailable("not run");
  std::thread mkdir([&] { made = client->fs()->Mkdir("/made", false); });
  holder.WaitUntilParked();
  holder.GoAway(waiting);  // the mkdir is committed by the old holder, unanswered
  mkdir.join();

  // Repeated on the directory it took over: the request id finds the first
  // commit, so the mkdir succeeds once instead of failing AlreadyExists.
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(client->role(), Role::kEmbedded);
  auto stat = client->fs()->Stat("/made");
  ASSERT_TRUE(stat.ok()) << stat.status().ToString();
  EXPECT_EQ(stat->inode, made->inode);
}

TEST_F(SharedTest, AChangeInFlightWithoutARequestIdIsReportedNotRepeated) {
  {
    auto setup = Open(/*serve=*/false);
    ASSERT_NE(setup, nullptr);
    ASSERT_TRUE(Put(setup->fs(), "/from", "x").ok());
  }
  ParkingHolder holder(dir_, "meta.rename");
  std::latch waiting(1);
  auto client = OpenParkedClient(Options(/*serve=*/false), &waiting);
  ASSERT_NE(client, nullptr);

  Status renamed;
  std::thread rename(
      [&] { renamed = client->fs()->Rename("/from", "/to", meta::RenameMode::kNoReplace); });
  holder.WaitUntilParked();
  holder.GoAway(waiting);
  rename.join();

  // The rename did happen on the old holder; repeating it would fail with
  // NotFound, so the caller is told the outcome is unknown instead.
  EXPECT_EQ(renamed.code(), Code::kUnavailable) << renamed.ToString();
  EXPECT_NE(renamed.message().find("may or may not"), std::string::npos) << renamed.ToString();
  EXPECT_TRUE(client->fs()->Stat("/to").ok());
  EXPECT_EQ(client->fs()->Stat("/from").status().code(), Code::kNotFound);
}

TEST_F(SharedTest, AChangeThatNeverLeftTheProcessIsRepeated) {
  auto holder = Open(/*serve=*/true);
  ASSERT_NE(holder, nullptr);
  auto client = Open(/*serve=*/false);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(Put(client->fs(), "/from", "x").ok());
  holder.reset();
  // The rename finds no connection and no server to reconnect to: it was
  // never sent, so it runs once on the directory taken over.
  Status renamed = client->fs()->Rename("/from", "/to", meta::RenameMode::kNoReplace);
  ASSERT_TRUE(renamed.ok()) << renamed.ToString();
  EXPECT_EQ(Read(client->fs(), "/to"), "x");
}

}  // namespace
}  // namespace nokv::server
