// The server side of the metadata methods, called directly (no sockets):
// leases on pins and uploads expire unless renewed, arguments are checked,
// unknown methods are refused.
#include "server/methods.h"

#include <gtest/gtest.h>

#include "memory_fs.h"
#include "server/batch.h"
#include "test_dir.h"

namespace nokv::server {
namespace {

class MethodsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = OpenMemoryFs(dir_.path());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    fs_ = std::move(opened).value();
    MethodOptions method_options;
    method_options.lease_ttl = std::chrono::seconds(60);
    method_options.now = [this] { return now_; };
    methods_ = std::make_unique<MetadataMethods>(fs_->metadata(), method_options);
  }

  Result<Json> Call(std::string_view method, const Json& args) {
    return methods_->Handle(method, args);
  }

  nokv::testing::TempDir dir_;
  std::unique_ptr<fs::Filesystem> fs_;
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1)};
  std::unique_ptr<MetadataMethods> methods_;
};

TEST_F(MethodsTest, APinLivesWhileRenewedAndIsReleasedAfterItsTtl) {
  ASSERT_TRUE(Call("meta.mkdir", {{"path", "/before"}}).ok());
  auto pin = Call("meta.pin", Json::object());
  ASSERT_TRUE(pin.ok()) << pin.status().ToString();
  uint64_t id = (*pin)["id"].get<uint64_t>();
  ASSERT_TRUE(Call("meta.mkdir", {{"path", "/after"}}).ok());
  Json at = {{"pin", id}};

  now_ += std::chrono::seconds(50);
  auto renewed = Call("meta.renew", {{"ids", {id, 999}}});
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  EXPECT_EQ((*renewed)["lost"], Json::array({999}));  // never held
  now_ += std::chrono::seconds(50);                   // 100 s after the pin, 50 after renewal
  EXPECT_EQ(methods_->ReleaseExpired(), 0u);
  EXPECT_EQ(Call("meta.stat", {{"path", "/after"}, {"at", at}}).status().code(), Code::kNotFound);
  EXPECT_TRUE(Call("meta.stat", {{"path", "/before"}, {"at", at}}).ok());

  now_ += std::chrono::seconds(61);
  // The next call sweeps: the pin is gone on the server and in the backend.
  EXPECT_EQ(Call("meta.stat", {{"path", "/before"}, {"at", at}}).status().code(), Code::kExpired);
  EXPECT_EQ(methods_->leases(), 0u);
  auto lost = Call("meta.renew", {{"ids", {id}}});
  ASSERT_TRUE(lost.ok());
  EXPECT_EQ((*lost)["lost"], Json::array({id}));
}

TEST_F(MethodsTest, UploadLeasesAndOpenedFilesAreLeasesToo) {
  auto upload = Call("meta.begin_upload", Json::object());
  ASSERT_TRUE(upload.ok());
  EXPECT_EQ(methods_->leases(), 1u);
  ASSERT_TRUE(Call("meta.end_upload", {{"id", (*upload)["id"]}}).ok());
  EXPECT_EQ(methods_->leases(), 0u);
  // Ending it twice, or one that was never begun, is harmless.
  ASSERT_TRUE(Call("meta.end_upload", {{"id", (*upload)["id"]}}).ok());
  ASSERT_TRUE(Call("meta.end_upload", {{"id", 12345}}).ok());

  ASSERT_TRUE(Call("meta.mkdir", {{"path", "/d"}}).ok());
  EXPECT_EQ(Call("meta.open", {{"path", "/d"}}).status().code(), Code::kIsADirectory);
  EXPECT_EQ(methods_->leases(), 0u);  // a failed open holds nothing

  upload = Call("meta.begin_upload", Json::object());
  ASSERT_TRUE(upload.ok());
  now_ += std::chrono::seconds(61);
  EXPECT_EQ(methods_->ReleaseExpired(), 1u);
  EXPECT_EQ(methods_->leases(), 0u);
}

