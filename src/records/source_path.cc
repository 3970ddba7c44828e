// SourcePath parsing ($-paths and JSON pointers) and resolution against a record.
#include "records/source_path.h"

#include <algorithm>

namespace nokv::records {
namespace {

bool IsAllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Status BadSource(std::string_view text, std::string_view what, size_t byte) {
  return Status::InvalidArgument("source '" + std::string(text) + "': " + std::string(what) +
                                 " at byte " + std::to_string(byte + 1));
}

// Reads a quoted key starting at text[*i] (the quote); '\' escapes the next character.
bool ReadQuotedKey(std::string_view text, size_t* i, std::string* key) {
  char quote = text[(*i)++];
  while (*i < text.size()) {
    char c = text[(*i)++];
    if (c == quote) return true;
    if (c == '\\') {
      if (*i >= text.size()) return false;
      c = text[(*i)++];
    }
    key->push_back(c);
  }
  return false;
}

}  // namespace

SourcePath::Step SourcePath::KeyStep(std::string key) {
  Step step;
  if (IsAllDigits(key) && key.size() <= 18) step.index = std::stoull(key);
  step.key = std::move(key);
  return step;
}

Result<SourcePath> SourcePath::Parse(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("source is empty; use '$' for the record");
  if (text.size() > kMaxSourceBytes) {
    return Status::InvalidArgument("source is longer than " + std::to_string(kMaxSourceBytes) +
                                   " bytes");
  }
  SourcePath path;
  path.text_ = std::string(text);
  if (text.front() == '$') {
    NOKV_RETURN_IF_ERROR(ParseDollar(text, &path.steps_));
  } else if (text.front() == '/') {
    NOKV_RETURN_IF_ERROR(ParsePointer(text, &path.steps_));
  } else {
    return Status::InvalidArgument("source '" + std::string(text) +
                                   "' must start with '$' (like $.a.b) or '/' (like /a/b)");
  }
  return path;
}

Status SourcePath::ParseDollar(std::string_view text, std::vector<Step>* steps) {
  size_t i = 1;
  while (i < text.size()) {
    size_t start = i;
    if (text[i] == '.') {
      size_t end = text.find_first_of(".[", i + 1);
      if (end == std::string_view::npos) end = text.size();
      if (end == i + 1) return BadSource(text, "empty step", i);
      steps->push_back(KeyStep(std::string(text.substr(i + 1, end - i - 1))));
      i = end;
      continue;
    }
    if (text[i] != '[') return BadSource(text, "expected '.' or '['", i);
    ++i;
    Step step;
    if (i < text.size() && (text[i] == '"' || text[i] == '\'')) {
      if (!ReadQuotedKey(text, &i, &step.key)) return BadSource(text, "unterminated key", start);
    } else {
      size_t close = text.find(']', i);
      if (close == std::string_view::npos) return BadSource(text, "missing ']'", start);
      std::string_view inner = text.substr(i, close - i);
      if (inner == "*") {
        step.wildcard = true;
      } else if (IsAllDigits(inner)) {
        step = KeyStep(std::string(inner));
      } else {
        return BadSource(text, "expected [<index>], [*] or [\"key\"]", start);
      }
      i = close;
    }
    if (i >= text.size() || text[i] != ']') return BadSource(text, "missing ']'", start);
    ++i;
    steps->push_back(std::move(step));
  }
  return Status::Ok();
}

Status SourcePath::ParsePointer(std::string_view text, std::vector<Step>* steps) {
  size_t i = 1;
  while (true) {
    size_t end = std::min(text.find('/', i), text.size());
    std::string key;
    for (size_t j = i; j < end; ++j) {
      if (text[j] != '~') {
        key.push_back(text[j]);
        continue;
      }
      if (j + 1 >= end || (text[j + 1] != '0' && text[j + 1] != '1')) {
        return BadSource(text, "'~' must be followed by 0 or 1", j);
      }
      key.push_back(text[++j] == '0' ? '~' : '/');
    }
    steps->push_back(KeyStep(std::move(key)));
    if (end == text.size()) break;
    i = end + 1;
  }
  return Status::Ok();
}

void SourcePath::Resolve(const nlohmann::json& record,
                         std::vector<const nlohmann::json*>* out) const {
  ResolveFrom(record, 0, out);
}

void SourcePath::ResolveFrom(const nlohmann::json& node, size_t step,
                             std::vector<const nlohmann::json*>* out) const {
  if (step == steps_.size()) {
    out->push_back(&node);
    return;
  }
  const Step& s = steps_[step];
  if (s.wildcard) {
    if (node.is_array() || node.is_object()) {
      for (const nlohmann::json& child : node) ResolveFrom(child, step + 1, out);
    }
    return;
  }
  if (node.is_object()) {
    auto it = node.find(s.key);
    if (it != node.end()) ResolveFrom(*it, step + 1, out);
  } else if (node.is_array() && s.index && *s.index < node.size()) {
    ResolveFrom(node[*s.index], step + 1, out);
  }
}

}  // namespace nokv::records
