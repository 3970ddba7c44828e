// FakeS3Server implementation on plain POSIX sockets.
#include "fake_s3_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace nokv::object::testing {
namespace {

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads until `buffer` holds at least `want` bytes; false on EOF or error.
bool RecvAtLeast(int fd, std::string* buffer, size_t want) {
  char chunk[65536];
  while (buffer->size() < want) {
    ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer->append(chunk, static_cast<size_t>(n));
  }
  return true;
}

std::string ErrorXml(const std::string& code, const std::string& message) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" +
         message + "</Message><RequestId>fake-req-1</RequestId></Error>";
}

std::string HttpMessage(int status, const std::string& reason, const std::string& body,
                        const std::string& extra_headers = "", bool head = false,
                        size_t content_length = 0) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
  out += "Content-Length: " + std::to_string(head ? content_length : body.size()) + "\r\n";
  out += extra_headers;
  out += "\r\n";
  if (!head) out += body;
  return out;
}

std::string Md5Raw(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string Hex(std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}

// The value of query parameter `name` in "a=1&b=2", or nullopt.
std::optional<std::string> QueryParam(const std::string& query, const std::string& name) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    std::string pair = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string::npos ? "" : pair.substr(eq + 1);
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return std::nullopt;
}

void ResetConnection(int fd) {
  linger lg{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  ::close(fd);
}

}  // namespace

FakeS3Server::FakeS3Server() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::listen(listen_fd_, 64);
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FakeS3Server::~FakeS3Server() { Stop(); }

void FakeS3Server::Stop() {
  if (stopping_.exchange(true)) return;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  acceptor_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(connections_);
  }
  cv_.notify_all();
  for (auto& t : threads) t.join();
}

void FakeS3Server::InjectFaults(std::vector<Fault> faults) {
  std::lock_guard lock(mu_);
  faults_.insert(faults_.end(), faults.begin(), faults.end());
}

std::vector<RecordedRequest> FakeS3Server::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

bool FakeS3Server::HasObject(const std::string& target) const {
  std::lock_guard lock(mu_);
  return objects_.contains(target);
}

size_t FakeS3Server::object_count() const {
  std::lock_guard lock(mu_);
  return objects_.size();
}

void FakeS3Server::AcceptLoop() {
  while (!stopping_) {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::lock_guard lock(mu_);
    if (stopping_) {
      ::close(fd);
      break;
    }
    open_fds_.push_back(fd);
    connections_.emplace_back([this, fd] { Serve(fd); });
  }
}

void FakeS3Server::Serve(int fd) {
  std::string buffer;
  bool keep = true;
  while (keep && !stopping_) keep = HandleOne(fd, &buffer);
  std::lock_guard lock(mu_);
  auto it = std::find(open_fds_.begin(), open_fds_.end(), fd);
  if (it != open_fds_.end()) {
    open_fds_.erase(it);
    ::close(fd);  // a reset fault closed it already and removed it
  }
}

bool FakeS3Server::HandleOne(int fd, std::string* buffer) {
  size_t header_end;
  while ((header_end = buffer->find("\r\n\r\n")) == std::string::npos) {
    if (!RecvAtLeast(fd, buffer, buffer->size() + 1)) return false;
  }
  std::string head = buffer->substr(0, header_end);
  buffer->erase(0, header_end + 4);
  RecordedRequest request;
  size_t line_end = head.find("\r\n");
  std::string line = head.substr(0, line_end);
  size_t sp1 = line.find(' ');
  size_t sp2 = line.rfind(' ');
  request.method = line.substr(0, sp1);
  request.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string::npos) end = head.size();
    std::string h = head.substr(pos, end - pos);
    size_t colon = h.find(':');
    if (colon != std::string::npos) {
      std::string name = h.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      size_t v = h.find_first_not_of(' ', colon + 1);
      request.headers[name] = v == std::string::npos ? "" : h.substr(v);
    }
    pos = end + 2;
  }
  size_t length = 0;
  if (request.headers.contains("content-length")) {
    length = std::stoul(request.headers["content-length"]);
  }
  std::optional<Fault> fault;
  {
    std::lock_guard lock(mu_);
    if (!faults_.empty()) {
      fault = faults_.front();
      faults_.pop_front();
    }
  }
  if (request.headers["expect"] == "100-continue" &&
      !SendAll(fd, "HTTP/1.1 100 Continue\r\n\r\n")) {
    return false;
  }
  if (fault == Fault::kResetMidBody) {
    (void)RecvAtLeast(fd, buffer, length / 2);
    std::lock_guard lock(mu_);
    request.body_bytes = buffer->size();
    requests_.push_back(request);
    open_fds_.erase(std::find(open_fds_.begin(), open_fds_.end(), fd));
    ResetConnection(fd);
    return false;
  }
  if (!RecvAtLeast(fd, buffer, length)) return false;
  std::string body = buffer->substr(0, length);
  buffer->erase(0, length);
  request.body_bytes = length;
  {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
  }
  if (fault == Fault::kHang) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return stopping_.load(); });
    return false;
  }
  std::string response;
  if (fault == Fault::kStatus503) {
    response = HttpMessage(503, "Slow Down", ErrorXml("SlowDown", "Please reduce your rate"));
  } else if (fault == Fault::kNoSuchUpload) {
    response = HttpMessage(404, "Not Found", ErrorXml("NoSuchUpload", "No such upload"));
  } else if (fault == Fault::kStatus429) {
    response = HttpMessage(429, "Too Many Requests", ErrorXml("SlowDown", "Please slow down"));
  } else if (fault == Fault::kStatus500) {
    response = HttpMessage(500, "Internal Server Error", ErrorXml("InternalError", "oops"));
  } else if (fault == Fault::kStatus403) {
    response = HttpMessage(403, "Forbidden", ErrorXml("SignatureDoesNotMatch", "bad signature"));
  } else {
    response = Respond(request.method, request.target, request.headers, std::move(body));
  }
  if (fault == Fault::kDropResponse) {
    std::lock_guard lock(mu_);
    open_fds_.erase(std::find(open_fds_.begin(), open_fds_.end(), fd));
    ResetConnection(fd);
    return false;
  }
  return SendAll(fd, response);
}

