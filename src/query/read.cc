// read: a file (or the generation an evidence URI names) as structured
// records, numbered text lines (streamed, any size), bytes (paged), or an
// image (whole), with evidence for each page.
#include <charconv>
#include <deque>

#include "common/media_type.h"
#include "query/args.h"
#include "query/evidence.h"
#include "query/file_body.h"
#include "query/text_codec.h"
#include "query/verbs.h"
#include "records/format.h"

namespace nokv::query {
namespace {

constexpr uint64_t kStructuredMaxBytes = uint64_t{4} << 20;
constexpr size_t kMaxLineBytes = 16 * 1024;
constexpr uint64_t kCancelEveryLines = 4096;

struct Limits {
  int64_t def;
  int64_t max;
};
constexpr Limits kLineLimits{200, 5000};
constexpr Limits kRecordLimits{50, 1000};
constexpr Limits kByteLimits{16384, 1 << 20};

// What to read: the file version, and where (from args, evidence or cursor).
struct ReadPlan {
  std::string path;
  uint64_t generation = 0;
  std::string format = "auto";
  uint64_t offset = 0;     // structured: record; bytes: byte; text: byte of `line`
  uint64_t line = 1;       // text: first line to return
  uint64_t last_line = 0;  // text: last line (0: none)
  bool have_offset = false;
  bool line_offset_known = false;  // text: `offset` is the byte offset of `line`
  uint64_t tail = 0;               // text: the last `tail` lines (0: not asked)
};

bool ParseUint(std::string_view text, uint64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

VerbError ParseLines(const std::string& spec, ReadPlan* plan) {
  size_t dash = spec.find('-');
  bool ok = ParseUint(spec.substr(0, dash), &plan->line) && plan->line >= 1;
  if (ok && dash != std::string::npos && dash + 1 < spec.size()) {
    ok = ParseUint(spec.substr(dash + 1), &plan->last_line) && plan->last_line >= plan->line;
  } else if (ok && dash == std::string::npos) {
    plan->last_line = plan->line;
  }
  if (!ok) {
    return VerbError::InvalidArgument("bad line range '" + spec + "'",
                                      "use 'a-b' (1-based, inclusive, a <= b), 'a-' or 'a'");
  }
  return VerbError::Ok();
}

VerbError ParseArgs(const Invocation& inv, const nlohmann::json& args, ReadPlan* plan,
                    std::string* evidence) {
  NOKV_VERB_TRY(GetString(args, "evidence", false, evidence, 1));
  bool has_path = args.contains("path") && !args["path"].is_null();
  if (has_path == !evidence->empty()) {
    return VerbError::InvalidArgument("give exactly one of 'path' and 'evidence'",
                                      "e.g. {\"path\": \"/runs/r1/stdout.log\"}");
  }
  NOKV_VERB_TRY(GetString(args, "format", false, &plan->format));
  static const std::vector<std::string> kFormats = {"auto", "structured", "text", "bytes", "image"};
  if (std::find(kFormats.begin(), kFormats.end(), plan->format) == kFormats.end()) {
    return VerbError::InvalidArgument("unknown format '" + plan->format + "'",
                                      "formats: auto, structured, text, bytes, image");
  }
  std::string lines;
  NOKV_VERB_TRY(GetString(args, "lines", false, &lines, 1));
  if (!lines.empty()) NOKV_VERB_TRY(ParseLines(lines, plan));
  int64_t offset = -1;
  NOKV_VERB_TRY(GetInt(args, "offset", 0, INT64_MAX, &offset));
  if (offset >= 0) {
    if (!lines.empty()) {
      return VerbError::InvalidArgument("give 'lines' or 'offset', not both");
    }
    plan->offset = static_cast<uint64_t>(offset);
    plan->line = std::max<uint64_t>(1, plan->offset);
    plan->have_offset = true;
  }
  int64_t tail = 0;
  NOKV_VERB_TRY(GetInt(args, "tail", 1, kLineLimits.max, &tail));
  if (tail > 0) {
    if (!lines.empty() || offset >= 0) {
      return VerbError::InvalidArgument("give 'tail' or 'lines'/'offset', not both");
    }
    if (plan->format == "auto") plan->format = "text";
    if (plan->format != "text") {
      return VerbError::InvalidArgument("'tail' reads text lines", "drop format or use 'text'");
    }
    plan->tail = static_cast<uint64_t>(tail);
  }
  if (!evidence->empty()) {
    Evidence ev;
    NOKV_VERB_TRY(ParseEvidence(*evidence, &ev));
    NOKV_VERB_TRY(NormalizeScopedPath(ev.path, inv.root, &plan->path));
    plan->generation = ev.generation;
    if (ev.kind == Evidence::Kind::kLines && lines.empty() && offset < 0 && tail == 0) {
      plan->line = ev.first, plan->last_line = ev.last;
    } else if (ev.kind == Evidence::Kind::kItem && offset < 0 && tail == 0) {
      plan->offset = ev.first, plan->have_offset = true;
      if (plan->format == "auto") plan->format = "structured";
    }
    return VerbError::Ok();
  }
  std::string raw;
  NOKV_VERB_TRY(GetString(args, "path", true, &raw));
  return NormalizeScopedPath(raw, inv.root, &plan->path);
}

// Opens plan.generation of plan.path: at the call's read point, else (reading
// the latest) at a snapshot that still holds it. A call at a snapshot, or a
// service bound to one, reads from that snapshot only. `reader` receives the
// invocation to read with.
VerbError OpenEvidence(const Invocation& inv, const ReadPlan& plan, Invocation* reader,
                       std::unique_ptr<FileBody>* body) {
  auto attr = StatInRoot(inv, plan.path, inv.at());
  if (!attr.ok() && attr.status().code() == Code::kPermissionDenied) {
    return FromStatus(attr.status());
  }
  if (attr.ok() && attr->generation == plan.generation) {
    return FileBody::Open(inv, *attr, plan.generation, body);
  }
  if (attr.ok() && FileBody::Open(inv, *attr, plan.generation, body).ok()) return VerbError::Ok();
  auto snapshots = inv.snapshot.empty()
                       ? inv.meta->ListSnapshots()
                       : Result<std::vector<meta::Snapshot>>(std::vector<meta::Snapshot>{});
  for (const auto& snap : snapshots.ok() ? *snapshots : std::vector<meta::Snapshot>{}) {
    if (snap.seq < plan.generation || !PathUnder(plan.path, snap.root)) continue;
    auto ctx = inv.meta->AtSnapshot(snap.name);
    if (!ctx.ok()) continue;
    auto old = StatInRoot(inv, plan.path, &*ctx);
    if (!old.ok() || old->generation != plan.generation) continue;
    reader->ctx = std::make_shared<const meta::ReadContext>(std::move(ctx).value());
    if (FileBody::Open(*reader, *old, plan.generation, body).ok()) return VerbError::Ok();
  }
  std::string hint = "the version was replaced and is not held by a snapshot";
  if (attr.ok() && attr->type == meta::FileType::kFile) {
    hint += "; the current version is " + VersionUri(plan.path, attr->generation);
  }
  return VerbError::GenerationGone("generation " + std::to_string(plan.generation) + " of " +
                                       plan.path + " is no longer retained",
                                   hint);
}

void ApplyCursor(const nlohmann::json& pos, ReadPlan* plan) {
  plan->format = pos.value("f", plan->format);
  plan->offset = pos.value("o", uint64_t{0});
  plan->line = pos.value("l", uint64_t{1});
  plan->last_line = pos.value("e", uint64_t{0});
  plan->have_offset = true;
  plan->line_offset_known = plan->format == "text";
}

}  // namespace

namespace {

VerbError Limit(const nlohmann::json& args, Limits limits, size_t* out) {
  int64_t n = limits.def;
  NOKV_VERB_TRY(GetInt(args, "limit", 1, 1 << 20, &n));
  *out = static_cast<size_t>(std::min(n, limits.max));
  return VerbError::Ok();
}

// Points `plan` at the first of the last plan->tail lines (one pass that
// keeps only where the last lines start) and reports the file's line count.
VerbError FindTail(Invocation& inv, FileBody* body, ReadPlan* plan, nlohmann::json* out) {
  struct Start {
    uint64_t offset, line;
  };
  std::deque<Start> starts;
  LineReader reader(body, 0, 1, kMaxLineBytes);
  TextLine line;
  uint64_t offset = reader.offset();
  while (reader.Next(&line)) {
    if (line.number % kCancelEveryLines == 0 && inv.Cancelled()) return VerbError::Cancelled();
    starts.push_back({offset, line.number});
    if (starts.size() > plan->tail) starts.pop_front();
    offset = reader.offset();
  }
  NOKV_VERB_TRY(reader.error());
  (*out)["line_count"] = starts.empty() ? 0 : starts.back().line;
  plan->offset = starts.empty() ? body->size() : starts.front().offset;
  plan->line = starts.empty() ? 1 : starts.front().line;
  plan->line_offset_known = true;
  return VerbError::Ok();
}

VerbError ReadText(Invocation& inv, const ReadPlan& plan, FileBody* body, size_t limit,
                   nlohmann::json* out) {
  LineReader reader(body, plan.line_offset_known ? plan.offset : 0,
                    plan.line_offset_known ? plan.line : 1, kMaxLineBytes);
  TextLine line;
  while (reader.next_number() < plan.line && reader.Next(&line)) {
    if (line.number % kCancelEveryLines == 0 && inv.Cancelled()) return VerbError::Cancelled();
  }
  NOKV_VERB_TRY(reader.error());
  ResultBudget budget(inv.max_result_bytes);
  budget.TryAdd(CompactJson(*out).size());  // what the result holds already (a parse_error)
  nlohmann::json lines = nlohmann::json::array();
  uint64_t first = 0, last = 0;
  bool truncated = false;
  uint64_t resume_offset = 0, resume_line = 0;
  while (lines.size() < limit && (plan.last_line == 0 || reader.next_number() <= plan.last_line)) {
    resume_offset = reader.offset(), resume_line = reader.next_number();
    if (!reader.Next(&line)) break;
    nlohmann::json item = {{"line", line.number}, {"text", line.text}};
    if (line.clipped) item["clipped"] = true;
    if (!budget.TryAdd(item)) {
      truncated = true;
      break;
    }
    if (first == 0) first = line.number;
    last = line.number;
    lines.push_back(std::move(item));
  }
  NOKV_VERB_TRY(reader.error());
  if (!truncated) resume_offset = reader.offset(), resume_line = reader.next_number();
  bool at_end = resume_offset >= body->size();
  bool range_done = plan.last_line != 0 && resume_line > plan.last_line;
  (*out)["format"] = "text";
  (*out)["evidence"] = first == 0 ? VersionUri(plan.path, plan.generation)
                                  : LinesUri(plan.path, plan.generation, first, last);
  (*out)["lines"] = std::move(lines);
  if (at_end) (*out)["eof"] = true;
  if (truncated) (*out)["truncated"] = true;
  if (!at_end && !range_done) {
    inv.next_position = nlohmann::json{
        {"f", "text"}, {"o", resume_offset}, {"l", resume_line}, {"e", plan.last_line}};
  }
  return VerbError::Ok();
}

// Parses the body as records; *parse_error set (and OK returned) when malformed.
VerbError ReadStructured(Invocation& inv, const ReadPlan& plan, FileBody* body, size_t limit,
                         nlohmann::json* out, std::string* parse_error) {
  std::string bytes;
  NOKV_VERB_TRY(body->ReadAll(kStructuredMaxBytes, &bytes));
  auto parsed = records::ParseRecords(bytes, records::DetectFormat(plan.path));
  if (!parsed.ok()) {
    *parse_error = std::string(parsed.status().message());
    return VerbError::Ok();
  }
  ResultBudget budget(inv.max_result_bytes);
  budget.TryAdd(CompactJson(*out).size());  // what the result holds already (a parse_error)
  nlohmann::json records = nlohmann::json::array();
  size_t total = parsed->records.size();
  size_t i = std::min<uint64_t>(plan.offset, total);
  bool truncated = false;
  for (; i < total && records.size() < limit; ++i) {
    if (!budget.TryAdd(parsed->records[i])) {
      truncated = true;
      break;
    }
    records.push_back(std::move(parsed->records[i]));
  }
  (*out)["format"] = "structured";
  (*out)["record_type"] = parsed->record_type;
  (*out)["record_count"] = total;
  (*out)["offset"] = plan.offset;
  (*out)["evidence"] = records.size() == 1 ? ItemUri(plan.path, plan.generation, plan.offset)
                                           : VersionUri(plan.path, plan.generation);
  (*out)["records"] = std::move(records);
  if (truncated) (*out)["truncated"] = true;
  if (i < total) inv.next_position = nlohmann::json{{"f", "structured"}, {"o", i}};
  return VerbError::Ok();
}

VerbError ReadBytes(Invocation& inv, const ReadPlan& plan, FileBody* body, size_t limit,
                    nlohmann::json* out) {
  ResultBudget budget(inv.max_result_bytes);
  budget.TryAdd(CompactJson(*out).size());  // what the result holds already (a parse_error)
  // base64 grows 4/3; UTF-8 text grows with escapes, so halve until it fits.
  size_t length = std::min<uint64_t>(limit, budget.remaining() * 3 / 4);
  std::string bytes, encoding, data;
  bool truncated = false;
  while (true) {
    NOKV_VERB_TRY(body->Read(plan.offset, length, &bytes));
    size_t valid = Utf8Floor(bytes, bytes.size());
    if (plan.offset + bytes.size() < body->size() && !IsValidUtf8(bytes) &&
        IsValidUtf8(std::string_view(bytes).substr(0, valid)) && valid > 0) {
      bytes.resize(valid);  // do not split a character at the page end
    }
    // "utf8" only when the text needs no byte escape, so data is the file's exact bytes.
    bool utf8 = IsEscapeFree(bytes) && bytes.find('\0') == std::string::npos;
    encoding = utf8 ? "utf8" : "base64";
    data = utf8 ? bytes : Base64Encode(bytes);
    if (budget.TryAdd(CompactJson(data).size()) || length <= 1) break;
    length /= 2;
    truncated = true;
  }
  uint64_t end = plan.offset + bytes.size();
  (*out)["format"] = "bytes";
  (*out)["offset"] = plan.offset;
  (*out)["length"] = bytes.size();
  (*out)["encoding"] = encoding;
  (*out)["data"] = std::move(data);
  (*out)["evidence"] = VersionUri(plan.path, plan.generation);
  if (truncated) (*out)["truncated"] = true;
  if (end < body->size()) inv.next_position = nlohmann::json{{"f", "bytes"}, {"o", end}};
  return VerbError::Ok();
}

// The whole file as one base64 image, or too_large: half an image shows nothing.
VerbError ReadImage(Invocation& inv, const ReadPlan& plan, FileBody* body, nlohmann::json* out) {
  std::string_view media_type = MediaTypeOf(plan.path);
  if (!IsShowableImage(media_type)) {
    return VerbError::InvalidArgument(
        plan.path + " is not a PNG, JPEG, GIF or WebP image (by its name)",
        "read it with format 'bytes'");
  }
  if (!inv.max_result_bytes_given) inv.max_result_bytes = inv.hard_max_result_bytes;
  ResultBudget budget(inv.max_result_bytes);
  budget.TryAdd(CompactJson(*out).size() + 256);  // the fields besides the data
  uint64_t encoded = (body->size() + 2) / 3 * 4;
  if (!budget.TryAdd(encoded + 2)) {
    return VerbError::TooLarge(plan.path + " is a " + std::to_string(body->size()) +
                                   "-byte image, " + std::to_string(encoded) +
                                   " bytes as base64: over max_result_bytes " +
                                   std::to_string(inv.max_result_bytes),
                               "read it in pages with format 'bytes'");
  }
  std::string bytes;
  NOKV_VERB_TRY(body->Read(0, body->size(), &bytes));
  (*out)["format"] = "image";
  (*out)["media_type"] = std::string(media_type);
  (*out)["offset"] = 0;
  (*out)["length"] = bytes.size();
  (*out)["encoding"] = "base64";
  (*out)["data"] = Base64Encode(bytes);
  (*out)["evidence"] = VersionUri(plan.path, plan.generation);
  return VerbError::Ok();
}

// auto: structured for record formats under the cap, an image for PNG, JPEG,
// GIF and WebP, bytes for other binary, else text.
VerbError ResolveFormat(const ReadPlan& plan, FileBody* body, std::string* format) {
  *format = plan.format;
  if (*format != "auto") return VerbError::Ok();
  if (IsShowableImage(MediaTypeOf(plan.path)) && !plan.have_offset) {
    *format = "image";
    return VerbError::Ok();
  }
  bool record_format = records::DetectFormat(plan.path) != records::RecordFormat::kText;
  if (record_format && body->size() <= kStructuredMaxBytes) {
    *format = "structured";
    return VerbError::Ok();
  }
  bool binary = false;
  NOKV_VERB_TRY(body->LooksBinary(&binary));
  *format = binary ? "bytes" : "text";
  return VerbError::Ok();
}

VerbError OpenPath(const Invocation& inv, ReadPlan* plan, std::unique_ptr<FileBody>* body) {
  auto attr = StatInRoot(inv, plan->path, inv.at());
  if (!attr.ok()) return FromStatus(attr.status(), "check the parent directory with ls");
  plan->generation = attr->generation;
  return FileBody::Open(inv, *attr, attr->generation, body);
}

}  // namespace

VerbError RunRead(Invocation& inv, const nlohmann::json& args, nlohmann::json* out) {
  ReadPlan plan;
  std::string evidence;
  NOKV_VERB_TRY(ParseArgs(inv, args, &plan, &evidence));
  if (inv.position != nullptr) ApplyCursor(*inv.position, &plan);
  Invocation reader = inv;
  std::unique_ptr<FileBody> body;
  if (!evidence.empty()) {
    NOKV_VERB_TRY(OpenEvidence(inv, plan, &reader, &body));
  } else {
    NOKV_VERB_TRY(OpenPath(inv, &plan, &body));
  }
  std::string format;
  NOKV_VERB_TRY(ResolveFormat(plan, body.get(), &format));
  *out = {{"path", plan.path}, {"generation", plan.generation}, {"size_bytes", body->size()}};
  size_t limit = 0;
  if (format == "structured") {
    NOKV_VERB_TRY(Limit(args, kRecordLimits, &limit));
    std::string parse_error;
    NOKV_VERB_TRY(ReadStructured(inv, plan, body.get(), limit, out, &parse_error));
    if (parse_error.empty()) return VerbError::Ok();
    if (plan.format == "structured") {
      return VerbError::InvalidArgument("cannot parse " + plan.path + ": " + parse_error,
                                        "read it with format 'text'");
    }
    (*out)["parse_error"] = parse_error;
    format = "text";
    if (!plan.have_offset) plan.line = 1;
  }
  if (format == "bytes") {
    NOKV_VERB_TRY(Limit(args, kByteLimits, &limit));
    return ReadBytes(inv, plan, body.get(), limit, out);
  }
  if (format == "image") return ReadImage(inv, plan, body.get(), out);
  NOKV_VERB_TRY(Limit(args, kLineLimits, &limit));
  if (plan.tail > 0 && inv.position == nullptr) {
    NOKV_VERB_TRY(FindTail(inv, body.get(), &plan, out));
    limit = std::max<size_t>(limit, plan.tail);
  }
  return ReadText(inv, plan, body.get(), limit, out);
}

}  // namespace nokv::query
