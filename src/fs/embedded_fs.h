// EmbeddedFilesystem's class definition, internal to src/fs.
#pragma once

#include <memory>

#include "fs/embedded.h"

namespace nokv::fs {

class EmbeddedFilesystem final : public Filesystem {
 public:
  ~EmbeddedFilesystem() override;

  Result<meta::Attr> Stat(std::string_view path, const ReadAt& at) override;
  Result<meta::DirPage> List(std::string_view path, std::string_view start_after, size_t limit,
                             const ReadAt& at) override;
  Result<meta::Attr> Mkdir(std::string_view path, bool parents) override;
  Status Remove(std::string_view path, bool recursive) override;
  Status Rename(std::string_view from, std::string_view to, meta::RenameMode mode) override;
  Result<meta::Attr> Link(std::string_view existing, std::string_view new_path) override;
  Result<meta::Attr> Symlink(std::string_view path, std::string_view target) override;
  Result<meta::Attr> SetAttr(std::string_view path, const meta::SetAttrRequest& req) override;
  meta::FsTotals Totals() override;

  Result<std::unique_ptr<Writer>> OpenWriter(std::string_view path,
                                             const WriteOptions& options) override;
  Result<std::unique_ptr<Reader>> OpenReader(std::string_view path, const ReadAt& at) override;
  Result<std::vector<meta::Attr>> PutTree(const std::vector<TreeFile>& files,
                                          const WriteOptions& options,
                                          const ProgressFn& progress) override;

  Result<meta::Snapshot> CreateSnapshot(std::string_view name, std::string_view root,
                                        int64_t expires_ns) override;
  Result<std::vector<meta::Snapshot>> ListSnapshots() override;
  Status RetireSnapshot(std::string_view name) override;
  Result<meta::Snapshot> RenewSnapshot(std::string_view name, int64_t expires_ns) override;
  Result<meta::EventPage> Watch(std::string_view path, std::string_view cursor, size_t limit,
                                std::chrono::milliseconds wait) override;
  Status AddIndexRule(const records::IndexRule& rule) override;
  Status RemoveIndexRule(std::string_view id) override;
  std::vector<records::IndexRule> IndexRules() override;
  Status Reindex(std::string_view id) override;
  Result<meta::GcReport> CollectGarbage() override;
  Result<std::vector<std::string>> Doctor() override;

  nlohmann::json CallVerb(std::string_view verb, const nlohmann::json& args,
                          const query::CallControl& control) override;
  Result<std::unique_ptr<query::Service>> NewVerbService(
      const query::ServiceOptions& options) override;

 private:
  friend Result<std::unique_ptr<Filesystem>> OpenEmbedded(const EmbeddedOptions& options);
  friend class EmbeddedWriter;
  friend class EmbeddedReader;

  explicit EmbeddedFilesystem(const EmbeddedOptions& options);
  Result<meta::ReadContext> Context(const ReadAt& at);
  // Rewrites `path` (at attr's generation) to `size` bytes.
  Status Resize(std::string_view path, const meta::Attr& attr, uint64_t size);
  // Publishes `requests`; when a block was collected meanwhile, re-uploads
  // via `reupload` (if given) and publishes again with revive.
  Result<std::vector<meta::Attr>> PublishWithRetry(
      const std::vector<meta::PublishRequest>& requests, const std::function<Status()>& reupload);

  EmbeddedOptions options_;
  ThreadPool io_;
  std::unique_ptr<object::ObjectStore> cold_store_;  // the tiered store's cold tier
  std::unique_ptr<object::ObjectStore> store_;
  std::unique_ptr<meta::MetaService> meta_;
  std::unique_ptr<query::Service> verbs_;
};

// A MIME type guessed from a file name's extension.
std::string GuessContentType(std::string_view name);

}  // namespace nokv::fs
