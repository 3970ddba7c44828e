// catalog: the fields usable in find/aggregate at a path, with their types,
// operators, row counts and (optionally) top values, all read from the value
// index with bounded work.
#include <map>
#include <unordered_set>

#include "query/args.h"
#include "query/candidates.h"
#include "query/predicate.h"
#include "query/verbs.h"

namespace nokv::query {
namespace {

using records::TypedValue;

// Entries of one field's value index a catalog call reads at most per rule.
constexpr size_t kFieldScanCap = 50'000;

struct FieldStats {
  uint64_t rows = 0;
  std::vector<std::pair<TypedValue, uint64_t>> values;  // value order, run-length counted
  bool partial = false;
};

// Rows under the scope with the field and per-value counts, from the index.
VerbError ScanField(const Invocation& inv, const FieldSet& fields, const FieldInfo& field,
                    FieldStats* stats) {
  std::unordered_set<std::string> rows;
  for (const auto& rule : field.rules) {
    Predicate all{field.id, Op::kExists, {}, false};
    size_t seen = 0;
    NOKV_VERB_TRY(ScanRanges(inv, RangesFor(all, rule), false, kFieldScanCap,
                             [&](const TypedValue& v, std::string_view row) {
                               ++seen;
                               if (!PathUnder(row, fields.scope())) return true;
                               rows.emplace(row);
                               if (!stats->values.empty() && stats->values.back().first == v) {
                                 ++stats->values.back().second;
                               } else {
                                 stats->values.emplace_back(v, 1);
                               }
                               return true;
                             }));
    if (seen >= kFieldScanCap) stats->partial = true;
  }
  stats->rows = rows.size();
  return VerbError::Ok();
}

nlohmann::json TopValues(FieldStats stats, size_t limit) {
  std::map<TypedValue, uint64_t> merged;  // several rules may hold the same value
  for (auto& [v, n] : stats.values) merged[v] += n;
  std::vector<std::pair<TypedValue, uint64_t>> top(merged.begin(), merged.end());
  std::stable_sort(top.begin(), top.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < top.size() && i < limit; ++i) {
    out.push_back({{"value", records::ToJson(top[i].first)}, {"count", top[i].second}});
  }
  return out;
}

struct CatalogArgs {
  std::string path, prefix;
  bool facets = false;
  size_t facet_limit = 10;
};

VerbError FieldJson(const Invocation& inv, const FieldSet& fields, const FieldInfo& f,
                    const CatalogArgs& a, nlohmann::json* out) {
  ValueType type = fields.TypeOf(f);
  *out = {{"id", f.id},
          {"type", ValueTypeName(type)},
          {"sortable", true},
          {"facetable", !f.builtin && type != ValueType::kNumber}};
  if (f.builtin) {
    (*out)["builtin"] = true;
    return VerbError::Ok();
  }
  (*out)["rules"] = f.rules;
  FieldStats stats;
  NOKV_VERB_TRY(ScanField(inv, fields, f, &stats));
  (*out)["rows"] = stats.rows;
  if (a.facets && type != ValueType::kNumber) {
    if (stats.partial) (*out)["facets_partial"] = true;
    (*out)["facets"] = TopValues(std::move(stats), a.facet_limit);
  }
  return VerbError::Ok();
}

}  // namespace

VerbError RunCatalog(Invocation& inv, const nlohmann::json& args, nlohmann::json* out) {
  CatalogArgs a;
  meta::Attr attr;
  NOKV_VERB_TRY(ResolvePathArg(inv, args, &a.path, &attr));
  NOKV_VERB_TRY(GetString(args, "field_prefix", false, &a.prefix));
  NOKV_VERB_TRY(GetBool(args, "include_facets", &a.facets));
  NOKV_VERB_TRY(PageLimit(args, "facet_limit", 10, 100, &a.facet_limit));
  FieldSet fields;
  NOKV_VERB_TRY(FieldSet::Load(inv, a.path, &fields));
  ResultBudget budget(inv.max_result_bytes);
  // The operators once per type present, not once per field: most of a
  // catalog's bytes were repeated operator lists.
  nlohmann::json operators = nlohmann::json::object();
  budget.TryAdd(256);  // room for them
  nlohmann::json list = nlohmann::json::array();
  bool truncated = false;
  for (const auto& id : fields.Ids()) {
    if (!id.starts_with(a.prefix)) continue;
    if (inv.Cancelled()) return VerbError::Cancelled();
    nlohmann::json f;
    NOKV_VERB_TRY(FieldJson(inv, fields, *fields.Find(id), a, &f));
    if (!budget.TryAdd(f)) {
      truncated = true;
      break;
    }
    ValueType type = fields.TypeOf(*fields.Find(id));
    operators[ValueTypeName(type)] = OperatorsFor(type);
    list.push_back(std::move(f));
  }
  *out = {{"path", a.path}, {"operators", std::move(operators)}, {"fields", std::move(list)}};
  if (truncated) (*out)["truncated"] = true;
  return VerbError::Ok();
}

}  // namespace nokv::query
