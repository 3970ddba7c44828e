// S3Transport implementation over the libcurl easy interface.
#include "object/s3_transport.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include "common/logging.h"
#include "object/curl_api.h"

namespace nokv::object {
namespace {

constexpr size_t kMaxIdleHandles = 64;

struct UploadCursor {
  std::string_view body;
  size_t pos = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* cursor = static_cast<UploadCursor*>(userdata);
  size_t n = std::min(size * nitems, cursor->body.size() - cursor->pos);
  std::memcpy(buffer, cursor->body.data() + cursor->pos, n);
  cursor->pos += n;
  return n;
}

int SeekBody(void* userdata, curl_off_t offset, int origin) {
  auto* cursor = static_cast<UploadCursor*>(userdata);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > cursor->body.size()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  cursor->pos = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t WriteBody(char* data, size_t size, size_t nmemb, void* userdata) {
  static_cast<HttpResponse*>(userdata)->body.append(data, size * nmemb);
  return size * nmemb;
}

size_t WriteHeader(char* data, size_t size, size_t nitems, void* userdata) {
  auto* response = static_cast<HttpResponse*>(userdata);
  std::string_view line(data, size * nitems);
  if (line.starts_with("HTTP/")) {
    response->headers.clear();  // a new response (after 100 Continue)
    response->body.clear();
    return line.size();
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return line.size();
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  response->headers.emplace_back(std::move(name), std::string(value));
  return line.size();
}

bool RetryableCurlError(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SEND_FAIL_REWIND:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::string();
}

S3Transport::S3Transport(const S3Options& options)
    : options_(options), sigv4_("aws:amz:" + options.region + ":s3") {
  Result<const CurlApi*> api = LoadCurlApi();
  if (api.ok()) {
    curl_ = *api;
  } else {
    load_error_ = api.status();
  }
}

S3Transport::~S3Transport() {
  for (void* handle : idle_) curl_->easy_cleanup(static_cast<CURL*>(handle));
}

uint64_t S3Transport::retries() const {
  std::lock_guard lock(mu_);
  return retries_;
}

void* S3Transport::AcquireHandle() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      void* handle = idle_.back();
      idle_.pop_back();
      return handle;
    }
  }
  return curl_->easy_init();
}

void S3Transport::ReleaseHandle(void* handle) {
  {
    std::lock_guard lock(mu_);
    if (idle_.size() < kMaxIdleHandles) {
      idle_.push_back(handle);
      return;
    }
  }
  curl_->easy_cleanup(static_cast<CURL*>(handle));
}

int S3Transport::PerformOnce(void* raw, const HttpRequest& request, HttpResponse* response,
                             std::string* error) {
  CURL* h = static_cast<CURL*>(raw);
  curl_->easy_reset(h);  // keeps the live connection
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_->easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_->easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);  // keys may contain "." and ".." segments
  curl_->easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  curl_->easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout_ms));
  if (options_.stall_timeout_ms > 0) {
    curl_->easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_->easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                       static_cast<long>(std::max<int64_t>(1, options_.stall_timeout_ms / 1000)));
  }
  if (!options_.access_key_id.empty()) {
    curl_->easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4_.c_str());
    curl_->easy_setopt(h, CURLOPT_USERNAME, options_.access_key_id.c_str());
    curl_->easy_setopt(h, CURLOPT_PASSWORD, options_.secret_access_key.c_str());
  }

  curl_slist* headers = nullptr;
  std::string sha =
      "x-amz-content-sha256: " +
      (request.payload_sha256.empty() ? std::string(kEmptyPayloadSha256) : request.payload_sha256);
  headers = curl_->slist_append(headers, sha.c_str());
  std::string token;
  if (!options_.session_token.empty()) {
    token = "x-amz-security-token: " + options_.session_token;
    headers = curl_->slist_append(headers, token.c_str());
  }
  for (const std::string& header : request.headers)
    headers = curl_->slist_append(headers, header.c_str());
  curl_->easy_setopt(h, CURLOPT_HTTPHEADER, headers);

  UploadCursor cursor{request.body, 0};
  if (request.method == "HEAD") {
    curl_->easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    curl_->easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_->easy_setopt(h, CURLOPT_READFUNCTION, ReadBody);
    curl_->easy_setopt(h, CURLOPT_READDATA, &cursor);
    curl_->easy_setopt(h, CURLOPT_SEEKFUNCTION, SeekBody);
    curl_->easy_setopt(h, CURLOPT_SEEKDATA, &cursor);
    curl_->easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "POST") {
    curl_->easy_setopt(h, CURLOPT_POST, 1L);
    curl_->easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
  } else if (request.method != "GET") {
    curl_->easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_->easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_->easy_setopt(h, CURLOPT_WRITEDATA, response);
  curl_->easy_setopt(h, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_->easy_setopt(h, CURLOPT_HEADERDATA, response);

  response->status = 0;
  response->body.clear();
  response->headers.clear();
  CURLcode code = curl_->easy_perform(h);
  curl_->slist_free_all(headers);
  if (code == CURLE_OK) {
    curl_->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response->status);
  } else {
    *error = errbuf[0] != '\0' ? std::string(errbuf) : std::string(curl_->easy_strerror(code));
  }
  curl_->easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  return static_cast<int>(code);
}

void S3Transport::SleepBeforeRetry(int attempt) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  int64_t cap = options_.retry_base_delay_ms << std::min(attempt, 20);
  cap = std::min(cap, options_.retry_max_delay_ms);
  std::uniform_int_distribution<int64_t> jitter(0, std::max<int64_t>(cap, 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(jitter(rng)));
  std::lock_guard lock(mu_);
  ++retries_;
}

Result<HttpResponse> S3Transport::Perform(const HttpRequest& request, std::string_view what) {
  if (curl_ == nullptr) return load_error_;
  HttpResponse response;
  std::string error;
  CURLcode last = CURLE_OK;
  for (int attempt = 0;; ++attempt) {
    void* handle = AcquireHandle();
    if (handle == nullptr) return Status::IOError("S3: curl_easy_init failed");
    error.clear();
    last = static_cast<CURLcode>(PerformOnce(handle, request, &response, &error));
    if (last == CURLE_OK) {
      ReleaseHandle(handle);
    } else {
      curl_->easy_cleanup(static_cast<CURL*>(handle));  // its connection may be broken
    }
    response.attempts = attempt + 1;
    // 5xx and 429 (Too Many Requests / SlowDown) are transient; other 4xx are not.
    bool retry = last == CURLE_OK ? response.status >= 500 || response.status == 429
                                  : RetryableCurlError(last);
    if (!retry || attempt >= options_.max_retries) break;
    NOKV_LOG(kDebug) << "S3 " << what << ": attempt " << attempt + 1 << " failed ("
                     << (last == CURLE_OK ? "HTTP " + std::to_string(response.status) : error)
                     << "), retrying";
    SleepBeforeRetry(attempt);
  }
  if (last == CURLE_OK) return response;
  std::string message = "S3 " + std::string(what) + ": " + error + " (after " +
                        std::to_string(response.attempts) + " attempts)";
  if (last == CURLE_OPERATION_TIMEDOUT) return Status::TimedOut(message);
  return Status::IOError(message);
}

}  // namespace nokv::object
