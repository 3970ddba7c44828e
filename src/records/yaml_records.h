// YAML bodies as records (over yaml-cpp). Internal to nokv_records; use ParseRecords.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace nokv::records {

// Every document of `body`: a sequence contributes its elements, an empty document nothing,
// anything else itself. Plain scalars follow the YAML 1.2 core schema (null, bool, int incl.
// 0x/0o, float incl. .inf/.nan); quoted scalars and !!str are strings. Mapping keys must be
// scalars. InvalidArgument("line L, column C: ...") on a syntax error.
Result<std::vector<nlohmann::json>> ParseYamlRecords(std::string_view body);

}  // namespace nokv::records
