// UnifiedDiff: common head and tail set aside, an LCS alignment of the rest,
// then hunks grouped with their context lines.
#include "query/unified_diff.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace nokv::query {
namespace {

// Lines with their newline kept, so "no newline at end" survives the split.
std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

enum class Op : char { kSame = ' ', kDel = '-', kAdd = '+' };

struct Step {
  Op op;
  size_t a;  // line index in before (kSame, kDel)
  size_t b;  // line index in after (kSame, kAdd)
};

// The edit script of a[a0, a1) against b[b0, b1): LCS when the table fits.
void AlignMiddle(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b,
                 size_t a0, size_t a1, size_t b0, size_t b1, size_t max_cells,
                 std::vector<Step>* out) {
  const size_t n = a1 - a0, m = b1 - b0;
  if (n == 0 || m == 0 || n > max_cells / m) {
    for (size_t i = a0; i < a1; ++i) out->push_back({Op::kDel, i, b0});
    for (size_t j = b0; j < b1; ++j) out->push_back({Op::kAdd, a1, j});
    return;
  }
  // lcs[i][j]: LCS length of a[a0+i..a1) and b[b0+j..b1).
  std::vector<uint32_t> lcs((n + 1) * (m + 1), 0);
  auto at = [&](size_t i, size_t j) -> uint32_t& { return lcs[i * (m + 1) + j]; };
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      at(i, j) =
          a[a0 + i] == b[b0 + j] ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
    }
  }
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[a0 + i] == b[b0 + j]) {
      out->push_back({Op::kSame, a0 + i++, b0 + j++});
    } else if (j < m && (i == n || at(i, j + 1) > at(i + 1, j))) {
      out->push_back({Op::kAdd, a0 + i, b0 + j++});
    } else {
      out->push_back({Op::kDel, a0 + i++, b0 + j});
    }
  }
}

void AppendLine(std::string* out, char prefix, std::string_view line) {
  out->push_back(prefix);
  out->append(line);
  if (line.empty() || line.back() != '\n') out->append("\n\\ No newline at end of file\n");
}

// "@@ -start,count +start,count @@" with diff's conventions for empty ranges.
std::string HunkHeader(size_t a_start, size_t a_count, size_t b_start, size_t b_count) {
  auto range = [](size_t start, size_t count) {
    std::string text = std::to_string(count == 0 ? start : start + 1);
    if (count != 1) text += "," + std::to_string(count);
    return text;
  };
  return "@@ -" + range(a_start, a_count) + " +" + range(b_start, b_count) + " @@\n";
}

}  // namespace

std::string UnifiedDiff(std::string_view before, std::string_view after, std::string_view label,
                        size_t context, size_t max_cells) {
  if (before == after) return "";
  const auto a = SplitLines(before);
  const auto b = SplitLines(after);
  size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) ++head;
  size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head &&
         a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) {
    ++tail;
  }
  std::vector<Step> steps;
  for (size_t i = 0; i < head; ++i) steps.push_back({Op::kSame, i, i});
  AlignMiddle(a, b, head, a.size() - tail, head, b.size() - tail, max_cells, &steps);
  for (size_t k = tail; k-- > 0;) steps.push_back({Op::kSame, a.size() - 1 - k, b.size() - 1 - k});

  std::string out = "--- a" + std::string(label) + "\n+++ b" + std::string(label) + "\n";
  size_t k = 0;
  while (k < steps.size()) {
    // The next change, and the hunk around it: changes closer than
    // 2 * context unchanged lines share one hunk.
    while (k < steps.size() && steps[k].op == Op::kSame) ++k;
    if (k == steps.size()) break;
    size_t first = k >= context ? k - context : 0;
    size_t last = k;  // one past the last change of the hunk
    for (size_t s = k; s < steps.size(); ++s) {
      if (steps[s].op != Op::kSame) {
        last = s + 1;
      } else if (s - last >= 2 * context) {
        break;
      }
    }
    size_t end = std::min(steps.size(), last + context);
    size_t a_count = 0, b_count = 0;
    for (size_t s = first; s < end; ++s) {
      if (steps[s].op != Op::kAdd) ++a_count;
      if (steps[s].op != Op::kDel) ++b_count;
    }
    out += HunkHeader(steps[first].a, a_count, steps[first].b, b_count);
    for (size_t s = first; s < end; ++s) {
      const Step& step = steps[s];
      AppendLine(&out, static_cast<char>(step.op), step.op == Op::kAdd ? b[step.b] : a[step.a]);
    }
    k = end;
  }
  return out;
}

}  // namespace nokv::query