std::string FakeS3Server::Respond(const std::string& method, const std::string& target,
                                  const std::map<std::string, std::string>& headers,
                                  std::string body) {
  size_t question = target.find('?');
  std::string path = target.substr(0, question);
  std::string query = question == std::string::npos ? "" : target.substr(question + 1);
  std::lock_guard lock(mu_);
  if (QueryParam(query, "uploads") || QueryParam(query, "uploadId")) {
    return RespondMultipart(method, path, query, std::move(body));
  }
  if (method == "PUT") {
    etags_[path] = "\"" + Hex(Md5Raw(body)) + "\"";
    objects_[path] = std::move(body);
    return HttpMessage(200, "OK", "", "ETag: " + etags_[path] + "\r\n");
  }
  if (method == "DELETE") {
    objects_.erase(path);
    etags_.erase(path);
    return HttpMessage(204, "No Content", "");
  }
  auto it = objects_.find(path);
  if (it == objects_.end()) {
    return HttpMessage(404, "Not Found", ErrorXml("NoSuchKey", "The specified key does not exist."),
                       "", method == "HEAD", 0);
  }
  if (method == "HEAD") {
    return HttpMessage(
        200, "OK", "",
        "ETag: " + etags_[path] + "\r\nLast-Modified: Wed, 12 Oct 2009 17:50:00 GMT\r\n", true,
        it->second.size());
  }
  auto range = headers.find("range");
  if (range != headers.end() && range->second.starts_with("bytes=")) {
    size_t dash = range->second.find('-');
    size_t first = std::stoul(range->second.substr(6, dash - 6));
    size_t last = dash + 1 < range->second.size() ? std::stoul(range->second.substr(dash + 1))
                                                  : it->second.size() - 1;
    if (first >= it->second.size()) return HttpMessage(416, "Range Not Satisfiable", "");
    return HttpMessage(206, "Partial Content", it->second.substr(first, last - first + 1));
  }
  return HttpMessage(200, "OK", it->second);
}

std::string FakeS3Server::RespondMultipart(const std::string& method, const std::string& path,
                                           const std::string& query, std::string body) {
  if (method == "POST" && QueryParam(query, "uploads")) {
    std::string id = "upload-" + std::to_string(++next_upload_);
    uploads_[id] = Upload{path, {}};
    return HttpMessage(200, "OK",
                       "<InitiateMultipartUploadResult><UploadId>" + id +
                           "</UploadId></InitiateMultipartUploadResult>");
  }
  std::string id = QueryParam(query, "uploadId").value_or("");
  auto upload = uploads_.find(id);
  if (upload == uploads_.end() || upload->second.path != path) {
    return HttpMessage(404, "Not Found",
                       ErrorXml("NoSuchUpload", "The specified upload does not exist."));
  }
  if (method == "PUT") {
    int part = std::stoi(QueryParam(query, "partNumber").value_or("0"));
    std::string etag = "\"" + Hex(Md5Raw(body)) + "\"";
    upload->second.parts[part] = std::move(body);
    return HttpMessage(200, "OK", "", "ETag: " + etag + "\r\n");
  }
  if (method == "DELETE") {
    uploads_.erase(upload);
    return HttpMessage(204, "No Content", "");
  }
  // POST ?uploadId=: complete with every uploaded part, in order.
  std::string object, md5s;
  for (const auto& [number, part] : upload->second.parts) {
    object += part;
    md5s += Md5Raw(part);
  }
  std::string etag =
      "\"" + Hex(Md5Raw(md5s)) + "-" + std::to_string(upload->second.parts.size()) + "\"";
  objects_[path] = std::move(object);
  etags_[path] = etag;
  uploads_.erase(upload);
  return HttpMessage(
      200, "OK",
      "<CompleteMultipartUploadResult><ETag>" + etag + "</ETag></CompleteMultipartUploadResult>");
}

}  // namespace nokv::object::testing
