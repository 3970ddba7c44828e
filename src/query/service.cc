// Service: argument envelope checks, read-point pinning (latest, snapshot or
// a cursor's leased sequence), dispatch to the verbs, and the common result
// fields (as_of, snapshot, next_cursor).
#include "query/service.h"

#include <map>

#include "meta/path.h"
#include "query/args.h"
#include "query/cursor.h"
#include "query/invocation.h"
#include "query/lease_table.h"
#include "query/text_codec.h"
#include "query/verbs.h"

namespace nokv::query {
namespace {

constexpr size_t kMinResultBytes = 1024;    // the smallest max_result_bytes
constexpr size_t kMaxErrorTextBytes = 400;  // of an error's message, and of its hint

struct VerbSpec {
  VerbFn fn;
  std::vector<std::string> keys;  // besides snapshot and max_result_bytes
  bool paged;
};

const std::map<std::string, VerbSpec, std::less<>>& Verbs() {
  static const std::map<std::string, VerbSpec, std::less<>> kVerbs = {
      {"ls", {RunLs, {"path", "cursor", "limit", "kind"}, true}},
      {"stat", {RunStat, {"path"}, false}},
      {"catalog", {RunCatalog, {"path", "field_prefix", "include_facets", "facet_limit"}, false}},
      {"find",
       {RunFind, {"path", "predicates", "sort", "fields", "facets", "cursor", "limit"}, true}},
      {"aggregate",
       {RunAggregate,
        {"path", "predicates", "group_by", "measures", "sort", "limit", "cursor"},
        true}},
      {"read",
       {RunRead,
        {"path", "evidence", "format", "cursor", "offset", "limit", "lines", "tail"},
        true}},
      {"grep",
       {RunGrep,
        {"path", "paths", "pattern", "regex", "case_sensitive", "recursive", "glob", "context",
         "context_before", "context_after", "max_per_file", "from_end", "count_only", "cursor",
         "limit"},
        true}},
  };
  return kVerbs;
}

// The error as JSON, within kMinResultBytes (the smallest max_result_bytes a call may
// ask for): message and hint echo arguments and file contents, so they are cut
// (UTF-8 safe, ending in "...") until the whole error fits. Both may quote names,
// so they carry the byte escape like every other string of a result.
nlohmann::json BoundedErrorJson(VerbError error) {
  error.message = EscapeBytes(error.message);
  error.hint = EscapeBytes(error.hint);
  size_t keep = kMaxErrorTextBytes;
  for (;;) {
    for (std::string* text : {&error.message, &error.hint}) {
      if (text->size() > keep) *text = text->substr(0, Utf8Floor(*text, keep)) + "...";
    }
    nlohmann::json out = error.ToJson();
    if (CompactJson(out).size() <= kMinResultBytes || keep < 16) return out;
    keep /= 2;
  }
}

}  // namespace

std::string CompactJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

struct Service::Impl {
  Impl(meta::MetaService* m, object::ObjectStore* s, ThreadPool* pool, ServiceOptions o)
      : meta(m), store(s), io(pool), options(std::move(o)) {}

  meta::MetaService* meta;
  object::ObjectStore* store;
  ThreadPool* io;
  ServiceOptions options;
  LeaseTable leases;

