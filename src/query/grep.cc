// grep: lines matching a literal or RE2 pattern in a file or under a
// directory, streamed line by line (any file size), with context, per-file
// caps, binary skipping, clipping of long lines and an evidence URI per match.
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

struct GrepArgs {
  std::string path, pattern, glob;
  bool regex = false, case_sensitive = false, recursive = true;
  size_t context = 0, max_per_file = 20, limit = 100;
};

// Where a page resumes: a file, the line to start at, matches already taken there.
struct Resume {
  std::string file;
  uint64_t offset = 0;
  uint64_t line = 1;
  uint64_t taken = 0;
};

VerbError ParseGrepArgs(const Invocation& inv, const nlohmann::json& args, GrepArgs* g) {
  std::string raw;
  NOKV_VERB_TRY(GetString(args, "path", true, &raw));
  NOKV_VERB_TRY(NormalizeScopedPath(raw, inv.root, &g->path));
  NOKV_VERB_TRY(GetString(args, "pattern", true, &g->pattern, 1, kMaxPatternChars));
  NOKV_VERB_TRY(GetBool(args, "regex", &g->regex));
  NOKV_VERB_TRY(GetBool(args, "case_sensitive", &g->case_sensitive));
  NOKV_VERB_TRY(GetBool(args, "recursive", &g->recursive));
  NOKV_VERB_TRY(GetString(args, "glob", false, &g->glob));
  g->glob = UnescapeBytes(g->glob);  // it matches names, which results print escaped
  if (!g->glob.empty()) {
    Status s = records::ValidateGlob(g->glob);
    if (!s.ok()) return VerbError::InvalidArgument(std::string(s.message()), "e.g. '*.log'");
  }
  NOKV_VERB_TRY(PageLimit(args, "limit", 100, 1000, &g->limit));
  NOKV_VERB_TRY(PageLimit(args, "max_per_file", 20, 1000, &g->max_per_file));
  int64_t context = 0;
  NOKV_VERB_TRY(GetInt(args, "context", 0, 10, &context));
  g->context = static_cast<size_t>(context);
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

class Grep {
 public:
  Grep(Invocation& inv, const GrepArgs& g, const RE2& re)
      : inv_(inv), g_(g), re_(re), budget_(inv.max_result_bytes) {}

  VerbError Run(const meta::Attr& root, const Resume* resume);
  void Finish(nlohmann::json* out);

 private:
  bool Wanted(const std::string& path) const;
  // Searches one file from `start`; false when the page is full.
  VerbError SearchFile(const std::string& path, const meta::Attr& attr, const Resume& start,
                       bool* page_full);
  bool AddMatch(const std::string& path, uint64_t generation, const TextLine& line,
                const re2::StringPiece& m, const std::deque<std::string>& before);

  Invocation& inv_;
  const GrepArgs& g_;
  const RE2& re_;
  ResultBudget budget_;
  nlohmann::json matches_ = nlohmann::json::array();
  uint64_t files_scanned_ = 0, bytes_scanned_ = 0, binary_skipped_ = 0;
  bool truncated_ = false;
  std::optional<Resume> next_;
};

bool Grep::Wanted(const std::string& path) const {
  if (g_.glob.empty()) return true;
  if (g_.glob.find('/') == std::string::npos) return records::MatchGlob(g_.glob, BaseName(path));
  std::string_view rel(path);
  rel.remove_prefix(g_.path == "/" ? 1 : g_.path.size() + 1);
  return records::MatchGlob(g_.glob, rel);
}

bool Grep::AddMatch(const std::string& path, uint64_t generation, const TextLine& line,
                    const re2::StringPiece& m, const std::deque<std::string>& before) {
  size_t begin = static_cast<size_t>(m.data() - line.text.data());
  bool clipped = false;
  nlohmann::json item = {{"path", path},
                         {"line", line.number},
                         {"column", begin + 1},
                         {"text", Clip(line.text, begin, begin + m.size(), &clipped)},
                         {"evidence", LinesUri(path, generation, line.number, line.number)}};
  if (clipped || line.clipped) item["clipped"] = true;
  if (!before.empty()) item["before"] = before;
  if (!budget_.TryAdd(item)) return false;
  matches_.push_back(std::move(item));
  return true;
}

VerbError Grep::SearchFile(const std::string& path, const meta::Attr& attr, const Resume& start,
                           bool* page_full) {
  if (start.taken >= g_.max_per_file) return VerbError::Ok();
  std::unique_ptr<FileBody> body;
  NOKV_VERB_TRY(FileBody::Open(inv_, attr, attr.generation, &body));
  if (start.offset == 0) {
    bool binary = false;
    NOKV_VERB_TRY(body->LooksBinary(&binary));
    if (binary) {
      ++binary_skipped_;
      bytes_scanned_ += std::min<uint64_t>(body->size(), kBinarySniffBytes);
      return VerbError::Ok();
    }
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
      if (budget_.TryAdd(CompactJson(text).size() + 1)) matches_.back()["after"].push_back(text);
      if (--after_left == 0 && stop) break;
    }
    re2::StringPiece m;
    if (!stop && re_.Match(line.text, 0, line.text.size(), RE2::UNANCHORED, &m, 1)) {
      if (!AddMatch(path, attr.generation, line, m, before)) {
        truncated_ = *page_full = true;
        next_ = Resume{path, line.offset, line.number, taken};
        break;
      }
      ++taken;
      after_left = g_.context;
      if (matches_.size() == g_.limit) {
        *page_full = true;
        next_ = Resume{path, reader.offset(), reader.next_number(), taken};
      }
      stop = *page_full || taken == g_.max_per_file;
      if (stop && after_left == 0) break;
    }
    if (g_.context > 0) {
      before.push_back(ContextLine(line.text));
      if (before.size() > g_.context) before.pop_front();
    }
  }
  bytes_scanned_ += reader.bytes_read();
  return reader.error();
}