TEST_F(MethodsTest, BadArgumentsAndUnknownMethodsAreRefused) {
  EXPECT_EQ(Call("meta.nope", Json::object()).status().code(), Code::kNotSupported);
  EXPECT_EQ(Call("meta.stat", Json::array()).status().code(), Code::kInvalidArgument);
  auto missing = Call("meta.stat", Json::object());
  EXPECT_EQ(missing.status().code(), Code::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("'path'"), std::string::npos);
  EXPECT_EQ(Call("meta.getattr", {{"inode", -1}}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Call("meta.rename", {{"from", "/a"}, {"to", "/b"}, {"mode", 7}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Call("meta.publish", {{"files", Json::array()}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(
      Call("meta.setxattr", {{"inode", 1}, {"name", "user.a"}, {"value", "text"}}).status().code(),
      Code::kInvalidArgument);
  EXPECT_EQ(Call("meta.renew", {{"ids", {"x"}}}).status().code(), Code::kInvalidArgument);
  // Backend errors come through with their codes.
  EXPECT_EQ(Call("meta.stat", {{"path", "/none"}}).status().code(), Code::kNotFound);
}

TEST_F(MethodsTest, VerbsRunInTheServerWithTheirScope) {
  ASSERT_TRUE(Call("meta.mkdir", {{"path", "/runs"}}).ok());
  auto listed = Call(
      "meta.verb",
      {{"verb", "ls"}, {"args", {{"path", "/runs"}}}, {"scope", ToWire(query::ServiceOptions{})}});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_FALSE(listed->contains("error")) << listed->dump();
  query::ServiceOptions scope;
  scope.root = "/runs";
  EXPECT_TRUE(Call("meta.verb_scope", {{"scope", ToWire(scope)}}).ok());
  scope.root = "/missing";
  EXPECT_EQ(Call("meta.verb_scope", {{"scope", ToWire(scope)}}).status().code(), Code::kNotFound);
}

// The code of a batch answer's item `i` (0 = OK).
uint64_t ItemCode(const Json& items, size_t i) { return items.at(i).at("c").get<uint64_t>(); }

TEST_F(MethodsTest, BatchRunsItsCallsInOrderEachOnItsOwn) {
  Json calls = Json::array({
      {{"method", "meta.mkdir"}, {"args", {{"path", "/a"}}}},
      {{"method", "meta.mkdir"}, {"args", {{"path", "/a"}}}},  // fails: exists
      {{"method", "meta.stat"}, {"args", {{"path", "/a"}}}},   // sees the first call
      {{"method", "meta.nope"}},
      {{"method", "meta.mkdir"}, {"args", {{"path", "/b"}}}},  // runs despite the failures
  });
  auto items = Call("meta.batch", {{"calls", calls}});
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 5u);
  EXPECT_EQ(ItemCode(*items, 0), 0u);
  EXPECT_EQ(ItemCode(*items, 1), static_cast<uint64_t>(Code::kAlreadyExists));
  EXPECT_EQ(ItemCode(*items, 2), 0u);
  auto attr = FromWire<meta::Attr>(items->at(2).at("v"));
  ASSERT_TRUE(attr.ok()) << attr.status().ToString();
  EXPECT_EQ(attr->type, meta::FileType::kDirectory);
  EXPECT_EQ(ItemCode(*items, 3), static_cast<uint64_t>(Code::kNotSupported));
  EXPECT_EQ(ItemCode(*items, 4), 0u);
  EXPECT_TRUE(Call("meta.stat", {{"path", "/b"}}).ok());
  // Each call is counted as its own method, like a single call.
  EXPECT_EQ(methods_->counters().at("meta.mkdir").calls.load(), 3u);
  EXPECT_EQ(methods_->counters().at("meta.mkdir").errors.load(), 1u);
}

TEST_F(MethodsTest, BatchStopsAtTheFirstFailureOnlyWhenAsked) {
  Json calls = Json::array({
      {{"method", "meta.mkdir"}, {"args", {{"path", "/x/y"}}}},  // fails: no /x
      {{"method", "meta.mkdir"}, {"args", {{"path", "/z"}}}},
  });
  auto items = Call("meta.batch", {{"calls", calls}, {"stop_on_error", true}});
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  EXPECT_EQ(ItemCode(*items, 0), static_cast<uint64_t>(Code::kNotFound));
  EXPECT_EQ(ItemCode(*items, 1), static_cast<uint64_t>(Code::kCancelled));
  EXPECT_EQ(Call("meta.stat", {{"path", "/z"}}).status().code(), Code::kNotFound);
}

TEST_F(MethodsTest, BatchRefusesTooManyCallsNestingAndLongPolls) {
  Json many = Json::array();
  for (size_t i = 0; i <= kMaxBatchCalls; ++i) {
    many.push_back({{"method", "meta.mkdir"}, {"args", {{"path", "/m" + std::to_string(i)}}}});
  }
  EXPECT_EQ(Call("meta.batch", {{"calls", many}}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Call("meta.stat", {{"path", "/m0"}}).status().code(), Code::kNotFound)
      << "a refused batch runs none of its calls";
  EXPECT_EQ(Call("meta.batch", {{"calls", "x"}}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Call("meta.batch", {{"calls", Json::array()}, {"stop_on_error", 1}}).status().code(),
            Code::kInvalidArgument);
  Json odd = Json::array({
      {{"method", "meta.batch"}, {"args", {{"calls", Json::array()}}}},
      {{"method", "meta.watch"}, {"args", {{"path", "/"}, {"wait_ms", 1000}}}},
      {{"args", Json::object()}},
      "meta.stat",
  });
  auto items = Call("meta.batch", {{"calls", odd}});
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  EXPECT_EQ(ItemCode(*items, 0), static_cast<uint64_t>(Code::kNotSupported));
  EXPECT_EQ(ItemCode(*items, 1), static_cast<uint64_t>(Code::kNotSupported));
  EXPECT_EQ(ItemCode(*items, 2), static_cast<uint64_t>(Code::kInvalidArgument));
  EXPECT_EQ(ItemCode(*items, 3), static_cast<uint64_t>(Code::kInvalidArgument));
}

TEST_F(MethodsTest, PinsTakenInABatchAreLeases) {
  Json calls = Json::array({{{"method", "meta.pin"}}, {{"method", "meta.begin_upload"}}});
  auto items = Call("meta.batch", {{"calls", calls}});
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  EXPECT_EQ(methods_->leases(), 2u);
  now_ += std::chrono::seconds(61);
  EXPECT_EQ(methods_->ReleaseExpired(), 2u);
}

TEST_F(MethodsTest, OnlyCheapMethodsRunInline) {
  EXPECT_TRUE(methods_->RunsInline("meta.stat"));
  EXPECT_TRUE(methods_->RunsInline("meta.lookup"));
  EXPECT_TRUE(methods_->RunsInline("meta.readdir"));
  EXPECT_FALSE(methods_->RunsInline("meta.createat")) << "mutations wait for fsync by default";
  for (const char* slow : {"meta.watch", "meta.batch", "meta.publish", "meta.gc", "meta.checkpoint",
                           "meta.verb", "meta.nope"}) {
    EXPECT_FALSE(methods_->RunsInline(slow)) << slow;
  }
  MethodOptions options;
  options.inline_mutations = true;
  MetadataMethods no_fsync(fs_->metadata(), options);
  EXPECT_TRUE(no_fsync.RunsInline("meta.createat"));
  EXPECT_TRUE(no_fsync.RunsInline("meta.unlinkat"));
  EXPECT_FALSE(no_fsync.RunsInline("meta.publish"));
  EXPECT_FALSE(no_fsync.RunsInline("meta.watch"));
}

}  // namespace
}  // namespace nokv::server
