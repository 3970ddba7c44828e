// S3Store against a real Ceph RGW (label s3; the ctest fixture starts it with
// scripts/start-s3.sh and the tests read its env file). RGW validates SigV4
// signatures and payload hashes, so these prove signing end to end. Each test
// works under its own random key prefix and removes what it wrote.
#include "object/s3_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <random>
#include <thread>

#include "common/thread_pool.h"
#include "object/block_reader.h"
#include "object/block_writer.h"
#include "object/tiered_store.h"
#include "rgw_env.h"
#include "store_conformance.h"
#include "test_dir.h"

namespace nokv::object::testing {
namespace {

StoreUnderTest MakeS3(bool path_style) {
  S3Options options = RgwOptions();
  options.path_style = path_style;
  if (!path_style) {  // libcurl resolves *.localhost to loopback itself
    options.endpoint.replace(options.endpoint.find("127.0.0.1"), 9, "localhost");
  }
  return {nullptr, OpenRgw(options)};
}

struct TieredOverS3 {
  nokv::testing::TempDir dir;
  std::unique_ptr<S3Store> cold = OpenRgw();
};

StoreUnderTest MakeTieredOverS3() {
  auto parts = std::make_shared<TieredOverS3>();
  TieredStoreOptions options;
  options.capacity_bytes = 64 * 1024;
  auto store = TieredStore::Open(parts->cold.get(), parts->dir.path(), options);
  if (!store.ok()) return {};
  return {parts, std::move(*store)};
}

INSTANTIATE_TEST_SUITE_P(
    Rgw, StoreConformanceTest,
    ::testing::Values(StoreFactory{"PathStyle", [] { return MakeS3(true); }},
                      StoreFactory{"VirtualHost", [] { return MakeS3(false); }},
                      StoreFactory{"TieredOverS3", MakeTieredOverS3}),
    [](const ::testing::TestParamInfo<StoreFactory>& info) { return info.param.name; });

TEST_F(RgwTest, WrongSecretIsAClearAuthenticationError) {
  S3Options bad = options_;
  bad.secret_access_key = "definitely-not-the-secret";
  auto store = OpenRgw(bad);
  Status s = store->Put("k", "v");
  EXPECT_TRUE(s.Is(Code::kPermissionDenied)) << s.ToString();
  EXPECT_NE(s.message().find("SignatureDoesNotMatch"), std::string::npos) << s.ToString();
  EXPECT_EQ(s.message().find("definitely-not-the-secret"), std::string::npos);
  EXPECT_EQ(store->retries(), 0u);  // 4xx is never retried
  bad.access_key_id = "NOSUCHACCESSKEY";
  Status unknown = OpenRgw(bad)->Get("k").status();
  EXPECT_TRUE(unknown.Is(Code::kPermissionDenied)) << unknown.ToString();
}

TEST_F(RgwTest, MissingBucketIsNotFound) {
  S3Options other = options_;
  other.bucket = "nokv-no-such-bucket";
  Status s = OpenRgw(other)->Get("k").status();
  EXPECT_TRUE(s.Is(Code::kNotFound)) << s.ToString();
  EXPECT_NE(s.message().find("NoSuchBucket"), std::string::npos) << s.ToString();
}

TEST_F(RgwTest, ObjectsWrittenByNoKVReadBackByteIdenticalWithAwsCli) {
  std::string body = RandomBytes(300'000, 11);
  std::string key = "cross/\xC3\xA9t\xC3\xA9 a+b%c.bin";
  ASSERT_TRUE(store_->Put(key, body).ok());
  std::string out = dir_.Sub("out.bin");
  ASSERT_EQ(Aws("s3api get-object --bucket " + options_.bucket + " --key " +
                Quote(options_.key_prefix + key) + " " + out),
            0)
      << AwsError();
  EXPECT_EQ(ReadFile(out), body);
}

TEST_F(RgwTest, ObjectsWrittenByAwsCliReadBackByteIdenticalWithNoKV) {
  std::string body = RandomBytes(200'000, 12);
  std::string in = dir_.Sub("in.bin");
  std::ofstream(in, std::ios::binary) << body;
  std::string key = "from-aws/sp ace+plus%pct/\xE2\x9C\x93";
  ASSERT_EQ(Aws("s3api put-object --bucket " + options_.bucket + " --key " +
                Quote(options_.key_prefix + key) + " --body " + in),
            0)
      << AwsError();
  EXPECT_EQ(store_->Get(key).value(), body);
  EXPECT_EQ(store_->GetRange(key, ByteRange{1000, 10}).value(), body.substr(1000, 10));
  EXPECT_EQ(store_->Head(key)->size, body.size());
  auto listed = store_->List(ListOptions{"from-aws/", "", 0}).value();
  ASSERT_EQ(listed.objects.size(), 1u);
  EXPECT_EQ(listed.objects[0].key, key);
}

TEST_F(RgwTest, ListingFollowsContinuationPast1000Keys) {
  constexpr int kKeys = 1234;
  ThreadPool pool(16);
  WaitGroup done;
  std::atomic<int> failures{0};
  for (int i = 0; i < kKeys; ++i) {
    done.Add();
    pool.Schedule([&, i] {
      char key[32];
      std::snprintf(key, sizeof(key), "many/%05d", i);
      if (!store_->Put(key, "").ok()) ++failures;
      done.Done();
    });
  }
  done.Wait();
  ASSERT_EQ(failures.load(), 0);
  auto all = store_->List(ListOptions{"many/", "", 0});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->objects.size(), static_cast<size_t>(kKeys));
  EXPECT_EQ(all->objects.front().key, "many/00000");
  EXPECT_EQ(all->objects.back().key, "many/01233");
  EXPECT_FALSE(all->truncated);
  auto page = store_->List(ListOptions{"many/", "many/00999", 1100});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->objects.size(), 234u);
  auto limited = store_->List(ListOptions{"many/", "", 1001});
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->objects.size(), 1001u);
  EXPECT_TRUE(limited->truncated);
  // TearDown removes them with multi-object delete (two batches).
}

TEST_F(RgwTest, LargeBodyUsesMultipartAndReadsBackWithAwsCli) {
  S3Options multi = options_;
  multi.multipart_threshold = 5 << 20;
  multi.part_size = 5 << 20;
  auto store = OpenRgw(multi);
  std::string body = RandomBytes((12 << 20) + 123, 13);
  ASSERT_TRUE(store->Put("multi/big", body).ok());
  EXPECT_EQ(store->Head("multi/big")->size, body.size());
  EXPECT_NE(store->Head("multi/big")->etag.find("-3"), std::string::npos);  // 3 parts
  EXPECT_EQ(store->Get("multi/big").value(), body);
  std::string out = dir_.Sub("multi.bin");
  ASSERT_EQ(Aws("s3api get-object --bucket " + options_.bucket + " --key " +
                Quote(multi.key_prefix + "multi/big") + " " + out),
            0)
      << AwsError();
  EXPECT_EQ(ReadFile(out), body);
  PutOptions once;
  once.if_none_match = true;
  EXPECT_TRUE(store->Put("multi/big", body, once).Is(Code::kAlreadyExists));
}

TEST_F(RgwTest, BlocksRoundTripThroughS3WithVerification) {
  ThreadPool pool(16);
  std::string body = RandomBytes((5 << 20) + 777, 14);
  BlockWriterOptions options;
  options.block_size = 1 << 20;
  auto layout = BlockWriter::WriteBody(store_.get(), &pool, body, options);
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  ASSERT_EQ(layout->blocks.size(), 6u);
  BlockReader reader(store_.get(), &pool, *layout);
  std::string out;
  ASSERT_TRUE(reader.Read(0, body.size(), &out).ok());
  EXPECT_EQ(out, body);
  ASSERT_TRUE(reader.Read((1 << 20) - 10, 20, &out).ok());
  EXPECT_EQ(out, body.substr((1 << 20) - 10, 20));
  // A ranged read moves only the 64 KiB chunk it needs (a ranged GET).
  BlockReader ranged(store_.get(), &pool, *layout);
  ASSERT_TRUE(ranged.Read((2 << 20) + 70000, 16384, &out).ok());
  EXPECT_EQ(out, body.substr((2 << 20) + 70000, 16384));
  EXPECT_EQ(ranged.stats().bytes_fetched, 65536u);  // chunk 1 of block 2
  // Flip one byte of a block behind the reader's back (chunk 1 of block 2):
  // whole reads and ranged reads over that chunk notice, a ranged read of
  // another chunk of the block is served intact.
  std::string key = BlockKey(layout->blocks[2].digest);
  std::string damaged = body.substr(2 << 20, 1 << 20);
  damaged[70000] ^= 0x08;
  ASSERT_TRUE(store_->Put(key, damaged).ok());
  BlockReader again(store_.get(), &pool, *layout);
  Status s = again.Read(0, body.size(), &out);
  EXPECT_TRUE(s.Is(Code::kCorruption)) << s.ToString();
  EXPECT_NE(s.message().find(key), std::string::npos);
  EXPECT_TRUE(out.empty());
  s = again.Read((2 << 20) + 69990, 20, &out);
  EXPECT_TRUE(s.Is(Code::kCorruption)) << s.ToString();
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(again.Read((2 << 20) + 200000, 4096, &out).ok());
  EXPECT_EQ(out, body.substr((2 << 20) + 200000, 4096));
}

TEST_F(RgwTest, PayloadHashIsCheckedByTheServer) {
  PutOptions lying;
  lying.sha256 = Sha256::Of("some other body");
  Status s = store_->Put("hashed", "the real body", lying);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("XAmzContentSHA256Mismatch"), std::string::npos) << s.ToString();
  EXPECT_TRUE(store_->Get("hashed").status().Is(Code::kNotFound));
}

TEST_F(RgwTest, UnsignedPayloadIsAcceptedToo) {
  S3Options unsigned_opts = options_;
  unsigned_opts.sign_payload = false;
  auto store = OpenRgw(unsigned_opts);
  ASSERT_TRUE(store->Put("unsigned", "payload").ok());
  EXPECT_EQ(store_->Get("unsigned").value(), "payload");
}

}  // namespace
}  // namespace nokv::object::testing
