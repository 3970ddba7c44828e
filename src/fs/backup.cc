// Metadata backups and restores: the image goes out in parts, the
// descriptor after them, the LATEST pointer last; a restore checks every
// part and the whole image before anything becomes a data directory.
#include "fs/backup.h"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <limits>
#include <mutex>
#include <random>

#include "common/env.h"
#include "common/logging.h"
#include "fs/data_dir.h"
#include "fs/filesystem.h"
#include "meta/meta_service.h"
#include "object/local_store.h"
#include "query/text_codec.h"

namespace nokv::fs {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kDescriptorName = "BACKUP";
constexpr std::string_view kLatestKey = "backups/LATEST";

std::string DescriptorKey(std::string_view id) {
  return std::string(kBackupPrefix) + std::string(id) + "/" + std::string(kDescriptorName);
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Ids sort by time: "20261207T181502Z-3fa1c2" (the suffix keeps two backups
// of one second apart).
std::string NewBackupId(int64_t now_ns) {
  time_t seconds = static_cast<time_t>(now_ns / 1'000'000'000);
  struct tm tm {};
  gmtime_r(&seconds, &tm);
  char buf[48];
  size_t n = strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, "-%06x", std::random_device{}() & 0xffffffu);
  return buf;
}

// Sends what is appended to the store as parts of `part_bytes`, hashing
// each part and the whole. Close puts the last part (an empty image still
// gets one).
class PartWriter final : public WritableFile {
 public:
  PartWriter(object::ObjectStore* store, std::string key_prefix, uint64_t part_bytes)
      : store_(store), key_prefix_(std::move(key_prefix)), part_bytes_(part_bytes) {}

  Status Append(std::string_view data) override {
    whole_.Update(data);
    size_ += data.size();
    while (!data.empty()) {
      size_t take = std::min<size_t>(data.size(), part_bytes_ - buffer_.size());
      buffer_.append(data.substr(0, take));
      data.remove_prefix(take);
      if (buffer_.size() == part_bytes_) NOKV_RETURN_IF_ERROR(PutPart());
    }
    return Status::Ok();
  }
  Status Sync() override { return Status::Ok(); }  // parts are synced by the caller
  Status Close() override {
    if (!buffer_.empty() || parts_.empty()) return PutPart();
    return Status::Ok();
  }
  uint64_t Size() const override { return size_; }

  const std::vector<BackupPart>& parts() const { return parts_; }
  Digest Finish() { return whole_.Finish(); }

 private:
  Status PutPart() {
    char suffix[16];
    std::snprintf(suffix, sizeof(suffix), "%06zu", parts_.size());
    BackupPart part{key_prefix_ + suffix, buffer_.size(), Sha256::Of(buffer_)};
    object::PutOptions put;
    put.sha256 = part.sha256;
    NOKV_RETURN_IF_ERROR(store_->Put(part.key, buffer_, put));
    parts_.push_back(std::move(part));
    buffer_.clear();
    return Status::Ok();
  }

  object::ObjectStore* store_;
  std::string key_prefix_;
  uint64_t part_bytes_;
  std::string buffer_;
  std::vector<BackupPart> parts_;
  Sha256 whole_;
  uint64_t size_ = 0;
};

Status PutDurably(object::ObjectStore& store, const std::string& key, const std::string& body) {
  NOKV_RETURN_IF_ERROR(store.Put(key, body));
  std::vector<std::string> keys = {key};
  return store.Sync(keys);
}

// Deletes an image: its descriptor first, so it is never listed without
// its parts.
Status DeleteImage(object::ObjectStore& store, std::string_view id) {
  NOKV_RETURN_IF_ERROR(store.Delete(DescriptorKey(id)));
  object::ListOptions list;
  list.prefix = std::string(kBackupPrefix) + std::string(id) + "/";
  for (;;) {
    NOKV_ASSIGN_OR_RETURN(auto page, store.List(list));
    std::vector<std::string> keys;
    for (const auto& o : page.objects) keys.push_back(o.key);
    NOKV_RETURN_IF_ERROR(store.DeleteMany(keys));
    if (!page.truncated || page.objects.empty()) return Status::Ok();
    list.start_after = page.objects.back().key;
  }
}

// Backs the process's backups up one at a time.
std::mutex& BackupMutex() {
  static std::mutex mu;
  return mu;
}

// Releases the pins of this target's backups whose image is gone, and
// applies retention.
Status Tidy(meta::MetaService& meta, object::ObjectStore& target, const BackupOptions& options,
            BackupReport* report) {
  NOKV_ASSIGN_OR_RETURN(auto records, meta.ListBackups());
  for (const auto& record : records) {
    if (record.location != options.to || record.id == report->backup.id) continue;
    auto head = target.Head(DescriptorKey(record.id));
    if (head.ok() || !head.status().Is(Code::kNotFound)) continue;
    NOKV_RETURN_IF_ERROR(meta.DropBackup(record.id));
    report->released.push_back(record.id);
  }
  if (options.keep == 0) return Status::Ok();
  NOKV_ASSIGN_OR_RETURN(auto images, ListBackupImages(target));
  if (images.size() <= options.keep) return Status::Ok();
  for (size_t i = 0; i + options.keep < images.size(); ++i) {
    const std::string& id = images[i].id;
    NOKV_RETURN_IF_ERROR(DeleteImage(target, id));
    // Only now may GC let the image's blocks go.
    Status dropped = meta.DropBackup(id);
    if (!dropped.ok() && !dropped.Is(Code::kNotFound)) return dropped;
    report->deleted.push_back(id);
  }
  return Status::Ok();
}

Result<int64_t> ParseUtc(std::string_view text) {
  struct tm tm {};
  std::string s(text);
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != '\0') {
    return Status::InvalidArgument("'" + s + "' is not a time like 2026-12-07T18:15:00Z");
  }
  // Times past 2262 do not fit in ns: they are after every backup.
  int64_t seconds = static_cast<int64_t>(timegm(&tm));
  if (seconds > std::numeric_limits<int64_t>::max() / 1'000'000'000) {
    return std::numeric_limits<int64_t>::max();
  }
  return seconds * 1'000'000'000;
}

}  // namespace

Json DescriptorToJson(const BackupDescriptor& b) {
  Json parts = Json::array();
  for (const auto& p : b.parts) {
    parts.push_back({{"key", p.key}, {"bytes", p.bytes}, {"sha256", DigestHex(p.sha256)}});
  }
  return Json{{"format", kBackupFormat},
              {"version", kBackupVersion},
              {"id", b.id},
              {"seq", b.seq},
              {"created_ns", b.created_ns},
              {"created", query::FormatTime(b.created_ns)},
              {"image",
               {{"format", "holt-checkpoint"},
                {"bytes", b.image_bytes},
                {"sha256", DigestHex(b.image_sha256)},
                {"keys", b.keys},
                {"versions", b.versions},
                {"parts", parts}}},
              {"namespace",
               {{"files", b.files},
                {"directories", b.directories},
                {"symlinks", b.symlinks},
                {"bytes", b.bytes}}}};
}

Result<BackupDescriptor> DescriptorFromJson(const Json& j, std::string_view where) {
  auto bad = [&](std::string_view why) {
    return Status::Corruption(std::string(where) + ": not a backup descriptor (" +
                              std::string(why) + ")");
  };
  // Checked by type first: json::value() throws for a key of another type.
  if (!j.is_object() || !j.contains("format") || !j["format"].is_string() ||
      j["format"].get<std::string>() != kBackupFormat) {
    return bad("format");
  }
  if (!j.contains("version") || !j["version"].is_number_unsigned()) return bad("version");
  if (j["version"].get<uint64_t>() > kBackupVersion) {
    return Status::NotSupported(std::string(where) + ": backup format version " +
                                std::to_string(j["version"].get<uint64_t>()) +
                                " was written by a newer nokv");
  }
  try {
    BackupDescriptor b;
    b.id = j.at("id").get<std::string>();
    b.seq = j.at("seq").get<uint64_t>();
    b.created_ns = j.at("created_ns").get<int64_t>();
    const Json& image = j.at("image");
    b.image_bytes = image.at("bytes").get<uint64_t>();
    if (!ParseDigestHex(image.at("sha256").get<std::string>(), &b.image_sha256)) {
      return bad("image.sha256");
    }
    b.keys = image.at("keys").get<uint64_t>();
    b.versions = image.at("versions").get<uint64_t>();
    uint64_t sum = 0;
    for (const Json& p : image.at("parts")) {
      BackupPart part;
      part.key = p.at("key").get<std::string>();
      part.bytes = p.at("bytes").get<uint64_t>();
      if (!ParseDigestHex(p.at("sha256").get<std::string>(), &part.sha256)) {
        return bad("part sha256");
      }
      sum += part.bytes;
      b.parts.push_back(std::move(part));
    }
    if (b.parts.empty() || sum != b.image_bytes) return bad("parts do not add up to the image");
    const Json& ns = j.at("namespace");
    b.files = ns.at("files").get<uint64_t>();
    b.directories = ns.at("directories").get<uint64_t>();
    b.symlinks = ns.at("symlinks").get<uint64_t>();
    b.bytes = ns.at("bytes").get<uint64_t>();
    return b;
  } catch (const Json::exception& e) {
    return bad(e.what());
  }
}

Json BackupReportToJson(const BackupReport& report) {
  return Json{{"backup", DescriptorToJson(report.backup)},
              {"deleted", report.deleted},
              {"released", report.released}};
}

Result<BackupReport> BackupReportFromJson(const Json& j) {
  if (!j.is_object() || !j.contains("backup")) {
    return Status::Corruption("not a backup report");
  }
  BackupReport report;
  NOKV_ASSIGN_OR_RETURN(report.backup, DescriptorFromJson(j["backup"], "backup report"));
  try {
    report.deleted = j.value("deleted", std::vector<std::string>{});
    report.released = j.value("released", std::vector<std::string>{});
  } catch (const Json::exception& e) {
    return Status::Corruption(std::string("backup report: ") + e.what());
  }
  return report;
}

Result<BackupReport> RunBackup(meta::MetaService& meta, object::ObjectStore& target,
                               const BackupOptions& options) {
  if (options.part_bytes == 0) return Status::InvalidArgument("backup part size must be > 0");
  std::lock_guard one_at_a_time(BackupMutex());
  BackupReport report;
  BackupDescriptor& b = report.backup;
  NOKV_ASSIGN_OR_RETURN(meta::BackupRecord record,
                        meta.BeginBackup(NewBackupId(NowNs()), options.to));
  b.id = record.id;
  b.seq = record.seq;
  b.created_ns = record.created_ns;
  PartWriter out(&target, std::string(kBackupPrefix) + b.id + "/image-", options.part_bytes);
  auto written = [&]() -> Status {
    NOKV_ASSIGN_OR_RETURN(holt::ImageInfo info, meta.ExportBackupImage(b.id, &out));
    NOKV_RETURN_IF_ERROR(out.Close());
    std::vector<std::string> keys;
    for (const auto& p : out.parts()) keys.push_back(p.key);
    NOKV_RETURN_IF_ERROR(target.Sync(keys));
    b.parts = out.parts();
    b.image_bytes = out.Size();
    b.image_sha256 = out.Finish();
    b.keys = info.keys;
    b.versions = info.versions;
    NOKV_ASSIGN_OR_RETURN(meta::ReadContext at, meta.AtBackup(b.id));
    meta::FsTotals totals = meta.Totals(&at);
    b.files = totals.files;
    b.directories = totals.directories;
    b.symlinks = totals.symlinks;
    b.bytes = totals.bytes;
    std::string descriptor = DescriptorToJson(b).dump(2) + "\n";
    NOKV_RETURN_IF_ERROR(PutDurably(target, DescriptorKey(b.id), descriptor));
    return PutDurably(target, std::string(kLatestKey), descriptor);
  }();
  if (!written.ok()) {
    // Nothing names the parts: remove them, and the pin with them.
    (void)DeleteImage(target, b.id);
    (void)meta.DropBackup(b.id);
    return written;
  }
  NOKV_LOG(kInfo) << "backup " << b.id << ": sequence " << b.seq << ", " << b.image_bytes
                  << " bytes in " << b.parts.size() << " parts";
  NOKV_RETURN_IF_ERROR(Tidy(meta, target, options, &report));
  return report;
}

Result<std::unique_ptr<object::ObjectStore>> OpenBackupDirectory(std::string_view dir) {
  if (!dir.starts_with("/")) {
    return Status::InvalidArgument("backup directory '" + std::string(dir) +
                                   "' must be an absolute path");
  }
  NOKV_ASSIGN_OR_RETURN(auto store, object::LocalStore::Open(std::string(dir)));
  return std::unique_ptr<object::ObjectStore>(std::move(store));
}

Result<std::vector<BackupDescriptor>> ListBackupImages(object::ObjectStore& store) {
  std::vector<BackupDescriptor> out;
  object::ListOptions list;
  list.prefix = std::string(kBackupPrefix);
  for (;;) {
    NOKV_ASSIGN_OR_RETURN(auto page, store.List(list));
    for (const auto& o : page.objects) {
      std::string_view key = o.key;
      if (!key.ends_with("/" + std::string(kDescriptorName))) continue;
      auto text = store.Get(o.key);
      if (text.status().Is(Code::kNotFound)) continue;  // deleted meanwhile
      NOKV_RETURN_IF_ERROR(text.status());
      Json j = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
      NOKV_ASSIGN_OR_RETURN(BackupDescriptor b, DescriptorFromJson(j, o.key));
      // Retention deletes by id: an id that is not the one the key names
      // would delete someone else's objects.
      if (o.key != DescriptorKey(b.id)) {
        return Status::Corruption(o.key + ": the descriptor names backup '" + b.id + "'");
      }
      out.push_back(std::move(b));
    }
    if (!page.truncated || page.objects.empty()) break;
    list.start_after = page.objects.back().key;
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.seq, a.created_ns, a.id) < std::tie(b.seq, b.created_ns, b.id);
  });
  return out;
}

