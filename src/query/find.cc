// find: rows (or entries) under a path matching every predicate, sorted,
// projected and paged, with optional facets. Candidates come from the value
// index (candidates.h); a sort on an indexed field with only range
// predicates on that field streams in index order, and so does a sort on an
// indexed field with every predicate on one (other) indexed field: the match
// set (and match_count) comes from that field's value index, keys only. In
// both cases only the page's rows are loaded.
#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <unordered_set>

#include "query/args.h"
#include "query/candidates.h"
#include "query/match_order.h"
#include "query/verbs.h"

namespace nokv::query {
namespace {

using records::TypedValue;

constexpr size_t kFacetTop = 10;
constexpr size_t kFacetDistinctCap = 10'000;

struct FindQuery {
  std::string path;
  FieldSet fields;
  MatchPlan plan;
  std::vector<SortKey> sort;
  Projection projection;
  std::vector<std::string> facets;
  size_t limit = 20;
  size_t offset = 0;
};

VerbError ParseSort(const nlohmann::json& args, const FieldSet& fields, std::vector<SortKey>* out) {
  auto it = args.find("sort");
  if (it == args.end() || it->is_null()) return VerbError::Ok();
  if (!it->is_array() || it->size() > 4) {
    return VerbError::InvalidArgument("'sort' must be an array of at most 4 {field, order}",
                                      "e.g. [{\"field\": \"metric.val_loss.min\"}]");
  }
  for (const auto& s : *it) {
    if (!s.is_object()) return VerbError::InvalidArgument("each sort key must be an object");
    NOKV_VERB_TRY(CheckKeys(s, "sort", {"field", "order"}));
    SortKey key;
    std::string order = "asc";
    NOKV_VERB_TRY(GetString(s, "field", true, &key.field, 1));
    NOKV_VERB_TRY(GetString(s, "order", false, &order));
    if (order != "asc" && order != "desc") {
      return VerbError::InvalidArgument("sort order must be 'asc' or 'desc'");
    }
    key.desc = order == "desc";
    const FieldInfo* f = nullptr;
    NOKV_VERB_TRY(fields.Require(key.field, &f));
    out->push_back(std::move(key));
  }
  return VerbError::Ok();
}

VerbError ParseProjection(const nlohmann::json& args, FindQuery* q) {
  std::vector<std::string> ids;
  NOKV_VERB_TRY(GetStringList(args, "fields", 64, &ids));
  for (const auto& id : ids) {
    if (id.ends_with(".*")) {
      std::string prefix = id.substr(0, id.size() - 1);
      bool any = false;
      for (const auto& known : q->fields.Ids()) {
        if (known.starts_with(prefix)) any = true, q->plan.wanted.insert(known);
      }
      if (!any) {
        return VerbError::InvalidArgument("no field matches '" + id + "'",
                                          "call catalog to list the fields");
      }
      q->projection.prefixes.push_back(prefix);
      continue;
    }
    const FieldInfo* f = nullptr;
    NOKV_VERB_TRY(q->fields.Require(id, &f));
    q->projection.ids.push_back(id);
  }
  if (ids.empty()) {  // default: the fields the query names
    for (const auto& p : q->plan.predicates) q->projection.ids.push_back(p.field);
    for (const auto& s : q->sort) q->projection.ids.push_back(s.field);
  }
  for (const auto& id : q->projection.ids) q->plan.wanted.insert(id);
  return VerbError::Ok();
}

VerbError ParseFind(Invocation& inv, const nlohmann::json& args, FindQuery* q) {
  meta::Attr attr;
  NOKV_VERB_TRY(ResolvePathArg(inv, args, &q->path, &attr));
  NOKV_VERB_TRY(FieldSet::Load(inv, q->path, &q->fields));
  q->plan.scope = q->path;
  NOKV_VERB_TRY(ParsePredicates(args, q->fields, &q->plan.predicates));
  NOKV_VERB_TRY(ParseSort(args, q->fields, &q->sort));
  NOKV_VERB_TRY(ParseProjection(args, q));
  NOKV_VERB_TRY(GetStringList(args, "facets", 8, &q->facets));
  for (const auto& id : q->facets) {
    const FieldInfo* f = nullptr;
    NOKV_VERB_TRY(q->fields.Require(id, &f));
  }
  NOKV_VERB_TRY(PageLimit(args, "limit", 20, 500, &q->limit));
  if (inv.position != nullptr) q->offset = inv.position->value("o", size_t{0});
  for (const auto& p : q->plan.predicates) q->plan.wanted.insert(p.field);
  for (const auto& s : q->sort) q->plan.wanted.insert(s.field);
  for (const auto& f : q->facets) q->plan.wanted.insert(f);
  q->plan.wanted.insert("path");
  q->plan.rows = false;
  for (const auto& id : q->plan.wanted) {
    if (!q->fields.Find(id)->builtin) q->plan.rows = true;
  }
  return VerbError::Ok();
}

// Top values by count (ties by value) of each facet field.
class FacetCounter {
 public:
  explicit FacetCounter(const std::vector<std::string>& fields) {
    for (const auto& f : fields) counts_[f];
  }
  void Add(const MatchRow& row) {
    for (auto& [field, counts] : counts_) {
      auto it = row.values.find(field);
      if (it == row.values.end()) {
        Bump(&counts, TypedValue::Null());
        continue;
      }
      for (const auto& v : it->second) Bump(&counts, v);
    }
  }
  nlohmann::json ToJson() const {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [field, counts] : counts_) {
      std::vector<std::pair<TypedValue, uint64_t>> top(counts.begin(), counts.end());
      std::stable_sort(top.begin(), top.end(),
                       [](const auto& a, const auto& b) { return a.second > b.second; });
      nlohmann::json list = nlohmann::json::array();
      for (size_t i = 0; i < top.size() && i < kFacetTop; ++i) {
        list.push_back({{"value", records::ToJson(top[i].first)}, {"count", top[i].second}});
      }
      out[field] = std::move(list);
    }
    return out;
  }

