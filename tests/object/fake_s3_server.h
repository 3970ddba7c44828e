// FakeS3Server: a tiny HTTP/1.1 server on 127.0.0.1 (port 0) that keeps
// objects in memory and answers PUT/GET/HEAD/DELETE like S3, for fault
// injection: scripted faults are consumed by the next requests in order.
// Multipart uploads (initiate, parts, complete, abort) work like S3, with
// MD5 ETags, so a completed object's ETag is S3's "md5-of-md5s-N".
//
//   kNone          no fault: serve this request normally (pads a script)
//   kStatus503     answer 503 SlowDown
//   kStatus429     answer 429 Too Many Requests (SlowDown)
//   kStatus500     answer 500 InternalError
//   kStatus403     answer 403 SignatureDoesNotMatch
//   kResetMidBody  read half of the request body, then reset the connection
//   kHang          read the request and never answer (until Stop)
//   kNoSuchUpload  answer 404 NoSuchUpload (without touching the upload)
//   kDropResponse  serve the request (its effect happens), then reset the
//                  connection instead of answering: a lost 200
//
// It does not check signatures (RGW does that in the s3 suite); it records
// each request's method, target and headers for assertions.
// Thread-safe: one accept thread plus one thread per connection.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace nokv::object::testing {

enum class Fault {
  kNone,
  kStatus503,
  kStatus429,
  kStatus500,
  kStatus403,
  kResetMidBody,
  kHang,
  kNoSuchUpload,
  kDropResponse
};

struct RecordedRequest {
  std::string method;
  std::string target;                          // path and query as sent
  std::map<std::string, std::string> headers;  // lowercased names
  size_t body_bytes = 0;
};

class FakeS3Server {
 public:
  FakeS3Server();
  ~FakeS3Server();
  FakeS3Server(const FakeS3Server&) = delete;
  FakeS3Server& operator=(const FakeS3Server&) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void InjectFaults(std::vector<Fault> faults);
  std::vector<RecordedRequest> requests() const;
  bool HasObject(const std::string& target) const;
  size_t object_count() const;
  void Stop();

 private:
  void AcceptLoop();
  void Serve(int fd);
  // Handles one request; false to close the connection.
  bool HandleOne(int fd, std::string* buffer);
  std::string Respond(const std::string& method, const std::string& path,
                      const std::map<std::string, std::string>& headers, std::string body);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Fault> faults_;               // guarded by mu_
  std::vector<RecordedRequest> requests_;  // guarded by mu_
  struct Upload {
    std::string path;
    std::map<int, std::string> parts;  // part number -> body
  };
  std::string RespondMultipart(const std::string& method, const std::string& path,
                               const std::string& query, std::string body);  // under mu_

  std::map<std::string, std::string> objects_;  // guarded by mu_: path -> body
  std::map<std::string, std::string> etags_;    // guarded by mu_: path -> quoted ETag
  std::map<std::string, Upload> uploads_;       // guarded by mu_: upload id -> upload
  int next_upload_ = 0;                         // guarded by mu_
  std::vector<std::thread> connections_;        // guarded by mu_
  std::vector<int> open_fds_;                   // guarded by mu_
};

}  // namespace nokv::object::testing
