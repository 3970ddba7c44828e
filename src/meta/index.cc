// Index rules: rows, contributions and value-index entries maintained in the same commit
// as the publish, remove or rename that changed a covered file. Every read of index state
// is guarded (index_edits.h) and every path is one the command guards, so a concurrent
// change makes the command rebuild instead of leaving stale rows.
#include "common/logging.h"
#include "meta/command.h"
#include "meta/index_edits.h"
#include "meta/index_keys.h"
#include "meta/path.h"
#include "meta/resolved.h"
#include "object/block_reader.h"
#include "records/extract.h"
#include "records/glob.h"

namespace nokv::meta {
namespace {

std::string BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(path.substr(slash + 1));
}

// The stored row of `rule` for file `path` with body `body` (or why not).
StoredRow ExtractRow(const records::IndexRule& rule, std::string_view path,
                     const Result<std::string>& body) {
  StoredRow row;
  row.source = BaseName(path);
  auto fail = [&](std::string message) {
    // The row keeps the message (`_error`), and `nokv index add` reports it to people.
    NOKV_LOG(kInfo) << "index rule " << rule.id << " on " << path << ": " << message;
    row.row.fields["_error"] = {records::TypedValue::String(message)};
  };
  if (!body.ok()) {
    fail(body.status().ToString());
    return row;
  }
  records::ExtractReport report;
  auto extracted = records::ExtractFromBody(rule, row.source, *body, &report);
  if (!extracted.ok()) {
    fail(std::string(extracted.status().message()));
    return row;
  }
  row.row = std::move(extracted).value();
  if (!report.error.empty()) {
    row.row.fields["_warning"] = {records::TypedValue::String(report.error)};
  }
  return row;
}

// What left one side of a rename, to be placed at the other side.
struct Departure {
  std::string from, to;
  DirEntry entry;
  std::vector<std::optional<StoredRow>> pieces;  // a file: per rule, its piece
  // A directory: (rule index, new row path, the row taken from the old path).
  std::vector<std::tuple<size_t, std::string, TakenRow>> rows;
};

Result<Departure> Depart(IndexEdits& edits, std::string_view from, std::string_view to,
                         const DirEntry& entry) {
  Departure d{std::string(from), std::string(to), entry, {}, {}};
  const auto& rules = edits.rules();
  if (entry.type != FileType::kDirectory) {
    d.pieces.resize(rules.size());
    for (size_t i = 0; i < rules.size(); ++i) {
      if (!records::RuleCovers(rules[i], from, nullptr)) continue;
      NOKV_ASSIGN_OR_RETURN(d.pieces[i], edits.TakePiece(rules[i], from));
    }
    return d;
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    NOKV_ASSIGN_OR_RETURN(auto paths, edits.RowPathsUnder(rules[i], from));
    for (const auto& row_path : paths) {
      NOKV_ASSIGN_OR_RETURN(TakenRow taken, edits.TakeRow(rules[i], row_path));
      d.rows.emplace_back(i, std::string(to) + row_path.substr(from.size()), std::move(taken));
    }
  }
  NOKV_RETURN_IF_ERROR(edits.DropEpochs(from));
  return d;
}

}  // namespace

Status MetaService::LoadRules() {
  auto records = IndexRuleRecords();
  if (!records.ok()) return records.status();
  auto version = engine_->Get(kIndexRulesKey);
  {
    std::lock_guard lock(rules_mu_);
    rules_.clear();
    rules_version_ = version.ok() ? version->seq : 0;
    for (const auto& record : *records) {
      if (record.state == IndexRuleState::kReady || record.state == IndexRuleState::kBackfilling) {
        rules_[record.rule.id] = record.rule;
      }
    }
  }
  // Administration interrupted by a crash finishes now (docs/metadata.md, "Index rules").
  for (const auto& record : *records) {
    if (record.state == IndexRuleState::kReady) continue;
    std::lock_guard admin(index_admin_mu_);
    NOKV_RETURN_IF_ERROR(ResumeRule(record));
  }
  return Status::Ok();
}

std::vector<records::IndexRule> MetaService::IndexRules() {
  uint64_t version = 0;
  return ActiveRules(&version);
}

