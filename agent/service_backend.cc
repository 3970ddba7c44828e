// The production VerbBackend: forwards to the filesystem, which runs the
// seven verbs in-process or in the metadata server.
#include <utility>

#include "agent/backend.h"

namespace nokv::agent {
namespace {

class FilesystemBackend : public VerbBackend {
 public:
  FilesystemBackend(fs::Filesystem* fs, query::ServiceOptions scope)
      : fs_(fs), scope_(std::move(scope)) {}

  nlohmann::json Call(std::string_view name, const nlohmann::json& args,
                      const query::CallControl& control) override {
    return fs_->CallVerb(name, args, scope_, control);
  }

 private:
  fs::Filesystem* fs_;
  query::ServiceOptions scope_;
};

}  // namespace

std::unique_ptr<VerbBackend> NewFilesystemBackend(fs::Filesystem* fs, query::ServiceOptions scope) {
  return std::make_unique<FilesystemBackend>(fs, std::move(scope));
}

}  // namespace nokv::agent
