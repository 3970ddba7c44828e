// Golden outputs of every verb on the fixed workspace. Each case compares the
// compact JSON result with tests/query/golden/<name>.json. To regenerate after
// an intended change, run the test with NOKV_UPDATE_GOLDEN=1:
//   NOKV_UPDATE_GOLDEN=1 build-query/tests/query/query_test --gtest_filter='Golden*'
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "query_fixture.h"

namespace nokv::query::testing {
namespace {

class GoldenTest : public QueryTest {
 protected:
  void Check(const std::string& name, std::string_view verb, const json& args) {
    std::string actual = Call(verb, args).dump(2) + "\n";
    std::string file = std::string(NOKV_QUERY_GOLDEN_DIR) + "/" + name + ".json";
    const char* update = std::getenv("NOKV_UPDATE_GOLDEN");
    if (update != nullptr && std::string(update) == "1") {
      std::ofstream(file) << actual;
      return;
    }
    std::ifstream in(file);
    ASSERT_TRUE(in.good()) << file << " is missing; run with NOKV_UPDATE_GOLDEN=1";
    std::stringstream expected;
    expected << in.rdbuf();
    EXPECT_EQ(expected.str(), actual) << "golden " << name;
  }
};

TEST_F(GoldenTest, Ls) { Check("ls_runs", "ls", {{"path", "/runs"}, {"limit", 3}}); }

TEST_F(GoldenTest, Stat) {
  Check("stat_csv", "stat", {{"path", "/data/table.csv"}});
  Check("stat_run_dir", "stat", {{"path", "/runs/r1"}});
}

TEST_F(GoldenTest, Catalog) {
  Check("catalog_runs", "catalog",
        {{"path", "/runs"}, {"include_facets", true}, {"facet_limit", 3}});
}

TEST_F(GoldenTest, Find) {
  Check("find_top_loss", "find",
        {{"path", "/runs"},
         {"predicates", {{{"field", "run.status"}, {"op", "ne"}, {"value", "failed"}}}},
         {"sort", {{{"field", "metric.val_loss.min"}}}},
         {"fields", {"metric.val_loss.min", "param.*"}},
         {"facets", {"run.script"}},
         {"limit", 2}});
}

TEST_F(GoldenTest, FindEntries) {
  Check("find_entries", "find",
        {{"path", "/runs/r2"},
         {"predicates", {{{"field", "name"}, {"op", "suffix"}, {"value", ".log"}}}},
         {"fields", {"size_bytes", "content_type", "mtime"}}});
}

TEST_F(GoldenTest, Aggregate) {
  Check("aggregate_by_script", "aggregate",
        {{"path", "/runs"},
         {"group_by", {"run.script"}},
         {"measures", {{{"op", "count"}}, {{"op", "min"}, {"field", "metric.val_loss.min"}}}},
         {"sort", {{"by", "count"}, {"order", "desc"}}}});
}

TEST_F(GoldenTest, Read) {
  Check("read_metrics", "read", {{"path", "/runs/r2/metrics.jsonl"}, {"limit", 2}});
  Check("read_lines", "read", {{"path", "/data/big.txt"}, {"lines", "999-1001"}});
  Check("read_bytes", "read", {{"path", "/data/blob.bin"}});
  Check("read_malformed", "read", {{"path", "/data/bad.json"}});
}

TEST_F(GoldenTest, Grep) {
  Check("grep_traceback", "grep", {{"path", "/runs"}, {"pattern", "error"}, {"context", 1}});
  Check("grep_long_line", "grep", {{"path", "/data"}, {"pattern", "needle|ELF"}, {"regex", true}});
}

TEST_F(GoldenTest, Error) {
  Check("error_unknown_field", "find",
        {{"path", "/runs"}, {"predicates", {{{"field", "script"}, {"op", "eq"}, {"value", "x"}}}}});
}

}  // namespace
}  // namespace nokv::query::testing