  VerbError Pin(const std::string& snapshot, std::shared_ptr<const meta::ReadContext>* out);
  VerbError Repin(const CursorState& cursor, std::shared_ptr<const meta::ReadContext>* out);
  VerbError Run(std::string_view name, const nlohmann::json& args, const CallControl& control,
                nlohmann::json* out);
};

VerbError Service::Impl::Pin(const std::string& snapshot,
                             std::shared_ptr<const meta::ReadContext>* out) {
  if (snapshot.empty()) {
    *out = std::make_shared<const meta::ReadContext>(meta->Latest());
    return VerbError::Ok();
  }
  auto ctx = meta->AtSnapshot(snapshot);
  if (!ctx.ok()) {
    return VerbError::NotFound(std::string(ctx.status().message()),
                               "name an existing snapshot, or drop 'snapshot' to read the latest");
  }
  *out = std::make_shared<const meta::ReadContext>(std::move(ctx).value());
  return VerbError::Ok();
}

VerbError Service::Impl::Repin(const CursorState& cursor,
                               std::shared_ptr<const meta::ReadContext>* out) {
  *out = leases.Find(cursor.snapshot, cursor.seq);
  if (*out != nullptr) return VerbError::Ok();
  // Not leased any more: usable while the engine still retains the sequence
  // (a snapshot's own pin, or no prune since).
  std::shared_ptr<const meta::ReadContext> now;
  if (Pin(cursor.snapshot, &now).ok() && now->seq() == cursor.seq) {
    *out = std::move(now);
    return VerbError::Ok();
  }
  if (cursor.snapshot.empty()) {
    if (auto again = meta->AtSequence(cursor.seq); again.ok()) {
      *out = std::make_shared<const meta::ReadContext>(std::move(again).value());
      return VerbError::Ok();
    }
  }
  return VerbError::CursorExpired(
      "the cursor's commit " + std::to_string(cursor.seq) + " is no longer retained",
      "restart the query without a cursor");
}

VerbError Service::Impl::Run(std::string_view name, const nlohmann::json& raw_args,
                             const CallControl& control, nlohmann::json* out) {
  auto it = Verbs().find(name);
  if (it == Verbs().end()) {
    std::string near = ClosestMatch(name, VerbNames());
    return VerbError::InvalidArgument("unknown verb '" + std::string(name) + "'",
                                      near.empty()
                                          ? "verbs: ls stat catalog find aggregate read grep"
                                          : "did you mean '" + near + "'?");
  }
  const VerbSpec& spec = it->second;
  nlohmann::json args = raw_args.is_null() ? nlohmann::json::object() : raw_args;
  if (!args.is_object()) return VerbError::InvalidArgument("arguments must be a JSON object");
  std::vector<std::string> keys = spec.keys;
  keys.insert(keys.end(), {"snapshot", "max_result_bytes"});
  NOKV_VERB_TRY(CheckKeys(args, name, keys));

  Invocation inv;
  inv.meta = meta, inv.store = store, inv.io = io, inv.control = &control;
  inv.root = options.root;
  int64_t max_bytes = static_cast<int64_t>(options.default_max_result_bytes);
  NOKV_VERB_TRY(GetInt(args, "max_result_bytes", kMinResultBytes,
                       static_cast<int64_t>(options.hard_max_result_bytes), &max_bytes));
  inv.max_result_bytes = static_cast<size_t>(max_bytes);
  inv.max_result_bytes_given = args.contains("max_result_bytes");
  inv.hard_max_result_bytes = options.hard_max_result_bytes;
  inv.snapshot = options.snapshot;
  NOKV_VERB_TRY(GetString(args, "snapshot", false, &inv.snapshot));
  if (args.contains("snapshot") && inv.snapshot.empty()) {
    return VerbError::InvalidArgument("'snapshot' must not be empty",
                                      "omit it to read the latest commit");
  }
  // A service bound to a snapshot serves that frozen view and nothing else.
  if (!options.snapshot.empty() && inv.snapshot != options.snapshot) {
    return VerbError::InvalidArgument("this server serves snapshot '" + options.snapshot + "' only",
                                      "omit 'snapshot'");
  }

  std::string cursor_text;
  CursorState cursor;
  if (spec.paged) NOKV_VERB_TRY(GetString(args, "cursor", false, &cursor_text, 1));
  if (!cursor_text.empty()) {
    NOKV_VERB_TRY(DecodeCursor(cursor_text, name, QueryFingerprint(args), &cursor));
    if (!options.snapshot.empty() && cursor.snapshot != options.snapshot) {
      return VerbError::InvalidArgument("the cursor belongs to another view",
                                        "restart the query without a cursor");
    }
    inv.snapshot = cursor.snapshot;
    NOKV_VERB_TRY(Repin(cursor, &inv.ctx));
    inv.position = &cursor.position;
  } else {
    NOKV_VERB_TRY(Pin(inv.snapshot, &inv.ctx));
  }
  if (inv.Cancelled()) return VerbError::Cancelled();
  if (inv.position != nullptr) {
    // A verb reads its own position back with typed accessors; a position
    // of the wrong shape was not issued by us: a malformed cursor, not an
    // internal failure (whose message would leak the JSON library's text).
    try {
      NOKV_VERB_TRY(spec.fn(inv, args, out));
    } catch (const nlohmann::json::exception&) {
      return MalformedCursor();
    }
  } else {
    NOKV_VERB_TRY(spec.fn(inv, args, out));
  }
  (*out)["as_of"] = inv.ctx->seq();
  if (!inv.snapshot.empty()) (*out)["snapshot"] = inv.snapshot;
  if (inv.next_position) {
    CursorState next{std::string(name), inv.ctx->seq(), inv.snapshot, QueryFingerprint(args),
                     std::move(*inv.next_position)};
    (*out)["next_cursor"] = EncodeCursor(next);
    leases.Hold(inv.snapshot, inv.ctx);
  }
  // Names are bytes: every string leaves with the byte escape (text_codec.h), applied
  // here once, so a name printed in any field can be passed back as a path.
  EscapeJsonStrings(out);
  // Verbs keep to the budget by construction; this holds when an envelope field
  // (a long path, a cursor) takes more than the room kept for it.
  if (size_t bytes = CompactJson(*out).size(); bytes > inv.max_result_bytes) {
    return VerbError::TooLarge("the result is " + std::to_string(bytes) +
                                   " bytes, over max_result_bytes " +
                                   std::to_string(inv.max_result_bytes),
                               "raise max_result_bytes or ask for less (limit, a shorter path)");
  }
  return VerbError::Ok();
}

Service::Service(meta::MetaService* meta, object::ObjectStore* store, ThreadPool* io,
                 ServiceOptions options)
    : impl_(std::make_unique<Impl>(meta, store, io, std::move(options))) {
  auto root = meta::NormalizePath(impl_->options.root);
  impl_->options.root = root.ok() ? *root : "/";
  if (impl_->options.hard_max_result_bytes > 1024 * 1024) {
    impl_->options.hard_max_result_bytes = 1024 * 1024;
  }
  impl_->options.default_max_result_bytes =
      std::min(impl_->options.default_max_result_bytes, impl_->options.hard_max_result_bytes);
}

Service::~Service() = default;

nlohmann::json Service::Call(std::string_view name, const nlohmann::json& args,
                             const CallControl& control) {
  try {
    nlohmann::json out = nlohmann::json::object();
    VerbError error = impl_->Run(name, args, control, &out);
    return error.ok() ? out : BoundedErrorJson(std::move(error));
  } catch (const std::exception& e) {
    return BoundedErrorJson(VerbError::Internal(std::string("unexpected failure: ") + e.what()));
  }
}

const std::vector<std::string>& Service::VerbNames() {
  static const std::vector<std::string> kNames = {"ls",        "stat", "catalog", "find",
                                                  "aggregate", "read", "grep"};
  return kNames;
}

}  // namespace nokv::query
