// Streamable HTTP: the endpoint's POST/GET/DELETE handlers, the session
// table keyed by Mcp-Session-Id, and the routing of a session's responses
// back to the POSTs that carried their requests.
#include "agent/http.h"

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <utility>

#include "agent/json_rpc.h"
#include "common/logging.h"

namespace nokv::agent {
namespace {

using nlohmann::json;

constexpr char kSessionHeader[] = "Mcp-Session-Id";
constexpr char kVersionHeader[] = "MCP-Protocol-Version";
constexpr char kJson[] = "application/json";

// Routes a session's output to the HTTP requests awaiting it: a response
// goes to the POST that carried its request. Notifications and requests
// from the server have no stream to go to and are dropped.
class ResponseRouter : public LineSink {
 public:
  struct Waiter {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;  // guarded by mu
    std::string line;   // guarded by mu: "" when released without a response
  };

  // Registers interest in the response to request `key` (its id, serialized).
  std::shared_ptr<Waiter> Expect(const std::string& key) {
    auto waiter = std::make_shared<Waiter>();
    std::lock_guard lock(mu_);
    waiting_[key] = waiter;
    return waiter;
  }

  bool WriteLine(std::string_view line) override {
    json value = json::parse(line, nullptr, false);
    if (!value.is_object() || !value.contains("id") || value.contains("method")) return true;
    Release(Serialize(value["id"]), std::string(line));
    return true;
  }

  // Ends the wait for `key` with `line` ("" = no response will come).
  void Release(const std::string& key, std::string line) {
    std::shared_ptr<Waiter> waiter;
    {
      std::lock_guard lock(mu_);
      auto it = waiting_.find(key);
      if (it == waiting_.end()) return;
      waiter = std::move(it->second);
      waiting_.erase(it);
    }
    std::lock_guard lock(waiter->mu);
    waiter->done = true;
    waiter->line = std::move(line);
    waiter->cv.notify_all();
  }

  void ReleaseAll() {
    std::vector<std::string> keys;
    {
      std::lock_guard lock(mu_);
      for (const auto& [key, waiter] : waiting_) keys.push_back(key);
    }
    for (const std::string& key : keys) Release(key, "");
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Waiter>> waiting_;  // guarded by mu_
};

// One Mcp-Session-Id: its session and where the session's output goes.
struct HttpSession {
  ResponseRouter router;
  std::unique_ptr<Connection> connection;  // writes to router
  // For evicting idle sessions when the table is full (clients need not
  // send DELETE): both guarded by Impl::mu.
  std::chrono::steady_clock::time_point last_used = std::chrono::steady_clock::now();
  int posts_in_flight = 0;
  ~HttpSession() {
    if (connection) connection->Close();
    router.ReleaseAll();
  }
};

std::string NewSessionId() {
  std::random_device random;
  std::string id;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) id.push_back(kHex[random() & 15]);
  return id;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) diff |= a[i] ^ b[i];
  return diff == 0;
}

// The host of an Origin ("http://localhost:3000" -> "localhost"); "" when
// it has none ("null", opaque origins).
std::string OriginHost(std::string_view origin) {
  size_t scheme = origin.find("://");
  if (scheme == std::string_view::npos) return "";
  std::string_view rest = origin.substr(scheme + 3);
  if (rest.starts_with('[')) {
    size_t close = rest.find(']');
    return close == std::string_view::npos ? "" : std::string(rest.substr(0, close + 1));
  }
  return std::string(rest.substr(0, rest.find_first_of(":/")));
}

void Reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(Serialize(body), kJson);
}

void ReplyError(httplib::Response& res, int status, int code, std::string message) {
  Reply(res, status, ErrorResponse(nullptr, RpcError{code, std::move(message), nullptr}));
}

