// Extraction: the AGENT_TOOLS example, sources, filters, reducers, coercion, flatten, caps
// and the body size limit.
#include "records/extract.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace nokv::records {
namespace {

using nlohmann::json;

TypedValue N(double d) { return TypedValue::Number(d); }
TypedValue S(const char* s) { return TypedValue::String(s); }
TypedValue B(bool b) { return TypedValue::Bool(b); }
using Values = std::vector<TypedValue>;

// A rule over /runs whose fields are given in the compact syntax.
IndexRule RuleOf(std::string glob, std::vector<std::string> specs) {
  IndexRule rule;
  rule.id = "test";
  rule.root = "/runs";
  rule.glob = std::move(glob);
  rule.target = IndexRule::Target::kParent;
  for (const std::string& spec : specs) {
    Result<FieldSpec> field = ParseFieldSpec(spec);
    EXPECT_TRUE(field.ok()) << spec << ": " << field.status().ToString();
    if (field.ok()) rule.fields.push_back(*field);
  }
  return rule;
}

Row MustExtract(const IndexRule& rule, std::string_view file, std::string_view body,
                ExtractReport* report = nullptr) {
  Result<Row> row = ExtractFromBody(rule, file, body, report);
  EXPECT_TRUE(row.ok()) << row.status().ToString();
  return row.ok() ? *std::move(row) : Row();
}

TEST(ExtractAgentToolsExampleTest, MetadataParamsAndMetrics) {
  IndexRule meta = RuleOf("*/metadata.json", {"run.status=$.status", "run.script=$.script"});
  Row m = MustExtract(meta, "metadata.json",
                      R"({"status": "completed", "script": "train.py", "host": "gpu7"})");
  EXPECT_EQ(m.fields, (std::map<std::string, Values>{{"run.script", {S("train.py")}},
                                                     {"run.status", {S("completed")}}}));

  IndexRule params = RuleOf("*/params.yaml", {"param.*=flatten($)"});
  ExtractReport report;
  Row p = MustExtract(params, "params.yaml",
                      "optimizer:\n  name: adam\n  lr: 0.001\nepochs: 10\nlayers: [64, 128]\n"
                      "notes: ~\n",
                      &report);
  EXPECT_EQ(p.fields, (std::map<std::string, Values>{{"param.epochs", {N(10)}},
                                                     {"param.layers", {N(64), N(128)}},
                                                     {"param.optimizer.lr", {N(0.001)}},
                                                     {"param.optimizer.name", {S("adam")}}}));
  EXPECT_EQ(report.skipped_values, 0u);
  EXPECT_FALSE(report.truncated);
  EXPECT_EQ(report.error, "");

  IndexRule metrics = RuleOf(
      "*/metrics.jsonl", {"metric.val_loss.min:number=min($.value where $.name == \"val_loss\")"});
  Row x = MustExtract(metrics, "metrics.jsonl",
                      "{\"name\": \"train_loss\", \"value\": 0.1, \"step\": 1}\n"
                      "{\"name\": \"val_loss\", \"value\": 0.9, \"step\": 1}\n"
                      "{\"name\": \"val_loss\", \"value\": 0.31, \"step\": 2}\n"
                      "{\"name\": \"val_loss\", \"value\": 0.45, \"step\": 3}\n");
  EXPECT_EQ(x.fields, (std::map<std::string, Values>{{"metric.val_loss.min", {N(0.31)}}}));
}

constexpr std::string_view kSteps =
    "{\"step\": 1, \"loss\": 3.0, \"tag\": \"warm\", \"ok\": true}\n"
    "{\"step\": 2, \"loss\": 1.5, \"tag\": \"main\"}\n"
    "{\"step\": 3, \"loss\": 2.0, \"tag\": \"main\", \"ok\": false}\n"
    "{\"step\": 4}\n";

TEST(ExtractReducerTest, EveryReducer) {
  IndexRule rule = RuleOf(
      "**", {"first=first($.loss)", "last=last($.loss)", "min=min($.loss)", "max=max($.loss)",
             "count=count($.loss)", "sum=sum($.loss)", "tag.max=max($.tag)",
             "count.none=count($.missing)", "sum.none=sum($.missing)", "ok.min=min($.ok)"});
  Row row = MustExtract(rule, "m.jsonl", kSteps);
  std::map<std::string, Values> want = {
      {"first", {N(3.0)}},      {"last", {N(2.0)}},     {"min", {N(1.5)}},
      {"max", {N(3.0)}},        {"count", {N(3)}},      {"sum", {N(6.5)}},
      {"tag.max", {S("warm")}}, {"count.none", {N(0)}}, {"ok.min", {B(false)}}};
  EXPECT_EQ(row.fields, want);
}

TEST(ExtractReducerTest, FilterSelectsRecordsByTypedEquality) {
  IndexRule rule = RuleOf(
      "**",
      {"main.count=count($.step where $.tag == main)", "step3=first($.loss where $.step == 3)",
       "string3=first($.loss where $.step == \"3\")", "ok=last($.step where $.ok == true)"});
  Row row = MustExtract(rule, "m.jsonl", kSteps);
  EXPECT_EQ(row.fields, (std::map<std::string, Values>{
                            {"main.count", {N(2)}}, {"step3", {N(2.0)}}, {"ok", {N(1)}}}));
}

TEST(ExtractReducerTest, SumSkipsNonNumbersAndCountsThem) {
  IndexRule rule = RuleOf("**", {"total=sum($.v)"});
  ExtractReport report;
  Row row = MustExtract(rule, "v.jsonl", "{\"v\": 1}\n{\"v\": \"two\"}\n{\"v\": 3}\n", &report);
  EXPECT_EQ(row.fields.at("total"), Values{N(4)});
  EXPECT_EQ(report.skipped_values, 1u);
  EXPECT_EQ(report.error, "field 'total', item 1: \"two\" is not a number to sum");
}

TEST(ExtractValuesTest, AllValuesDeduplicatedInFirstAppearanceOrder) {
  IndexRule rule = RuleOf("**", {"tag=$.tag", "tags=$.tags", "each=$.items[*].id"});
  Row row = MustExtract(rule, "t.jsonl",
                        "{\"tag\": \"b\", \"tags\": [\"x\", \"y\"], \"items\": [{\"id\": 1}]}\n"
                        "{\"tag\": \"a\", \"tags\": [\"y\", \"z\"], \"items\": [{\"id\": 2}, "
                        "{\"id\": 1}, {\"no\": 3}]}\n"
                        "{\"tag\": \"b\"}\n");
  EXPECT_EQ(row.fields.at("tag"), (Values{S("b"), S("a")}));
  EXPECT_EQ(row.fields.at("tags"), (Values{S("x"), S("y"), S("z")}));
  EXPECT_EQ(row.fields.at("each"), (Values{N(1), N(2)}));
}

TEST(ExtractValuesTest, PointerAndIndexSources) {
  IndexRule rule =
      RuleOf("**", {"first.layer=$.layers[0].width", "ptr=/layers/1/width", "odd=$[\"a.b\"]"});
  Row row = MustExtract(rule, "c.json",
                        R"({"layers": [{"width": 64}, {"width": 128}], "a.b": "dotted"})");
  EXPECT_EQ(row.fields.at("first.layer"), Values{N(64)});
  EXPECT_EQ(row.fields.at("ptr"), Values{N(128)});
  EXPECT_EQ(row.fields.at("odd"), Values{S("dotted")});
}

TEST(ExtractValuesTest, ValuesPerFieldAreCapped) {
  std::string body;
  for (int i = 0; i < 100; ++i) body += "{\"v\": " + std::to_string(i) + "}\n";
  ExtractReport report;
  Row row = MustExtract(RuleOf("**", {"v=$.v"}), "v.jsonl", body, &report);
  ASSERT_EQ(row.fields.at("v").size(), kMaxValuesPerField);
  EXPECT_EQ(row.fields.at("v").back(), N(kMaxValuesPerField - 1));
  EXPECT_TRUE(report.truncated);
  EXPECT_NE(report.error.find("more than 64 distinct values"), std::string::npos);
}

TEST(ExtractCoercionTest, UnconvertibleValuesAreSkippedAndCounted) {
  IndexRule rule = RuleOf("**", {"epochs:number=$.epochs", "id:string=$.id", "flag:bool=$.flag",
                                 "obj=$.obj", "nothing:number=$.none"});
  ExtractReport report;
  Row row = MustExtract(rule, "r.jsonl",
                        "{\"epochs\": \"12\", \"id\": 7, \"flag\": \"true\", \"obj\": {}}\n"
                        "{\"epochs\": \"ten\", \"id\": true, \"flag\": 1, \"none\": null}\n",
                        &report);
  EXPECT_EQ(row.fields,
            (std::map<std::string, Values>{
                {"epochs", {N(12)}}, {"flag", {B(true)}}, {"id", {S("7"), S("true")}}}));
  EXPECT_EQ(report.skipped_values, 3u);  // obj (not a scalar), "ten", flag 1
  EXPECT_FALSE(report.truncated);
  EXPECT_EQ(report.error, "field 'epochs', item 1: \"ten\" is not a number");
}

TEST(ExtractCoercionTest, NanIsSkippedInfinityIsKept) {
  IndexRule rule = RuleOf("**", {"loss=$.loss"});
  ExtractReport report;
  Row row = MustExtract(rule, "l.yaml", "- loss: .nan\n- loss: .inf\n- loss: 1\n", &report);
  EXPECT_EQ(row.fields.at("loss"), (Values{N(std::numeric_limits<double>::infinity()), N(1)}));
  EXPECT_EQ(report.skipped_values, 1u);
  EXPECT_NE(report.error.find("NaN"), std::string::npos);
}

TEST(ExtractFlattenTest, LeavesCapDepthAndBadIds) {
  std::string body = "{";
  for (int i = 0; i < 300; ++i)
    body += (i ? ", " : "") + ("\"k" + std::to_string(1000 + i)) + "\": 1";
  body += ", \"bad key\": 2}";
  ExtractReport report;
  Row row = MustExtract(RuleOf("**", {"p.*=flatten($)"}), "p.json", body, &report);
  EXPECT_EQ(row.fields.size(), kMaxFlattenLeaves);
  EXPECT_TRUE(row.fields.contains("p.k1000"));
  EXPECT_FALSE(row.fields.contains("p.k1299"));
  EXPECT_TRUE(report.truncated);
  EXPECT_EQ(report.skipped_values, 1u);  // "p.bad key" is not a valid field id

  std::string deep = "1";
  for (int i = 0; i < kMaxFlattenDepth + 5; ++i) deep = "{\"d\": " + deep + "}";
  ExtractReport deep_report;
  Row deep_row = MustExtract(RuleOf("**", {"p.*=flatten($)"}), "d.json",
                             "{\"shallow\": true, \"deep\": " + deep + "}", &deep_report);
  EXPECT_EQ(deep_row.fields, (std::map<std::string, Values>{{"p.shallow", {B(true)}}}));
  EXPECT_TRUE(deep_report.truncated);
  EXPECT_NE(deep_report.error.find("nests deeper"), std::string::npos);
}

TEST(ExtractFlattenTest, TypedFlattenWithFilterAndScalarSource) {
  IndexRule rule = RuleOf("**", {"p.*:string=flatten($.params where $.kind == \"train\")",
                                 "lr.*=flatten($.params.lr)"});
  Row row = MustExtract(rule, "f.jsonl",
                        "{\"kind\": \"train\", \"params\": {\"lr\": 0.5, \"bs\": [8, 16]}}\n"
                        "{\"kind\": \"eval\", \"params\": {\"lr\": 0.1, \"other\": 1}}\n");
  EXPECT_EQ(row.fields,
            (std::map<std::string, Values>{
                {"lr", {N(0.5), N(0.1)}}, {"p.bs", {S("8"), S("16")}}, {"p.lr", {S("0.5")}}}));
}

TEST(ExtractCsvAndTextTest, RowsAndLinesAreRecords) {
  Row csv = MustExtract(RuleOf("**", {"steps=max($.step)", "best:number=min($.loss)"}),
                        "metrics.csv", "step,loss\n1,0.9\n2,0.4\n3,\"0.5\"\n");
  EXPECT_EQ(csv.fields, (std::map<std::string, Values>{{"best", {N(0.4)}}, {"steps", {N(3)}}}));
  Row log = MustExtract(RuleOf("**", {"lines=count($)", "head=first($)"}), "stdout.log",
                        "epoch 1\nepoch 2\nTraceback\n");
  EXPECT_EQ(log.fields,
            (std::map<std::string, Values>{{"head", {S("epoch 1")}}, {"lines", {N(3)}}}));
}

TEST(ExtractFromBodyTest, BodyOverTheCapIsNotParsed) {
  IndexRule rule = RuleOf("**", {"a=$.a"});
  rule.max_body_bytes = 10;
  EXPECT_TRUE(ExtractFromBody(rule, "x.json", "{\"a\": 123}").ok());  // exactly 10 bytes
  EXPECT_TRUE(FailsWith(ExtractFromBody(rule, "x.json", "{\"a\": 1234}"), Code::kFailedPrecondition,
                        "x.json: body is 11 bytes"));
}

TEST(ExtractFromBodyTest, MalformedBodyNamesFileAndLine) {
  IndexRule rule = RuleOf("**", {"a=$.a"});
  EXPECT_TRUE(FailsWith(ExtractFromBody(rule, "m.jsonl", "{}\n{\"a\":\n"), Code::kInvalidArgument,
                        "m.jsonl: line 2"));
}

TEST(ExtractTest, InvalidRuleFieldIsAnError) {
  IndexRule rule = RuleOf("**", {"a=$.a"});
  rule.fields[0].source = "not-a-path";
  Records records;
  records.records.push_back(json::object());
  EXPECT_TRUE(FailsWith(Extract(rule, records), Code::kInvalidArgument, "must start with"));
}

TEST(ExtractTest, ReportIsResetBetweenCalls) {
  IndexRule rule = RuleOf("**", {"n:number=$.n"});
  ExtractReport report;
  MustExtract(rule, "a.json", "{\"n\": \"x\"}", &report);
  EXPECT_EQ(report.skipped_values, 1u);
  MustExtract(rule, "a.json", "{\"n\": 1}", &report);
  EXPECT_EQ(report.skipped_values, 0u);
  EXPECT_EQ(report.error, "");
}

}  // namespace
}  // namespace nokv::records
