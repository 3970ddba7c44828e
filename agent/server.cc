// The MCP session: line handling, method dispatch, the in-flight table with
// cancel flags, progress notifications and the initialize handshake.
#include "agent/server.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "agent/json_rpc.h"
#include "agent/resources.h"
#include "agent/tools.h"
#include "common/logging.h"
#include "common/thread_pool.h"
#include "fs/agent_writes.h"
#include "query/roots.h"

namespace nokv::agent {
namespace {

using nlohmann::json;

constexpr char kReadOnlyIntro[] =
    "NoKV is a read-only view of a filesystem of training runs, datasets and logs. ";
constexpr char kWriteIntro[] =
    "NoKV is a filesystem of training runs, datasets, logs and agent workspaces; this server "
    "reads and writes it. ";
constexpr char kInstructions[] =
    "Spend few calls and few bytes: (1) `catalog` on a directory lists the fields you can "
    "filter, sort and group on (e.g. run.status, param.lr, metric.val_loss.min); "
    "(2) `find` with predicates, sort, fields and limit returns just the matching rows, and "
    "`aggregate` returns counts, sums and averages per group, instead of reading files one by "
    "one; (3) `grep` finds lines across many files; (4) `read` returns records, numbered lines "
    "or a byte range. `ls` and `stat` explore. Every result has evidence URIs "
    "(nokv-native://<path>@generation:<N>#L<line>): cite them, and pass one to `read` to get "
    "exactly those bytes. Results are bounded; follow next_cursor for more. Errors carry a "
    "hint naming the fix.";

// Appended to the instructions by the write profile.
constexpr char kWriteInstructions[] =
    " Writing (the write profile): `write` creates or replaces a file, `append` "
    "adds to one, `edit` replaces exact text, and `mkdir`, `move`, `remove`, `snapshot`. Each is "
    "one atomic commit. Pass expected_generation (from stat, read or a previous write) so you "
    "never overwrite someone else's change: a stale one fails with code 'conflict' and "
    "current_generation; read again and redo the change.";

// How a method is served.
enum class Where { kInline, kPool };

RpcOutcome DuplicateId(const json& id) {
  return RpcOutcome::Fail(kInvalidRequest,
                          "Invalid Request: id " + Serialize(id) + " is already in flight");
}

RpcOutcome StartupFailed(const StartupFailure& failure) {
  json data{{"reason", failure.message}};
  if (!failure.hint.empty()) data["hint"] = failure.hint;
  RpcOutcome outcome =
      RpcOutcome::Fail(kServerNotStarted, "nokv mcp could not start: " + failure.message);
  outcome.error.data = std::move(data);
  return outcome;
}

constexpr char kMetaVersion[] = "io.modelcontextprotocol/protocolVersion";
constexpr char kMetaCapabilities[] = "io.modelcontextprotocol/clientCapabilities";
constexpr char kMetaServerInfo[] = "io.modelcontextprotocol/serverInfo";

// Every version a client can reach: the stateless one, then the handshake's.
json AllVersions() {
  json versions = json::array({kStatelessVersion});
  for (const std::string& v : SupportedProtocolVersions()) versions.push_back(v);
  return versions;
}

// The roots of a roots/list result ({roots: [{uri, name?}]}) as paths;
// nullopt, which narrows nothing, for no result or an empty list (an editor
// without a folder open). Roots that are not file:// or nokv-native://
// absolute paths are left out.
ClientRoots RootsFromListResult(const json& result) {
  if (!result.is_object() || !result.contains("roots") || !result["roots"].is_array() ||
      result["roots"].empty()) {
    return std::nullopt;
  }
  std::vector<std::string> roots;
  for (const json& root : result["roots"]) {
    // A client's answer: json::value() would throw for a "uri" of another type.
    std::string uri = root.is_object() && root.contains("uri") && root["uri"].is_string()
                          ? root["uri"].get<std::string>()
                          : "";
    if (auto path = query::RootUriPath(uri)) {
      roots.push_back(std::move(*path));
    } else {
      NOKV_LOG(kWarn) << "mcp: ignoring client root '" << uri
                      << "' (not a file:// or nokv-native:// absolute path)";
    }
  }
  return roots;
}

// A progress token from params._meta.progressToken, or null.
json ProgressToken(const json& params) {
  if (!params.is_object()) return nullptr;
  auto meta = params.find("_meta");
  if (meta == params.end() || !meta->is_object()) return nullptr;
  auto token = meta->find("progressToken");
  if (token == meta->end() || !IsValidId(*token)) return nullptr;
  return *token;
}

}  // namespace

bool IsStateless(const RpcMessage& message) {
  if (message.method == "initialize" || !message.params.is_object()) return false;
  auto meta = message.params.find("_meta");
  return meta != message.params.end() && meta->is_object() && meta->contains(kMetaVersion);
}

const std::vector<std::string>& SupportedProtocolVersions() {
  static const std::vector<std::string> versions = {"2025-11-25", "2025-06-18", "2025-03-26",
                                                    "2024-11-05"};
  return versions;
}

namespace {

// The state of one Run(): handshake, in-flight requests, the worker pool.
// HandleLine() runs on the reader thread only; workers touch in_flight_
// (under mu_) and the sink (thread-safe).
class Session {
 public:
  Session(VerbBackend* backend, const ServerOptions& options, const ToolTable* tools, LineSink* out)
      : backend_(backend),
        options_(options),
        tools_(tools),
        out_(out),
        pool_(options.worker_threads == 0 ? 1 : options.worker_threads) {}

