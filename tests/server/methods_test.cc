// The server side of the metadata methods, called directly (no sockets):
// leases on pins and uploads expire unless renewed, arguments are checked,
// unknown methods are refused.
#include "server/methods.h"

#include <gtest/gtest.h>

#include "memory_fs.h"
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

}  // namespace
}  // namespace nokv::server
