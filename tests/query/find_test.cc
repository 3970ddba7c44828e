// find, aggregate and catalog over the index rows of the fixed workspace.
#include <algorithm>
#include <cstdio>
#include <optional>

#include "query_fixture.h"

namespace nokv::query::testing {
namespace {

using FindTest = QueryTest;

std::vector<std::string> Paths(const json& r) {
  std::vector<std::string> out;
  for (const auto& m : r["matches"]) out.push_back(m["path"]);
  return out;
}

json Pred(const std::string& field, const std::string& op, json value = nullptr) {
  json p = {{"field", field}, {"op", op}};
  if (!value.is_null()) p["value"] = std::move(value);
  return p;
}

TEST_F(FindTest, EqualityUsesTheValueIndex) {
  json r =
      Call("find", {{"path", "/runs"}, {"predicates", {Pred("run.status", "eq", "completed")}}});
  ASSERT_EQ(Code(r), "") << r.dump();
  EXPECT_EQ(r["match_count"], 2);
  EXPECT_EQ(Paths(r), std::vector<std::string>({"/runs/r1", "/runs/r3"}));
  EXPECT_EQ(r["matches"][0]["values"]["run.status"], "completed");
}

TEST_F(FindTest, SortOnIndexedFieldStreamsTopKAndPutsMissingLast) {
  json r = Call("find", {{"path", "/runs"},
                         {"sort", {{{"field", "metric.val_loss.min"}}}},
                         {"fields", {"param.lr"}},
                         {"limit", 2}});
  ASSERT_EQ(Code(r), "") << r.dump();
  EXPECT_EQ(r["match_count"], 5);
  EXPECT_EQ(Paths(r), std::vector<std::string>({"/runs/r3", "/runs/r1"}));
  EXPECT_EQ(r["matches"][0]["values"], json({{"param.lr", 0.0005}}));
  json desc = Call("find", {{"path", "/runs"},
                            {"sort", {{{"field", "metric.val_loss.min"}, {"order", "desc"}}}},
                            {"limit", 10}});
  EXPECT_EQ(Paths(desc),
            std::vector<std::string>({"/runs/r2", "/runs/r5", "/runs/r1", "/runs/r3", "/runs/r4"}));
  // The same order from the general (materializing) path.
  json general = Call("find", {{"path", "/runs"},
                               {"predicates", {Pred("run.epochs", "gte", 0)}},
                               {"sort", {{{"field", "metric.val_loss.min"}, {"order", "desc"}}}}});
  EXPECT_EQ(Paths(general), Paths(desc));
}

TEST_F(FindTest, SortOnAnotherRulesFieldStreamsAndPagesLikeBruteForce) {
  // Predicate from runs-meta, sort from runs-metrics; ties and runs without
  // metrics among more matches than the limit.
  struct Expect {
    std::string path;
    std::optional<double> loss;
  };
  std::vector<Expect> completed = {{"/runs/r1", 0.25}, {"/runs/r3", 0.18}};
  for (int i = 0; i < 40; ++i) {
    char id[8];
    std::snprintf(id, sizeof id, "t%02d", i);
    std::string dir = std::string("/runs/") + id;
    bool done = i % 5 != 0;
    Put(dir + "/metadata.json", std::string("{\"status\": \"") + (done ? "completed" : "failed") +
                                    "\", \"script\": \"x.py\", \"epochs\": 1}");
    std::optional<double> loss;
    if (i % 7 != 3) {
      loss = (i * 37 % 11) / 10.0;
      Put(dir + "/metrics.jsonl",
          "{\"step\": 1, \"name\": \"val_loss\", \"value\": " + json(*loss).dump() + "}\n");
    }
    if (done) completed.push_back({dir, loss});
  }
  for (bool desc : {false, true}) {
    auto expected = completed;
    std::sort(expected.begin(), expected.end(), [&](const Expect& a, const Expect& b) {
      if (a.loss.has_value() != b.loss.has_value()) return a.loss.has_value();
      if (a.loss && *a.loss != *b.loss) return desc ? *a.loss > *b.loss : *a.loss < *b.loss;
      return a.path < b.path;
    });
    json args = {{"path", "/runs"},
                 {"predicates", {Pred("run.status", "eq", "completed")}},
                 {"sort", {{{"field", "metric.val_loss.min"}, {"order", desc ? "desc" : "asc"}}}},
                 {"fields", {"metric.val_loss.min", "param.lr"}},
                 {"limit", 10}};
    std::vector<std::string> got;
    for (size_t page = 0; page < 2; ++page) {
      json r = Call("find", args);
      ASSERT_EQ(Code(r), "") << r.dump();
      EXPECT_EQ(r["match_count"], expected.size());
      std::vector<std::string> want;
      for (size_t i = page * 10; i < (page + 1) * 10 && i < expected.size(); ++i) {
        want.push_back(expected[i].path);
      }
      EXPECT_EQ(Paths(r), want) << "desc=" << desc << " page=" << page;
      ASSERT_TRUE(r.contains("next_cursor"));
      args["cursor"] = r["next_cursor"];
      for (const auto& p : Paths(r)) got.push_back(p);
    }
    // The last page: the rest, the runs without metrics last, no cursor.
    args["limit"] = 500;
    json last = Call("find", args);
    ASSERT_EQ(Code(last), "") << last.dump();
    EXPECT_FALSE(last.contains("next_cursor"));
    for (const auto& p : Paths(last)) got.push_back(p);
    std::vector<std::string> all;
    for (const auto& e : expected) all.push_back(e.path);
    EXPECT_EQ(got, all) << "desc=" << desc;
    // The general (materializing) path agrees.
    json general =
        Call("find",
             {{"path", "/runs"},
              {"predicates", {Pred("run.status", "eq", "completed"), Pred("run.epochs", "gte", 0)}},
              {"sort", args["sort"]},
              {"limit", 500}});
    EXPECT_EQ(Paths(general), all) << "desc=" << desc;
  }
}

TEST_F(FindTest, TypedComparisonsFollowTheOneMixedTypeOrder) {
  auto count = [&](json pred) {
    json r = Call("find", {{"path", "/runs"}, {"predicates", {pred}}});
    EXPECT_EQ(Code(r), "") << r.dump();
    return r["match_count"].get<int>();
  };
  EXPECT_EQ(count(Pred("run.status", "eq", 3)), 1);
  EXPECT_EQ(count(Pred("run.status", "eq", "3")), 0);  // a number never equals a string
  EXPECT_EQ(count(Pred("run.status", "gt", 2)), 5);    // every string sorts after numbers
  EXPECT_EQ(count(Pred("run.status", "lt", "a")), 1);
  EXPECT_EQ(count(Pred("param.lr", "gte", 0.01)), 2);
  EXPECT_EQ(count(Pred("param.lr", "gte", "0.01")), 2);  // coerced to the field's type
  EXPECT_EQ(count(Pred("run.status", "ne", "completed")), 3);
  EXPECT_EQ(count(Pred("run.status", "in", {"failed", "running"})), 2);
  EXPECT_EQ(count(Pred("run.status", "contains", "ail")), 1);
  EXPECT_EQ(count(Pred("run.script", "suffix", ".py")), 5);
  EXPECT_EQ(count(Pred("run.script", "prefix", "fine")), 1);
  EXPECT_EQ(count(Pred("metric.val_loss.min", "not_exists")), 1);
  EXPECT_EQ(count(Pred("metric.val_loss.min", "exists")), 4);
}

TEST_F(FindTest, UnknownFieldsAndOperatorsAreErrorsWithHints) {
  json r = Call("find", {{"path", "/runs"}, {"predicates", {Pred("script", "eq", "x")}}});
  EXPECT_EQ(Code(r), "invalid_argument");
  EXPECT_EQ(r["error"]["hint"], "did you mean 'run.script'? (see catalog)");
  json typo = Call("find", {{"path", "/runs"}, {"predicates", {Pred("run.stats", "eq", "x")}}});
  EXPECT_EQ(typo["error"]["hint"], "did you mean 'run.status'? (see catalog)");
  json op = Call("find",
                 {{"path", "/runs"}, {"predicates", {Pred("metric.val_loss.min", "prefix", "0")}}});
  EXPECT_EQ(Code(op), "invalid_argument");
  EXPECT_NE(op["error"]["hint"].get<std::string>().find("gte"), std::string::npos);
  json bad_op = Call("find", {{"path", "/runs"}, {"predicates", {Pred("run.status", "eqq", "x")}}});
  EXPECT_EQ(bad_op["error"]["hint"], "did you mean 'eq'?");
  EXPECT_EQ(Code(Call("find", {{"path", "/runs"}, {"sort", {{{"field", "nope"}}}}})),
            "invalid_argument");
}

TEST_F(FindTest, BuiltinOnlyQueriesWalkTheTree) {
  json r = Call("find", {{"path", "/runs"}, {"predicates", {Pred("name", "eq", "metadata.json")}}});
  ASSERT_EQ(Code(r), "") << r.dump();
  EXPECT_EQ(r["match_count"], 5);
  EXPECT_EQ(r["matches"][0]["path"], "/runs/r1/metadata.json");
  json big = Call("find", {{"path", "/"},
                           {"predicates", {Pred("size_bytes", "gt", 100000)}},
                           {"fields", {"size_bytes"}}});
  EXPECT_EQ(Paths(big), std::vector<std::string>({"/data/big.txt"}));
}

TEST_F(FindTest, FacetsAndPaging) {
  json r = Call("find", {{"path", "/runs"},
                         {"facets", {"run.script"}},
                         {"limit", 2},
                         {"sort", {{{"field", "path"}}}},
                         {"fields", {"run.script"}}});
  ASSERT_EQ(Code(r), "") << r.dump();
  EXPECT_EQ(r["facets"]["run.script"][0], json({{"value", "train.py"}, {"count", 3}}));
  json args = {{"path", "/runs"}, {"fields", {"run.script"}}, {"limit", 2}};
  std::vector<std::string> all;
  for (int page = 0; page < 5; ++page) {
    json p = Call("find", args);
    ASSERT_EQ(Code(p), "") << p.dump();
    for (const auto& path : Paths(p)) all.push_back(path);
    if (!p.contains("next_cursor")) break;
    args["cursor"] = p["next_cursor"];
  }
  EXPECT_EQ(all.size(), 5u);
}

TEST_F(FindTest, AggregateGroupsWithNullGroupAndMeasureSemantics) {
  json r =
      Call("aggregate",
           {{"path", "/runs"},
            {"group_by", {"run.status"}},
            {"measures", {{{"op", "count"}}, {{"op", "avg"}, {"field", "metric.val_loss.min"}}}}});
  ASSERT_EQ(Code(r), "") << r.dump();
  EXPECT_EQ(r["input_count"], 5);
  EXPECT_EQ(r["group_count"], 4);
  EXPECT_FALSE(r["truncated"].get<bool>());
  EXPECT_EQ(r["group_by"], json::array({"run.status"}));
  EXPECT_EQ(r["groups"][0]["key"], json::array({3}));
  EXPECT_EQ(r["groups"][3]["key"], json::array({"running"}));
  EXPECT_EQ(r["groups"][3]["values"]["count"], 1);
  EXPECT_TRUE(r["groups"][3]["values"]["avg(metric.val_loss.min)"].is_null());
  json nulls =
      Call("aggregate",
           {{"path", "/runs"}, {"group_by", {"metric.steps"}}, {"measures", {{{"op", "count"}}}}});
  EXPECT_EQ(nulls["groups"][0]["key"], json::array({nullptr}));
  EXPECT_EQ(nulls["groups"][0]["values"]["count"], 1);
  json m =
      Call("aggregate", {{"path", "/runs"},
                         {"measures",
                          {{{"op", "count"}},
                           {{"op", "count"}, {"field", "metric.val_loss.min"}, {"as", "with_loss"}},
                           {{"op", "min"}, {"field", "metric.val_loss.min"}},
                           {{"op", "max"}, {"field", "run.status"}},
                           {{"op", "sum"}, {"field", "run.epochs"}},
                           {{"op", "count_distinct"}, {"field", "run.script"}}}}});
  ASSERT_EQ(Code(m), "") << m.dump();
  const json& v = m["groups"][0]["values"];
  EXPECT_EQ(v["count"], 5);
  EXPECT_EQ(v["with_loss"], 4);
  EXPECT_DOUBLE_EQ(v["min(metric.val_loss.min)"].get<double>(), 0.18);
  EXPECT_EQ(v["max(run.status)"], "running");
  EXPECT_EQ(v["sum(run.epochs)"], 39);
  EXPECT_EQ(v["count_distinct(run.script)"], 3);
}

TEST_F(FindTest, AggregateSortsByMeasureAndValidates) {
  json r = Call("aggregate", {{"path", "/runs"},
                              {"group_by", {"run.script"}},
                              {"measures", {{{"op", "count"}}}},
                              {"sort", {{"by", "count"}, {"order", "desc"}}},
                              {"limit", 1}});
  ASSERT_EQ(Code(r), "") << r.dump();
  EXPECT_EQ(r["groups"][0]["key"][0], "train.py");
  EXPECT_TRUE(r["truncated"].get<bool>());
  EXPECT_TRUE(r.contains("next_cursor"));
  json bad = Call("aggregate", {{"path", "/runs"}, {"measures", {{{"op", "average"}}}}});
  EXPECT_EQ(Code(bad), "invalid_argument");
  EXPECT_EQ(Code(Call("aggregate", {{"path", "/runs"}, {"measures", {{{"op", "sum"}}}}})),
            "invalid_argument");
  EXPECT_EQ(Code(Call("aggregate", {{"path", "/runs"}})), "invalid_argument");
}

TEST_F(FindTest, CatalogListsBuiltinsAndIndexFieldsWithFacets) {
  json r = Call("catalog", {{"path", "/runs"}, {"include_facets", true}});
  ASSERT_EQ(Code(r), "") << r.dump();
  std::map<std::string, json> by_id;
  for (const auto& f : r["fields"]) by_id[f["id"]] = f;
  EXPECT_TRUE(by_id["path"]["builtin"].get<bool>());
  EXPECT_EQ(by_id["run.status"]["type"], "mixed");
  EXPECT_EQ(by_id["run.status"]["rows"], 5);
  EXPECT_EQ(by_id["param.lr"]["type"], "number");
  EXPECT_EQ(by_id["metric.val_loss.min"]["rows"], 4);
  EXPECT_EQ(by_id["run.script"]["facets"][0], json({{"value", "train.py"}, {"count", 3}}));
  json one = Call("catalog", {{"path", "/runs/r1"}, {"field_prefix", "run."}});
  EXPECT_EQ(one["fields"].size(), 3u);
  EXPECT_EQ(one["fields"][0]["rows"], 1);
  json none = Call("catalog", {{"path", "/data"}});
  EXPECT_EQ(none["fields"].size(), 8u);  // built-ins only
}

}  // namespace
}  // namespace nokv::query::testing