  void HandleLine(std::string_view line);
  void HandleTooLong();
  // End of input: waits up to the shutdown grace for requests in flight,
  // then cancels what is left (queued requests never start).
  void Shutdown();

 private:
  struct Pending {
    std::atomic<bool> cancelled{false};
  };

  void Send(const json& message) { out_->WriteLine(Serialize(message)); }
  void Reply(const json& id, const RpcOutcome& outcome);
  void OnRequest(RpcMessage message);
  void OnNotification(const RpcMessage& message);
  void OnResponse(const RpcMessage& message);
  // Asks the client for its roots; calls that need them wait for the answer.
  void RequestRoots();
  // The client's roots once known (waits for a roots/list in flight).
  ClientRoots CurrentRoots();
  RpcOutcome RunMethod(const RpcMessage& message, const query::CallControl& control);
  // tools/*, resources/* under `roots` (nullopt: --root alone).
  RpcOutcome Dispatch(const RpcMessage& message, const query::CallControl& control,
                      const ClientRoots& roots);
  void Schedule(RpcMessage message);
  query::CallControl MakeControl(const json& params, const std::atomic<bool>* cancelled);
  RpcOutcome Initialize(const json& params);
  json ServerInfo() const;
  std::string Instructions() const;
  // The 2026-07-28 era: why a stateless request cannot be served (nullopt
  // when it can), server/discover, and the era's result envelope.
  std::optional<RpcOutcome> RefuseStateless(const RpcMessage& message) const;
  RpcOutcome Discover() const;
  RpcOutcome StatelessResult(const RpcMessage& message, RpcOutcome outcome) const;
  RpcOutcome CallTool(const json& params, const query::CallControl& control,
                      const ClientRoots& roots);