Result<BackupDescriptor> PickBackup(const std::vector<BackupDescriptor>& backups,
                                    std::string_view at) {
  if (backups.empty()) return Status::NotFound("no backup in the store");
  if (at.empty()) return backups.back();
  for (const auto& b : backups) {
    if (b.id == at) return b;
  }
  uint64_t seq = 0;
  auto [end, ec] = std::from_chars(at.data(), at.data() + at.size(), seq);
  std::function<bool(const BackupDescriptor&)> before;
  if (ec == std::errc() && end == at.data() + at.size()) {
    before = [seq](const BackupDescriptor& b) { return b.seq <= seq; };
  } else if (at.find('T') != std::string_view::npos) {
    NOKV_ASSIGN_OR_RETURN(int64_t ns, ParseUtc(at));
    before = [ns](const BackupDescriptor& b) { return b.created_ns <= ns; };
  } else {
    return Status::NotFound("no backup with id '" + std::string(at) + "'");
  }
  for (auto it = backups.rbegin(); it != backups.rend(); ++it) {
    if (before(*it)) return *it;
  }
  return Status::NotFound("no backup at or before " + std::string(at) + " (the oldest is " +
                          backups.front().id + ", sequence " + std::to_string(backups.front().seq) +
                          ")");
}

}  // namespace nokv::fs