VerbError Grep::Run(const meta::Attr& root, const Resume* resume) {
  bool full = false;
  if (root.type == meta::FileType::kFile) {
    return SearchFile(g_.path, root, resume ? *resume : Resume{g_.path}, &full);
  }
  if (root.type != meta::FileType::kDirectory) {
    return VerbError::NotAFile(g_.path + " is a symlink", "grep its target instead");
  }
  TreeWalker walker(inv_, root.inode, g_.path, g_.recursive);
  if (resume != nullptr) {
    auto attr = inv_.meta->Stat(resume->file, inv_.at());
    if (attr.ok() && attr->type == meta::FileType::kFile) {
      NOKV_VERB_TRY(SearchFile(resume->file, *attr, *resume, &full));
      if (full) return VerbError::Ok();
    }
    walker.ResumeAfter(resume->file);
  }
  std::string path;
  meta::Attr attr;
  while (walker.Next(&path, &attr)) {
    if (inv_.Cancelled()) return VerbError::Cancelled();
    if (attr.type != meta::FileType::kFile || !Wanted(path)) continue;
    NOKV_VERB_TRY(SearchFile(path, attr, Resume{path}, &full));
    if (full) return VerbError::Ok();
  }
  return walker.error();
}

void Grep::Finish(nlohmann::json* out) {
  *out = {{"matches", std::move(matches_)},
          {"files_scanned", files_scanned_},
          {"bytes_scanned", bytes_scanned_}};
  if (binary_skipped_ > 0) (*out)["binary_skipped"] = binary_skipped_;
  if (truncated_) (*out)["truncated"] = true;
  if (next_) {
    inv_.next_position = nlohmann::json{
        {"f", next_->file}, {"o", next_->offset}, {"l", next_->line}, {"m", next_->taken}};
  }
}

}  // namespace

VerbError RunGrep(Invocation& inv, const nlohmann::json& args, nlohmann::json* out) {
  GrepArgs g;
  NOKV_VERB_TRY(ParseGrepArgs(inv, args, &g));
  VerbError error;
  auto re = Compile(g, &error);
  NOKV_VERB_TRY(error);
  auto root = inv.meta->Stat(g.path, inv.at());
  if (!root.ok()) return FromStatus(root.status(), "check the parent directory with ls");
  std::optional<Resume> resume;
  if (inv.position != nullptr) {
    const auto& p = *inv.position;
    resume = Resume{p.value("f", g.path), p.value("o", uint64_t{0}), p.value("l", uint64_t{1}),
                    p.value("m", uint64_t{0})};
    if (!PathUnder(resume->file, g.path)) return VerbError::InvalidArgument("malformed cursor");
  }
  Grep grep(inv, g, *re);
  NOKV_VERB_TRY(grep.Run(*root, resume ? &*resume : nullptr));
  grep.Finish(out);
  return VerbError::Ok();
}

}  // namespace nokv::query