  VerbBackend* backend_;
  const ServerOptions& options_;
  const ToolTable* tools_;
  LineSink* out_;
  bool initialized_ = false;             // reader thread only
  bool client_has_roots_ = false;        // reader thread only: capabilities.roots
  uint64_t requests_sent_ = 0;           // reader thread only
  std::string roots_request_;            // reader thread only: id of the roots/list in flight
  std::condition_variable roots_known_;  // signalled when roots_pending_ clears
  bool roots_pending_ = false;           // guarded by mu_
  ClientRoots client_roots_;             // guarded by mu_
  std::mutex mu_;
  std::condition_variable drained_;  // signalled when a request leaves in_flight_
  std::map<std::string, std::shared_ptr<Pending>> in_flight_;  // guarded by mu_; key: id JSON
  ThreadPool pool_;  // last: its destructor drains work that uses the members above
};

void Session::HandleLine(std::string_view line) {
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;  // blank line
  ParsedLine parsed = ParseLine(line);
  if (!parsed.message) {
    Send(ErrorResponse(parsed.error_id, parsed.error));
    return;
  }
  switch (parsed.message->kind) {
    case RpcMessage::Kind::kResponse:
      OnResponse(*parsed.message);
      return;
    case RpcMessage::Kind::kNotification:
      OnNotification(*parsed.message);
      return;
    case RpcMessage::Kind::kRequest:
      OnRequest(std::move(*parsed.message));
      return;
  }
}

void Session::HandleTooLong() {
  Send(ErrorResponse(
      nullptr, RpcError{kInvalidRequest,
                        "Invalid Request: line longer than " +
                            std::to_string(options_.max_line_bytes) + " bytes; message dropped",
                        nullptr}));
}

void Session::Reply(const json& id, const RpcOutcome& outcome) {
  Send(outcome.ok ? ResultResponse(id, outcome.result) : ErrorResponse(id, outcome.error));
}

void Session::OnNotification(const RpcMessage& message) {
  if (message.method == "notifications/initialized" ||
      message.method == "notifications/roots/list_changed") {
    if (client_has_roots_) RequestRoots();
    return;
  }
  if (message.method != "notifications/cancelled") return;
  const json& params = message.params;
  if (!params.is_object() || !params.contains("requestId")) return;
  std::lock_guard lock(mu_);
  if (auto it = in_flight_.find(Serialize(params["requestId"])); it != in_flight_.end()) {
    it->second->cancelled = true;
  }
}

void Session::OnRequest(RpcMessage message) {
  static const std::map<std::string, Where, std::less<>> kMethods = {
      {"initialize", Where::kInline},   {"ping", Where::kInline},
      {"tools/list", Where::kInline},   {"tools/call", Where::kPool},
      {"resources/list", Where::kPool}, {"resources/templates/list", Where::kInline},
      {"resources/read", Where::kPool}, {"server/discover", Where::kInline},
  };
  const bool stateless = IsStateless(message);
  if (stateless) {
    // Served as it stands: no handshake, whatever this connection did before.
    if (auto refusal = RefuseStateless(message)) {
      Reply(message.id, *refusal);
      return;
    }
  }
  auto method = kMethods.find(message.method);
  if (method == kMethods.end() || (message.method == "server/discover" && !stateless)) {
    std::string text = "Method not found: " + message.method;
    if (message.method == "server/discover") {
      return Reply(message.id,
                   RpcOutcome::Fail(kInvalidParams,
                                    "Invalid params: server/discover needs params._meta with " +
                                        std::string(kMetaVersion) + " and " + kMetaCapabilities +
                                        " (2026-07-28); 2025 clients send initialize"));
    }
    Reply(message.id, RpcOutcome::Fail(kMethodNotFound, text));
    return;
  }
  if (options_.startup_failure && message.method != "ping" && !stateless) {
    Reply(message.id, StartupFailed(*options_.startup_failure));
    return;
  }
  if (!stateless && !initialized_ && message.method != "initialize" && message.method != "ping") {
    Reply(message.id,
          RpcOutcome::Fail(kInvalidRequest, "Server not initialized: send initialize first"));
    return;
  }
  if (method->second == Where::kPool) {
    Schedule(std::move(message));
    return;
  }
  bool duplicate;
  {
    std::lock_guard lock(mu_);
    duplicate = in_flight_.contains(Serialize(message.id));
  }
  Reply(message.id, duplicate ? DuplicateId(message.id) : RunMethod(message, {}));
}

// Registers the request's cancel flag, then runs it on a worker.
void Session::Schedule(RpcMessage message) {
  auto pending = std::make_shared<Pending>();
  const std::string key = Serialize(message.id);
  {
    std::lock_guard lock(mu_);
    if (!in_flight_.emplace(key, pending).second) {
      Reply(message.id, DuplicateId(message.id));
      return;
    }
  }
  pool_.Schedule([this, pending, key, message = std::move(message)] {
    query::CallControl control = MakeControl(message.params, &pending->cancelled);
    RpcOutcome outcome = pending->cancelled ? RpcOutcome::Fail(kInternalError, "cancelled")
                                            : RunMethod(message, control);
    {
      std::lock_guard lock(mu_);
      in_flight_.erase(key);
    }
    drained_.notify_all();
    if (!pending->cancelled) Reply(message.id, outcome);
  });
}

void Session::Shutdown() {
  std::unique_lock lock(mu_);
  if (drained_.wait_for(lock, options_.shutdown_grace, [&] { return in_flight_.empty(); })) {
    return;
  }
  NOKV_LOG(kInfo) << "mcp: input closed; cancelling " << in_flight_.size()
                  << " requests still in flight";
  for (auto& [key, pending] : in_flight_) pending->cancelled = true;
}

query::CallControl Session::MakeControl(const json& params, const std::atomic<bool>* cancelled) {
  query::CallControl control;
  control.cancelled = cancelled;
  json token = ProgressToken(params);
  if (token.is_null()) return control;
  struct Throttle {
    std::mutex mu;
    std::chrono::steady_clock::time_point last{};  // guarded by mu
    uint64_t last_done = 0;                        // guarded by mu
    bool sent = false;                             // guarded by mu
    bool sending = false;  // guarded by mu: one notification on the wire at a time
  };
  auto throttle = std::make_shared<Throttle>();  // shared by copies of the callback
  control.progress = [this, token, throttle, cancelled](uint64_t done, uint64_t total,
                                                        std::string_view text) {
    auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(throttle->mu);
      // While one notification is being written, later ones are throttled
      // away: the values on the wire still only increase.
      if (*cancelled || throttle->sending) return;
      if (throttle->sent && done <= throttle->last_done) return;
      if (throttle->sent && now - throttle->last < options_.progress_interval) return;
      throttle->sent = true;
      throttle->sending = true;
      throttle->last = now;
      throttle->last_done = done;
    }
    json params{{"progressToken", token}, {"progress", done}};
    if (total > 0) params["total"] = total;
    if (!text.empty()) params["message"] = std::string(text);
    Send(Notification("notifications/progress", std::move(params)));  // no lock held
    std::lock_guard lock(throttle->mu);
    throttle->sending = false;
  };
  return control;
}

void Session::RequestRoots() {
  roots_request_ = "nokv-roots-" + std::to_string(++requests_sent_);
  {
    std::lock_guard lock(mu_);
    roots_pending_ = true;
  }
  Send(json{{"jsonrpc", "2.0"}, {"id", roots_request_}, {"method", "roots/list"}});
}

void Session::OnResponse(const RpcMessage& message) {
  if (roots_request_.empty() || message.id != roots_request_) {
    NOKV_LOG(kInfo) << "mcp: ignoring a response with id " << Serialize(message.id);
    return;
  }
  roots_request_.clear();
  ClientRoots roots = RootsFromListResult(message.result);
  if (!roots && !message.error.is_null()) {
    NOKV_LOG(kWarn) << "mcp: roots/list failed (" << Serialize(message.error)
                    << "); serving --root alone";
  }
  {
    std::lock_guard lock(mu_);
    client_roots_ = std::move(roots);
    roots_pending_ = false;
  }
  roots_known_.notify_all();
}

ClientRoots Session::CurrentRoots() {
  std::unique_lock lock(mu_);
  if (!roots_known_.wait_for(lock, options_.roots_timeout, [&] { return !roots_pending_; })) {
    // A client that never answers must not get an unconfined call: nothing
    // is allowed until it does.
    return std::vector<std::string>{};
  }
  return client_roots_;
}

RpcOutcome Session::RunMethod(const RpcMessage& message, const query::CallControl& control) {
  const std::string& m = message.method;
  if (!message.params.is_null() && !message.params.is_object()) {
    return RpcOutcome::Fail(kInvalidParams, "Invalid params: " + m + " takes an object");
  }
  if (IsStateless(message)) {
    if (m == "server/discover") return StatelessResult(message, Discover());
    ClientRoots roots;  // none: --root alone
    const json& caps = message.params["_meta"][kMetaCapabilities];
    // A client with roots is asked for them the way this era asks: the call
    // comes back input_required, and the client sends it again with the
    // answer in inputResponses. Only tools/call and resources/read may.
    if ((m == "tools/call" || m == "resources/read") && caps.contains("roots")) {
      const json* answer = nullptr;
      if (auto it = message.params.find("inputResponses");
          it != message.params.end() && it->is_object() && it->contains("roots")) {
        answer = &(*it)["roots"];
      }
      if (answer == nullptr) {
        return StatelessResult(
            message,
            RpcOutcome::Ok(json{{"resultType", "input_required"},
                                {"inputRequests", {{"roots", {{"method", "roots/list"}}}}}}));
      }
      // The client's roots only narrow --root, so an answer needs no signature.
      roots = RootsFromListResult(*answer);
    }
    return StatelessResult(message, Dispatch(message, control, roots));
  }
  if (m == "initialize") return Initialize(message.params);
  if (m == "ping") return RpcOutcome::Ok(json::object());
  if (m == "tools/list" || m == "resources/templates/list") return Dispatch(message, control, {});
  // The rest touch the filesystem: confined to the client's roots too.
  return Dispatch(message, control, CurrentRoots());
}

RpcOutcome Session::Dispatch(const RpcMessage& message, const query::CallControl& control,
                             const ClientRoots& roots) {
  const std::string& m = message.method;
  if (m == "ping") return RpcOutcome::Ok(json::object());
  if (m == "tools/list") {
    if (message.params.is_object() && message.params.contains("cursor")) {
      return RpcOutcome::Fail(kInvalidParams,
                              "Invalid params: tools/list has one page; "
                              "no cursor was issued");
    }
    return RpcOutcome::Ok(tools_->ListResult());
  }
  if (m == "resources/templates/list") return RpcOutcome::Ok(ResourceTemplatesResult());
  if (m == "tools/call") return CallTool(message.params, control, roots);
  if (m == "resources/list") {
    return ListResources(backend_, options_.root, message.params, control, roots);
  }
  return ReadResource(backend_, message.params, control, roots);  // resources/read
}

RpcOutcome Session::Initialize(const json& params) {
  if (initialized_) {
    return RpcOutcome::Fail(kInvalidRequest, "Invalid Request: already initialized");
  }
  if (!params.is_object() || !params.contains("protocolVersion") ||
      !params["protocolVersion"].is_string()) {
    return RpcOutcome::Fail(kInvalidParams,
                            "Invalid params: initialize needs params.protocolVersion (string)");
  }
  const auto& supported = SupportedProtocolVersions();
  std::string requested = params["protocolVersion"].get<std::string>();
  bool known = std::find(supported.begin(), supported.end(), requested) != supported.end();
  initialized_ = true;
  if (auto caps = params.find("capabilities"); caps != params.end() && caps->is_object()) {
    client_has_roots_ =
        options_.ask_roots && caps->contains("roots") && (*caps)["roots"].is_object();
  }
  if (client_has_roots_) {
    // Until the client has said which roots it allows, calls wait (the
    // roots/list goes out after notifications/initialized).
    std::lock_guard lock(mu_);
    roots_pending_ = true;
  }
  json capabilities{{"tools", {{"listChanged", false}}},
                    {"resources", {{"subscribe", false}, {"listChanged", false}}}};
  return RpcOutcome::Ok(json{{"protocolVersion", known ? requested : supported.front()},
                             {"capabilities", std::move(capabilities)},
                             {"serverInfo", ServerInfo()},
                             {"instructions", Instructions()}});
}

json Session::ServerInfo() const {
  return json{{"name", "nokv"},
              {"title", "NoKV"},
              {"version", options_.version.empty() ? NOKV_AGENT_VERSION : options_.version}};
}

std::string Session::Instructions() const {
  return options_.write_profile ? kWriteIntro + std::string(kInstructions) + kWriteInstructions
                                : kReadOnlyIntro + std::string(kInstructions);
}

std::optional<RpcOutcome> Session::RefuseStateless(const RpcMessage& message) const {
  const json& meta = message.params["_meta"];
  const json& version = meta[kMetaVersion];
  if (!version.is_string()) {
    return RpcOutcome::Fail(
        kInvalidParams, "Invalid params: _meta." + std::string(kMetaVersion) + " must be a string");
  }
  if (!meta.contains(kMetaCapabilities) || !meta[kMetaCapabilities].is_object()) {
    return RpcOutcome::Fail(kInvalidParams, "Invalid params: _meta." +
                                                std::string(kMetaCapabilities) +
                                                " (an object, {} for none) is required");
  }
  if (version.get<std::string>() != kStatelessVersion) {
    RpcOutcome refused =
        RpcOutcome::Fail(kUnsupportedProtocolVersion,
                         "Unsupported protocol version " + version.get<std::string>() +
                             " in _meta: a request without a handshake speaks " +
                             kStatelessVersion + "; the 2025 versions start with initialize");
    refused.error.data = json{{"supported", AllVersions()}, {"requested", version}};
    return refused;
  }
  if (message.method == "ping") {
    return RpcOutcome::Fail(kMethodNotFound, "Method not found: ping (not in 2026-07-28)");
  }
  if (options_.startup_failure) {
    RpcOutcome failed = StartupFailed(*options_.startup_failure);
    failed.error.code = kInternalError;  // -32000 is a legacy code in this era
    return failed;
  }
  return std::nullopt;
}

RpcOutcome Session::Discover() const {
  return RpcOutcome::Ok(
      json{{"supportedVersions", AllVersions()},
           {"capabilities", {{"tools", json::object()}, {"resources", json::object()}}},
           {"instructions", Instructions()}});
}

// 2026-07-28 results: resultType, the server's identity, and how long a
// client may cache the answer (the tool list and templates for five
// minutes, the same for everyone; listings and file contents not at all,
// since files change under them). A missing resource is invalid params.
RpcOutcome Session::StatelessResult(const RpcMessage& message, RpcOutcome outcome) const {
  if (!outcome.ok) {
    if (outcome.error.code == kResourceNotFound) {
      outcome.error.code = kInvalidParams;
      outcome.error.data = json{{"uri", message.params.value("uri", json())}};
    }
    return outcome;
  }
  json& result = outcome.result;
  if (!result.contains("resultType")) result["resultType"] = "complete";
  result["_meta"][kMetaServerInfo] = ServerInfo();
  const std::string& m = message.method;
  if (m == "server/discover" || m == "tools/list" || m == "resources/templates/list") {
    result["ttlMs"] = 300000;
    result["cacheScope"] = "public";
  } else if (result["resultType"] == "complete" &&
             (m == "resources/list" || m == "resources/read")) {
    result["ttlMs"] = 0;
    result["cacheScope"] = "private";
  }
  return outcome;
}

RpcOutcome Session::CallTool(const json& params, const query::CallControl& control,
                             const ClientRoots& roots) {
  if (!params.is_object() || !params.contains("name") || !params["name"].is_string()) {
    return RpcOutcome::Fail(kInvalidParams,
                            "Invalid params: tools/call needs params.name "
                            "(string)");
  }
  std::string name = params["name"].get<std::string>();
  if (tools_->Find(name) == nullptr) {
    std::string text = "Unknown tool: '" + name + "' (tools: " + tools_->NameList() + ")";
    if (!options_.write_profile && fs::IsWriteVerb(name)) {
      text += "; '" + name + "' is a write tool: the server offers it when started with --write";
    }
    return RpcOutcome::Fail(kInvalidParams, text);
  }
  json args = json::object();
  if (auto it = params.find("arguments"); it != params.end() && !it->is_null()) {
    if (!it->is_object()) {
      return RpcOutcome::Fail(kInvalidParams,
                              "Invalid params: tools/call arguments must be an "
                              "object");
    }
    args = *it;
  }
  return RpcOutcome::Ok(ToolCallResult(backend_->Call(name, args, control, roots)));
}

}  // namespace

