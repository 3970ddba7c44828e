// Format detection, every record format (well-formed and malformed) and summaries.
#include "records/format.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace nokv::records {
namespace {

using nlohmann::json;

Records MustParse(std::string_view body, RecordFormat format) {
  Result<Records> records = ParseRecords(body, format);
  EXPECT_TRUE(records.ok()) << records.status().ToString();
  return records.ok() ? *std::move(records) : Records();
}

TEST(DetectFormatTest, ByExtensionCaseInsensitive) {
  EXPECT_EQ(DetectFormat("metadata.json"), RecordFormat::kJson);
  EXPECT_EQ(DetectFormat("/runs/r1/METRICS.JSONL"), RecordFormat::kJsonl);
  EXPECT_EQ(DetectFormat("events.ndjson"), RecordFormat::kJsonl);
  EXPECT_EQ(DetectFormat("params.yaml"), RecordFormat::kYaml);
  EXPECT_EQ(DetectFormat("params.YML"), RecordFormat::kYaml);
  EXPECT_EQ(DetectFormat("table.csv"), RecordFormat::kCsv);
  EXPECT_EQ(DetectFormat("stdout.log"), RecordFormat::kText);
  EXPECT_EQ(DetectFormat("json"), RecordFormat::kText);
  EXPECT_EQ(DetectFormat("/a.json/file"), RecordFormat::kText);
  EXPECT_EQ(DetectFormat(""), RecordFormat::kText);
}

TEST(JsonFormatTest, ArrayGivesElements) {
  Records r = MustParse(R"([{"a": 1}, {"a": 2}, 3])", RecordFormat::kJson);
  EXPECT_EQ(r.record_type, "json_array");
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[1]["a"], 2);
  EXPECT_EQ(r.records[2], 3);
}

TEST(JsonFormatTest, ObjectAndScalarGiveOneRecord) {
  Records r = MustParse(R"({"status": "completed"})", RecordFormat::kJson);
  EXPECT_EQ(r.record_type, "json_object");
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0]["status"], "completed");
  EXPECT_EQ(MustParse("42", RecordFormat::kJson).records.at(0), 42);
}

TEST(JsonFormatTest, LeadingBomIsIgnored) {
  Records r = MustParse("\xEF\xBB\xBF{\"a\": true}", RecordFormat::kJson);
  EXPECT_EQ(r.records.at(0)["a"], true);
}

TEST(JsonFormatTest, TruncatedDocumentNamesLineAndColumn) {
  auto r = ParseRecords("{\"a\": 1,\n \"b\": [1, 2\n", RecordFormat::kJson);
  EXPECT_TRUE(FailsWith(r, Code::kInvalidArgument, "line 3, column 1: "));
  auto bad = ParseRecords("{\n  \"a\": tru }", RecordFormat::kJson);
  EXPECT_TRUE(FailsWith(bad, Code::kInvalidArgument, "line 2, column"));
  EXPECT_EQ(bad.status().message().find("json.exception"), std::string_view::npos);
}

TEST(JsonFormatTest, EmptyBodyAndInvalidUtf8AreErrors) {
  EXPECT_TRUE(FailsWith(ParseRecords("", RecordFormat::kJson), Code::kInvalidArgument, "empty"));
  EXPECT_TRUE(
      FailsWith(ParseRecords(" \n ", RecordFormat::kJson), Code::kInvalidArgument, "empty"));
  EXPECT_TRUE(FailsWith(ParseRecords("\"\xC3\x28\"", RecordFormat::kJson), Code::kInvalidArgument,
                        "line 1"));
}

TEST(JsonFormatTest, NestingIsBounded) {
  std::string ok = std::string(128, '[') + std::string(128, ']');
  EXPECT_TRUE(ParseRecords(ok, RecordFormat::kJson).ok());
  std::string deep = "\n [\"[[[\", " + std::string(128, '{') + std::string(100000, '[');
  EXPECT_TRUE(FailsWith(ParseRecords(deep, RecordFormat::kJson), Code::kInvalidArgument,
                        "line 2, column 137: nesting deeper than 128 levels"));
  EXPECT_TRUE(FailsWith(ParseRecords("{}\n" + deep, RecordFormat::kJsonl), Code::kInvalidArgument,
                        "line 3, column 137: nesting deeper"));
}