std::vector<records::IndexRule> MetaService::ActiveRules(uint64_t* version) {
  std::lock_guard lock(rules_mu_);
  *version = rules_version_;
  std::vector<records::IndexRule> out;
  for (const auto& [id, rule] : rules_) out.push_back(rule);
  return out;
}

Result<std::string> MetaService::ReadBody(const Manifest& manifest) {
  if (manifest.layout.size == 0) return std::string();
  if (options_.store == nullptr) return Status::FailedPrecondition("no object store to read from");
  object::BlockReader reader(options_.store, &read_pool_, manifest.layout);
  std::string body;
  NOKV_RETURN_IF_ERROR(reader.Read(0, manifest.layout.size, &body));
  return body;
}

// The rows `rules` give the file at `path` with `manifest` (or the caller's `body`).
static std::vector<StoredRow> ExtractRows(const std::vector<records::IndexRule>& rules,
                                          std::string_view path, const Manifest* manifest,
                                          std::optional<std::string_view> body,
                                          const std::function<Result<std::string>()>& read) {
  uint64_t largest_limit = 0;
  for (const auto& rule : rules) largest_limit = std::max(largest_limit, rule.max_body_bytes);
  uint64_t size = body ? body->size() : manifest ? manifest->layout.size : 0;
  // The body is read once, if any rule accepts its size.
  Result<std::string> loaded = std::string();
  if (body) {
    loaded = std::string(*body);
  } else if (manifest != nullptr && size <= largest_limit) {
    loaded = read();
  }
  std::vector<StoredRow> rows;
  for (const auto& rule : rules) {
    Result<std::string> input =
        size > rule.max_body_bytes
            ? Result<std::string>(Status::TooLarge(
                  "body of " + std::to_string(size) + " bytes is over the " +
                  std::to_string(rule.max_body_bytes) + "-byte index limit; not parsed"))
            : loaded;
    rows.push_back(ExtractRow(rule, path, input));
  }
  return rows;
}

std::vector<StoredRow> MetaService::ExtractFile(const std::vector<records::IndexRule>& rules,
                                                std::string_view path, InodeId inode) {
  if (rules.empty()) return {};
  auto attr = ReadAttr(inode, nullptr);
  Result<Manifest> manifest =
      attr.ok() ? GetManifest(inode, attr->generation) : Result<Manifest>(attr.status());
  return ExtractBody(rules, path, manifest.ok() ? &*manifest : nullptr);
}

std::vector<StoredRow> MetaService::ExtractBody(const std::vector<records::IndexRule>& rules,
                                                std::string_view path, const Manifest* manifest) {
  // A size-0 file may have no manifest: its body is empty.
  return ExtractRows(rules, path, manifest,
                     manifest != nullptr ? std::nullopt : std::optional<std::string_view>(""),
                     [&] { return ReadBody(*manifest); });
}

Status MetaService::IndexOnPublish(Command& cmd, std::string_view path, const Manifest* manifest,
                                   std::optional<std::string_view> body) {
  IndexEdits& edits = cmd.index();
  std::vector<records::IndexRule> covering;
  for (const auto& rule : edits.rules()) {
    if (records::RuleCovers(rule, path, nullptr)) covering.push_back(rule);
  }
  auto rows = ExtractRows(covering, path, manifest, body, [&] { return ReadBody(*manifest); });
  for (size_t i = 0; i < covering.size(); ++i) {
    NOKV_RETURN_IF_ERROR(edits.SetPiece(covering[i], path, std::move(rows[i])));
  }
  return Status::Ok();
}

Status MetaService::IndexOnRemove(Command& cmd, std::string_view path, bool directory) {
  IndexEdits& edits = cmd.index();
  for (const auto& rule : edits.rules()) {
    if (directory) {
      NOKV_ASSIGN_OR_RETURN(auto paths, edits.RowPathsUnder(rule, path));
      for (const auto& row_path : paths)
        NOKV_RETURN_IF_ERROR(edits.TakeRow(rule, row_path).status());
    } else if (records::RuleCovers(rule, path, nullptr)) {
      NOKV_RETURN_IF_ERROR(edits.SetPiece(rule, path, std::nullopt));
    }
  }
  if (directory) NOKV_RETURN_IF_ERROR(edits.DropEpochs(path));
  return Status::Ok();
}

