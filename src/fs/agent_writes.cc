// Dispatch of the write verbs: the verb table, the frozen-view refusal and
// the resolution of the served root for each call.
#include "fs/agent_writes.h"

#include <algorithm>
#include <utility>

#include "fs/write_verbs.h"

namespace nokv::fs {
namespace {

using query::VerbError;

struct WriteVerb {
  const char* name;
  write_verbs::Verb run;
};

constexpr WriteVerb kWriteVerbs[] = {
    {"write", write_verbs::Write},       {"append", write_verbs::Append},
    {"edit", write_verbs::Edit},         {"mkdir", write_verbs::Mkdir},
    {"move", write_verbs::Move},         {"remove", write_verbs::Remove},
    {"snapshot", write_verbs::Snapshot},
};

}  // namespace

const std::vector<std::string>& WriteVerbNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const WriteVerb& verb : kWriteVerbs) out.emplace_back(verb.name);
    return out;
  }();
  return names;
}

bool IsWriteVerb(std::string_view name) {
  return std::any_of(std::begin(kWriteVerbs), std::end(kWriteVerbs),
                     [&](const WriteVerb& verb) { return name == verb.name; });
}

nlohmann::json CallWriteVerb(Filesystem* fs, std::string_view verb, const nlohmann::json& args,
                             const query::ServiceOptions& scope,
                             const std::vector<std::string>* roots) {
  const WriteVerb* found = std::find_if(std::begin(kWriteVerbs), std::end(kWriteVerbs),
                                        [&](const WriteVerb& v) { return verb == v.name; });
  if (found == std::end(kWriteVerbs)) {
    return VerbError::InvalidArgument("unknown write verb '" + std::string(verb) + "'").ToJson();
  }
  if (!args.is_object()) return VerbError::InvalidArgument("arguments must be an object").ToJson();
  if (!scope.snapshot.empty()) {
    return VerbError::PermissionDenied("this server serves the frozen snapshot '" + scope.snapshot +
                                       "'; nothing can be written to it")
        .ToJson();
  }
  std::vector<std::string> served = roots ? *roots : std::vector<std::string>{scope.root};
  if (served.empty()) {
    return VerbError::PermissionDenied("the client's roots leave nothing of the served tree",
                                       "the client's roots and the server's --root do not meet")
        .ToJson();
  }
  write_verbs::Scope resolved{fs, {}};
  for (const std::string& root : served) {
    std::string real;
    if (VerbError error = write_verbs::ResolveRoot(fs, root, &real); !error.ok()) {
      return error.ToJson();
    }
    resolved.roots.push_back(std::move(real));
  }
  nlohmann::json result;
  VerbError error = found->run(resolved, args, &result);
  return error.ok() ? std::move(result) : error.ToJson();
}

}  // namespace nokv::fs
