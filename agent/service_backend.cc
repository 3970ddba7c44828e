// The production VerbBackend: forwards to the filesystem, which runs the
// seven read verbs in-process or in the metadata server, and the write verbs
// over its API (fs/agent_writes.h).
#include <utility>

#include "agent/backend.h"
#include "fs/agent_writes.h"
#include "query/roots.h"

namespace nokv::agent {
namespace {

class FilesystemBackend : public VerbBackend {
 public:
  FilesystemBackend(fs::Filesystem* fs, query::ServiceOptions scope, bool write_profile)
      : fs_(fs), scope_(std::move(scope)), write_profile_(write_profile) {}

  nlohmann::json Call(std::string_view name, const nlohmann::json& args,
                      const query::CallControl& control, const ClientRoots& roots) override {
    const bool write = write_profile_ && fs::IsWriteVerb(name);
    if (!roots) {
      return write ? fs::CallWriteVerb(fs_, name, args, scope_)
                   : fs_->CallVerb(name, args, scope_, control);
    }
    std::vector<std::string> allowed = query::IntersectRoots(scope_.root, *roots);
    if (write) return fs::CallWriteVerb(fs_, name, args, scope_, &allowed);
    query::ServiceOptions narrowed = scope_;
    if (query::VerbError e = query::RootForCall(args, allowed, &narrowed.root); !e.ok()) {
      return e.ToJson();
    }
    return fs_->CallVerb(name, args, narrowed, control);
  }

 private:
  fs::Filesystem* fs_;
  query::ServiceOptions scope_;
  bool write_profile_;
};

}  // namespace

std::unique_ptr<VerbBackend> NewFilesystemBackend(fs::Filesystem* fs, query::ServiceOptions scope,
                                                  bool write_profile) {
  return std::make_unique<FilesystemBackend>(fs, std::move(scope), write_profile);
}

}  // namespace nokv::agent
