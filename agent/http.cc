// Streamable HTTP: the endpoint's POST/GET/DELETE handlers, the session
// table keyed by Mcp-Session-Id, and the routing of a session's responses
// back to the POSTs that carried their requests.
#include "agent/http.h"

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <utility>

#include "agent/json_rpc.h"
#include "common/logging.h"
#include "query/text_codec.h"

namespace nokv::agent {
namespace {

using nlohmann::json;

constexpr char kSessionHeader[] = "Mcp-Session-Id";
constexpr char kVersionHeader[] = "MCP-Protocol-Version";
constexpr char kMethodHeader[] = "Mcp-Method";  // 2026-07-28: must repeat the body's
constexpr char kNameHeader[] = "Mcp-Name";
constexpr char kJson[] = "application/json";
constexpr char kEventStream[] = "text/event-stream";

constexpr auto kKeepAlive = std::chrono::seconds(15);  // an SSE comment this often
constexpr size_t kMaxOutbox = 1024;                    // server messages awaiting a stream

// One SSE event carrying a JSON-RPC message (serialized on one line).
std::string SseEvent(std::string_view line) {
  return "event: message\ndata: " + std::string(line) + "\n\n";
}

// Routes a session's output. A response goes to the POST that carried its
// request; a progress notification to that POST's SSE stream, when it has
// one; every other server message (requests such as roots/list, other
// notifications) to the session's outbox, which the GET stream drains, or,
// while no GET stream is open, the SSE stream of any POST in flight.
// One mutex and condition variable per session guard all of it.
class SessionStreams : public LineSink {
 public:
  struct Waiter {
    bool done = false;              // guarded by mu_
    std::string line;               // guarded by mu_: "" when released without a response
    std::deque<std::string> notes;  // guarded by mu_: progress for an SSE response
    std::string token;              // its progress token (serialized), "" when none
  };

  // Registers interest in the response to request `key` (its id,
  // serialized); `token`, when not empty, routes its progress here.
  std::shared_ptr<Waiter> Expect(const std::string& key, const std::string& token) {
    auto waiter = std::make_shared<Waiter>();
    waiter->token = token;
    std::lock_guard lock(mu_);
    waiting_[key] = waiter;
    if (!token.empty()) by_token_[token] = waiter;
    return waiter;
  }

  bool WriteLine(std::string_view line) override {
    json value = json::parse(line, nullptr, false);
    if (!value.is_object()) return true;
    if (value.contains("id") && !value.contains("method")) {
      Release(Serialize(value["id"]), std::string(line));
      return true;
    }
    std::lock_guard lock(mu_);
    if (value.value("method", "") == "notifications/progress" && value.contains("params") &&
        value["params"].is_object() && value["params"].contains("progressToken")) {
      auto it = by_token_.find(Serialize(value["params"]["progressToken"]));
      if (it != by_token_.end()) {
        if (auto waiter = it->second.lock()) waiter->notes.emplace_back(line);
        cv_.notify_all();
        return true;
      }
    }
    if (outbox_.size() == kMaxOutbox) {
      NOKV_LOG(kWarn) << "mcp: no stream takes this session's messages; dropping the oldest";
      outbox_.pop_front();
    }
    outbox_.emplace_back(line);
    cv_.notify_all();
    return true;
  }

  // Ends the wait for `key` with `line` ("" = no response will come).
  void Release(const std::string& key, std::string line) {
    std::lock_guard lock(mu_);
    auto it = waiting_.find(key);
    if (it == waiting_.end()) return;
    it->second->done = true;
    it->second->line = std::move(line);
    if (!it->second->token.empty()) by_token_.erase(it->second->token);
    waiting_.erase(it);
    cv_.notify_all();
  }

  // The session is over (or the transport stops): every wait and stream ends.
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    for (auto& [key, waiter] : waiting_) waiter->done = true;
    waiting_.clear();
    by_token_.clear();
    cv_.notify_all();
  }

