// S3Store multipart upload: initiate, upload parts in parallel, complete, and
// abort on any failure so no partial object or orphaned upload remains.
#include <atomic>
#include <mutex>
#include <thread>

#include "common/logging.h"
#include "object/s3_store.h"
#include "object/s3_wire.h"

namespace nokv::object {

Result<std::string> S3Store::UploadPart(const std::string& full_key, const std::string& upload_id,
                                        int part_number, std::string_view part) {
  HttpRequest request;
  request.method = "PUT";
  request.url =
      Url(full_key,
          CanonicalQuery({{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}}));
  request.body = part;
  request.payload_sha256 = PayloadHash(part, PutOptions{});
  std::string what =
      "UPLOAD-PART " + std::to_string(part_number) + " " + options_.bucket + "/" + full_key;
  NOKV_ASSIGN_OR_RETURN(HttpResponse response, Send(std::move(request), what));
  if (response.status != 200) return S3ErrorStatus(response, what);
  std::string etag = response.Header("etag");
  if (etag.empty()) return Status::IOError("S3 " + what + ": no ETag in the response");
  return etag;
}

Status S3Store::ConfirmCompleted(std::string_view key, uint64_t size,
                                 std::span<const std::string> part_etags, Status failure) {
  auto head = Head(key);
  if (!head.ok() || head->size != size) return failure;
  std::string expected = MultipartEtag(part_etags);
  if (!expected.empty() && head->etag != expected) return failure;
  return Status::Ok();
}

Status S3Store::MultipartPut(std::string_view key, std::string_view body,
                             const PutOptions& options) {
  std::string full = FullKey(key);
  std::string what = "MULTIPART " + options_.bucket + "/" + full;
  if (options.if_none_match) {
    // Cheap early answer; the completion below carries the condition too.
    auto head = Head(key);
    if (head.ok()) return Status::AlreadyExists("object exists: " + std::string(key));
    if (!head.status().Is(Code::kNotFound)) return head.status();
  }

  HttpRequest init;
  init.method = "POST";
  init.url = Url(full, CanonicalQuery({{"uploads", ""}}));
  NOKV_ASSIGN_OR_RETURN(HttpResponse started, Send(std::move(init), what + " (initiate)"));
  if (started.status != 200) return S3ErrorStatus(started, what + " (initiate)");
  std::string upload_id = XmlText(started.body, "UploadId");
  if (upload_id.empty()) return Status::IOError("S3 " + what + ": no UploadId in the response");

  const size_t parts = (body.size() + options_.part_size - 1) / options_.part_size;
  std::vector<std::string> etags(parts);
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first_error;  // guarded by mu
  auto worker = [&] {
    for (size_t i = next++; i < parts; i = next++) {
      {
        std::lock_guard lock(mu);
        if (!first_error.ok()) return;
      }
      auto etag = UploadPart(full, upload_id, static_cast<int>(i + 1),
                             body.substr(i * options_.part_size, options_.part_size));
      std::lock_guard lock(mu);
      if (etag.ok()) {
        etags[i] = std::move(*etag);
      } else if (first_error.ok()) {
        first_error = etag.status();
      }
    }
  };
  std::vector<std::thread> threads;
  size_t helpers = std::min(options_.multipart_concurrency, parts) - 1;
  for (size_t t = 0; t < helpers; ++t) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();

  Status status = first_error;
  if (status.ok()) {
    std::string xml = "<CompleteMultipartUpload>";
    for (size_t i = 0; i < parts; ++i) {
      xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
             XmlEscape(etags[i]) + "</ETag></Part>";
    }
    xml += "</CompleteMultipartUpload>";
    HttpRequest complete;
    complete.method = "POST";
    complete.url = Url(full, CanonicalQuery({{"uploadId", upload_id}}));
    complete.body = xml;
    complete.payload_sha256 = DigestHex(Sha256::Of(xml));
    complete.headers.push_back("Content-Type: application/xml");
    if (options.if_none_match) complete.headers.push_back("If-None-Match: *");
    auto done = Send(std::move(complete), what + " (complete)");
    if (!done.ok()) {
      status = done.status();
    } else if (done->status == 404 && XmlText(done->body, "Code") == "NoSuchUpload") {
      // An earlier attempt may have completed the upload and lost its 200
      // (our retry, or libcurl's own silent resend on a reused connection
      // that died): then the object is there and the upload id is gone.
      status =
          ConfirmCompleted(key, body.size(), etags, S3ErrorStatus(*done, what + " (complete)"));
      if (status.ok()) return status;  // nothing left to abort
    } else if (done->status == 412 && options.if_none_match) {
      status = Status::AlreadyExists("object exists: " + std::string(key));
    } else if (done->status != 200 || done->body.find("<Error>") != std::string::npos) {
      // S3 may report a failed completion inside a 200 response.
      status = S3ErrorStatus(*done, what + " (complete)");
      if (done->status == 200) status = Status::IOError(status.message());
    }
  }
  if (!status.ok()) {
    HttpRequest abort;
    abort.method = "DELETE";
    abort.url = Url(full, CanonicalQuery({{"uploadId", upload_id}}));
    auto aborted = Send(std::move(abort), what + " (abort)");
    if (!aborted.ok() || (aborted->status != 204 && aborted->status != 404)) {
      NOKV_LOG(kWarn) << "S3 " << what << ": could not abort upload " << upload_id;
    }
  }
  return status;
}

}  // namespace nokv::object
