// grep: lines matching a literal or RE2 pattern in a file or under a
// directory (or under each of a list of paths), streamed line by line (any
// file size), with context, the first or last matches of each file or only
// their count, binary skipping, clipping of long lines and an evidence URI
// per match.
#include <re2/re2.h>

#include <deque>

#include "query/args.h"
#include "query/evidence.h"
#include "query/file_body.h"
#include "query/text_codec.h"
#include "query/tree_walk.h"
#include "query/verbs.h"
#include "records/glob.h"

namespace nokv::query {
namespace {

constexpr size_t kMaxScanLine = 1 << 20;  // longer lines are matched on their head
constexpr size_t kClipBytes = 400;        // longer lines are shown as a window
constexpr size_t kClipLead = 150;         // bytes kept before the match in a window
constexpr uint64_t kCancelEveryLines = 2048;
constexpr size_t kAfterKeyBytes = std::string_view(R"(,"after":[])").size();

constexpr size_t kMaxPaths = 1000;

struct GrepArgs {
  std::vector<std::string> roots;  // `path`, or each of `paths`
  std::string pattern, glob;
  bool regex = false, case_sensitive = false, recursive = true, count_only = false;
  size_t before = 0, after = 0, max_per_file = 20, from_end = 0, limit = 100;
};

// Where a page resumes: the root (index into roots), a file, the line to
// start at, matches already taken there (from_end: of the file's last ones).
struct Resume {
  size_t root = 0;
  std::string file;
  uint64_t offset = 0;
  uint64_t line = 1;
  uint64_t taken = 0;
};

VerbError ParseRoots(const Invocation& inv, const nlohmann::json& args, GrepArgs* g) {
  std::vector<std::string> raw;
  NOKV_VERB_TRY(GetStringList(args, "paths", kMaxPaths, &raw));
  bool has_path = args.contains("path");
  if (has_path == args.contains("paths") || (!has_path && raw.empty())) {
    return VerbError::InvalidArgument(
        "give exactly one of 'path' and 'paths' (a non-empty list)",
        "e.g. {\"paths\": [\"/runs/r1/stderr.log\", \"/runs/r2\"]}, the paths a find returned");
  }
  if (has_path) {
    raw.emplace_back();
    NOKV_VERB_TRY(GetString(args, "path", true, &raw.back()));
  }
  g->roots.resize(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    NOKV_VERB_TRY(NormalizeScopedPath(raw[i], inv.root, &g->roots[i]));
  }
  return VerbError::Ok();
}

VerbError GetContext(const nlohmann::json& args, const char* key, size_t fallback, size_t* out) {
  int64_t lines = -1;
  NOKV_VERB_TRY(GetInt(args, key, 0, 10, &lines));
  *out = lines < 0 ? fallback : static_cast<size_t>(lines);
  return VerbError::Ok();
}

VerbError ParseGrepArgs(const Invocation& inv, const nlohmann::json& args, GrepArgs* g) {
  NOKV_VERB_TRY(ParseRoots(inv, args, g));
  NOKV_VERB_TRY(GetString(args, "pattern", true, &g->pattern, 1, kMaxPatternChars));
  NOKV_VERB_TRY(GetBool(args, "regex", &g->regex));
  NOKV_VERB_TRY(GetBool(args, "case_sensitive", &g->case_sensitive));
  NOKV_VERB_TRY(GetBool(args, "recursive", &g->recursive));
  NOKV_VERB_TRY(GetBool(args, "count_only", &g->count_only));
  NOKV_VERB_TRY(GetString(args, "glob", false, &g->glob));
  g->glob = UnescapeBytes(g->glob);  // it matches names, which results print escaped
  if (!g->glob.empty()) {
    Status s = records::ValidateGlob(g->glob);
    if (!s.ok()) return VerbError::InvalidArgument(std::string(s.message()), "e.g. '*.log'");
  }
  NOKV_VERB_TRY(PageLimit(args, "limit", 100, 1000, &g->limit));
  NOKV_VERB_TRY(PageLimit(args, "max_per_file", 20, 1000, &g->max_per_file));
  if (args.contains("from_end")) {
    NOKV_VERB_TRY(PageLimit(args, "from_end", 1, 1000, &g->from_end));
    if (args.contains("max_per_file")) {
      return VerbError::InvalidArgument(
          "give 'max_per_file' (the first matches of each file) or "
          "'from_end' (the last ones), not both");
    }
  }
  size_t context = 0;
  NOKV_VERB_TRY(GetContext(args, "context", 0, &context));
  NOKV_VERB_TRY(GetContext(args, "context_before", context, &g->before));
  NOKV_VERB_TRY(GetContext(args, "context_after", context, &g->after));
  if (g->count_only && (g->from_end > 0 || g->before > 0 || g->after > 0)) {
    return VerbError::InvalidArgument("count_only gives counts, not lines",
                                      "drop context and from_end, or count_only");
  }
  return VerbError::Ok();
}

std::unique_ptr<RE2> Compile(const GrepArgs& g, VerbError* error) {
  RE2::Options options;
  options.set_case_sensitive(g.case_sensitive);
  options.set_log_errors(false);
  auto re = std::make_unique<RE2>(g.regex ? g.pattern : RE2::QuoteMeta(g.pattern), options);
  if (!re->ok()) {
    *error = VerbError::InvalidArgument("bad regex: " + re->error(),
                                        "RE2 syntax (no backreferences or lookaround); or set "
                                        "regex: false to search for the literal text");
  }
  return re;
}

// A window of a long line around [begin, end), on UTF-8 boundaries.
std::string Clip(std::string_view line, size_t begin, size_t end, bool* clipped) {
  *clipped = line.size() > kClipBytes;
  if (!*clipped) return std::string(line);
  size_t from = begin > kClipLead ? begin - kClipLead : 0;
  while (from > 0 && (uint8_t(line[from]) & 0xC0) == 0x80) --from;
  size_t to = std::max(end, from + kClipBytes);
  to = Utf8Floor(line, std::min(to, line.size()));
  return std::string(line.substr(from, to - from));
}

std::string ContextLine(const std::string& text) {
  bool clipped = false;
  return Clip(text, 0, 0, &clipped);
}

// A match of a from_end scan, held until the file's end says whether it is
// one of the last.
struct HeldMatch {
  uint64_t line = 0;
  nlohmann::json item;  // MatchJson: the line is kept clipped, never whole
  std::deque<std::string> before;
  std::vector<std::string> after;
};

// A match as the result shows it, its text a window of a long line.
nlohmann::json MatchJson(const std::string& path, uint64_t generation, const TextLine& line,
                         size_t begin, size_t size) {
  bool clipped = false;
  nlohmann::json item = {{"path", path},
                         {"line", line.number},
                         {"column", begin + 1},
                         {"text", Clip(line.text, begin, begin + size, &clipped)},
                         {"evidence", LinesUri(path, generation, line.number, line.number)}};
  if (clipped || line.clipped) item["clipped"] = true;
  return item;
}

class Grep {
 public:
  Grep(Invocation& inv, const GrepArgs& g, const RE2& re)
      : inv_(inv), g_(g), re_(re), budget_(inv.max_result_bytes) {}

