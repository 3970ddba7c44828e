// Block bytes over RPC: the server side of the block.* methods called
// directly (content addressing enforced, sizes capped, block keys only, no
// delete), then ProxyStore against a real server (chunked reads, refused
// deletes, errors that cross the wire with their codes, reconnection).
#include "server/block_methods.h"

#include <gtest/gtest.h>

#include "memory_fs.h"
#include "object/block.h"
#include "object/memory_store.h"
#include "server/proxy_store.h"
#include "test_dir.h"

namespace nokv::server {
namespace {

Json Bytes(std::string_view s) { return Json::binary(std::vector<uint8_t>(s.begin(), s.end())); }

std::string KeyOf(std::string_view body) { return object::BlockKey(Sha256::Of(body)); }

std::string AsString(const Json& bytes) {
  const auto& b = bytes.get_binary();
  return std::string(b.begin(), b.end());
}

class BlockMethodsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = OpenMemoryFs(dir_.path());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    fs_ = std::move(opened).value();
    BlockMethodOptions limits;
    limits.max_put_bytes = 1000;
    limits.max_get_bytes = 100;
    limits.max_sync_keys = 2;
    AddBlockMethods(&store_, &options_, limits);
    methods_ = std::make_unique<MetadataMethods>(fs_->metadata(), options_);
  }

  Result<Json> Call(std::string_view method, const Json& args) {
    return methods_->Handle(method, args);
  }

  nokv::testing::TempDir dir_;
  std::unique_ptr<fs::Filesystem> fs_;
  object::MemoryStore store_;
  MethodOptions options_;
  std::unique_ptr<MetadataMethods> methods_;
};

TEST_F(BlockMethodsTest, APutIsStoredUnderItsContentAddress) {
  const std::string body = "block bytes";
  auto put = Call("block.put", {{"key", KeyOf(body)}, {"b", Bytes(body)}});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(store_.Get(KeyOf(body)).value_or("<missing>"), body);
  auto got = Call("block.get", {{"key", KeyOf(body)}});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(AsString((*got)["b"]), body);
  auto head = Call("block.head", {{"key", KeyOf(body)}});
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ((*head)["s"], body.size());
  EXPECT_EQ(
      Call("block.put", {{"key", KeyOf(body)}, {"b", Bytes(body)}, {"inm", true}}).status().code(),
      Code::kAlreadyExists);
}

TEST_F(BlockMethodsTest, APutWhoseBytesDoNotMatchItsKeyIsRefused) {
  const std::string key = KeyOf("what the client claims");
  auto put = Call("block.put", {{"key", key}, {"b", Bytes("other bytes")}});
  EXPECT_EQ(put.status().code(), Code::kCorruption) << put.status().ToString();
  EXPECT_EQ(store_.Head(key).status().code(), Code::kNotFound);
}

TEST_F(BlockMethodsTest, AnOversizedPutIsRefused) {
  const std::string body(1001, 'x');
  auto put = Call("block.put", {{"key", KeyOf(body)}, {"b", Bytes(body)}});
  EXPECT_EQ(put.status().code(), Code::kTooLarge) << put.status().ToString();
  EXPECT_EQ(store_.Head(KeyOf(body)).status().code(), Code::kNotFound);
  const std::string largest(1000, 'x');
  EXPECT_TRUE(Call("block.put", {{"key", KeyOf(largest)}, {"b", Bytes(largest)}}).ok());
}

