// S3Store: an ObjectStore on any S3-compatible service (AWS, Ceph RGW, MinIO).
//
// Requests are signed with SigV4 by libcurl (S3Transport). Keys are
// percent-encoded exactly as SigV4 canonicalizes them, so any byte string
// key works (spaces, '+', '%', UTF-8, '/'). Bodies above the multipart
// threshold go up as a multipart upload (parts in parallel; aborted on
// failure, so a failed put never leaves a partial object). List uses
// ListObjectsV2 and follows continuation tokens; DeleteMany uses the
// multi-object delete API, 1000 keys per request.
//
// Status mapping: 404 NotFound, 403 PermissionDenied, 412 on a conditional
// put AlreadyExists, other 4xx InvalidArgument / FailedPrecondition, 5xx
// and 429 after retries IOError, transfer timeouts TimedOut. Messages name the
// operation, bucket and key, the S3 error code and message and the request
// id; never credentials.
//
// Thread-safe: every method may be called concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "object/object_store.h"
#include "object/s3_options.h"
#include "object/s3_transport.h"

namespace nokv::object {

class S3Store final : public ObjectStore {
 public:
  // Validates `options`; does not contact the service.
  static Result<std::unique_ptr<S3Store>> Open(const S3Options& options);

  using ObjectStore::Put;
  Status Put(std::string_view key, std::string_view body, const PutOptions& options) override;
  Result<std::string> Get(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, ByteRange range) override;
  Result<ObjectInfo> Head(std::string_view key) override;
  Status Delete(std::string_view key) override;
  Status DeleteMany(std::span<const std::string> keys) override;
  Result<ListResult> List(const ListOptions& options) override;
  std::string Describe() const override;

  // Creates the bucket; OK when it already exists and is ours.
  Status CreateBucket();

  const S3Options& options() const { return options_; }
  uint64_t retries() const { return transport_.retries(); }

 private:
  explicit S3Store(const S3Options& options);

  // URL of the bucket (empty key) or an object, with an optional canonical query.
  std::string Url(std::string_view key, const std::string& query) const;
  std::string FullKey(std::string_view key) const;
  std::string PayloadHash(std::string_view body, const PutOptions& options) const;
  Status MultipartPut(std::string_view key, std::string_view body, const PutOptions& options);
  Result<std::string> UploadPart(const std::string& full_key, const std::string& upload_id,
                                 int part_number, std::string_view part);
  // After CompleteMultipartUpload of our own upload got NoSuchUpload: OK when `key`
  // now holds an object of `size` bytes whose ETag is the one these parts
  // produce (when predictable); otherwise `failure`.
  Status ConfirmCompleted(std::string_view key, uint64_t size,
                          std::span<const std::string> part_etags, Status failure);
  Status DeleteBatch(std::span<const std::string> keys);
  Result<HttpResponse> Send(HttpRequest request, const std::string& what);

  const S3Options options_;
  S3Transport transport_;
};

// Builds a Status from a non-2xx S3 response (see the mapping above).
Status S3ErrorStatus(const HttpResponse& response, std::string_view what);

// One ListObjectsV2 response body: the objects whose keys start with
// `store_prefix` (which is cut off them), whether more follow and the token
// for them. Tolerant of anything the service sends: missing or malformed
// fields read as empty, 0 or "no more".
struct ListPage {
  std::vector<ObjectInfo> objects;
  bool more = false;
  std::string token;
};
ListPage ParseListPage(std::string_view body, std::string_view store_prefix);

// The outcome of a 200 DeleteObjects response body: IOError naming the first
// <Error> other than NoSuchKey (prefixed with `what`), else OK.
Status DeleteResultStatus(std::string_view body, std::string_view what);

}  // namespace nokv::object