TEST(JsonlFormatTest, OneRecordPerNonBlankLine) {
  Records r = MustParse("{\"step\": 1}\r\n\n   \n{\"step\": 2}\n[3]", RecordFormat::kJsonl);
  EXPECT_EQ(r.record_type, "jsonl");
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[1]["step"], 2);
  EXPECT_TRUE(r.records[2].is_array());
}

TEST(JsonlFormatTest, BadLineIsNamed) {
  auto r = ParseRecords("{\"a\": 1}\n\n{\"a\": \n{\"a\": 3}\n", RecordFormat::kJsonl);
  EXPECT_TRUE(FailsWith(r, Code::kInvalidArgument, "line 3, column"));
  auto r2 = ParseRecords("{}\n{} x\n", RecordFormat::kJsonl);
  EXPECT_TRUE(FailsWith(r2, Code::kInvalidArgument, "line 2, column 4"));
}

TEST(JsonlFormatTest, EmptyBodyHasNoRecords) {
  EXPECT_TRUE(MustParse("", RecordFormat::kJsonl).records.empty());
  EXPECT_TRUE(MustParse("\n\n", RecordFormat::kJsonl).records.empty());
}

TEST(YamlFormatTest, MappingIsOneRecordSequenceIsElements) {
  Records r = MustParse("lr: 0.001\noptimizer:\n  name: adam\n", RecordFormat::kYaml);
  EXPECT_EQ(r.record_type, "yaml");
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0]["optimizer"]["name"], "adam");
  EXPECT_DOUBLE_EQ(r.records[0]["lr"].get<double>(), 0.001);
  Records seq = MustParse("- a: 1\n- a: 2\n", RecordFormat::kYaml);
  ASSERT_EQ(seq.records.size(), 2u);
  EXPECT_EQ(seq.records[1]["a"], 2);
}

TEST(YamlFormatTest, EveryDocumentContributes) {
  Records r = MustParse("a: 1\n---\n- b: 2\n- b: 3\n---\n---\nc: 4\n", RecordFormat::kYaml);
  ASSERT_EQ(r.records.size(), 4u);
  EXPECT_EQ(r.records[0]["a"], 1);
  EXPECT_EQ(r.records[2]["b"], 3);
  EXPECT_EQ(r.records[3]["c"], 4);
}

TEST(YamlFormatTest, PlainScalarsFollowTheCoreSchema) {
  Records r = MustParse(
      "i: 42\nneg: -7\nhex: 0x1F\noct: 0o17\nf: 1.5e3\ndot: .5\ninf: -.inf\nt: True\n"
      "n: ~\nempty:\nyes: yes\nquoted: \"42\"\nsingle: 'true'\nstr: !!str 12\nver: 1.2.3\n"
      "big: 123456789012345678901234567890\n",
      RecordFormat::kYaml);
  const json& o = r.records.at(0);
  EXPECT_EQ(o["i"], 42);
  EXPECT_EQ(o["neg"], -7);
  EXPECT_EQ(o["hex"], 31);
  EXPECT_EQ(o["oct"], 15);
  EXPECT_DOUBLE_EQ(o["f"].get<double>(), 1500.0);
  EXPECT_DOUBLE_EQ(o["dot"].get<double>(), 0.5);
  EXPECT_TRUE(std::isinf(o["inf"].get<double>()) && o["inf"].get<double>() < 0);
  EXPECT_EQ(o["t"], true);
  EXPECT_TRUE(o["n"].is_null());
  EXPECT_TRUE(o["empty"].is_null());
  EXPECT_EQ(o["yes"], "yes");
  EXPECT_EQ(o["quoted"], "42");
  EXPECT_EQ(o["single"], "true");
  EXPECT_EQ(o["str"], "12");
  EXPECT_EQ(o["ver"], "1.2.3");
  EXPECT_TRUE(o["big"].is_number_float());
}

TEST(YamlFormatTest, SyntaxErrorNamesLineAndColumn) {
  auto r = ParseRecords("a: 1\nb: [1, 2\nc: 3\n", RecordFormat::kYaml);
  EXPECT_TRUE(FailsWith(r, Code::kInvalidArgument, "line "));
  EXPECT_NE(r.status().message().find("column"), std::string_view::npos);
  auto tab = ParseRecords("a:\n\t- b\n", RecordFormat::kYaml);
  EXPECT_TRUE(FailsWith(tab, Code::kInvalidArgument, "line 2"));
}

