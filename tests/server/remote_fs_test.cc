// OpenRemote's choice of where block bytes go (docs/cli.md, "Where block
// bytes go"): straight into the directory the server names when this
// process can use it, through the server when it cannot or when asked to,
// and a clear refusal when neither works.
#include "server/remote_fs.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "memory_fs.h"
#include "object/block.h"
#include "server/block_methods.h"
#include "test_dir.h"

namespace nokv::server {
namespace {

class RemoteFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = OpenMemoryFs(dir_.path());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    served_ = std::move(opened).value();
  }

  // Serves `served_` advertising `store_info`, with or without block.*.
  void Serve(Json store_info, bool block_methods) {
    MethodOptions options;
    options.store_info = std::move(store_info);
    if (block_methods) AddBlockMethods(served_->store(), &options);
    methods_ = std::make_unique<MetadataMethods>(served_->metadata(), options);
    rpc_ = std::make_unique<rpc::Server>(rpc::ServerOptions{}, MetadataHandler(methods_.get()));
    auto address = rpc_->Listen("127.0.0.1:0");
    ASSERT_TRUE(address.ok()) << address.status().ToString();
    ASSERT_TRUE(rpc_->Start().ok());
    address_ = address->ToString();
  }

  Result<std::unique_ptr<fs::Filesystem>> Open(bool proxy_blocks = false) {
    RemoteFsOptions options;
    options.address = address_;
    options.proxy_blocks = proxy_blocks;
    return OpenRemote(options);
  }

  // Writes and reads back a file through `client`; its blocks must be in
  // the server's own store.
  void RoundTrip(fs::Filesystem* client) {
    const std::string body(3 << 20, 'q');  // one block of megabytes in one frame
    auto writer = client->OpenWriter("/f", {});
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    ASSERT_TRUE((*writer)->Append(body).ok());
    auto attr = (*writer)->Commit();
    ASSERT_TRUE(attr.ok()) << attr.status().ToString();
    auto reader = client->OpenReader("/f");
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    std::string back;
    ASSERT_TRUE((*reader)->Read(0, body.size(), &back).ok());
    EXPECT_EQ(back, body);
    auto manifest = served_->metadata()->GetManifest(attr->inode, attr->generation, {});
    ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
    for (const auto& block : manifest->layout.blocks) {
      EXPECT_TRUE(served_->store()->Head(object::BlockKey(block.digest)).ok());
    }
  }

  nokv::testing::TempDir dir_;
  nokv::testing::TempDir objects_;  // a directory a client can use
  std::unique_ptr<fs::Filesystem> served_;
  std::unique_ptr<MetadataMethods> methods_;
  std::unique_ptr<rpc::Server> rpc_;
  std::string address_;
};

TEST_F(RemoteFsTest, AnUnreachableDirectoryIsReachedThroughTheServer) {
  Serve({{"kind", "local"}, {"path", dir_.Sub("no/such/objects")}}, true);
  auto client = Open();
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EXPECT_TRUE((*client)->store()->Describe().starts_with("proxy:"))
      << (*client)->store()->Describe();
  RoundTrip(client->get());
}

TEST_F(RemoteFsTest, AnUnreachableDirectoryWithoutBlockMethodsIsRefused) {
  Serve({{"kind", "local"}, {"path", dir_.Sub("no/such/objects")}}, false);
  EXPECT_EQ(Open().status().code(), Code::kNotSupported);
}

TEST_F(RemoteFsTest, AUsableDirectoryIsUsedDirectlyUnlessProxyingIsAsked) {
  Serve({{"kind", "local"}, {"path", objects_.path()}}, true);
  auto direct = Open();
  ASSERT_TRUE(direct.ok()) << direct.status().ToString();
  EXPECT_TRUE((*direct)->store()->Describe().starts_with("local:"))
      << (*direct)->store()->Describe();
  auto proxied = Open(/*proxy_blocks=*/true);
  ASSERT_TRUE(proxied.ok()) << proxied.status().ToString();
  EXPECT_TRUE((*proxied)->store()->Describe().starts_with("proxy:"));
  RoundTrip(proxied->get());
}

TEST_F(RemoteFsTest, TheEnvironmentCanForceTheProxy) {
  Serve({{"kind", "local"}, {"path", objects_.path()}}, true);
  ::setenv("NOKV_PROXY_BLOCKS", "1", 1);
  auto client = Open();
  ::unsetenv("NOKV_PROXY_BLOCKS");
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EXPECT_TRUE((*client)->store()->Describe().starts_with("proxy:"));
}

TEST_F(RemoteFsTest, AStoreSharedNoOtherWayIsReachedThroughTheServer) {
  Serve(Json(), true);  // AddBlockMethods makes it {kind: proxy, proxy: true}
  auto client = Open();
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  RoundTrip(client->get());
}

TEST_F(RemoteFsTest, BlocksTooLargeForOneFrameAreNotProxied) {
  Serve({{"kind", "local"}, {"path", dir_.Sub("none")}, {"block_size", kMaxBlockPutBytes + 1}},
        true);
  EXPECT_EQ(Open().status().code(), Code::kNotSupported);
}

}  // namespace
}  // namespace nokv::server
