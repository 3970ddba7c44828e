// Settings kept with the data, against the local Ceph RGW (the s3 ctest
// fixture, scripts/start-s3.sh): `nokv init` with S3 flags checks the bucket
// and the credentials, records the store, and later commands need no flags;
// credentials come from the environment or an AWS profile, never the data
// directory. Every run gets a clean environment (env -i) and its own HOME.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "run_nokv.h"
#include "test_dir.h"

namespace nokv {
namespace {

namespace stdfs = std::filesystem;
using testing::RunResult;

std::map<std::string, std::string> ReadEnvFile() {
  const char* path = std::getenv("NOKV_S3_ENV_FILE");
  std::ifstream in(path != nullptr ? path : NOKV_S3_ENV_FILE_DEFAULT);
  std::map<std::string, std::string> vars;
  for (std::string line; std::getline(in, line);) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) vars[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return vars;
}

class CliS3Test : public ::testing::Test {
 protected:
  void SetUp() override {
    rgw_ = ReadEnvFile();
    ASSERT_TRUE(rgw_.contains("NOKV_S3_ENDPOINT")) << "the RGW is not running (ctest -L s3)";
    std::random_device rd;
    prefix_ = "cli-" + std::to_string(rd()) + "/";
    stdfs::create_directories(home_.path());
  }

  // nokv with only `env` (plus HOME and PATH) in its environment.
  RunResult Run(const std::vector<std::string>& args, const std::vector<std::string>& env,
                const std::string& input = {}) {
    std::vector<std::string> argv = {"env", "-i", "HOME=" + home_.path(), "PATH=/usr/bin:/bin"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {NOKV_BINARY, "--data-dir", data_.path()});
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunProgram(argv, input);
  }
  std::vector<std::string> Keys() const {
    return {"AWS_ACCESS_KEY_ID=" + rgw_.at("AWS_ACCESS_KEY_ID"),
            "AWS_SECRET_ACCESS_KEY=" + rgw_.at("AWS_SECRET_ACCESS_KEY")};
  }
  std::vector<std::string> InitFlags(const std::string& bucket) const {
    return {"init",
            "--object-store",
            "s3",
            "--s3-endpoint",
            rgw_.at("NOKV_S3_ENDPOINT"),
            "--s3-bucket",
            bucket,
            "--s3-prefix",
            prefix_};
  }

  std::map<std::string, std::string> rgw_;
  std::string prefix_;
  nokv::testing::TempDir data_;
  nokv::testing::TempDir home_;
};

TEST_F(CliS3Test, InitRecordsTheStoreAndLaterCommandsNeedNoFlags) {
  const std::string bucket = rgw_.at("NOKV_S3_BUCKET");
  auto init = Run(InitFlags(bucket), Keys());
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_EQ(init.out,
            "initialized " + data_.path() + " (blocks in s3://" + bucket + "/" + prefix_ + ")\n");
  auto stored = nlohmann::json::parse(std::ifstream(data_.Sub("settings.json")), nullptr, false);
  EXPECT_EQ(stored["object_store"]["kind"], "s3");
  EXPECT_EQ(stored["object_store"]["bucket"], bucket);
  EXPECT_EQ(stored["object_store"]["prefix"], prefix_);
  EXPECT_EQ(stored["object_store"]["endpoint"], rgw_.at("NOKV_S3_ENDPOINT"));
  // No credential is written anywhere in the data directory.
  for (const auto& entry : stdfs::recursive_directory_iterator(data_.path())) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(bytes.find(rgw_.at("AWS_SECRET_ACCESS_KEY")), std::string::npos) << entry.path();
  }