bool SupportedVersion(const std::string& version) {
  for (const std::string& v : SupportedProtocolVersions()) {
    if (v == version) return true;
  }
  return false;
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

struct HttpTransport::Impl {
  Server* server;
  HttpOptions options;
  httplib::Server http;
  std::mutex mu;
  std::map<std::string, std::shared_ptr<HttpSession>> sessions;  // guarded by mu

  // Origin and bearer token; false when `res` already holds the refusal.
  bool Admit(const httplib::Request& req, httplib::Response& res) {
    if (req.has_header("Origin")) {
      std::string host = OriginHost(req.get_header_value("Origin"));
      // A page may reach the server only from the server's own host or
      // from loopback; anything else is a DNS-rebinding attempt.
      if (!IsLoopbackHost(host) && host != options.host) {
        ReplyError(res, 403, kInvalidRequest,
                   "Forbidden: Origin " + req.get_header_value("Origin") + " is not allowed");
        return false;
      }
    }
    if (!options.token.empty()) {
      std::string auth = req.get_header_value("Authorization");
      constexpr std::string_view kBearer = "Bearer ";
      if (!auth.starts_with(kBearer) ||
          !ConstantTimeEqual(std::string_view(auth).substr(kBearer.size()), options.token)) {
        res.set_header("WWW-Authenticate", "Bearer");
        ReplyError(res, 401, kInvalidRequest, "Unauthorized: a bearer token is required");
        return false;
      }
    }
    return true;
  }

  // The session a non-initialize message names, or null with `res` set.
  std::shared_ptr<HttpSession> SessionOf(const httplib::Request& req, httplib::Response& res) {
    if (!req.has_header(kSessionHeader)) {
      ReplyError(res, 400, kInvalidRequest, "Bad Request: Mcp-Session-Id header is required");
      return nullptr;
    }
    std::lock_guard lock(mu);
    auto it = sessions.find(req.get_header_value(kSessionHeader));
    if (it == sessions.end()) {
      ReplyError(res, 404, kInvalidRequest, "Session not found: initialize a new session");
      return nullptr;
    }
    it->second->last_used = std::chrono::steady_clock::now();
    return it->second;
  }

  // Room for one more session: when the table is full, the session idle
  // longest (no POST in flight) is ended. Returns false when all are busy.
  // Called with mu held.
  bool MakeRoom() {
    if (sessions.size() < options.max_sessions) return true;
    auto oldest = sessions.end();
    for (auto it = sessions.begin(); it != sessions.end(); ++it) {
      if (it->second->posts_in_flight > 0) continue;
      if (oldest == sessions.end() || it->second->last_used < oldest->second->last_used) {
        oldest = it;
      }
    }
    if (oldest == sessions.end()) return false;
    NOKV_LOG(kInfo) << "mcp: ending idle HTTP session " << oldest->first << " (table full)";
    sessions.erase(oldest);  // closed when its last holder lets go
    return true;
  }

  void Post(const httplib::Request& req, httplib::Response& res) {
    if (!Admit(req, res)) return;
    ParsedLine parsed = ParseLine(req.body);
    if (!parsed.message) {
      Reply(res, 400, ErrorResponse(parsed.error_id, parsed.error));
      return;
    }
    const RpcMessage& message = *parsed.message;
    const bool request = message.kind == RpcMessage::Kind::kRequest;
    if (req.has_header(kVersionHeader) && !SupportedVersion(req.get_header_value(kVersionHeader))) {
      ReplyError(
          res, 400, kInvalidRequest,
          "Bad Request: unsupported MCP-Protocol-Version " + req.get_header_value(kVersionHeader));
      return;
    }
    std::shared_ptr<HttpSession> session;
    std::string new_id;
    if (request && message.method == "initialize") {
      session = std::make_shared<HttpSession>();
      auto connection = server->Connect(&session->router);
      if (!connection.ok()) {
        ReplyError(res, 500, kInternalError, std::string(connection.status().message()));
        return;
      }
      session->connection = std::move(connection).value();
      new_id = NewSessionId();
    } else {
      session = SessionOf(req, res);
      if (!session) return;
    }
    if (!request) {
      if (message.method == "notifications/cancelled" && message.params.is_object() &&
          message.params.contains("requestId")) {
        // A cancelled request gets no response: free the POST waiting for it.
        session->connection->Handle(req.body);
        session->router.Release(Serialize(message.params["requestId"]), "");
      } else {
        session->connection->Handle(req.body);
      }
      res.status = 202;
      return;
    }
    auto waiter = session->router.Expect(Serialize(message.id));
    {
      std::lock_guard lock(mu);
      ++session->posts_in_flight;
    }
    session->connection->Handle(req.body);
    std::string line;
    {
      std::unique_lock lock(waiter->mu);
      waiter->cv.wait(lock, [&] { return waiter->done; });
      line = std::move(waiter->line);
    }
    {
      std::lock_guard lock(mu);
      --session->posts_in_flight;
      session->last_used = std::chrono::steady_clock::now();
    }
    if (line.empty()) {  // cancelled, or the session was closed
      res.status = 204;
      return;
    }
    if (!new_id.empty()) {
      json response = json::parse(line, nullptr, false);
      if (response.is_object() && response.contains("result")) {
        std::lock_guard lock(mu);
        if (!MakeRoom()) {
          ReplyError(res, 503, kInternalError,
                     "Service Unavailable: every session is busy; retry later");
          return;
        }
        sessions[new_id] = session;
        res.set_header(kSessionHeader, new_id);
      }
    }
    res.status = 200;
    res.set_content(line, kJson);
  }

  void Delete(const httplib::Request& req, httplib::Response& res) {
    if (!Admit(req, res)) return;
    std::shared_ptr<HttpSession> session = SessionOf(req, res);
    if (!session) return;
    {
      std::lock_guard lock(mu);
      sessions.erase(req.get_header_value(kSessionHeader));
    }
    // Requests in flight get the shutdown grace, then are cancelled; their
    // POSTs are answered without a body.
    session->connection->Close();
    session->router.ReleaseAll();
    res.status = 204;
  }

  void Install() {
    http.set_payload_max_length(options.max_body_bytes);
    http.Post(options.path,
              [this](const httplib::Request& req, httplib::Response& res) { Post(req, res); });
    http.Delete(options.path,
                [this](const httplib::Request& req, httplib::Response& res) { Delete(req, res); });
    http.Get(options.path, [this](const httplib::Request& req, httplib::Response& res) {
      if (!Admit(req, res)) return;
      res.set_header("Allow", "POST, DELETE");
      ReplyError(res, 405, kInvalidRequest,
                 "Method Not Allowed: this server opens no SSE stream; POST messages");
    });
  }
};

HttpTransport::HttpTransport(Server* server, HttpOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->server = server;
  impl_->options = std::move(options);
  impl_->Install();
}

HttpTransport::~HttpTransport() {
  Stop();
  std::lock_guard lock(impl_->mu);
  impl_->sessions.clear();
}

Result<int> HttpTransport::Bind() {
  const HttpOptions& o = impl_->options;
  if (!IsLoopbackHost(o.host) && o.token.empty()) {
    return Status::PermissionDenied("an MCP listener on " + o.host +
                                    " (not loopback) needs a bearer token: --token-file FILE");
  }
  int port = o.port == 0 ? impl_->http.bind_to_any_port(o.host)
                         : (impl_->http.bind_to_port(o.host, o.port) ? o.port : -1);
  if (port <= 0) {
    return Status::Unavailable("cannot listen for HTTP on " + o.host + ":" +
                               std::to_string(o.port));
  }
  return port;
}

void HttpTransport::Run() {
  impl_->http.listen_after_bind();
  std::map<std::string, std::shared_ptr<HttpSession>> closing;
  {
    std::lock_guard lock(impl_->mu);
    closing.swap(impl_->sessions);
  }
  closing.clear();  // outside the lock: closing waits for requests in flight
}

void HttpTransport::Stop() { impl_->http.stop(); }

}  // namespace nokv::agent