// Places what `d` took at its new side: pieces stay when the file keeps its name and is
// still covered, are extracted again when its name changes or it becomes covered.
static Status Arrive(
    IndexEdits& edits, const Departure& d,
    const std::function<std::vector<StoredRow>(const std::vector<records::IndexRule>&,
                                               std::string_view, InodeId)>& extract) {
  const auto& rules = edits.rules();
  if (d.entry.type != FileType::kDirectory) {
    bool same_name = BaseName(d.from) == BaseName(d.to);
    std::vector<records::IndexRule> fresh;
    for (size_t i = 0; i < rules.size(); ++i) {
      if (!records::RuleCovers(rules[i], d.to, nullptr)) continue;
      if (same_name && d.pieces[i]) {
        NOKV_RETURN_IF_ERROR(edits.SetPiece(rules[i], d.to, d.pieces[i]));
      } else if (d.entry.type == FileType::kFile) {
        fresh.push_back(rules[i]);
      }
    }
    auto rows = extract(fresh, d.to, d.entry.inode);
    for (size_t i = 0; i < fresh.size(); ++i) {
      NOKV_RETURN_IF_ERROR(edits.SetPiece(fresh[i], d.to, std::move(rows[i])));
    }
    return Status::Ok();
  }
  for (const auto& [i, row_path, taken] : d.rows) {
    const records::IndexRule& rule = rules[i];
    for (const auto& [name, part] : taken.parts) {
      std::string file = ChildPath(row_path, name);
      if (records::RuleCovers(rule, file, nullptr))
        NOKV_RETURN_IF_ERROR(edits.SetPiece(rule, file, part));
    }
    if (taken.direct) {
      std::string source = rule.target == records::IndexRule::Target::kFile
                               ? row_path
                               : ChildPath(row_path, taken.direct->source);
      if (records::RuleCovers(rule, source, nullptr))
        NOKV_RETURN_IF_ERROR(edits.PutDirect(rule, row_path, *taken.direct));
    }
  }
  return Status::Ok();
}

Status MetaService::IndexOnRename(Command& cmd, std::string_view from, std::string_view to,
                                  const DirEntry& moved) {
  IndexEdits& edits = cmd.index();
  if (edits.rules().empty()) return Status::Ok();
  NOKV_ASSIGN_OR_RETURN(Departure d, Depart(edits, from, to, moved));
  return Arrive(edits, d, [this](const auto& rules, std::string_view path, InodeId inode) {
    return ExtractFile(rules, path, inode);
  });
}

Status MetaService::IndexOnExchange(Command& cmd, std::string_view a, const DirEntry& at_a,
                                    std::string_view b, const DirEntry& at_b) {
  IndexEdits& edits = cmd.index();
  if (edits.rules().empty()) return Status::Ok();
  NOKV_ASSIGN_OR_RETURN(Departure a_to_b, Depart(edits, a, b, at_a));
  NOKV_ASSIGN_OR_RETURN(Departure b_to_a, Depart(edits, b, a, at_b));
  auto extract = [this](const auto& rules, std::string_view path, InodeId inode) {
    return ExtractFile(rules, path, inode);
  };
  NOKV_RETURN_IF_ERROR(Arrive(edits, a_to_b, extract));
  return Arrive(edits, b_to_a, extract);
}

Result<std::string> MetaService::GuardInodePath(Command& cmd, InodeId inode) {
  auto path = PathOf(inode);
  if (!path.ok()) {
    if (path.status().code() == Code::kNotFound) return std::string();  // no primary link
    return path.status();
  }
  auto r = ResolveFull(*path, nullptr);
  if (!r.ok() || r->inode != inode) {
    return Status(Code::kAborted, "moved while resolving its path", Reason::kStaleRead);
  }
  for (const auto& [key, version] : r->chain) cmd.Guard(key, version);
  return r->path;
}

}  // namespace nokv::meta