  std::string payload(5 << 20, 'z');
  ASSERT_EQ(Run({"put", "-", "/big"}, Keys(), payload).exit_code, 0);
  auto cat = Run({"cat", "/big"}, Keys());
  ASSERT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, payload);
  // The blocks are in the bucket under the prefix: a local-store read of
  // the same directory cannot be had, because the flag is refused.
  auto local = Run({"--object-store", "local", "cat", "/big"}, Keys());
  EXPECT_EQ(local.exit_code, 2);
  EXPECT_NE(local.err.find("stores object_store s3"), std::string::npos) << local.err;
  auto other = Run({"--s3-bucket", "another", "ls", "/"}, Keys());
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find("flag --s3-bucket says another, but"), std::string::npos) << other.err;
  EXPECT_NE(other.err.find("stores s3_bucket " + bucket), std::string::npos) << other.err;

  auto shown = Run({"--json", "config", "show"}, Keys());
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  auto config = nlohmann::json::parse(shown.out, nullptr, false);
  EXPECT_EQ(config["s3_bucket"]["value"], bucket);
  EXPECT_EQ(config["s3_bucket"]["source"], "stored in " + data_.Sub("settings.json"));
  EXPECT_EQ(config["s3_credentials"]["source"], "env AWS_ACCESS_KEY_ID");
  EXPECT_EQ(shown.out.find(rgw_.at("AWS_SECRET_ACCESS_KEY")), std::string::npos);
  EXPECT_EQ(Run({"rm", "/big"}, Keys()).exit_code, 0);
  EXPECT_EQ(Run({"gc"}, Keys()).exit_code, 0);
}

TEST_F(CliS3Test, InitSaysWhatIsWrongWithTheCredentialsOrTheBucket) {
  const std::string bucket = rgw_.at("NOKV_S3_BUCKET");
  auto none = Run(InitFlags(bucket), {});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no S3 credentials: set AWS_ACCESS_KEY_ID"), std::string::npos)
      << none.err;
  auto wrong = Run(InitFlags(bucket), {"AWS_ACCESS_KEY_ID=" + rgw_.at("AWS_ACCESS_KEY_ID"),
                                       "AWS_SECRET_ACCESS_KEY=not-the-secret"});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("refused these credentials"), std::string::npos) << wrong.err;
  EXPECT_NE(wrong.err.find("SignatureDoesNotMatch"), std::string::npos) << wrong.err;
  std::random_device rd;
  std::string fresh = "nokv-cli-" + std::to_string(rd());
  auto missing = Run(InitFlags(fresh), Keys());
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("bucket " + fresh + " at " + rgw_.at("NOKV_S3_ENDPOINT") +
                             " does not exist (create it, or pass --create-bucket)"),
            std::string::npos)
      << missing.err;
  // Nothing was made by the failed inits.
  EXPECT_FALSE(stdfs::exists(data_.Sub("settings.json")));
  EXPECT_FALSE(stdfs::exists(data_.Sub("NOKV")));
  auto flags = InitFlags(fresh);
  flags.push_back("--create-bucket");
  auto created = Run(flags, Keys());
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ASSERT_EQ(Run({"put", "-", "/f"}, Keys(), "in a new bucket").exit_code, 0);
  EXPECT_EQ(Run({"cat", "/f"}, Keys()).out, "in a new bucket");
}

