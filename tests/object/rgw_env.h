// Helpers for tests against the RGW started by scripts/start-s3.sh (the s3
// ctest fixture): its env file, S3Options under a fresh key prefix, the
// /usr/bin/aws command line, and RgwTest, a fixture that cleans up after itself.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "object/s3_store.h"
#include "test_dir.h"

namespace nokv::object::testing {

// $NOKV_S3_ENV_FILE, or the fixture's file in the build directory.
std::string EnvFilePath();
// KEY=value lines written by scripts/start-s3.sh.
std::map<std::string, std::string> ReadEnvFile();
std::string UniquePrefix();
// Options for the RGW started by the fixture, under a fresh key prefix.
S3Options RgwOptions();
void RequireRgw();
std::unique_ptr<S3Store> OpenRgw(S3Options options = RgwOptions());

// Opens the RGW under a fresh prefix; TearDown deletes what the test wrote.
class RgwTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RequireRgw();
    options_ = RgwOptions();
    store_ = OpenRgw(options_);
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    if (store_ == nullptr) return;
    auto all = store_->List(ListOptions{});
    if (!all.ok()) return;
    std::vector<std::string> keys;
    for (const auto& info : all->objects) keys.push_back(info.key);
    EXPECT_TRUE(store_->DeleteMany(keys).ok());
  }

  // Runs /usr/bin/aws with the RGW credentials (stdout to AwsOutput(),
  // stderr to AwsError()); returns its exit status.
  int Aws(const std::string& args) {
    auto vars = ReadEnvFile();
    std::string cmd = "AWS_ACCESS_KEY_ID='" + vars["AWS_ACCESS_KEY_ID"] +
                      "' AWS_SECRET_ACCESS_KEY='" + vars["AWS_SECRET_ACCESS_KEY"] +
                      "' AWS_REGION='" + vars["AWS_REGION"] +
                      "' AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null "
                      "AWS_EC2_METADATA_DISABLED=true /usr/bin/aws --endpoint-url " +
                      vars["NOKV_S3_ENDPOINT"] + " " + args + " >" + dir_.Sub("aws.out") + " 2>" +
                      dir_.Sub("aws.err");
    return std::system(cmd.c_str());
  }
  static std::string Quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  }
  std::string AwsOutput() { return ReadFile(dir_.Sub("aws.out")); }
  std::string AwsError() {
    std::ifstream in(dir_.Sub("aws.err"));
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  nokv::testing::TempDir dir_;
  S3Options options_;
  std::unique_ptr<S3Store> store_;
};

}  // namespace nokv::object::testing