 private:
  using Counts = std::map<TypedValue, uint64_t>;
  static void Bump(Counts* counts, const TypedValue& v) {
    auto it = counts->find(v);
    if (it != counts->end()) {
      ++it->second;
    } else if (counts->size() < kFacetDistinctCap) {
      counts->emplace(v, 1);
    }
  }
  std::map<std::string, Counts> counts_;
};

// Index-order streaming applies to one sort key on a single-rule index field
// whose predicates (if any) are range predicates on that same field.
bool CanStream(const FindQuery& q) {
  if (!q.plan.rows || q.sort.size() != 1 || !q.facets.empty()) return false;
  const FieldInfo* f = q.fields.Find(q.sort[0].field);
  if (f->builtin || f->rules.size() != 1) return false;
  for (const auto& p : q.plan.predicates) {
    bool range = p.op == Op::kGt || p.op == Op::kGte || p.op == Op::kLt || p.op == Op::kLte ||
                 p.op == Op::kExists || p.op == Op::kPrefix;
    if (p.field != f->id || !range) return false;
  }
  return true;
}

struct FindPage {
  std::vector<MatchRow> rows;  // the page, in order
  uint64_t count = 0;          // every match
  bool capped = false;
};

// Streams the sort field's value index in order; loads only the page's rows.
VerbError StreamIndexOrder(const Invocation& inv, const FindQuery& q, FindPage* page) {
  const FieldInfo* f = q.fields.Find(q.sort[0].field);
  Predicate all{f->id, Op::kExists, {}, false};
  const Predicate& driver = q.plan.predicates.empty() ? all : q.plan.predicates[0];
  std::unordered_set<std::string> seen;
  std::vector<std::string> paths;
  auto take = [&](std::string_view row) {
    if (page->count++ >= q.offset && paths.size() < q.limit) paths.emplace_back(row);
  };
  NOKV_VERB_TRY(ScanRanges(inv, RangesFor(driver, f->rules[0]), q.sort[0].desc,
                           std::numeric_limits<size_t>::max(),
                           [&](const TypedValue& v, std::string_view row) {
                             if (!PathUnder(row, q.path)) return true;
                             for (const auto& p : q.plan.predicates) {
                               if (!Matches(p, {v})) return true;
                             }
                             if (!seen.emplace(row).second) return true;
                             take(row);
                             page->capped = seen.size() >= kMaxCandidates;
                             return !page->capped && !inv.Cancelled();
                           }));
  if (inv.Cancelled()) return VerbError::Cancelled();
  if (q.plan.predicates.empty()) {  // rows without the sort field come last, by path
    std::set<std::string> universe;
    NOKV_VERB_TRY(UniverseRows(inv, q.fields, &universe, &page->capped));
    for (const auto& row : universe) {
      if (!seen.contains(row)) take(row);
    }
  }
  for (const auto& path : paths) {
    MatchRow row;
    bool gone = false;
    NOKV_VERB_TRY(LoadMatchRow(q.fields, q.plan.wanted, path, &row, &gone));
    if (!gone) page->rows.push_back(std::move(row));
  }
  return VerbError::Ok();
}

// Index-order streaming with predicates on another field: one sort key on
// a single-rule index field, no facets, and every predicate on one index
// field with an operator that can drive a scan. The exact match set then
// comes from that field's value index alone (keys only, no row decode), so
// match_count is exact and the page is the first matches in sort-index
// order; only the page's rows are loaded. Matches without the sort field
// follow by path. Built-ins other than path/name would need a Stat per row
// (a vanished inode is not a match), so they keep the general path.
bool CanStreamWithMatchSet(const FindQuery& q) {
  if (!q.plan.rows || q.sort.size() != 1 || !q.facets.empty() || q.plan.predicates.empty()) {
    return false;
  }
  const FieldInfo* s = q.fields.Find(q.sort[0].field);
  if (s->builtin || s->rules.size() != 1) return false;
  const std::string& field = q.plan.predicates[0].field;
  for (const auto& p : q.plan.predicates) {
    if (p.builtin || p.field != field || p.op == Op::kNe || p.op == Op::kNotExists) return false;
  }
  for (const auto& id : q.plan.wanted) {
    const FieldInfo* f = q.fields.Find(id);
    if (f != nullptr && f->builtin && id != "path" && id != "name") return false;
  }
  return true;
}

using MatchSet = std::set<std::string, std::less<>>;

// The rows under the scope matching every predicate (all on one index
// field), read from that field's value index. False in *ok when capped.
VerbError MatchSetFromIndex(const Invocation& inv, const FindQuery& q, MatchSet* out, bool* ok) {
  const auto& preds = q.plan.predicates;
  const FieldInfo* f = q.fields.Find(preds[0].field);
  Predicate all{f->id, Op::kExists, {}, false};
  const Predicate& driver = preds.size() == 1 ? preds[0] : all;
  std::map<std::string, std::vector<TypedValue>, std::less<>> values;
  *ok = true;
  for (const auto& rule : f->rules) {
    NOKV_VERB_TRY(
        ScanRanges(inv, RangesFor(driver, rule), false, std::numeric_limits<size_t>::max(),
                   [&](const TypedValue& v, std::string_view row) {
                     if (inv.Cancelled()) return false;
                     if (!PathUnder(row, q.path)) return true;
                     auto it = values.find(row);
                     if (it == values.end()) {
                       it = values.emplace(std::string(row), std::vector<TypedValue>{}).first;
                     }
                     it->second.push_back(v);
                     *ok = values.size() < kMaxCandidates;
                     return *ok;
                   }));
    if (inv.Cancelled()) return VerbError::Cancelled();
    if (!*ok) return VerbError::Ok();
  }
  for (auto& [row, vs] : values) {
    bool match = true;
    for (const auto& p : preds) match = match && Matches(p, vs);
    if (match) out->insert(out->end(), row);
  }
  return VerbError::Ok();
}

// Streams the sort field's index, accepting rows of the match set; returns
// false in *done when the match set was capped (use the general path).
VerbError StreamWithMatchSet(const Invocation& inv, const FindQuery& q, FindPage* page,
                             bool* done) {
  MatchSet matches;
  NOKV_VERB_TRY(MatchSetFromIndex(inv, q, &matches, done));
  if (!*done) return VerbError::Ok();
  page->count = matches.size();
  const size_t need = q.offset + q.limit;
  const FieldInfo* f = q.fields.Find(q.sort[0].field);
  std::unordered_set<std::string> accepted;  // also: rows already placed
  std::vector<std::string> order;
  // Entries whose values compare equal are placed by path (the order of
  // ComesBefore); a multi-valued row is placed at its first occurrence, its
  // lowest value ascending and its highest descending.
  std::vector<std::string> group;
  std::optional<TypedValue> group_value;
  auto flush = [&] {
    std::sort(group.begin(), group.end());
    for (auto& row : group) {
      if (order.size() >= need) break;
      if (accepted.insert(row).second) order.push_back(std::move(row));
    }
    group.clear();
  };
  if (!matches.empty() && need > 0) {
    uint64_t scanned = 0;
    NOKV_VERB_TRY(ScanRanges(inv, RangesFor(Predicate{f->id, Op::kExists, {}, false}, f->rules[0]),
                             q.sort[0].desc, std::numeric_limits<size_t>::max(),
                             [&](const TypedValue& v, std::string_view row) {
                               if (++scanned % 256 == 0 && inv.Cancelled()) return false;
                               if (group_value && records::Compare(*group_value, v) != 0) {
                                 flush();
                                 if (order.size() >= need) return false;
                               }
                               if (!group_value || records::Compare(*group_value, v) != 0)
                                 group_value = v;
                               auto it = matches.find(row);
                               if (it != matches.end() && !accepted.contains(*it))
                                 group.push_back(*it);
                               return true;
                             }));
    if (inv.Cancelled()) return VerbError::Cancelled();
    flush();
  }
  for (auto it = matches.begin(); order.size() < need && it != matches.end(); ++it) {
    if (!accepted.contains(*it)) order.push_back(*it);  // no sort value: last, by path
  }
  for (size_t i = q.offset; i < order.size(); ++i) {
    MatchRow row;
    bool gone = false;
    NOKV_VERB_TRY(LoadMatchRow(q.fields, q.plan.wanted, order[i], &row, &gone));
    if (!gone) page->rows.push_back(std::move(row));
  }
  return VerbError::Ok();
}

VerbError CollectMatches(const Invocation& inv, const FindQuery& q, FindPage* page,
                         FacetCounter* facets) {
  TopK top(q.sort, q.offset + q.limit);
  MatchStats stats;
  NOKV_VERB_TRY(ForEachMatch(
      inv, q.fields, q.plan,
      [&](MatchRow& row) {
        ++page->count;
        facets->Add(row);
        top.Offer(std::move(row));
        return true;
      },
      &stats));
  auto rows = top.Take();
  for (size_t i = q.offset; i < rows.size(); ++i) page->rows.push_back(std::move(rows[i]));
  page->capped = stats.capped;
  return VerbError::Ok();
}

nlohmann::json MatchJson(const FindQuery& q, const MatchRow& row) {
  nlohmann::json values = nlohmann::json::object();
  for (const auto& [id, v] : row.values) {
    if (q.projection.Wants(id) && !v.empty()) values[id] = ValuesJson(v);
  }
  nlohmann::json match = {{"path", row.path}};
  if (!values.empty()) match["values"] = std::move(values);
  return match;
}

}  // namespace