TEST_F(CliS3Test, CredentialsComeFromAnAwsProfile) {
  stdfs::create_directories(home_.Sub(".aws"));
  std::ofstream(home_.Sub(".aws/credentials"))
      << "[default]\naws_access_key_id = WRONG\naws_secret_access_key = wrong\n\n"
      << "[ci]\naws_access_key_id = " << rgw_.at("AWS_ACCESS_KEY_ID")
      << "\naws_secret_access_key = " << rgw_.at("AWS_SECRET_ACCESS_KEY") << "\n";
  std::ofstream(home_.Sub(".aws/config")) << "[profile ci]\nregion = us-east-1\n";
  auto init = Run(InitFlags(rgw_.at("NOKV_S3_BUCKET")), {"AWS_PROFILE=ci"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  ASSERT_EQ(Run({"put", "-", "/p"}, {"AWS_PROFILE=ci"}, "profiled").exit_code, 0);
  EXPECT_EQ(Run({"--s3-profile", "ci", "cat", "/p"}, {}).out, "profiled");
  auto config = nlohmann::json::parse(Run({"--json", "config", "show"}, {"AWS_PROFILE=ci"}).out,
                                      nullptr, false);
  EXPECT_EQ(config["s3_credentials"]["source"], home_.Sub(".aws/credentials") + " [ci]");
  // The default profile's keys are refused by the RGW; a missing profile is named.
  auto wrong = Run({"cat", "/p"}, {});
  EXPECT_NE(wrong.exit_code, 0);
  auto unknown = Run({"cat", "/p"}, {"AWS_PROFILE=nope"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_NE(unknown.err.find("AWS profile 'nope'"), std::string::npos) << unknown.err;
}

TEST_F(CliS3Test, ADataDirectoryLostWholeIsRestoredFromItsBackupInTheBucket) {
  const std::string bucket = rgw_.at("NOKV_S3_BUCKET");
  ASSERT_EQ(Run(InitFlags(bucket), Keys()).exit_code, 0);
  std::mt19937 rng(11);
  std::map<std::string, std::string> files;
  for (int i = 0; i < 6; ++i) {
    std::string body(static_cast<size_t>(1 + i * 1500000), '\0');
    for (auto& c : body) c = static_cast<char>(rng());
    std::string path = "/run/ckpt-" + std::to_string(i) + ".bin";
    ASSERT_EQ(Run({"put", "-", path}, Keys(), body).exit_code, 0);
    files[path] = body;
  }
  auto backup = Run({"--json", "backup"}, Keys());
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  // The machine is gone: nothing of the data directory survives.
  stdfs::remove_all(data_.path());

  nokv::testing::TempDir parent;
  std::string fresh = parent.Sub("restored");
  std::vector<std::string> argv = {"env", "-i", "HOME=" + home_.path(), "PATH=/usr/bin:/bin"};
  for (const auto& k : Keys()) argv.push_back(k);
  std::vector<std::string> restore = {
      NOKV_BINARY,      "--data-dir", fresh,           "restore",
      "--object-store", "s3",         "--s3-endpoint", rgw_.at("NOKV_S3_ENDPOINT"),
      "--s3-bucket",    bucket,       "--s3-prefix",   prefix_};
  argv.insert(argv.end(), restore.begin(), restore.end());
  auto restored = testing::RunProgram(argv);
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  for (const auto& [path, body] : files) {
    std::vector<std::string> cat = {"env", "-i", "HOME=" + home_.path(), "PATH=/usr/bin:/bin"};
    for (const auto& k : Keys()) cat.push_back(k);
    cat.insert(cat.end(), {NOKV_BINARY, "--data-dir", fresh, "cat", path});
    auto read = testing::RunProgram(cat);
    ASSERT_EQ(read.exit_code, 0) << read.err;
    EXPECT_EQ(read.out.size(), body.size()) << path;
    EXPECT_TRUE(read.out == body) << path;
  }
}

// `nokv dump` in one data directory and `nokv load` in a second one whose
// store is the same bucket prefix: the files read back by SHA-256 from the
// blocks the first one wrote (docs/formats/dump.md).
TEST_F(CliS3Test, DumpLoadsIntoASecondDataDirectoryOnTheSameBucketPrefix) {
  ASSERT_EQ(Run(InitFlags(rgw_.at("NOKV_S3_BUCKET")), Keys()).exit_code, 0);
  std::mt19937 rng(18);
  std::string bytes(9 << 20, '\0');  // three blocks
  for (auto& c : bytes) c = static_cast<char>(rng());
  ASSERT_EQ(Run({"put", "-", "/runs/big.bin"}, Keys(), bytes).exit_code, 0);
  std::string dump_file = home_.Sub("runs.jsonl");
  auto dump = Run({"dump", "/runs", "--out", dump_file}, Keys());
  ASSERT_EQ(dump.exit_code, 0) << dump.err;

  nokv::testing::TempDir second;
  std::vector<std::string> prefix = {"env", "-i", "HOME=" + home_.path(), "PATH=/usr/bin:/bin"};
  for (const auto& key : Keys()) prefix.push_back(key);
  prefix.insert(prefix.end(), {NOKV_BINARY, "--data-dir", second.path()});
  auto run_second = [&](std::vector<std::string> args) {
    args.insert(args.begin(), prefix.begin(), prefix.end());
    return testing::RunProgram(args);
  };
  std::vector<std::string> init = InitFlags(rgw_.at("NOKV_S3_BUCKET"));
  ASSERT_EQ(run_second(init).exit_code, 0);
  auto load = run_second({"load", dump_file, "--into", "/moved"});
  ASSERT_EQ(load.exit_code, 0) << load.err;
  auto cat = run_second({"cat", "/moved/big.bin"});
  ASSERT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out.size(), bytes.size());
  EXPECT_TRUE(cat.out == bytes);
}

}  // namespace
}  // namespace nokv
