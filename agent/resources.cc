// MCP resources: listing, the path template, and reading through the verbs.
#include "agent/resources.h"

#include <utility>
#include <vector>

#include "common/media_type.h"
#include "query/roots.h"
#include "query/text_codec.h"

namespace nokv::agent {
namespace {

using nlohmann::json;

constexpr size_t kListPage = 100;

std::string JoinPath(const std::string& dir, const std::string& name) {
  return dir.ends_with('/') ? dir + name : dir + "/" + name;
}

const json* VerbError(const json& result) {
  if (!result.is_object()) return nullptr;
  auto it = result.find("error");
  return it != result.end() && it->is_object() ? &*it : nullptr;
}

// obj[field] when it is a string, else `fallback` (never throws).
std::string StringField(const json& obj, const char* field, std::string fallback = "") {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(field);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// Maps a verb error to a JSON-RPC error for the resources methods.
RpcOutcome FromVerbError(const json& error) {
  std::string code = StringField(error, "code");
  std::string message = StringField(error, "message");
  if (std::string hint = StringField(error, "hint"); !hint.empty()) message += " (" + hint + ")";
  if (code == "not_found" || code == "generation_gone") {
    return RpcOutcome::Fail(kResourceNotFound, "Resource not found: " + message);
  }
  if (code == "internal") return RpcOutcome::Fail(kInternalError, message);
  return RpcOutcome::Fail(kInvalidParams, message);
}

json TextContent(const std::string& uri, const std::string& mime, std::string text) {
  json c{{"uri", uri}, {"text", std::move(text)}};
  if (!mime.empty()) c["mimeType"] = mime;
  return c;
}

RpcOutcome Contents(json content) {
  return RpcOutcome::Ok(json{{"contents", json::array({std::move(content)})}});
}

// A directory resource reads as its first page of entries (the ls result).
RpcOutcome ReadDirectory(VerbBackend* backend, const ClientRoots& roots, const std::string& uri,
                         const std::string& path, const query::CallControl& control) {
  json listing = backend->Call("ls", json{{"path", path}, {"limit", kListPage}}, control, roots);
  if (const json* error = VerbError(listing)) return FromVerbError(*error);
  return Contents(TextContent(uri, "application/json", Serialize(listing)));
}

}  // namespace

json ResourceTemplatesResult() {
  json tmpl{{"uriTemplate", std::string(kUriScheme) + "{+path}"},
            {"name", "nokv-file"},
            {"title", "A file or directory"},
            {"description",
             "A file (its bytes) or directory (its listing) by absolute path, e.g. "
             "nokv-native:///runs/r1/metadata.json; evidence URIs "
             "(...@generation:N#L10-L12) read exactly that version and range."}};
  return json{{"resourceTemplates", json::array({std::move(tmpl)})}};
}

RpcOutcome ListResources(VerbBackend* backend, const std::string& root, const json& params,
                         const query::CallControl& control, const ClientRoots& roots) {
  if (roots) {
    // With client roots that narrow the served root, the resources are
    // those roots themselves (directories to read or list further).
    std::vector<std::string> allowed = query::IntersectRoots(root, *roots);
    if (allowed.size() != 1 || allowed.front() != root) {
      json resources = json::array();
      for (const std::string& path : allowed) {
        std::string escaped = query::EscapeBytes(path);
        resources.push_back(json{{"uri", std::string(kUriScheme) + escaped},
                                 {"name", escaped},
                                 {"mimeType", "application/json"}});
      }
      return RpcOutcome::Ok(json{{"resources", std::move(resources)}});
    }
  }
  // Verb arguments and results carry names with the byte escape (docs/mcp.md); the
  // root is raw bytes, so it is escaped on the way in like any other name.
  json args{{"path", query::EscapeBytes(root)}, {"limit", kListPage}};
  if (params.is_object() && params.contains("cursor")) {
    if (!params["cursor"].is_string()) {
      return RpcOutcome::Fail(kInvalidParams, "resources/list: cursor must be a string");
    }
    args["cursor"] = params["cursor"];
  }
  json page = backend->Call("ls", args, control, roots);
  if (const json* error = VerbError(page)) return FromVerbError(*error);
  json resources = json::array();
  const std::string listed = StringField(page, "path", query::EscapeBytes(root));
  auto entries = page.find("entries");
  if (entries != page.end() && entries->is_array()) {
    for (const json& e : *entries) {
      if (!e.is_object() || !e.contains("name") || !e["name"].is_string()) continue;
      std::string path = JoinPath(listed, e["name"].get<std::string>());
      const bool dir = StringField(e, "kind") == "directory";
      json r{{"uri", std::string(kUriScheme) + path}, {"name", path}};
      std::string mime(dir ? "application/json" : MediaTypeOf(path));
      if (!mime.empty()) r["mimeType"] = mime;
      if (!dir && e.contains("size_bytes") && e["size_bytes"].is_number_unsigned()) {
        r["size"] = e["size_bytes"];
      }
      resources.push_back(std::move(r));
    }
  }
  json result{{"resources", std::move(resources)}};
  if (page.contains("next_cursor") && page["next_cursor"].is_string()) {
    result["nextCursor"] = page["next_cursor"];
  }
  return RpcOutcome::Ok(std::move(result));
}

RpcOutcome ReadResource(VerbBackend* backend, const json& params, const query::CallControl& control,
                        const ClientRoots& roots) {
  if (!params.is_object() || !params.contains("uri") || !params["uri"].is_string()) {
    return RpcOutcome::Fail(kInvalidParams, "resources/read needs params.uri (string)");
  }
  const std::string uri = params["uri"].get<std::string>();
  if (!uri.starts_with(kUriScheme) || uri.size() == kUriScheme.size()) {
    return RpcOutcome::Fail(kInvalidParams,
                            "resources/read: expected a nokv-native:///<path> "
                            "URI, got '" +
                                uri + "'");
  }
  const std::string rest = uri.substr(kUriScheme.size());
  const bool is_evidence = rest.find("@generation:") != std::string::npos;
  json args = is_evidence ? json{{"evidence", uri}} : json{{"path", rest}};
  if (is_evidence && rest.find('#') != std::string::npos) {
    // A line range or record: the read verb's structured answer.
    json page = backend->Call("read", args, control, roots);
    if (const json* error = VerbError(page)) return FromVerbError(*error);
    return Contents(TextContent(uri, "application/json", Serialize(page)));
  }
  args["format"] = "bytes";
  args["limit"] = kMaxResourceBytes;
  args["max_result_bytes"] = kMaxResourceBytes;
  json page = backend->Call("read", args, control, roots);
  if (const json* error = VerbError(page)) {
    if (!is_evidence && StringField(*error, "code") == "not_a_file") {
      return ReadDirectory(backend, roots, uri, rest, control);
    }
    return FromVerbError(*error);
  }
  std::string data = StringField(page, "data");
  std::string mime(MediaTypeOf(StringField(page, "path", rest)));
  if (StringField(page, "encoding", "utf8") == "base64") {
    json c{{"uri", uri}, {"blob", std::move(data)}};
    c["mimeType"] = mime.empty() ? std::string(kOctetStream) : mime;
    return Contents(std::move(c));
  }
  return Contents(TextContent(uri, mime.empty() ? "text/plain" : mime, std::move(data)));
}

}  // namespace nokv::agent
