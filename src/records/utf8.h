// UTF-8 checks and repair for text that becomes JSON strings (CSV cells, YAML scalars, text
// lines, the strings of a rule), so every parsed record and rule can be serialized.
// The query layer's verb results use the same functions (query/text_codec.h).
#pragma once

#include <string>
#include <string_view>

namespace nokv::records {

// Length of the valid UTF-8 sequence starting at text[0], or 0 when it is invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t ValidUtf8SequenceLength(std::string_view text);

// True when all of `text` is valid UTF-8 (what JSON strings, and so rule
// records, can hold).
bool IsValidUtf8(std::string_view text);

// `text` with every invalid byte replaced by U+FFFD. Valid input is returned unchanged.
std::string SanitizeUtf8(std::string_view text);

}  // namespace nokv::records
