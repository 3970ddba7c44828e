// Recognizing typed scalars in text: JSON numbers and booleans (shared by CSV cells, YAML
// plain scalars, predicate literals and string-to-number coercion). Internal to nokv_records.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace nokv::records {

// True when `text` is exactly a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool IsJsonNumberText(std::string_view text);

// A JSON number as JSON: an integer when it has no fraction or exponent and fits int64,
// else a double. nullopt when `text` is not a JSON number or the double overflows.
std::optional<nlohmann::json> ParseJsonNumber(std::string_view text);

// "true"/"false" in any letter case; nullopt otherwise.
std::optional<bool> ParseBoolText(std::string_view text);

}  // namespace nokv::records
