// libFuzzer target for what an S3 service (or anything pretending to be one)
// answers (src/object/s3_store.cc, s3_wire.h): ListObjectsV2 pages,
// DeleteObjects results, error bodies with any HTTP status, the UploadId of
// a multipart start, and the times in LastModified and Last-Modified. The
// first byte is the HTTP status class of the error case. Properties: nothing
// crashes and no read leaves the body; listed keys start after the store's
// prefix; an error response maps to a failed Status; XML escaping round-trips.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "object/s3_store.h"
#include "object/s3_transport.h"
#include "object/s3_wire.h"

namespace nokv::fuzz {
namespace {

constexpr std::string_view kStorePrefix = "nokv/";
constexpr long kStatuses[] = {400, 403, 404, 409, 412, 413, 429, 500, 501, 503};

bool Within(std::string_view inner, std::string_view outer) {
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

void FuzzBody(std::string_view body, uint8_t selector) {
  object::ListPage page = object::ParseListPage(body, kStorePrefix);
  Require(page.objects.size() <= body.size(), "no more objects than bytes");
  for (std::string_view contents : object::XmlElements(body, "Contents")) {
    Require(Within(contents, body), "an element lies inside the body");
  }
  (void)object::DeleteResultStatus(body, "DELETE-MANY b");
  object::HttpResponse response;
  response.status = kStatuses[selector % std::size(kStatuses)];
  response.body = std::string(body);
  response.attempts = 1 + selector / std::size(kStatuses);
  Require(!object::S3ErrorStatus(response, "GET b/k").ok(), "an error response is an error");
  (void)object::XmlText(body, "UploadId");
  int64_t ns = 0;
  (void)object::ParseIso8601Time(body, &ns);
  (void)object::ParseHttpDate(body, &ns);
  std::string text = object::XmlUnescape(body);
  Require(object::XmlUnescape(object::XmlEscape(text)) == text, "XML escaping round-trips");
}

}  // namespace
}  // namespace nokv::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  nokv::fuzz::FuzzBody(nokv::fuzz::Rest(data, size), data[0]);
  return 0;
}