TEST_F(BlockMethodsTest, OnlyBlockKeysAreServed) {
  ASSERT_TRUE(store_.Put("meta/secret", "not a block").ok());
  EXPECT_EQ(Call("block.put", {{"key", "doctor/probe"}, {"b", Bytes("x")}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Call("block.get", {{"key", "meta/secret"}}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Call("block.head", {{"key", "meta/secret"}}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Call("block.sync", {{"keys", {"meta/secret"}}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Call("block.put", {{"key", KeyOf("x")}, {"b", "x"}}).status().code(),
            Code::kInvalidArgument);  // bytes, not a string
}

TEST_F(BlockMethodsTest, RangedGetsAreClippedAndCapped) {
  std::string body;
  for (int i = 0; i < 50; ++i) body += std::to_string(i % 10) + "-";
  ASSERT_TRUE(store_.Put(KeyOf(body), body).ok());
  auto middle = Call("block.get", {{"key", KeyOf(body)}, {"off", 10}, {"len", 5}});
  ASSERT_TRUE(middle.ok()) << middle.status().ToString();
  EXPECT_EQ(AsString((*middle)["b"]), body.substr(10, 5));
  auto tail = Call("block.get", {{"key", KeyOf(body)}, {"off", 95}, {"len", 100}});
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(AsString((*tail)["b"]), body.substr(95));
  auto past = Call("block.get", {{"key", KeyOf(body)}, {"off", 1000}, {"len", 10}});
  ASSERT_TRUE(past.ok()) << past.status().ToString();
  EXPECT_EQ(AsString((*past)["b"]), "");
  EXPECT_EQ(Call("block.get", {{"key", KeyOf(body)}, {"len", 101}}).status().code(),
            Code::kTooLarge);
  // Without a length: at most the cap.
  auto first = Call("block.get", {{"key", KeyOf(body)}});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(AsString((*first)["b"]), body.substr(0, 100));
}

TEST_F(BlockMethodsTest, AMissingBlockIsNotFound) {
  EXPECT_EQ(Call("block.get", {{"key", KeyOf("never stored")}}).status().code(), Code::kNotFound);
  EXPECT_EQ(Call("block.head", {{"key", KeyOf("never stored")}}).status().code(), Code::kNotFound);
}

TEST_F(BlockMethodsTest, ClientsCannotDeleteOrList) {
  const std::string body = "kept";
  ASSERT_TRUE(store_.Put(KeyOf(body), body).ok());
  for (const char* method : {"block.delete", "block.delete_many", "block.list"}) {
    EXPECT_EQ(Call(method, {{"key", KeyOf(body)}, {"keys", {KeyOf(body)}}}).status().code(),
              Code::kNotSupported)
        << method;
  }
  EXPECT_TRUE(store_.Head(KeyOf(body)).ok());
}

TEST_F(BlockMethodsTest, SyncTakesABoundedListOfBlockKeys) {
  ASSERT_TRUE(store_.Put(KeyOf("a"), "a").ok());
  ASSERT_TRUE(store_.Put(KeyOf("b"), "b").ok());
  EXPECT_TRUE(Call("block.sync", {{"keys", {KeyOf("a"), KeyOf("b")}}}).ok());
  EXPECT_EQ(Call("block.sync", {{"keys", {KeyOf("a"), KeyOf("b"), KeyOf("a")}}}).status().code(),
            Code::kTooLarge);
  EXPECT_EQ(Call("block.sync", {{"keys", "x"}}).status().code(), Code::kInvalidArgument);
}

TEST_F(BlockMethodsTest, TheStoreAnswerSaysBlocksPassThroughTheServer) {
  auto info = Call("meta.store", Json::object());
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ((*info)["kind"], "proxy");  // the server shares its store no other way
  EXPECT_EQ((*info)["proxy"], true);
  MethodOptions local;
  local.store_info = {{"kind", "local"}, {"path", "/srv/objects"}};
  AddBlockMethods(&store_, &local);
  EXPECT_EQ(local.store_info["kind"], "local");
  EXPECT_EQ(local.store_info["proxy"], true);
}

// ProxyStore against a real server on a Unix socket.
class ProxyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = OpenMemoryFs(dir_.path());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    fs_ = std::move(opened).value();
    AddBlockMethods(&store_, &options_);
    methods_ = std::make_unique<MetadataMethods>(fs_->metadata(), options_);
    address_ = "unix:" + dir_.path() + "/t.sock";
    StartServer();
    ProxyStoreOptions proxy;
    proxy.get_chunk_bytes = 100;  // whole-block reads take many calls
    proxy.max_put_bytes = 5000;
    proxy.sync_batch_keys = 2;
    auto connected = ProxyStore::Connect(address_, proxy);
    ASSERT_TRUE(connected.ok()) << connected.status().ToString();
    proxy_ = std::move(connected).value();
  }

  void StartServer() {
    rpc_ = std::make_unique<rpc::Server>(rpc::ServerOptions{}, MetadataHandler(methods_.get()));
    ASSERT_TRUE(rpc_->Listen(address_).ok());
    ASSERT_TRUE(rpc_->Start().ok());
  }

  nokv::testing::TempDir dir_;
  std::unique_ptr<fs::Filesystem> fs_;
  object::MemoryStore store_;
  MethodOptions options_;
  std::unique_ptr<MetadataMethods> methods_;
  std::string address_;
  std::unique_ptr<rpc::Server> rpc_;
  std::unique_ptr<ProxyStore> proxy_;
};

TEST_F(ProxyStoreTest, ReadsAreAssembledFromChunks) {
  std::string body;
  for (int i = 0; i < 1000; ++i) body += static_cast<char>('a' + i % 26);
  ASSERT_TRUE(proxy_->Put(KeyOf(body), body).ok());
  EXPECT_EQ(store_.Get(KeyOf(body)).value_or(""), body);  // the server's store holds it
  EXPECT_EQ(proxy_->Get(KeyOf(body)).value_or(""), body);
  EXPECT_EQ(proxy_->GetRange(KeyOf(body), {150, 230}).value_or(""), body.substr(150, 230));
  EXPECT_EQ(proxy_->GetRange(KeyOf(body), {950, 200}).value_or(""), body.substr(950));
  EXPECT_EQ(proxy_->GetRange(KeyOf(body), {900, 100}).value_or(""), body.substr(900));
  auto past = proxy_->GetRange(KeyOf(body), {5000, 10});
  ASSERT_TRUE(past.ok()) << past.status().ToString();
  EXPECT_EQ(*past, "");
  auto huge = proxy_->GetRange(KeyOf(body), {10, UINT64_MAX});
  ASSERT_TRUE(huge.ok()) << huge.status().ToString();
  EXPECT_EQ(*huge, body.substr(10));
  auto head = proxy_->Head(KeyOf(body));
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, body.size());
  EXPECT_GT(head->last_modified_ns, 0);
}

TEST_F(ProxyStoreTest, ServerErrorsKeepTheirCodes) {
  EXPECT_EQ(proxy_->Get(KeyOf("missing")).status().code(), Code::kNotFound);
  EXPECT_EQ(proxy_->GetRange(KeyOf("missing"), {0, 0}).status().code(), Code::kNotFound);
  EXPECT_EQ(proxy_->Head(KeyOf("missing")).status().code(), Code::kNotFound);
  EXPECT_EQ(proxy_->Put(KeyOf("claimed"), "other").code(), Code::kCorruption);
  EXPECT_EQ(proxy_->Put("objects/not-a-block", "x").code(), Code::kInvalidArgument);
  const std::string big(5001, 'b');
  EXPECT_EQ(proxy_->Put(KeyOf(big), big).code(), Code::kTooLarge);
  EXPECT_EQ(store_.Head(KeyOf(big)).status().code(), Code::kNotFound);
}

TEST_F(ProxyStoreTest, AClientCannotDelete) {
  ASSERT_TRUE(proxy_->Put(KeyOf("kept"), "kept").ok());
  EXPECT_EQ(proxy_->Delete(KeyOf("kept")).code(), Code::kPermissionDenied);
  std::vector<std::string> keys = {KeyOf("kept")};
  EXPECT_EQ(proxy_->DeleteMany(keys).code(), Code::kPermissionDenied);
  EXPECT_EQ(proxy_->List({}).status().code(), Code::kNotSupported);
  EXPECT_EQ(store_.Get(KeyOf("kept")).value_or(""), "kept");
}

TEST_F(ProxyStoreTest, SyncGoesInBatches) {
  std::vector<std::string> keys;
  for (const char* body : {"1", "2", "3", "4", "5"}) {
    ASSERT_TRUE(proxy_->Put(KeyOf(body), body).ok());
    keys.push_back(KeyOf(body));
  }
  ASSERT_TRUE(proxy_->Sync(keys).ok());
  EXPECT_EQ(methods_->counters().at("block.sync").calls.load(), 3u);  // 2 + 2 + 1
}

TEST_F(ProxyStoreTest, ACallAfterTheServerRestartedReconnects) {
  ASSERT_TRUE(proxy_->Put(KeyOf("before"), "before").ok());
  rpc_.reset();  // closes the proxy's connection
  StartServer();
  auto got = proxy_->Get(KeyOf("before"));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "before");
}

}  // namespace
}  // namespace nokv::server