// A session fed message by message (Server::Connect). HandleLine is
// serialized here: the session expects one feeding thread at a time.
class SessionConnection : public Connection {
 public:
  SessionConnection(VerbBackend* backend, const ServerOptions& options, const ToolTable* tools,
                    LineSink* out)
      : session_(backend, options, tools, out) {}
  ~SessionConnection() override { Close(); }

  void Handle(std::string_view message) override {
    std::lock_guard lock(mu_);
    if (!closed_) session_.HandleLine(message);
  }
  void Close() override {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    session_.Shutdown();
  }

 private:
  std::mutex mu_;
  bool closed_ = false;  // guarded by mu_
  Session session_;      // fed under mu_
};

Server::Server(VerbBackend* backend, ServerOptions options)
    : options_(std::move(options)), backend_(backend) {}

Server::~Server() = default;

Result<const ToolTable*> Server::Tools() {
  std::lock_guard lock(tools_mu_);
  if (!tools_) {
    NOKV_ASSIGN_OR_RETURN(ToolTable tools, ToolTable::Load(options_.write_profile));
    tools_ = std::make_unique<ToolTable>(std::move(tools));
  }
  return tools_.get();
}

Result<std::unique_ptr<Connection>> Server::Connect(LineSink* out) {
  NOKV_ASSIGN_OR_RETURN(const ToolTable* tools, Tools());
  return std::unique_ptr<Connection>(
      std::make_unique<SessionConnection>(backend_, options_, tools, out));
}

Status Server::Run(ByteSource* in, LineSink* out) {
  NOKV_ASSIGN_OR_RETURN(const ToolTable* tools, Tools());
  Session session(backend_, options_, tools, out);
  LineReader reader(in, options_.max_line_bytes);
  std::string line;
  for (;;) {
    LineReader::Event event = reader.Next(&line);
    if (event == LineReader::Event::kEnd) break;
    if (event == LineReader::Event::kTooLong)
      session.HandleTooLong();
    else
      session.HandleLine(line);
  }
  session.Shutdown();
  return Status::Ok();  // ~Session drains the pool: cancelled work ends at once
}

}  // namespace nokv::agent