  // Blocks until the response to `waiter` is in; "" when none will come.
  std::string AwaitResponse(const std::shared_ptr<Waiter>& waiter) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return waiter->done; });
    return waiter->line;
  }

  // The next event of a POST's SSE stream into *event: its progress, the
  // outbox while no GET stream is open, a keep-alive comment, and last the
  // response (*last set). False when the stream ends with no response.
  bool NextForPost(const std::shared_ptr<Waiter>& waiter, std::string* event, bool* last) {
    std::unique_lock lock(mu_);
    auto ready = [&] {
      return !waiter->notes.empty() || waiter->done || (!get_open_ && !outbox_.empty());
    };
    if (!cv_.wait_for(lock, kKeepAlive, ready)) {
      *event = ": keep-alive\n\n";
      return true;
    }
    if (!waiter->notes.empty()) {
      *event = SseEvent(waiter->notes.front());
      waiter->notes.pop_front();
    } else if (!get_open_ && !outbox_.empty()) {
      *event = SseEvent(outbox_.front());
      outbox_.pop_front();
    } else {
      if (waiter->line.empty()) return false;
      *event = SseEvent(waiter->line);
      *last = true;
    }
    return true;
  }

  // Attaches the session's one GET stream; false when one is open already.
  bool OpenGet() {
    std::lock_guard lock(mu_);
    if (get_open_ || closed_) return false;
    get_open_ = true;
    return true;
  }
  void CloseGet() {
    std::lock_guard lock(mu_);
    get_open_ = false;
    cv_.notify_all();  // POST streams take the outbox again
  }
  bool get_open() {
    std::lock_guard lock(mu_);
    return get_open_;
  }

  // The next event of the GET stream: an outbox message or a keep-alive
  // comment. False once the session is closed.
  bool NextForGet(std::string* event) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, kKeepAlive, [&] { return closed_ || !outbox_.empty(); })) {
      *event = ": keep-alive\n\n";
      return true;
    }
    if (closed_) return false;
    *event = SseEvent(outbox_.front());
    outbox_.pop_front();
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Waiter>> waiting_;  // guarded by mu_
  std::map<std::string, std::weak_ptr<Waiter>> by_token_;   // guarded by mu_
  std::deque<std::string> outbox_;                          // guarded by mu_
  bool get_open_ = false;                                   // guarded by mu_
  bool closed_ = false;                                     // guarded by mu_
};

// One Mcp-Session-Id: its session and where the session's output goes.
struct HttpSession {
  SessionStreams streams;
  std::unique_ptr<Connection> connection;  // writes to streams
  // For evicting idle sessions when the table is full (clients need not
  // send DELETE): both guarded by Impl::mu.
  std::chrono::steady_clock::time_point last_used = std::chrono::steady_clock::now();
  int posts_in_flight = 0;
  ~HttpSession() {
    if (connection) connection->Close();
    streams.Close();
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

// A header's value, decoded when sent as =?base64?...?= (2026-07-28, for
// values that are not plain ASCII).
std::string HeaderValue(const httplib::Request& req, const char* name) {
  std::string value = req.get_header_value(name);
  constexpr std::string_view kPrefix = "=?base64?", kSuffix = "?=";
  if (value.size() >= kPrefix.size() + kSuffix.size() && value.starts_with(kPrefix) &&
      value.ends_with(kSuffix)) {
    auto decoded = query::Base64Decode(std::string_view(value).substr(
        kPrefix.size(), value.size() - kPrefix.size() - kSuffix.size()));
    return decoded ? *decoded : std::string("\0invalid base64", 15);
  }
  return value;
}

bool AcceptsEventStream(const httplib::Request& req) {
  return req.get_header_value("Accept").find(kEventStream) != std::string::npos;
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
    if (request && IsStateless(message)) {
      PostStateless(req, res, message);
      return;
    }
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
      auto connection = server->Connect(&session->streams);
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
        session->streams.Release(Serialize(message.params["requestId"]), "");
      } else {
        session->connection->Handle(req.body);
      }
      res.status = 202;
      return;
    }
    // An SSE response, when the client takes one, for a request with a
    // progress token (its progress goes there) or while the session has no
    // GET stream (server requests such as roots/list go there then).
    std::string token;
    if (message.params.is_object() && message.params.contains("_meta") &&
        message.params["_meta"].is_object() && message.params["_meta"].contains("progressToken")) {
      token = Serialize(message.params["_meta"]["progressToken"]);
    }
    const bool stream = new_id.empty() && AcceptsEventStream(req) &&
                        (!token.empty() || !session->streams.get_open());
    auto waiter = session->streams.Expect(Serialize(message.id), stream ? token : "");
    {
      std::lock_guard lock(mu);
      ++session->posts_in_flight;
    }
    session->connection->Handle(req.body);
    if (stream) {
      StreamResponse(session, waiter, res);
      return;
    }
    std::string line = session->streams.AwaitResponse(waiter);
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