VerbError RunFind(Invocation& inv, const nlohmann::json& args, nlohmann::json* out) {
  FindQuery q;
  NOKV_VERB_TRY(ParseFind(inv, args, &q));
  FindPage page;
  FacetCounter facets(q.facets);
  bool streamed = false;
  if (CanStream(q)) {
    NOKV_VERB_TRY(StreamIndexOrder(inv, q, &page));
    streamed = true;
  } else if (CanStreamWithMatchSet(q)) {
    NOKV_VERB_TRY(StreamWithMatchSet(inv, q, &page, &streamed));
    if (!streamed) page = FindPage{};
  }
  if (!streamed) {
    NOKV_VERB_TRY(CollectMatches(inv, q, &page, &facets));
  }
  ResultBudget budget(inv.max_result_bytes);
  nlohmann::json facet_json = facets.ToJson();
  if (!q.facets.empty()) (void)budget.TryAdd(facet_json);
  nlohmann::json matches = nlohmann::json::array();
  bool truncated = false;
  for (const auto& row : page.rows) {
    nlohmann::json m = MatchJson(q, row);
    if (!budget.TryAdd(m)) {
      truncated = true;
      break;
    }
    matches.push_back(std::move(m));
  }
  size_t emitted = matches.size();
  *out = {{"match_count", page.count}, {"matches", std::move(matches)}};
  if (page.capped) (*out)["match_count_capped"] = true;
  if (!q.facets.empty()) (*out)["facets"] = std::move(facet_json);
  if (truncated) (*out)["truncated"] = true;
  if (q.offset + emitted < page.count) {
    inv.next_position = nlohmann::json{{"o", q.offset + emitted}};
  }
  return VerbError::Ok();
}

}  // namespace nokv::query
