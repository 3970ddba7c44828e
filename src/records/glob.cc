// Segment-wise glob matching: '**' by dynamic programming over segments, '*' within a
// segment by the classic backtrack-to-last-star scan.
#include "records/glob.h"

#include <vector>

namespace nokv::records {
namespace {

std::vector<std::string_view> SplitSegments(std::string_view path) {
  std::vector<std::string_view> parts;
  while (true) {
    size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

// Matches `c` against the class starting at p[i] == '['. Returns false when the class is
// not closed (then '[' is a literal); else sets *matched and *next past the closing ']'.
bool MatchClass(std::string_view p, size_t i, char c, bool* matched, size_t* next) {
  size_t j = i + 1;
  bool negate = j < p.size() && (p[j] == '!' || p[j] == '^');
  if (negate) ++j;
  bool hit = false;
  bool first = true;
  for (; j < p.size() && (first || p[j] != ']'); ++j, first = false) {
    auto lo = static_cast<unsigned char>(p[j]);
    auto hi = lo;
    if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
      hi = static_cast<unsigned char>(p[j + 2]);
      j += 2;
    }
    auto u = static_cast<unsigned char>(c);
    if (u >= lo && u <= hi) hit = true;
  }
  if (j >= p.size()) return false;
  *matched = hit != negate;
  *next = j + 1;
  return true;
}

// Matches one non-'*' pattern element at p[i] against `c`; *next is past the element.
bool MatchOne(std::string_view p, size_t i, char c, size_t* next) {
  if (p[i] == '?') {
    *next = i + 1;
    return true;
  }
  if (p[i] == '[') {
    bool matched = false;
    if (MatchClass(p, i, c, &matched, next)) return matched;
  }
  if (p[i] == '\\' && i + 1 < p.size()) {
    *next = i + 2;
    return p[i + 1] == c;
  }
  *next = i + 1;
  return p[i] == c;
}

bool MatchSegment(std::string_view p, std::string_view t) {
  size_t pi = 0, ti = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star_p = ++pi;
      star_t = ti;
      continue;
    }
    size_t next = 0;
    if (pi < p.size() && MatchOne(p, pi, t[ti], &next)) {
      pi = next;
      ++ti;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p;
    ti = ++star_t;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

Status BadGlob(std::string_view glob, std::string_view what) {
  return Status::InvalidArgument("glob '" + std::string(glob) + "': " + std::string(what));
}

}  // namespace

Status ValidateGlob(std::string_view glob) {
  if (glob.empty()) return Status::InvalidArgument("glob is empty; use '**' for every file");
  if (glob.size() > kMaxGlobBytes) return BadGlob(glob.substr(0, 64), "too long");
  if (glob.find('\0') != std::string_view::npos) return BadGlob("", "contains NUL");
  if (glob.front() == '/') return BadGlob(glob, "must be relative to the rule root");
  for (std::string_view segment : SplitSegments(glob)) {
    if (segment.empty()) return BadGlob(glob, "has an empty path segment");
    for (size_t i = 0; i < segment.size(); ++i) {
      if (segment[i] == '\\') {
        if (++i >= segment.size()) return BadGlob(glob, "ends in '\\'");
        continue;
      }
      bool matched = false;
      size_t next = 0;
      if (segment[i] == '[') {
        if (!MatchClass(segment, i, 'x', &matched, &next)) return BadGlob(glob, "unclosed '['");
        i = next - 1;
      }
    }
  }
  return Status::Ok();
}

bool MatchGlob(std::string_view glob, std::string_view relative_path) {
  std::vector<std::string_view> g = SplitSegments(glob);
  std::vector<std::string_view> p = SplitSegments(relative_path);
  size_t n = g.size(), m = p.size();
  // ok[i * (m + 1) + j]: glob segments i.. match path segments j..
  std::vector<char> ok((n + 1) * (m + 1), 0);
  auto at = [&](size_t i, size_t j) -> char& { return ok[i * (m + 1) + j]; };
  at(n, m) = 1;
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m + 1; j-- > 0;) {
      if (g[i] == "**") {
        at(i, j) = at(i + 1, j) || (j < m && at(i, j + 1));
      } else {
        at(i, j) = j < m && at(i + 1, j + 1) && MatchSegment(g[i], p[j]);
      }
    }
  }
  return at(0, 0) != 0;
}

bool RuleCovers(const IndexRule& rule, std::string_view abs_path, std::string* relative) {
  std::string_view rest = abs_path;
  if (rule.root != "/") {
    if (!rest.starts_with(rule.root)) return false;
    rest.remove_prefix(rule.root.size());
  }
  if (rest.size() < 2 || rest.front() != '/') return false;
  rest.remove_prefix(1);
  if (!MatchGlob(rule.glob, rest)) return false;
  if (relative != nullptr) relative->assign(rest);
  return true;
}

std::string RowPath(const IndexRule& rule, std::string_view file_path) {
  if (rule.target == IndexRule::Target::kFile) return std::string(file_path);
  size_t slash = file_path.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return "/";
  return std::string(file_path.substr(0, slash));
}

}  // namespace nokv::records