  VerbError Run(const Resume* resume);
  void Finish(nlohmann::json* out);

 private:
  VerbError RunRoot(size_t index, const Resume* resume, bool* page_full);
  bool Wanted(const std::string& root, const std::string& path) const;
  // Sets *binary for a body that looks binary, counting it as skipped.
  VerbError SkipIfBinary(FileBody* body, bool* binary);
  // Searches one file from `start`; sets *page_full when the page is full.
  VerbError SearchFile(const std::string& path, const meta::Attr& attr, const Resume& start,
                       bool* page_full);
  // The last from_end matches of the file, from the start.taken-th on.
  VerbError SearchFileFromEnd(const std::string& path, const meta::Attr& attr, const Resume& start,
                              bool* page_full);
  bool AddMatch(nlohmann::json item, const std::deque<std::string>& before,
                const std::vector<std::string>& after);
  bool AddCount(const std::string& path, uint64_t generation, uint64_t count);

  Invocation& inv_;
  const GrepArgs& g_;
  const RE2& re_;
  ResultBudget budget_;
  size_t root_ = 0;  // the root being searched
  nlohmann::json matches_ = nlohmann::json::array();
  nlohmann::json counts_ = nlohmann::json::array();
  uint64_t files_scanned_ = 0, bytes_scanned_ = 0, binary_skipped_ = 0, globbed_ = 0;
  bool truncated_ = false;
  std::optional<Resume> next_;
};

bool Grep::Wanted(const std::string& root, const std::string& path) const {
  if (g_.glob.empty()) return true;
  if (g_.glob.find('/') == std::string::npos) return records::MatchGlob(g_.glob, BaseName(path));
  std::string_view rel(path);
  rel.remove_prefix(root == "/" ? 1 : root.size() + 1);
  return records::MatchGlob(g_.glob, rel);
}

bool Grep::AddMatch(nlohmann::json item, const std::deque<std::string>& before,
                    const std::vector<std::string>& after) {
  if (!before.empty()) item["before"] = before;
  if (!after.empty()) item["after"] = after;
  if (!budget_.TryAdd(item)) return false;
  matches_.push_back(std::move(item));
  return true;
}

bool Grep::AddCount(const std::string& path, uint64_t generation, uint64_t count) {
  nlohmann::json item = {
      {"path", path}, {"count", count}, {"evidence", VersionUri(path, generation)}};
  if (!budget_.TryAdd(item)) return false;
  counts_.push_back(std::move(item));
  return true;
}

VerbError Grep::SkipIfBinary(FileBody* body, bool* binary) {
  NOKV_VERB_TRY(body->LooksBinary(binary));
  if (*binary) {
    ++binary_skipped_;
    bytes_scanned_ += std::min<uint64_t>(body->size(), kBinarySniffBytes);
  }
  return VerbError::Ok();
}

VerbError Grep::SearchFile(const std::string& path, const meta::Attr& attr, const Resume& start,
                           bool* page_full) {
  if (g_.from_end > 0) return SearchFileFromEnd(path, attr, start, page_full);
  bool counting = g_.count_only;
  if (!counting && start.taken >= g_.max_per_file) return VerbError::Ok();
  std::unique_ptr<FileBody> body;
  NOKV_VERB_TRY(FileBody::Open(inv_, attr, attr.generation, &body));
  if (start.offset == 0) {
    bool binary = false;
    NOKV_VERB_TRY(SkipIfBinary(body.get(), &binary));
    if (binary) return VerbError::Ok();
  }
  ++files_scanned_;
  inv_.Progress(files_scanned_, 0, path);
  LineReader reader(body.get(), start.offset, start.line, kMaxScanLine);
  std::deque<std::string> before;
  uint64_t taken = start.taken;
  size_t after_left = 0;  // after-context lines still owed to the last match
  bool stop = false;      // a cap was reached: finish the after-context, then stop
  TextLine line;
  while (reader.Next(&line)) {
    if (line.number % kCancelEveryLines == 0 && inv_.Cancelled()) return VerbError::Cancelled();
    if (after_left > 0) {
      std::string text = ContextLine(line.text);
      nlohmann::json& last = matches_.back();
      // The first after-line also brings its key into the match.
      size_t key = last.contains("after") ? 0 : kAfterKeyBytes;
      if (budget_.TryAdd(CompactJson(text).size() + 1 + key)) last["after"].push_back(text);
      if (--after_left == 0 && stop) break;
    }
    re2::StringPiece m;
    if (!stop && re_.Match(line.text, 0, line.text.size(), RE2::UNANCHORED, &m, 1)) {
      if (counting) {
        ++taken;
        continue;
      }
      size_t begin = static_cast<size_t>(m.data() - line.text.data());
      if (!AddMatch(MatchJson(path, attr.generation, line, begin, m.size()), before, {})) {
        truncated_ = *page_full = true;
        next_ = Resume{root_, path, line.offset, line.number, taken};
        break;
      }
      ++taken;
      after_left = g_.after;
      if (matches_.size() == g_.limit) {
        *page_full = true;
        next_ = Resume{root_, path, reader.offset(), reader.next_number(), taken};
      }
      stop = *page_full || taken == g_.max_per_file;
      if (stop && after_left == 0) break;
    }
    if (g_.before > 0) {
      before.push_back(ContextLine(line.text));
      if (before.size() > g_.before) before.pop_front();
    }
  }
  bytes_scanned_ += reader.bytes_read();
  NOKV_VERB_TRY(reader.error());
  if (counting && taken > start.taken) {
    // A counted file is done: a page that resumes here reads nothing more of it.
    if (!AddCount(path, attr.generation, taken)) {
      truncated_ = *page_full = true;
      next_ = Resume{root_, path, 0, 1, 0};
    } else if (counts_.size() == g_.limit) {
      *page_full = true;
      next_ = Resume{root_, path, reader.offset(), reader.next_number(), taken};
    }
  }
  return VerbError::Ok();
}

VerbError Grep::SearchFileFromEnd(const std::string& path, const meta::Attr& attr,
                                  const Resume& start, bool* page_full) {
  std::unique_ptr<FileBody> body;
  NOKV_VERB_TRY(FileBody::Open(inv_, attr, attr.generation, &body));
  bool binary = false;
  NOKV_VERB_TRY(SkipIfBinary(body.get(), &binary));
  if (binary) return VerbError::Ok();
  ++files_scanned_;
  inv_.Progress(files_scanned_, 0, path);
  // The whole file is read; only the last from_end matches (and the lines
  // around them) are kept.
  LineReader reader(body.get(), 0, 1, kMaxScanLine);
  std::deque<std::string> before;
  std::deque<HeldMatch> held;
  TextLine line;
  while (reader.Next(&line)) {
    if (line.number % kCancelEveryLines == 0 && inv_.Cancelled()) return VerbError::Cancelled();
    if (g_.after > 0) {
      for (auto it = held.rbegin(); it != held.rend() && line.number - it->line <= g_.after; ++it) {
        it->after.push_back(ContextLine(line.text));
      }
    }
    re2::StringPiece m;
    if (re_.Match(line.text, 0, line.text.size(), RE2::UNANCHORED, &m, 1)) {
      if (held.size() == g_.from_end) held.pop_front();
      size_t begin = static_cast<size_t>(m.data() - line.text.data());
      held.push_back(
          {line.number, MatchJson(path, attr.generation, line, begin, m.size()), before, {}});
    }
    if (g_.before > 0) {
      before.push_back(ContextLine(line.text));
      if (before.size() > g_.before) before.pop_front();
    }
  }
  bytes_scanned_ += reader.bytes_read();
  NOKV_VERB_TRY(reader.error());
  for (uint64_t i = start.taken; i < held.size(); ++i) {
    HeldMatch& h = held[i];
    if (!AddMatch(std::move(h.item), h.before, h.after)) {
      truncated_ = *page_full = true;
      next_ = Resume{root_, path, 0, 1, i};
      return VerbError::Ok();
    }
    if (matches_.size() == g_.limit) {
      *page_full = true;
      // The rest of this file's last matches, if any, then the next file.
      next_ = Resume{root_, path, 0, 1, i + 1};
      return VerbError::Ok();
    }
  }
  return VerbError::Ok();
}

VerbError Grep::Run(const Resume* resume) {
  bool full = false;
  for (size_t i = resume ? resume->root : 0; i < g_.roots.size() && !full; ++i) {
    root_ = i;
    bool resuming = resume != nullptr && resume->root == i;
    NOKV_VERB_TRY(RunRoot(i, resuming ? resume : nullptr, &full));
  }
  return VerbError::Ok();
}

VerbError Grep::RunRoot(size_t index, const Resume* resume, bool* full) {
  const std::string& top = g_.roots[index];
  auto root = StatInRoot(inv_, top, inv_.at());
  if (!root.ok()) return FromStatus(root.status(), "check the parent directory with ls");
  if (root->type == meta::FileType::kFile) {
    ++globbed_;
    return SearchFile(top, *root, resume ? *resume : Resume{index, top}, full);
  }
  if (root->type != meta::FileType::kDirectory) {
    return VerbError::NotAFile(top + " is a symlink", "grep its target instead");
  }
  TreeWalker walker(inv_, root->inode, top, g_.recursive);
  if (resume != nullptr) {
    auto attr = StatInRoot(inv_, resume->file, inv_.at());
    if (attr.ok() && attr->type == meta::FileType::kFile) {
      NOKV_VERB_TRY(SearchFile(resume->file, *attr, *resume, full));
      if (*full) return VerbError::Ok();
    }
    walker.ResumeAfter(resume->file);
  }
  std::string path;
  meta::Attr attr;
  while (walker.Next(&path, &attr)) {
    if (inv_.Cancelled()) return VerbError::Cancelled();
    if (attr.type != meta::FileType::kFile || !Wanted(top, path)) continue;
    ++globbed_;
    NOKV_VERB_TRY(SearchFile(path, attr, Resume{index, path}, full));
    if (*full) return VerbError::Ok();
  }
  return walker.error();
}

void Grep::Finish(nlohmann::json* out) {
  *out = {{"files_scanned", files_scanned_}, {"bytes_scanned", bytes_scanned_}};
  if (g_.count_only) {
    (*out)["counts"] = std::move(counts_);
  } else {
    (*out)["matches"] = std::move(matches_);
  }
  if (binary_skipped_ > 0) (*out)["binary_skipped"] = binary_skipped_;
  if (truncated_) (*out)["truncated"] = true;
  if (!g_.glob.empty() && globbed_ == 0) {
    (*out)["hint"] = "the glob '" + g_.glob +
                     "' matched no file: without '/' it matches file names, with '/' paths "
                     "relative to the path searched";
  }
  if (next_) {
    inv_.next_position = nlohmann::json{{"r", next_->root},
                                        {"f", next_->file},
                                        {"o", next_->offset},
                                        {"l", next_->line},
                                        {"m", next_->taken}};
  }
}

}  // namespace

VerbError RunGrep(Invocation& inv, const nlohmann::json& args, nlohmann::json* out) {
  GrepArgs g;
  NOKV_VERB_TRY(ParseGrepArgs(inv, args, &g));
  VerbError error;
  auto re = Compile(g, &error);
  NOKV_VERB_TRY(error);
  std::optional<Resume> resume;
  if (inv.position != nullptr) {
    const auto& p = *inv.position;
    resume = Resume{p.value("r", size_t{0}), p.value("f", std::string()), p.value("o", uint64_t{0}),
                    p.value("l", uint64_t{1}), p.value("m", uint64_t{0})};
    if (resume->root >= g.roots.size() || !PathUnder(resume->file, g.roots[resume->root])) {
      return VerbError::InvalidArgument("malformed cursor");
    }
  }
  Grep grep(inv, g, *re);
  NOKV_VERB_TRY(grep.Run(resume ? &*resume : nullptr));
  grep.Finish(out);
  return VerbError::Ok();
}

}  // namespace nokv::query