TEST(YamlFormatTest, ComplexKeysAreRejected) {
  auto r = ParseRecords("? [a, b]\n: 1\n", RecordFormat::kYaml);
  EXPECT_TRUE(FailsWith(r, Code::kInvalidArgument, "mapping keys must be scalars"));
}

TEST(YamlFormatTest, AliasBombIsBounded) {
  std::string body = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  std::string prev = "a";
  for (char level = 'b'; level <= 'h'; ++level) {
    body += std::string(1, level) + ": &" + level + " [";
    for (int i = 0; i < 10; ++i) body += (i ? ", *" : "*") + prev;
    body += "]\n";
    prev = std::string(1, level);
  }
  auto r = ParseRecords(body, RecordFormat::kYaml);
  EXPECT_TRUE(FailsWith(r, Code::kInvalidArgument, "values (the parse limit)"));
}

TEST(YamlFormatTest, RecursiveAliasAndDeepNestingAreErrors) {
  EXPECT_TRUE(FailsWith(ParseRecords("a: &a [1, *a]\n", RecordFormat::kYaml),
                        Code::kInvalidArgument, "recursive alias"));
  // Unbalanced: some error, never a crash.
  EXPECT_TRUE(FailsWith(ParseRecords(std::string(100000, '['), RecordFormat::kYaml),
                        Code::kInvalidArgument, ""));
  std::string deep = std::string(200, '[') + std::string(200, ']');
  EXPECT_TRUE(FailsWith(ParseRecords(deep, RecordFormat::kYaml), Code::kInvalidArgument,
                        "nesting deeper than 128"));
  std::string fits = std::string(128, '[') + std::string(128, ']');
  EXPECT_TRUE(ParseRecords(fits, RecordFormat::kYaml).ok());
}

TEST(YamlFormatTest, EmptyBodyHasNoRecords) {
  EXPECT_TRUE(MustParse("", RecordFormat::kYaml).records.empty());
  EXPECT_TRUE(MustParse("# only a comment\n", RecordFormat::kYaml).records.empty());
}

TEST(CsvFormatTest, HeaderNamesTypedCells) {
  Records r = MustParse("step,loss,ok,name\n1,0.5,true,a\n2,1e-3,FALSE,b\n", RecordFormat::kCsv);
  EXPECT_EQ(r.record_type, "csv");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0], json::parse(R"({"step": 1, "loss": 0.5, "ok": true, "name": "a"})"));
  EXPECT_TRUE(r.records[1]["step"].is_number_integer());
  EXPECT_DOUBLE_EQ(r.records[1]["loss"].get<double>(), 0.001);
  EXPECT_EQ(r.records[1]["ok"], false);
}

TEST(CsvFormatTest, QuotedCellsStayStringsAndUnescapeQuotes) {
  Records r = MustParse("a,b,c\n\"42\",\"say \"\"hi\"\"\",\"x,y\"\n", RecordFormat::kCsv);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0]["a"], "42");
  EXPECT_EQ(r.records[0]["b"], "say \"hi\"");
  EXPECT_EQ(r.records[0]["c"], "x,y");
}

TEST(CsvFormatTest, CrlfAndEmbeddedNewlines) {
  Records r = MustParse("a,b\r\n\"line1\r\nline2\",2\r\n3,\"\"\r\n", RecordFormat::kCsv);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0]["a"], "line1\r\nline2");
  EXPECT_EQ(r.records[0]["b"], 2);
  EXPECT_EQ(r.records[1]["b"], "");  // quoted empty is the empty string
}

TEST(CsvFormatTest, EmptyUnquotedCellsAndShortRowsAreLeftOut) {
  Records r = MustParse("a,b,c\n1,,3\n4\n\n5,6,\n", RecordFormat::kCsv);
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0], json::parse(R"({"a": 1, "c": 3})"));
  EXPECT_EQ(r.records[1], json::parse(R"({"a": 4})"));
  EXPECT_EQ(r.records[2], json::parse(R"({"a": 5, "b": 6})"));
}

