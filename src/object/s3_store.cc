// S3Store implementation: URLs, object operations, listing, multi-delete.
// Multipart upload lives in s3_multipart.cc.
#include "object/s3_store.h"

#include <charconv>

#include "object/s3_wire.h"

namespace nokv::object {
namespace {

constexpr size_t kMaxDeleteBatch = 1000;
constexpr size_t kMaxListPage = 1000;

std::string TrimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

uint64_t ParseU64(std::string_view text) {
  uint64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

}  // namespace

ListPage ParseListPage(std::string_view body, std::string_view store_prefix) {
  ListPage page;
  for (std::string_view contents : XmlElements(body, "Contents")) {
    std::string key = XmlText(contents, "Key");
    if (!key.starts_with(store_prefix)) continue;
    ObjectInfo info{key.substr(store_prefix.size()), ParseU64(XmlText(contents, "Size")),
                    XmlText(contents, "ETag")};
    if (!ParseIso8601Time(XmlText(contents, "LastModified"), &info.last_modified_ns)) {
      info.last_modified_ns = 0;
    }
    page.objects.push_back(std::move(info));
  }
  page.more = XmlText(body, "IsTruncated") == "true";
  page.token = XmlText(body, "NextContinuationToken");
  return page;
}

Status DeleteResultStatus(std::string_view body, std::string_view what) {
  for (std::string_view error : XmlElements(body, "Error")) {
    std::string code = XmlText(error, "Code");
    if (code == "NoSuchKey") continue;
    return Status::IOError("S3 " + std::string(what) + ": " + XmlText(error, "Key") + ": " + code +
                           ": " + XmlText(error, "Message"));
  }
  return Status::Ok();
}

Status S3ErrorStatus(const HttpResponse& response, std::string_view what) {
  std::string code = XmlText(response.body, "Code");
  std::string message = XmlText(response.body, "Message");
  std::string request_id = XmlText(response.body, "RequestId");
  if (request_id.empty()) request_id = response.Header("x-amz-request-id");
  std::string text = "S3 " + std::string(what) + ": HTTP " + std::to_string(response.status);
  if (!code.empty()) text += " " + code;
  if (!message.empty()) text += ": " + message;
  if (!request_id.empty()) text += " (request id " + request_id + ")";
  if (response.attempts > 1) text += " after " + std::to_string(response.attempts) + " attempts";
  long status = response.status;
  if (status == 404) return Status::NotFound(text);
  if (status == 403) return Status::PermissionDenied(text);
  if (status == 412 || status == 409) return Status::FailedPrecondition(text);
  if (status == 429) return Status::IOError(text);  // throttled past the retries
  if (code == "RequestTimeout") return Status::TimedOut(text);
  if (status == 413 || code == "EntityTooLarge") return Status::TooLarge(text);
  if (status >= 400 && status < 500) return Status::InvalidArgument(text);
  return Status::IOError(text);
}

S3Store::S3Store(const S3Options& options) : options_(options), transport_(options) {}

Result<std::unique_ptr<S3Store>> S3Store::Open(const S3Options& options) {
  NOKV_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<S3Store>(new S3Store(options));
}

std::string S3Store::Describe() const {
  return "s3://" + options_.bucket + "/" + options_.key_prefix;
}

std::string S3Store::FullKey(std::string_view key) const {
  return options_.key_prefix + std::string(key);
}

std::string S3Store::Url(std::string_view key, const std::string& query) const {
  std::string endpoint = options_.endpoint.empty()
                             ? "https://s3." + options_.region + ".amazonaws.com"
                             : TrimSlash(options_.endpoint);
  std::string url;
  if (options_.path_style) {
    url = endpoint + "/" + options_.bucket;
    if (!key.empty()) url += "/" + UriEncode(key, true);
  } else {
    size_t scheme_end = endpoint.find("://") + 3;
    url = endpoint.substr(0, scheme_end) + options_.bucket + "." + endpoint.substr(scheme_end) +
          "/" + UriEncode(key, true);
  }
  if (!query.empty()) url += "?" + query;
  return url;
}

std::string S3Store::PayloadHash(std::string_view body, const PutOptions& options) const {
  if (options.sha256) return DigestHex(*options.sha256);
  if (options_.sign_payload) return DigestHex(Sha256::Of(body));
  return std::string(kUnsignedPayload);
}

Result<HttpResponse> S3Store::Send(HttpRequest request, const std::string& what) {
  return transport_.Perform(request, what);
}

Status S3Store::Put(std::string_view key, std::string_view body, const PutOptions& options) {
  NOKV_RETURN_IF_ERROR(ValidateKey(key));
  if (body.size() > options_.multipart_threshold) return MultipartPut(key, body, options);
  std::string full = FullKey(key);
  HttpRequest request;
  request.method = "PUT";
  request.url = Url(full, "");
  request.body = body;
  request.payload_sha256 = PayloadHash(body, options);
  if (options.if_none_match) request.headers.push_back("If-None-Match: *");
  std::string what = "PUT " + options_.bucket + "/" + full;
  NOKV_ASSIGN_OR_RETURN(HttpResponse response, Send(std::move(request), what));
  if (response.status == 200) return Status::Ok();
  if (options.if_none_match && response.status == 412) {
    return Status::AlreadyExists("object exists: " + std::string(key));
  }
  return S3ErrorStatus(response, what);
}

Result<std::string> S3Store::Get(std::string_view key) {
  NOKV_RETURN_IF_ERROR(ValidateKey(key));
  std::string full = FullKey(key);
  HttpRequest request;
  request.url = Url(full, "");
  std::string what = "GET " + options_.bucket + "/" + full;
  NOKV_ASSIGN_OR_RETURN(HttpResponse response, Send(std::move(request), what));
  if (response.status == 200) return std::move(response.body);
  return S3ErrorStatus(response, what);
}

Result<std::string> S3Store::GetRange(std::string_view key, ByteRange range) {
  if (range.offset == 0 && range.length == UINT64_MAX) return Get(key);
  NOKV_RETURN_IF_ERROR(ValidateKey(key));
  if (range.length == 0) {
    NOKV_RETURN_IF_ERROR(Head(key).status());
    return std::string();
  }
  std::string full = FullKey(key);
  HttpRequest request;
  request.url = Url(full, "");
  std::string spec = "Range: bytes=" + std::to_string(range.offset) + "-";
  if (range.length <= UINT64_MAX - range.offset) {
    spec += std::to_string(range.offset + range.length - 1);
  }
  request.headers.push_back(spec);
  std::string what = "GET " + options_.bucket + "/" + full + " (" + spec.substr(7) + ")";
  NOKV_ASSIGN_OR_RETURN(HttpResponse response, Send(std::move(request), what));
  if (response.status == 206) return std::move(response.body);
  if (response.status == 200) {  // the server ignored the range
    auto [begin, end] = ClipRange(range, response.body.size());
    return response.body.substr(begin, end - begin);
  }
  if (response.status == 416) return std::string();  // starts at or past the end
  return S3ErrorStatus(response, what);
}

Result<ObjectInfo> S3Store::Head(std::string_view key) {
  NOKV_RETURN_IF_ERROR(ValidateKey(key));
  std::string full = FullKey(key);
  HttpRequest request;
  request.method = "HEAD";
  request.url = Url(full, "");
  std::string what = "HEAD " + options_.bucket + "/" + full;
  NOKV_ASSIGN_OR_RETURN(HttpResponse response, Send(std::move(request), what));
  if (response.status != 200) return S3ErrorStatus(response, what);
  ObjectInfo info{std::string(key), ParseU64(response.Header("content-length")),
                  response.Header("etag")};
  if (!ParseHttpDate(response.Header("last-modified"), &info.last_modified_ns)) {
    info.last_modified_ns = 0;
  }
  return info;
}

Status S3Store::Delete(std::string_view key) {
  NOKV_RETURN_IF_ERROR(ValidateKey(key));
  std::string full = FullKey(key);
  HttpRequest request;
  request.method = "DELETE";
  request.url = Url(full, "");
  std::string what = "DELETE " + options_.bucket + "/" + full;
  NOKV_ASSIGN_OR_RETURN(HttpResponse response, Send(std::move(request), what));
  if (response.status == 204 || response.status == 200 || response.status == 404) {
    return Status::Ok();
  }
  return S3ErrorStatus(response, what);
}

Status S3Store::DeleteMany(std::span<const std::string> keys) {
  std::vector<std::string> batch;
  for (const std::string& key : keys) {
    NOKV_RETURN_IF_ERROR(ValidateKey(key));
    if (!XmlSendable(FullKey(key))) {  // cannot be named in the XML body
      NOKV_RETURN_IF_ERROR(Delete(key));
      continue;
    }
    batch.push_back(key);
    if (batch.size() == kMaxDeleteBatch) {
      NOKV_RETURN_IF_ERROR(DeleteBatch(batch));
      batch.clear();
    }
  }
  if (!batch.empty()) NOKV_RETURN_IF_ERROR(DeleteBatch(batch));
  return Status::Ok();
}

Status S3Store::DeleteBatch(std::span<const std::string> keys) {
  std::string body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>";
  for (const std::string& key : keys) {
    body += "<Object><Key>" + XmlEscape(FullKey(key)) + "</Key></Object>";
  }
  body += "</Delete>";
  HttpRequest request;
  request.method = "POST";
  request.url = Url("", CanonicalQuery({{"delete", ""}}));
  request.body = body;
  request.payload_sha256 = DigestHex(Sha256::Of(body));
  request.headers.push_back("Content-Type: application/xml");
  request.headers.push_back("Content-MD5: " + ContentMd5(body));
  std::string what =
      "DELETE-MANY " + options_.bucket + " (" + std::to_string(keys.size()) + " keys)";
  NOKV_ASSIGN_OR_RETURN(HttpResponse response, Send(std::move(request), what));
  if (response.status != 200) return S3ErrorStatus(response, what);
  return DeleteResultStatus(response.body, what);
}

Result<ListResult> S3Store::List(const ListOptions& options) {
  ListResult result;
  const std::string& store_prefix = options_.key_prefix;
  std::string token;
  std::string what = "LIST " + options_.bucket + "/" + store_prefix + options.prefix;
  while (true) {
    size_t want = kMaxListPage;
    if (options.limit != 0) want = std::min(want, options.limit - result.objects.size());
    std::vector<std::pair<std::string, std::string>> params = {{"list-type", "2"},
                                                               {"max-keys", std::to_string(want)}};
    std::string prefix = store_prefix + options.prefix;
    if (!prefix.empty()) params.emplace_back("prefix", prefix);
    if (!token.empty()) {
      params.emplace_back("continuation-token", token);
    } else if (!options.start_after.empty()) {
      params.emplace_back("start-after", store_prefix + options.start_after);
    }
    HttpRequest request;
    request.url = Url("", CanonicalQuery(std::move(params)));
    NOKV_ASSIGN_OR_RETURN(HttpResponse response, Send(std::move(request), what));
    if (response.status != 200) return S3ErrorStatus(response, what);
    ListPage page = ParseListPage(response.body, store_prefix);
    for (ObjectInfo& info : page.objects) result.objects.push_back(std::move(info));
    token = std::move(page.token);
    if (!page.more || token.empty()) break;
    if (options.limit != 0 && result.objects.size() >= options.limit) {
      result.truncated = true;
      break;
    }
  }
  return result;
}

Status S3Store::CreateBucket() {
  HttpRequest request;
  request.method = "PUT";
  request.url = Url("", "");
  std::string what = "CREATE-BUCKET " + options_.bucket;
  NOKV_ASSIGN_OR_RETURN(HttpResponse response, Send(std::move(request), what));
  if (response.status == 200) return Status::Ok();
  if (response.status == 409 && XmlText(response.body, "Code") == "BucketAlreadyOwnedByYou") {
    return Status::Ok();
  }
  return S3ErrorStatus(response, what);
}

}  // namespace nokv::object
