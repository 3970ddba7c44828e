// The body verbs: write, append and edit. Each uploads the new body and
// publishes it in one commit that checks the file is still at the
// generation the call started from, so two writers never silently overwrite
// each other: without expected_generation a lost race is retried from the
// new generation (append keeps every append); with it, it is a conflict.
#include <cstdint>
#include <functional>
#include <optional>

#include "fs/write_verbs.h"
#include "query/args.h"
#include "query/evidence.h"
#include "query/text_codec.h"
#include "query/unified_diff.h"

namespace nokv::fs::write_verbs {
namespace {

using nlohmann::json;
using query::VerbError;

constexpr int kMaxAttempts = 8;               // lost races retried without expected_generation
constexpr uint64_t kMaxEditBytes = 8u << 20;  // edit reads the whole text into memory
constexpr size_t kMaxDiffBytes = 64u << 10;   // the diff in an edit result
constexpr size_t kMaxEdits = 100;
constexpr char kProducer[] = "nokv mcp";

// The content argument as bytes (utf8 as is, or base64 decoded).
VerbError ContentArg(const json& args, std::string* out) {
  std::string text;
  NOKV_VERB_TRY(query::GetString(args, "content", /*required=*/true, &text));
  std::string encoding = "utf8";
  NOKV_VERB_TRY(query::GetString(args, "encoding", /*required=*/false, &encoding));
  if (encoding == "utf8") {
    *out = std::move(text);
    return VerbError::Ok();
  }
  if (encoding != "base64") {
    return VerbError::InvalidArgument("unknown encoding '" + encoding + "'",
                                      "encoding is 'utf8' (the default) or 'base64'");
  }
  auto bytes = query::Base64Decode(text);
  if (!bytes) {
    return VerbError::InvalidArgument("content is not valid base64",
                                      "use the standard alphabet with '=' padding");
  }
  *out = std::move(*bytes);
  return VerbError::Ok();
}

// Uploads what `fill` appends as the body of `path` and publishes it if the
// file is still at `generation` (0: only if it does not exist).
Result<meta::Attr> Publish(Filesystem* fs, const std::string& path, uint64_t generation,
                           const std::function<Status(Writer*)>& fill) {
  WriteOptions options;
  options.mode = meta::PublishMode::kReplaceIfGeneration;
  options.expected_generation = generation;
  options.producer = kProducer;
  options.parents = true;
  NOKV_ASSIGN_OR_RETURN(auto writer, fs->OpenWriter(path, options));
  NOKV_RETURN_IF_ERROR(fill(writer.get()));
  return writer->Commit();
}

// The generation `path` is at (0: missing); not_a_file for anything else.
VerbError CurrentGeneration(Filesystem* fs, const std::string& path, uint64_t* out) {
  auto attr = fs->Stat(path);
  if (!attr.ok()) {
    if (attr.status().code() != Code::kNotFound) return query::FromStatus(attr.status());
    *out = 0;
    return VerbError::Ok();
  }
  if (attr->type != meta::FileType::kFile) {
    return VerbError::NotAFile(path + " is not a regular file", "write to a file path");
  }
  *out = attr->generation;
  return VerbError::Ok();
}

// The arguments write and append share: a path (links followed, confined to
// the scope), content in its encoding, an optional expected generation.
VerbError BodyArgs(const Scope& scope, const json& args, const char* verb, std::string* path,
                   std::string* content, std::optional<uint64_t>* expected) {
  NOKV_VERB_TRY(
      query::CheckKeys(args, verb, {"path", "content", "encoding", "expected_generation"}));
  NOKV_VERB_TRY(ScopedPathArg(scope, args, "path", LastLink::kFollow, path));
  NOKV_VERB_TRY(ContentArg(args, content));
  return GenerationArg(args, "expected_generation", 0, expected);
}

bool LostRace(const Status& status, const std::optional<uint64_t>& expected, int attempt) {
  return status.code() == Code::kFailedPrecondition && !expected && attempt + 1 < kMaxAttempts;
}

}  // namespace

VerbError Write(const Scope& scope, const json& args, json* result) {
  std::string path, content;
  std::optional<uint64_t> expected;
  NOKV_VERB_TRY(BodyArgs(scope, args, "write", &path, &content, &expected));
  for (int attempt = 0;; ++attempt) {
    uint64_t current = 0;
    if (expected) {
      current = *expected;
    } else {
      NOKV_VERB_TRY(CurrentGeneration(scope.fs, path, &current));
    }
    auto written =
        Publish(scope.fs, path, current, [&](Writer* writer) { return writer->Append(content); });
    if (written.ok()) {
      *result = json{{"path", path},
                     {"generation", written->generation},
                     {"size_bytes", written->size},
                     {"created", current == 0},
                     {"evidence", query::VersionUri(path, written->generation)}};
      if (current != 0) (*result)["previous_generation"] = current;
      return VerbError::Ok();
    }
    if (!LostRace(written.status(), expected, attempt)) {
      return CommitError(scope.fs, path, written.status());
    }
  }
}

VerbError Append(const Scope& scope, const json& args, json* result) {
  std::string path, content;
  std::optional<uint64_t> expected;
  NOKV_VERB_TRY(BodyArgs(scope, args, "append", &path, &content, &expected));
  for (int attempt = 0;; ++attempt) {
    // The reader pins the generation whose bytes are copied ahead of the new ones.
    std::unique_ptr<Reader> reader;
    uint64_t current = 0;
    if (auto opened = scope.fs->OpenReader(path); opened.ok()) {
      reader = std::move(opened).value();
      current = reader->attr().generation;
    } else if (opened.status().code() != Code::kNotFound) {
      return query::FromStatus(opened.status());
    }
    if (expected && *expected != current) return Stale(path, current);
    auto written = Publish(scope.fs, path, current, [&](Writer* writer) -> Status {
      if (reader) {
        NOKV_RETURN_IF_ERROR(reader->ReadTo(
            0, reader->size(), [writer](std::string_view bytes) { return writer->Append(bytes); }));
      }
      return writer->Append(content);
    });
    if (written.ok()) {
      *result = json{{"path", path},
                     {"generation", written->generation},
                     {"previous_generation", current},
                     {"size_bytes", written->size},
                     {"appended_bytes", content.size()},
                     {"evidence", query::VersionUri(path, written->generation)}};
      return VerbError::Ok();
    }
    if (!LostRace(written.status(), expected, attempt)) {
      return CommitError(scope.fs, path, written.status());
    }
  }
}

namespace {

struct TextEdit {
  std::string old_text;
  std::string new_text;
  bool replace_all = false;
};

VerbError EditsArg(const json& args, std::vector<TextEdit>* out) {
  auto it = args.find("edits");
  if (it == args.end() || !it->is_array() || it->empty() || it->size() > kMaxEdits) {
    return VerbError::InvalidArgument(
        "edits must be an array of 1 to " + std::to_string(kMaxEdits) + " edits",
        "e.g. edits: [{\"old_text\": \"lr: 0.1\", \"new_text\": \"lr: 0.05\"}]");
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const json& item = (*it)[i];
    std::string label = "edits[" + std::to_string(i) + "]";
    if (!item.is_object()) return VerbError::InvalidArgument(label + " is not an object");
    NOKV_VERB_TRY(query::CheckKeys(item, "edit", {"old_text", "new_text", "replace_all"}));
    TextEdit edit;
    NOKV_VERB_TRY(query::GetString(item, "old_text", true, &edit.old_text, 1));
    NOKV_VERB_TRY(query::GetString(item, "new_text", true, &edit.new_text));
    NOKV_VERB_TRY(query::GetBool(item, "replace_all", &edit.replace_all));
    out->push_back(std::move(edit));
  }
  return VerbError::Ok();
}

size_t CountOccurrences(std::string_view text, std::string_view needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

// Applies `edits` in order to `text`; counts the replacements.
VerbError ApplyEdits(const std::vector<TextEdit>& edits, std::string* text, size_t* replacements) {
  for (size_t i = 0; i < edits.size(); ++i) {
    const TextEdit& edit = edits[i];
    std::string label = "edits[" + std::to_string(i) + "].old_text";
    size_t count = CountOccurrences(*text, edit.old_text);
    if (count == 0) {
      return VerbError::InvalidArgument(label + " does not occur in the file",
                                        "old_text must match exactly, whitespace and line breaks "
                                        "included (after the earlier edits); read the file again");
    }
    if (count > 1 && !edit.replace_all) {
      return VerbError::InvalidArgument(
          label + " occurs " + std::to_string(count) + " times",
          "include more surrounding text so it occurs once, or set replace_all: true");
    }
    std::string out;
    size_t from = 0;
    for (size_t at = text->find(edit.old_text); at != std::string::npos;
         at = text->find(edit.old_text, from)) {
      out.append(*text, from, at - from).append(edit.new_text);
      from = at + edit.old_text.size();
    }
    out.append(*text, from);
    *text = std::move(out);
    *replacements += count;
  }
  return VerbError::Ok();
}

}  // namespace

VerbError Edit(const Scope& scope, const json& args, json* result) {
  NOKV_VERB_TRY(query::CheckKeys(args, "edit", {"path", "expected_generation", "edits"}));
  std::string path;
  NOKV_VERB_TRY(ScopedPathArg(scope, args, "path", LastLink::kFollow, &path));
  if (!args.contains("expected_generation") || args["expected_generation"].is_null()) {
    return VerbError::InvalidArgument("edit needs expected_generation",
                                      "pass the generation you read (stat or read shows it)");
  }
  std::optional<uint64_t> expected;
  NOKV_VERB_TRY(GenerationArg(args, "expected_generation", 1, &expected));
  std::vector<TextEdit> edits;
  NOKV_VERB_TRY(EditsArg(args, &edits));
  auto opened = scope.fs->OpenReader(path);
  if (!opened.ok()) return query::FromStatus(opened.status());
  std::unique_ptr<Reader> reader = std::move(opened).value();
  if (reader->attr().generation != *expected) return Stale(path, reader->attr().generation);
  if (reader->size() > kMaxEditBytes) {
    return VerbError::TooLarge(path + " is " + std::to_string(reader->size()) +
                                   " bytes; edit takes files up to " +
                                   std::to_string(kMaxEditBytes),
                               "replace the whole file with write");
  }
  std::string before;
  if (Status s = reader->Read(0, reader->size(), &before); !s.ok()) return query::FromStatus(s);
  if (!query::IsValidUtf8(before) || before.find('\0') != std::string::npos) {
    return VerbError::NotAFile(path + " is not UTF-8 text",
                               "edit changes text; replace binary content with write");
  }
  std::string after = before;
  size_t replacements = 0;
  NOKV_VERB_TRY(ApplyEdits(edits, &after, &replacements));
  if (after == before) {
    return VerbError::InvalidArgument("the edits leave " + path + " unchanged",
                                      "new_text must differ from old_text");
  }
  auto written =
      Publish(scope.fs, path, *expected, [&](Writer* writer) { return writer->Append(after); });
  if (!written.ok()) return CommitError(scope.fs, path, written.status());
  std::string diff = query::UnifiedDiff(before, after, path);
  *result = json{{"path", path},
                 {"generation", written->generation},
                 {"previous_generation", *expected},
                 {"size_bytes", written->size},
                 {"replacements", replacements},
                 {"evidence", query::VersionUri(path, written->generation)}};
  if (diff.size() > kMaxDiffBytes) {
    diff.resize(query::Utf8Floor(diff, kMaxDiffBytes));
    (*result)["diff_truncated"] = true;
  }
  (*result)["diff"] = std::move(diff);
  return VerbError::Ok();
}

}  // namespace nokv::fs::write_verbs
