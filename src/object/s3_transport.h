// S3Transport: signed HTTP requests over libcurl with connection reuse,
// timeouts and retries. S3Store builds requests; this class sends them.
//
// libcurl is loaded on the first S3Transport a process creates (curl_api.h);
// when it cannot be, every Perform fails with NotSupported saying why.
//
// Signing uses libcurl's built-in SigV4 (CURLOPT_AWS_SIGV4). libcurl 7.88
// does not add x-amz-content-sha256 itself, so every request carries it (the
// payload hash, or UNSIGNED-PAYLOAD). Credentials are handed to libcurl only;
// they never appear in a Status message or a log line.
//
// Connection reuse: idle easy handles (each keeps its live connection) are
// pooled and reused. Retries: connection errors, timeouts, HTTP 5xx
// (including 503 SlowDown) and 429 Too Many Requests are retried up to
// max_retries times with exponential backoff and full jitter; other 4xx never.
//
// Thread-safe: Perform may be called concurrently; each call uses its own
// easy handle.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "object/s3_options.h"

namespace nokv::object {

struct CurlApi;  // curl_api.h

struct HttpRequest {
  std::string method = "GET";        // GET, HEAD, PUT, POST, DELETE
  std::string url;                   // fully encoded (path and sorted query)
  std::vector<std::string> headers;  // "Name: value"
  std::string_view body;             // PUT/POST payload; borrowed for the call
  std::string payload_sha256;        // hex, or "UNSIGNED-PAYLOAD"
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  int attempts = 0;

  // The value of header `name` (lowercase), or empty.
  std::string Header(std::string_view name) const;
};

// The SHA-256 hex of the empty payload.
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

class S3Transport {
 public:
  explicit S3Transport(const S3Options& options);
  ~S3Transport();
  S3Transport(const S3Transport&) = delete;
  S3Transport& operator=(const S3Transport&) = delete;

  // Sends `request`, retrying as described above. Returns the final HTTP
  // response whatever its status (a 5xx only after retries ran out), or an
  // error when no response arrived: TimedOut or IOError naming `what` and the
  // attempts made.
  Result<HttpResponse> Perform(const HttpRequest& request, std::string_view what);

  // Total retries performed (tests and benchmarks).
  uint64_t retries() const;

 private:
  // One attempt on one handle. Returns the curl result code.
  int PerformOnce(void* handle, const HttpRequest& request, HttpResponse* response,
                  std::string* error);
  void* AcquireHandle();
  void ReleaseHandle(void* handle);
  void SleepBeforeRetry(int attempt);

  const S3Options options_;
  const std::string sigv4_;        // "aws:amz:<region>:s3"
  const CurlApi* curl_ = nullptr;  // null when libcurl could not be loaded
  Status load_error_;              // why not

  mutable std::mutex mu_;
  std::vector<void*> idle_;  // guarded by mu_: idle CURL* handles
  uint64_t retries_ = 0;     // guarded by mu_
};

}  // namespace nokv::object