TEST(CsvFormatTest, NumbersFollowJsonGrammar) {
  Records r = MustParse("a,b,c,d,e\n007,+5,.5,-0.25,nan\n", RecordFormat::kCsv);
  const json& o = r.records.at(0);
  EXPECT_EQ(o["a"], "007");
  EXPECT_EQ(o["b"], "+5");
  EXPECT_EQ(o["c"], ".5");
  EXPECT_DOUBLE_EQ(o["d"].get<double>(), -0.25);
  EXPECT_EQ(o["e"], "nan");
}

TEST(CsvFormatTest, HeaderEdgeCases) {
  Records r = MustParse("\xEF\xBB\xBF,x,\n1,2,3\n", RecordFormat::kCsv);
  EXPECT_EQ(r.records.at(0), json::parse(R"({"column_1": 1, "x": 2, "column_3": 3})"));
  EXPECT_TRUE(MustParse("a,b\n", RecordFormat::kCsv).records.empty());
  EXPECT_TRUE(MustParse("", RecordFormat::kCsv).records.empty());
  EXPECT_TRUE(FailsWith(ParseRecords("a,b,a\n1,2,3\n", RecordFormat::kCsv), Code::kInvalidArgument,
                        "line 1: duplicate column name 'a'"));
}

TEST(CsvFormatTest, MalformedInputNamesThePosition) {
  EXPECT_TRUE(FailsWith(ParseRecords("a,b\n1,\"open\n2,3\n", RecordFormat::kCsv),
                        Code::kInvalidArgument, "line 2, column 3: unterminated quoted field"));
  EXPECT_TRUE(FailsWith(ParseRecords("a,b\n\"x\"y,2\n", RecordFormat::kCsv), Code::kInvalidArgument,
                        "line 2, column 4: unexpected character"));
  // The row after a two-line quoted cell starts on line 4.
  EXPECT_TRUE(FailsWith(ParseRecords("a\n\"x\ny\"\n1,2\n", RecordFormat::kCsv),
                        Code::kInvalidArgument, "line 4: row has 2 cells but the header has 1"));
}

TEST(CsvFormatTest, StrayQuoteInsideUnquotedCellIsKept) {
  Records r = MustParse("size\n5\" screen\n", RecordFormat::kCsv);
  EXPECT_EQ(r.records.at(0)["size"], "5\" screen");
}

TEST(TextFormatTest, OneStringPerLineWithInvalidUtf8Replaced) {
  Records r = MustParse("first\r\n\nthird \xFF end\nlast", RecordFormat::kText);
  EXPECT_EQ(r.record_type, "text");
  ASSERT_EQ(r.records.size(), 4u);
  EXPECT_EQ(r.records[0], "first");
  EXPECT_EQ(r.records[1], "");
  EXPECT_EQ(r.records[2], "third \xEF\xBF\xBD end");
  EXPECT_EQ(r.records[3], "last");
  EXPECT_NO_THROW(json(r.records).dump());
  EXPECT_TRUE(MustParse("", RecordFormat::kText).records.empty());
}

TEST(SummarizeTest, SchemaIsFirstSeenUnionAndSampleIsBounded) {
  Records r = MustParse("{\"b\": 1, \"a\": 2}\n7\n{\"c\": 3, \"a\": 4}\n{\"d\": 5}\n",
                        RecordFormat::kJsonl);
  Summary s = Summarize(r, 2);
  EXPECT_EQ(s.record_type, "jsonl");
  EXPECT_EQ(s.record_count, 4u);
  EXPECT_EQ(s.schema, (std::vector<std::string>{"a", "b", "c", "d"}));
  ASSERT_EQ(s.sample.size(), 2u);
  EXPECT_EQ(s.sample[1], 7);
  EXPECT_EQ(Summarize(r).sample.size(), 3u);
}

TEST(SummarizeTest, SchemaLooksAtTheFirstHundredRecordsOnly) {
  std::string body;
  for (size_t i = 0; i < kSchemaRecords; ++i) body += "{\"x\": 1}\n";
  body += "{\"late\": 1}\n";
  Summary s = Summarize(MustParse(body, RecordFormat::kJsonl));
  EXPECT_EQ(s.record_count, kSchemaRecords + 1);
  EXPECT_EQ(s.schema, std::vector<std::string>{"x"});
}

}  // namespace
}  // namespace nokv::records
