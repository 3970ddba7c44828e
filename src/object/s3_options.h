// S3Options: how S3Store reaches a bucket (endpoint, credentials, timeouts,
// retries, multipart sizes), filled from the standard AWS_* environment
// variables and/or command-line flags.
//
// Plain value type. ToString() never prints the secret key or session token.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace nokv::object {

struct S3Options {
  // "http://127.0.0.1:7480" or "https://s3.example.com"; empty means AWS
  // (https://s3.<region>.amazonaws.com).
  std::string endpoint;
  std::string bucket;
  // Prepended to every key (for example "nokv/"); listing strips it again.
  std::string key_prefix;
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  // Path-style URLs (endpoint/bucket/key) by default; virtual-host style
  // (bucket.endpoint/key) otherwise.
  bool path_style = true;

  int64_t connect_timeout_ms = 5'000;
  // Whole-request limit (0 = none) and the longest a transfer may stall
  // (no byte moved) before it is aborted; both count as retryable failures.
  int64_t request_timeout_ms = 300'000;
  int64_t stall_timeout_ms = 30'000;
  // Retries after the first attempt on 5xx, SlowDown and connection errors
  // (never on 4xx), with exponential backoff and full jitter.
  int max_retries = 5;
  int64_t retry_base_delay_ms = 50;
  int64_t retry_max_delay_ms = 5'000;

  // Bodies larger than this use multipart upload with parts of part_size
  // bytes (at least 5 MiB), uploaded multipart_concurrency at a time.
  uint64_t multipart_threshold = uint64_t{64} << 20;
  uint64_t part_size = uint64_t{16} << 20;
  size_t multipart_concurrency = 4;

  // Sign the payload hash of bodies whose SHA-256 is not supplied by the
  // caller (hashes them); otherwise send UNSIGNED-PAYLOAD.
  bool sign_payload = true;

  // Reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
  // AWS_REGION (or AWS_DEFAULT_REGION), AWS_ENDPOINT_URL_S3 or
  // AWS_ENDPOINT_URL into a default-constructed S3Options.
  static S3Options FromEnvironment();

  // Applies one flag, with or without a leading "--" and "s3-": endpoint,
  // bucket, key-prefix, region, access-key-id, secret-access-key,
  // session-token, addressing (path|virtual), connect-timeout-ms,
  // request-timeout-ms, stall-timeout-ms, max-retries, part-size,
  // multipart-threshold, multipart-concurrency, sign-payload (true|false).
  // InvalidArgument for an unknown flag or a malformed value.
  Status ApplyFlag(std::string_view name, std::string_view value);

  // InvalidArgument when something required is missing or out of range.
  Status Validate() const;

  // A one-line description without secrets.
  std::string ToString() const;
};

}  // namespace nokv::object
