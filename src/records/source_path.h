// SourcePath: where a field's values live inside one record.
//
// Two spellings (docs/index-rules.md, "Sources"):
//   JSONPath-like  $ | $.a.b | $.a[0].b | $.a[*].b | $["key with.dots"]
//   JSON pointer   /a/b/0  (RFC 6901: ~1 is '/', ~0 is '~')
// A step names an object key; a step whose text is all digits also indexes an array; [*]
// takes every element of an array (or every value of an object). Immutable after Parse;
// safe to share between threads.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace nokv::records {

inline constexpr size_t kMaxSourceBytes = 1024;

class SourcePath {
 public:
  // InvalidArgument for an empty path, a path not starting with '$' or '/', a bad step, or
  // a path longer than kMaxSourceBytes.
  static Result<SourcePath> Parse(std::string_view text);

  // Appends to *out every node of `record` the path reaches (none when a step is missing).
  // The pointers borrow `record`.
  void Resolve(const nlohmann::json& record, std::vector<const nlohmann::json*>* out) const;

  const std::string& text() const { return text_; }

 private:
  struct Step {
    std::string key;
    std::optional<size_t> index;  // set when the key is all digits
    bool wildcard = false;
  };

  static Status ParseDollar(std::string_view text, std::vector<Step>* steps);
  static Status ParsePointer(std::string_view text, std::vector<Step>* steps);
  static Step KeyStep(std::string key);
  void ResolveFrom(const nlohmann::json& node, size_t step,
                   std::vector<const nlohmann::json*>* out) const;

  std::string text_;
  std::vector<Step> steps_;
};

}  // namespace nokv::records
