// Candidate selection from the value index (or a bounded walk) and row checks.
#include "query/candidates.h"

#include <limits>

#include "meta/index_keys.h"
#include "query/args.h"
#include "query/tree_walk.h"
#include "query/verbs.h"

namespace nokv::query {
namespace {

using records::TypedValue;

constexpr size_t kScanPage = 1024;
constexpr size_t kEstimateCap = 1024;
constexpr uint64_t kCancelEvery = 256;

std::string Encoded(const TypedValue& v) {
  std::string out;
  records::EncodeOrdered(v, &out);
  return out;
}

bool CanDrive(const Predicate& p) {
  return !p.builtin && p.op != Op::kNe && p.op != Op::kNotExists;
}

// Rows and values wanted from the index, and whether built-ins need a Stat.
bool NeedsStat(const std::set<std::string>& wanted) {
  for (const auto& id : BuiltinFieldIds()) {
    if (id != "path" && id != "name" && wanted.contains(id)) return true;
  }
  return false;
}

// The estimated candidate count of `p` (capped) over every rule producing it.
size_t Estimate(const Invocation& inv, const FieldSet& fields, const Predicate& p) {
  size_t count = 0;
  for (const auto& rule : fields.Find(p.field)->rules) {
    auto ranges = RangesFor(p, rule);
    (void)ScanRanges(inv, ranges, false, kEstimateCap - count,
                     [&](const TypedValue&, std::string_view) {
                       ++count;
                       return true;
                     });
    if (count >= kEstimateCap) break;
  }
  return count;
}

VerbError DriverRows(const Invocation& inv, const FieldSet& fields, const Predicate& p,
                     std::set<std::string>* out, bool* capped) {
  for (const auto& rule : fields.Find(p.field)->rules) {
    NOKV_VERB_TRY(ScanRanges(inv, RangesFor(p, rule), false, std::numeric_limits<size_t>::max(),
                             [&](const TypedValue& v, std::string_view row) {
                               if (inv.Cancelled()) return false;
                               if (PathUnder(row, fields.scope()) && Matches(p, {v})) {
                                 out->emplace(row);
                               }
                               *capped = out->size() >= kMaxCandidates;
                               return !*capped;
                             }));
    if (inv.Cancelled()) return VerbError::Cancelled();
  }
  return VerbError::Ok();
}

VerbError CheckRows(const Invocation& inv, const FieldSet& fields, const MatchPlan& plan,
                    const std::set<std::string>& candidates, const MatchVisitor& visit,
                    MatchStats* stats) {
  for (const auto& path : candidates) {
    if (++stats->candidates % kCancelEvery == 0) {
      if (inv.Cancelled()) return VerbError::Cancelled();
      inv.Progress(stats->candidates, candidates.size(), "checking rows");
    }
    MatchRow row;
    bool gone = false;
    NOKV_VERB_TRY(LoadMatchRow(fields, plan.wanted, path, &row, &gone));
    if (gone || !MatchesAll(plan.predicates, row.values)) continue;
    if (!visit(row)) break;
  }
  return VerbError::Ok();
}

// Depth-first walk of the entries under plan.scope, in name order.
VerbError WalkEntries(const Invocation& inv, const FieldSet& fields, const MatchPlan& plan,
                      const MatchVisitor& visit, MatchStats* stats) {
  auto root = StatInRoot(inv, plan.scope, inv.at());
  if (!root.ok()) return FromStatus(root.status());
  if (root->type != meta::FileType::kDirectory) return VerbError::Ok();
  TreeWalker walker(inv, root->inode, plan.scope, true);
  std::string path;
  meta::Attr attr;
  while (walker.Next(&path, &attr)) {
    if (stats->candidates % kCancelEvery == 0 && inv.Cancelled()) return VerbError::Cancelled();
    if (++stats->candidates > kMaxCandidates) {
      stats->capped = true;
      break;
    }
    MatchRow row{path, {}};
    fields.BuiltinsFromAttr(path, attr, plan.wanted, &row.values);
    if (MatchesAll(plan.predicates, row.values) && !visit(row)) break;
  }
  return walker.error();
}

}  // namespace

VerbError LoadMatchRow(const FieldSet& fields, const std::set<std::string>& wanted,
                       std::string_view path, MatchRow* row, bool* gone) {
  row->path = std::string(path);
  row->values.clear();
  *gone = false;
  std::set<std::string> index_wanted, cheap;
  for (const auto& id : wanted) {
    const FieldInfo* f = fields.Find(id);
    if (f != nullptr && !f->builtin) index_wanted.insert(id);
    if (id == "path" || id == "name") cheap.insert(id);
  }
  bool found = false;
  if (!index_wanted.empty()) {
    NOKV_VERB_TRY(fields.LoadIndexValues(path, index_wanted, &row->values, &found));
  }
  if (NeedsStat(wanted)) {
    *gone = !fields.LoadBuiltins(path, wanted, &row->values).ok();
  } else if (!cheap.empty()) {
    fields.BuiltinsFromAttr(path, meta::Attr{}, cheap, &row->values);
  }
  return VerbError::Ok();
}

std::vector<ValueRange> RangesFor(const Predicate& p, std::string_view rule) {
  std::string field = FieldSet::ValuePrefix(rule, p.field);
  std::vector<ValueRange> out;
  switch (p.op) {
    case Op::kEq:
    case Op::kIn:
      for (const auto& v : p.values) out.push_back({field + Encoded(v), {}, {}});
      break;
    case Op::kPrefix: {
      std::string enc = Encoded(p.values[0]);
      out.push_back({field + enc.substr(0, enc.size() - 2), {}, {}});  // drop the terminator
      break;
    }
    case Op::kGt:
      out.push_back({field, field + Encoded(p.values[0]) + '\xff', {}});
      break;
    case Op::kGte:
      out.push_back({field, field + Encoded(p.values[0]), {}});
      break;
    case Op::kLt:
      out.push_back({field, {}, field + Encoded(p.values[0])});
      break;
    case Op::kLte:
      out.push_back({field, {}, field + Encoded(p.values[0]) + '\xff'});
      break;
    case Op::kExists:
    case Op::kSuffix:
    case Op::kContains:
      out.push_back({field, {}, {}});
      break;
    default:
      break;
  }
  return out;
}

VerbError ScanRanges(const Invocation& inv, const std::vector<ValueRange>& ranges, bool reverse,
                     size_t limit,
                     const std::function<bool(const TypedValue&, std::string_view)>& visit) {
  size_t seen = 0;
  for (const auto& range : ranges) {
    meta::IndexScan scan;
    scan.prefix = range.prefix;
    scan.reverse = reverse;
    scan.start_after = reverse ? range.stop_after : range.start_after;
    const auto& end = reverse ? range.start_after : range.stop_after;
    size_t field_prefix = range.prefix.find('\0', 1);
    field_prefix = range.prefix.find('\0', field_prefix + 1) + 1;
    while (seen < limit) {
      scan.limit = std::min(kScanPage, limit - seen);
      auto keys = inv.meta->ScanIndexKeys(scan, inv.at());
      if (!keys.ok()) return FromStatus(keys.status());
      for (const auto& key : *keys) {
        if (end && (reverse ? key <= *end : key > *end)) return VerbError::Ok();
        TypedValue value;
        std::string_view row;
        if (!meta::ParseValueKeySuffix(std::string_view(key).substr(field_prefix), &value, &row)) {
          return VerbError::Internal("malformed value index key");
        }
        ++seen;
        if (!visit(value, row)) return VerbError::Ok();
      }
      if (keys->size() < scan.limit) break;
      scan.start_after = keys->back();
    }
  }
  return VerbError::Ok();
}

VerbError UniverseRows(const Invocation& inv, const FieldSet& fields, std::set<std::string>* out,
                       bool* capped) {
  for (const auto& rule : fields.rules()) {
    meta::IndexScan scan;
    scan.prefix = meta::RowPrefix(rule.id, fields.scope() == "/" ? "/" : fields.scope());
    scan.limit = kScanPage;
    while (true) {
      if (inv.Cancelled()) return VerbError::Cancelled();
      auto keys = inv.meta->ScanIndexKeys(scan, inv.at());
      if (!keys.ok()) return FromStatus(keys.status());
      for (const auto& key : *keys) {
        std::string_view id, row;
        if (meta::ParseRowKey(key, &id, &row) && PathUnder(row, fields.scope())) out->emplace(row);
      }
      if (out->size() >= kMaxCandidates) {
        *capped = true;
        return VerbError::Ok();
      }
      if (keys->size() < scan.limit) break;
      scan.start_after = keys->back();
    }
  }
  return VerbError::Ok();
}

VerbError ForEachMatch(const Invocation& inv, const FieldSet& fields, const MatchPlan& plan,
                       const MatchVisitor& visit, MatchStats* stats) {
  if (!plan.rows) return WalkEntries(inv, fields, plan, visit, stats);
  const Predicate* driver = nullptr;
  size_t best = std::numeric_limits<size_t>::max();
  for (const auto& p : plan.predicates) {
    if (!CanDrive(p)) continue;
    size_t estimate = Estimate(inv, fields, p);
    if (estimate < best) best = estimate, driver = &p;
  }
  std::set<std::string> candidates;
  if (driver != nullptr) {
    NOKV_VERB_TRY(DriverRows(inv, fields, *driver, &candidates, &stats->capped));
  } else {
    NOKV_VERB_TRY(UniverseRows(inv, fields, &candidates, &stats->capped));
  }
  return CheckRows(inv, fields, plan, candidates, visit, stats);
}

}  // namespace nokv::query
