// aggregate: groups and measures (count, count_distinct, sum, avg, min, max)
// over the rows find would match. Missing group values form a null group; a
// measure skips rows missing its field without dropping them elsewhere.
#include <map>
#include <set>

#include "query/args.h"
#include "query/candidates.h"
#include "query/verbs.h"

namespace nokv::query {
namespace {

using records::TypedValue;

constexpr size_t kMaxGroups = 100'000;
constexpr size_t kMaxKeyCombinations = 64;  // per row, for multi-valued group fields
constexpr size_t kMaxDistinct = 100'000;

enum class MeasureOp { kCount, kCountDistinct, kSum, kAvg, kMin, kMax };

struct Measure {
  MeasureOp op = MeasureOp::kCount;
  std::string field;  // empty: count rows
  std::string name;
};

struct MeasureState {
  uint64_t count = 0;
  std::set<TypedValue> distinct;
  double sum = 0;
  uint64_t numbers = 0;
  std::optional<TypedValue> min, max;
};

using GroupKey = std::vector<TypedValue>;
struct KeyLess {
  bool operator()(const GroupKey& a, const GroupKey& b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  }
};
using Groups = std::map<GroupKey, std::vector<MeasureState>, KeyLess>;

VerbError ParseMeasure(const nlohmann::json& m, size_t i, const FieldSet& fields, Measure* out) {
  static const std::vector<std::string> kOps = {"count", "count_distinct", "sum", "avg", "min",
                                                "max"};
  std::string where = "measures[" + std::to_string(i) + "]";
  if (!m.is_object()) return VerbError::InvalidArgument(where + " must be an object");
  NOKV_VERB_TRY(CheckKeys(m, where, {"op", "field", "as"}));
  std::string op;
  NOKV_VERB_TRY(GetString(m, "op", true, &op));
  auto it = std::find(kOps.begin(), kOps.end(), op);
  if (it == kOps.end()) {
    std::string near = ClosestMatch(op, kOps);
    return VerbError::InvalidArgument(where + ": unknown measure '" + op + "'",
                                      near.empty()
                                          ? "measures: count count_distinct sum avg min max"
                                          : "did you mean '" + near + "'?");
  }
  out->op = static_cast<MeasureOp>(it - kOps.begin());
  // minLength 1 (schemas/aggregate.input.json): an empty field is not "no field".
  NOKV_VERB_TRY(GetString(m, "field", out->op != MeasureOp::kCount, &out->field, 1));
  if (!out->field.empty()) {
    const FieldInfo* f = nullptr;
    NOKV_VERB_TRY(fields.Require(out->field, &f));
  }
  out->name = out->field.empty() ? op : op + "(" + out->field + ")";
  NOKV_VERB_TRY(GetString(m, "as", false, &out->name, 1));
  return VerbError::Ok();
}

void Accumulate(const Measure& m, const MatchRow& row, MeasureState* s) {
  if (m.field.empty()) {
    ++s->count;
    return;
  }
  auto it = row.values.find(m.field);
  if (it == row.values.end() || it->second.empty()) return;  // missing: skipped
  ++s->count;
  for (const auto& v : it->second) {
    if (m.op == MeasureOp::kCountDistinct && s->distinct.size() < kMaxDistinct)
      s->distinct.insert(v);
    if (v.kind() == records::ValueKind::kNumber) s->sum += v.number_value(), ++s->numbers;
    if (!s->min || v < *s->min) s->min = v;
    if (!s->max || *s->max < v) s->max = v;
  }
}

TypedValue MeasureResult(const Measure& m, const MeasureState& s) {
  switch (m.op) {
    case MeasureOp::kCount:
      return TypedValue::Number(double(s.count));
    case MeasureOp::kCountDistinct:
      return TypedValue::Number(double(s.distinct.size()));
    case MeasureOp::kSum:
      return s.numbers ? TypedValue::Number(s.sum) : TypedValue::Null();
    case MeasureOp::kAvg:
      return s.numbers ? TypedValue::Number(s.sum / double(s.numbers)) : TypedValue::Null();
    case MeasureOp::kMin:
      return s.min.value_or(TypedValue::Null());
    case MeasureOp::kMax:
      return s.max.value_or(TypedValue::Null());
  }
  return TypedValue::Null();
}

// Every group key of a row (the cartesian product of its group values).
std::vector<GroupKey> KeysOf(const std::vector<std::string>& group_by, const MatchRow& row) {
  std::vector<GroupKey> keys = {{}};
  for (const auto& field : group_by) {
    auto it = row.values.find(field);
    std::vector<TypedValue> values = {TypedValue::Null()};
    if (it != row.values.end() && !it->second.empty()) values = it->second;
    std::vector<GroupKey> next;
    for (const auto& k : keys) {
      for (const auto& v : values) {
        if (next.size() == kMaxKeyCombinations) break;
        next.push_back(k);
        next.back().push_back(v);
      }
    }
    keys = std::move(next);
  }
  return keys;
}

struct AggregateQuery {
  std::string path;
  FieldSet fields;
  MatchPlan plan;
  std::vector<std::string> group_by;
  std::vector<Measure> measures;
  std::string sort_by = "key";
  bool desc = false;
  size_t limit = 50, offset = 0;
};

VerbError ParseSortSpec(const nlohmann::json& args, AggregateQuery* q) {
  auto it = args.find("sort");
  if (it == args.end() || it->is_null()) return VerbError::Ok();
  if (!it->is_object()) return VerbError::InvalidArgument("'sort' must be {by, order}");
  NOKV_VERB_TRY(CheckKeys(*it, "sort", {"by", "order"}));
  std::string order = "asc";
  NOKV_VERB_TRY(GetString(*it, "by", true, &q->sort_by));
  NOKV_VERB_TRY(GetString(*it, "order", false, &order));
  if (order != "asc" && order != "desc") {
    return VerbError::InvalidArgument("sort order must be 'asc' or 'desc'");
  }
  q->desc = order == "desc";
  std::vector<std::string> names = {"key"};
  for (const auto& m : q->measures) names.push_back(m.name);
  if (std::find(names.begin(), names.end(), q->sort_by) != names.end()) return VerbError::Ok();
  std::string near = ClosestMatch(q->sort_by, names);
  return VerbError::InvalidArgument(
      "cannot sort by '" + q->sort_by + "'",
      "sort by 'key' or a measure name" + (near.empty() ? "" : "; did you mean '" + near + "'?"));
}

VerbError ParseAggregate(Invocation& inv, const nlohmann::json& args, AggregateQuery* q) {
  meta::Attr attr;
  NOKV_VERB_TRY(ResolvePathArg(inv, args, &q->path, &attr));
  NOKV_VERB_TRY(FieldSet::Load(inv, q->path, &q->fields));
  q->plan.scope = q->path;
  NOKV_VERB_TRY(ParsePredicates(args, q->fields, &q->plan.predicates));
  NOKV_VERB_TRY(GetStringList(args, "group_by", 4, &q->group_by));
  for (const auto& id : q->group_by) {
    const FieldInfo* f = nullptr;
    NOKV_VERB_TRY(q->fields.Require(id, &f));
  }
  auto ms = args.find("measures");
  if (ms == args.end() || !ms->is_array() || ms->empty() || ms->size() > 16) {
    return VerbError::InvalidArgument("'measures' must be an array of 1 to 16 measures",
                                      "e.g. [{\"op\": \"count\"}, {\"op\": \"avg\", \"field\": "
                                      "\"metric.val_loss.min\"}]");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < ms->size(); ++i) {
    Measure m;
    NOKV_VERB_TRY(ParseMeasure((*ms)[i], i, q->fields, &m));
    if (!names.insert(m.name).second) {
      return VerbError::InvalidArgument("two measures are named '" + m.name + "'",
                                        "give one of them another name with 'as'");
    }
    q->measures.push_back(std::move(m));
  }
  NOKV_VERB_TRY(ParseSortSpec(args, q));
  NOKV_VERB_TRY(PageLimit(args, "limit", 50, 1000, &q->limit));
  if (inv.position != nullptr) q->offset = inv.position->value("o", size_t{0});
  auto& wanted = q->plan.wanted;
  for (const auto& p : q->plan.predicates) wanted.insert(p.field);
  for (const auto& g : q->group_by) wanted.insert(g);
  for (const auto& m : q->measures) {
    if (!m.field.empty()) wanted.insert(m.field);
  }
  wanted.insert("path");
  q->plan.rows = false;
  for (const auto& id : wanted) {
    if (!q->fields.Find(id)->builtin) q->plan.rows = true;
  }
  return VerbError::Ok();
}

struct GroupOut {
  const GroupKey* key;
  std::vector<TypedValue> values;
};

void SortGroups(const AggregateQuery& q, std::vector<GroupOut>* groups) {
  size_t measure = 0;
  for (size_t i = 0; i < q.measures.size(); ++i) {
    if (q.measures[i].name == q.sort_by) measure = i;
  }
  bool by_key = q.sort_by == "key";
  std::stable_sort(groups->begin(), groups->end(), [&](const GroupOut& a, const GroupOut& b) {
    if (!by_key) {
      const TypedValue& va = a.values[measure];
      const TypedValue& vb = b.values[measure];
      if (va.is_null() != vb.is_null()) return vb.is_null();  // nulls last
      int c = records::Compare(va, vb);
      if (c != 0) return q.desc ? c > 0 : c < 0;
      return KeyLess()(*a.key, *b.key);
    }
    return q.desc ? KeyLess()(*b.key, *a.key) : KeyLess()(*a.key, *b.key);
  });
}

// A group: its key values in group_by order (the names are said once, in
// the result's group_by), and its measures by name.
nlohmann::json GroupJson(const AggregateQuery& q, const GroupOut& g) {
  nlohmann::json key = nlohmann::json::array(), values = nlohmann::json::object();
  for (size_t i = 0; i < q.group_by.size(); ++i) key.push_back(records::ToJson((*g.key)[i]));
  for (size_t i = 0; i < q.measures.size(); ++i) {
    values[q.measures[i].name] = records::ToJson(g.values[i]);
  }
  return {{"key", std::move(key)}, {"values", std::move(values)}};
}

}  // namespace

VerbError RunAggregate(Invocation& inv, const nlohmann::json& args, nlohmann::json* out) {
  AggregateQuery q;
  NOKV_VERB_TRY(ParseAggregate(inv, args, &q));
  Groups groups;
  uint64_t input = 0;
  MatchStats stats;
  NOKV_VERB_TRY(ForEachMatch(
      inv, q.fields, q.plan,
      [&](MatchRow& row) {
        ++input;
        for (auto& key : KeysOf(q.group_by, row)) {
          auto it = groups.find(key);
          if (it == groups.end()) {
            if (groups.size() == kMaxGroups) continue;
            it = groups.emplace(std::move(key), std::vector<MeasureState>(q.measures.size())).first;
          }
          for (size_t i = 0; i < q.measures.size(); ++i)
            Accumulate(q.measures[i], row, &it->second[i]);
        }
        return true;
      },
      &stats));
  if (q.group_by.empty() && groups.empty()) {
    groups.emplace(GroupKey{}, std::vector<MeasureState>(q.measures.size()));
  }
  std::vector<GroupOut> sorted;
  for (const auto& [key, states] : groups) {
    GroupOut g{&key, {}};
    for (size_t i = 0; i < q.measures.size(); ++i)
      g.values.push_back(MeasureResult(q.measures[i], states[i]));
    sorted.push_back(std::move(g));
  }
  SortGroups(q, &sorted);
  ResultBudget budget(inv.max_result_bytes);
  nlohmann::json list = nlohmann::json::array();
  size_t i = q.offset;
  for (; i < sorted.size() && list.size() < q.limit; ++i) {
    nlohmann::json g = GroupJson(q, sorted[i]);
    if (!budget.TryAdd(g)) break;
    list.push_back(std::move(g));
  }
  *out = {{"input_count", input},
          {"group_by", q.group_by},
          {"groups", std::move(list)},
          {"group_count", sorted.size()},
          {"truncated", i < sorted.size()}};
  if (stats.capped || groups.size() == kMaxGroups) (*out)["input_capped"] = true;
  if (i < sorted.size()) inv.next_position = nlohmann::json{{"o", i}};
  return VerbError::Ok();
}

}  // namespace nokv::query
