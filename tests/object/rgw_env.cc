// Helpers for tests against the RGW of scripts/start-s3.sh (see rgw_env.h).
#include "rgw_env.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>

namespace nokv::object::testing {

std::string EnvFilePath() {
  const char* path = std::getenv("NOKV_S3_ENV_FILE");
  return path != nullptr ? path : NOKV_S3_ENV_FILE_DEFAULT;
}

// KEY=value lines written by scripts/start-s3.sh.
std::map<std::string, std::string> ReadEnvFile() {
  std::map<std::string, std::string> vars;
  std::ifstream in(EnvFilePath());
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    vars[line.substr(0, eq)] = value;
  }
  return vars;
}

std::string UniquePrefix() {
  std::random_device rd;
  return "t" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 1000000) + "/";
}

// Options for the RGW started by the fixture, under a fresh key prefix.
S3Options RgwOptions() {
  auto vars = ReadEnvFile();
  S3Options options;
  options.endpoint = vars["NOKV_S3_ENDPOINT"];
  options.bucket = vars["NOKV_S3_BUCKET"];
  options.access_key_id = vars["AWS_ACCESS_KEY_ID"];
  options.secret_access_key = vars["AWS_SECRET_ACCESS_KEY"];
  options.region = vars["AWS_REGION"];
  options.key_prefix = UniquePrefix();
  options.max_retries = 2;
  return options;
}

void RequireRgw() {
  ASSERT_FALSE(ReadEnvFile()["NOKV_S3_ENDPOINT"].empty())
      << "no RGW env file at " << EnvFilePath()
      << "; run these through ctest (fixture s3_setup) or scripts/start-s3.sh";
}

std::unique_ptr<S3Store> OpenRgw(S3Options options) {
  auto store = S3Store::Open(options);
  return store.ok() ? std::move(*store) : nullptr;
}

}  // namespace nokv::object::testing
