// The verb entry points behind Service::Call, and pieces shared between
// verbs. Each verb validates its own arguments (keys were checked by the
// dispatcher), reads at inv.at(), fills *out with its result (without
// as_of/snapshot/next_cursor, which the dispatcher adds) and sets
// inv.next_position when more remains.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "meta/types.h"
#include "query/invocation.h"
#include "records/value.h"

namespace nokv::query {

using VerbFn = VerbError (*)(Invocation& inv, const nlohmann::json& args, nlohmann::json* out);

VerbError RunLs(Invocation& inv, const nlohmann::json& args, nlohmann::json* out);
VerbError RunStat(Invocation& inv, const nlohmann::json& args, nlohmann::json* out);
VerbError RunCatalog(Invocation& inv, const nlohmann::json& args, nlohmann::json* out);
VerbError RunFind(Invocation& inv, const nlohmann::json& args, nlohmann::json* out);
VerbError RunAggregate(Invocation& inv, const nlohmann::json& args, nlohmann::json* out);
VerbError RunRead(Invocation& inv, const nlohmann::json& args, nlohmann::json* out);
VerbError RunGrep(Invocation& inv, const nlohmann::json& args, nlohmann::json* out);

// The ls/stat description of one entry at `path`.
nlohmann::json EntryJson(std::string_view name, const meta::Attr& attr);

// Stats `path` (already inside inv.root) at `at`; a path whose links lead
// out of inv.root is PermissionDenied, so a served root confines reads as it
// confines writes; a symbolic link loop is InvalidArgument.
Result<meta::Attr> StatInRoot(const Invocation& inv, std::string_view path,
                              const meta::ReadContext* at);

// Resolves args["path"] (normalized, inside the root) at inv.at().
VerbError ResolvePathArg(const Invocation& inv, const nlohmann::json& args, std::string* path,
                         meta::Attr* attr);

// One value, or an array for several (the `values` form of results).
nlohmann::json ValuesJson(const std::vector<records::TypedValue>& values);

// A verb's page size: args[key] within [1, max], default `def`.
VerbError PageLimit(const nlohmann::json& args, const char* key, int64_t def, int64_t max,
                    size_t* out);

}  // namespace nokv::query