  // A 2026-07-28 request: no session. Its headers must repeat what the body
  // says (-32020 otherwise), and it is served by a connection of its own,
  // closed with the response.
  void PostStateless(const httplib::Request& req, httplib::Response& res,
                     const RpcMessage& message) {
    const json& meta = message.params["_meta"];
    const json& version = meta["io.modelcontextprotocol/protocolVersion"];
    auto mismatch = [&](const std::string& text) {
      ReplyError(res, 400, kHeaderMismatch, "Header mismatch: " + text);
    };
    if (version.is_string() && HeaderValue(req, kVersionHeader) != version.get<std::string>()) {
      return mismatch(std::string(kVersionHeader) + " must be " + version.get<std::string>() +
                      ", as in _meta");
    }
    if (HeaderValue(req, kMethodHeader) != message.method) {
      return mismatch(std::string(kMethodHeader) + " must be " + message.method);
    }
    const char* named = message.method == "tools/call"       ? "name"
                        : message.method == "resources/read" ? "uri"
                        : message.method == "prompts/get"    ? "name"
                                                             : nullptr;
    if (named != nullptr && message.params.contains(named) && message.params[named].is_string() &&
        HeaderValue(req, kNameHeader) != message.params[named].get<std::string>()) {
      return mismatch(std::string(kNameHeader) + " must be params." + named);
    }
    auto session = std::make_shared<HttpSession>();
    auto connection = server->Connect(&session->streams);
    if (!connection.ok()) {
      ReplyError(res, 500, kInternalError, std::string(connection.status().message()));
      return;
    }
    session->connection = std::move(connection).value();
    json token = nullptr;
    if (meta.contains("progressToken")) token = meta["progressToken"];
    const bool stream = AcceptsEventStream(req) && !token.is_null();
    auto waiter = session->streams.Expect(Serialize(message.id), stream ? Serialize(token) : "");
    session->connection->Handle(req.body);
    if (stream) {
      {
        std::lock_guard lock(mu);
        ++session->posts_in_flight;  // StreamResponse's releaser counts it down
      }
      StreamResponse(session, waiter, res);  // the session ends with the stream
      return;
    }
    std::string line = session->streams.AwaitResponse(waiter);
    if (line.empty()) {
      res.status = 204;
      return;
    }
    json response = json::parse(line, nullptr, false);
    res.status = 200;
    if (response.is_object() && response.contains("error") && response["error"].is_object()) {
      int code = response["error"].value("code", 0);
      if (code == kMethodNotFound) res.status = 404;
      if (code == kInvalidRequest || code == kInvalidParams || code == kHeaderMismatch ||
          code == kUnsupportedProtocolVersion) {
        res.status = 400;
      }
    }
    res.set_content(line, kJson);
  }

  // Answers a POST as an SSE stream: its progress (and, while no GET stream
  // is open, the session's other messages), then its response.
  void StreamResponse(const std::shared_ptr<HttpSession>& session,
                      const std::shared_ptr<SessionStreams::Waiter>& waiter,
                      httplib::Response& res) {
    res.status = 200;
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        kEventStream,
        [session, waiter](size_t, httplib::DataSink& sink) {
          std::string event;
          bool last = false;
          if (!session->streams.NextForPost(waiter, &event, &last)) {
            sink.done();  // cancelled, or the session closed: no response comes
            return true;
          }
          if (!sink.write(event.data(), event.size())) return false;
          if (last) sink.done();
          return true;
        },
        [this, session](bool) {
          std::lock_guard lock(mu);
          --session->posts_in_flight;
          session->last_used = std::chrono::steady_clock::now();
        });
  }

  // The session's stream of server messages not tied to a POST: requests
  // (roots/list) and notifications. One per session; a second is 409.
  void Get(const httplib::Request& req, httplib::Response& res) {
    if (!Admit(req, res)) return;
    if (!req.has_header(kSessionHeader)) {
      // 2026-07-28 has no GET stream; a 2025 session names itself.
      res.set_header("Allow", "POST, DELETE");
      ReplyError(res, 405, kInvalidRequest,
                 "Method Not Allowed: GET opens a 2025 session's stream "
                 "(send its Mcp-Session-Id); 2026-07-28 requests are POSTed");
      return;
    }
    if (!AcceptsEventStream(req)) {
      ReplyError(res, 406, kInvalidRequest, "Not Acceptable: GET opens a text/event-stream");
      return;
    }
    std::shared_ptr<HttpSession> session = SessionOf(req, res);
    if (!session) return;
    if (!session->streams.OpenGet()) {
      ReplyError(res, 409, kInvalidRequest, "Conflict: this session's GET stream is open already");
      return;
    }
    res.status = 200;
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        kEventStream,
        [session](size_t, httplib::DataSink& sink) {
          std::string event;
          if (!session->streams.NextForGet(&event)) {
            sink.done();
            return true;
          }
          return sink.write(event.data(), event.size());
        },
        [session](bool) { session->streams.CloseGet(); });
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
    session->streams.Close();
    res.status = 204;
  }

  void Install() {
    // A worker per open stream: every session's GET and the POSTs in flight.
    size_t workers = options.max_sessions + 16;
    http.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
    http.set_payload_max_length(options.max_body_bytes);
    http.Post(options.path,
              [this](const httplib::Request& req, httplib::Response& res) { Post(req, res); });
    http.Delete(options.path,
                [this](const httplib::Request& req, httplib::Response& res) { Delete(req, res); });
    http.Get(options.path,
             [this](const httplib::Request& req, httplib::Response& res) { Get(req, res); });
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

void HttpTransport::Stop() {
  {
    // Streams end first: their workers must return for the server to stop.
    std::lock_guard lock(impl_->mu);
    for (auto& [id, session] : impl_->sessions) session->streams.Close();
  }
  impl_->http.stop();
}

}  // namespace nokv::agent
