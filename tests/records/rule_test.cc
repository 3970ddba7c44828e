// Index rule JSON (round trip and every validation error) and the compact field syntax.
#include "records/rule.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace nokv::records {
namespace {

using nlohmann::json;

json ValidRuleJson() {
  return json::parse(R"({
    "id": "runs-metrics", "root": "/runs", "glob": "*/metrics.jsonl", "target": "parent",
    "max_body_bytes": 1048576,
    "fields": [
      {"id": "metric.val_loss.min", "source": "$.value", "type": "number", "reducer": "min",
       "filter": {"path": "$.name", "equals": "val_loss"}},
      {"id": "metric.steps", "source": "/step", "reducer": "count"},
      {"id": "param", "source": "$.params", "flatten": true},
      "run.status:string=$.status"
    ]})");
}

// RuleFromJson on ValidRuleJson() with `key` set to `value` (or erased when null).
Result<IndexRule> RuleWith(const std::string& key, const json& value) {
  json rule = ValidRuleJson();
  if (value.is_null()) {
    rule.erase(key);
  } else {
    rule[key] = value;
  }
  return RuleFromJson(rule);
}

Result<IndexRule> RuleWithField(const json& field) {
  json rule = ValidRuleJson();
  rule["fields"] = json::array({field});
  return RuleFromJson(rule);
}

TEST(RuleJsonTest, ParsesEveryPart) {
  Result<IndexRule> rule = RuleFromJson(ValidRuleJson());
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  EXPECT_EQ(rule->id, "runs-metrics");
  EXPECT_EQ(rule->root, "/runs");
  EXPECT_EQ(rule->target, IndexRule::Target::kParent);
  EXPECT_EQ(rule->max_body_bytes, 1048576u);
  ASSERT_EQ(rule->fields.size(), 4u);
  const FieldSpec& min = rule->fields[0];
  EXPECT_EQ(min.type, FieldType::kNumber);
  EXPECT_EQ(min.reducer, Reducer::kMin);
  ASSERT_TRUE(min.filter.has_value());
  EXPECT_EQ(min.filter->path, "$.name");
  EXPECT_EQ(min.filter->equals, TypedValue::String("val_loss"));
  EXPECT_EQ(rule->fields[1].type, FieldType::kAuto);
  EXPECT_TRUE(rule->fields[2].flatten);
  EXPECT_EQ(rule->fields[3].id, "run.status");
  EXPECT_EQ(rule->fields[3].type, FieldType::kString);
}

TEST(RuleJsonTest, DefaultsAndNormalizedRoot) {
  json j = {
      {"id", "r"}, {"root", "//runs/./a/"}, {"glob", "**"}, {"fields", json::array({"x=$.x"})}};
  Result<IndexRule> rule = RuleFromJson(j);
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  EXPECT_EQ(rule->root, "/runs/a");
  EXPECT_EQ(rule->target, IndexRule::Target::kFile);
  EXPECT_EQ(rule->max_body_bytes, kDefaultMaxBodyBytes);
  j["root"] = "/";
  EXPECT_EQ(RuleFromJson(j)->root, "/");
  j["root"] = "/./";
  EXPECT_EQ(RuleFromJson(j)->root, "/");
}

TEST(RuleJsonTest, RoundTripsThroughCanonicalJson) {
  Result<IndexRule> rule = RuleFromJson(ValidRuleJson());
  ASSERT_TRUE(rule.ok());
  json canonical = RuleToJson(*rule);
  EXPECT_TRUE(canonical["fields"][3].is_object());
  EXPECT_EQ(canonical["target"], "parent");
  Result<IndexRule> again = RuleFromJson(json::parse(canonical.dump()));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, *rule);
  EXPECT_EQ(RuleToJson(*again), canonical);
}

TEST(RuleJsonTest, UnknownKeysGetAHint) {
  EXPECT_TRUE(FailsWith(RuleWith("glb", "x"), Code::kInvalidArgument,
                        "rule: unknown key 'glb'; did you mean 'glob'?"));
  EXPECT_TRUE(FailsWith(RuleWith("zzzzzzzz", 1), Code::kInvalidArgument,
                        "(allowed: id, root, glob, target, fields, max_body_bytes)"));
  EXPECT_TRUE(FailsWith(RuleWithField({{"id", "a"}, {"source", "$"}, {"reduce", "min"}}),
                        Code::kInvalidArgument,
                        "fields[0]: field: unknown key 'reduce'; did "
                        "you mean 'reducer'?"));
  EXPECT_TRUE(FailsWith(
      RuleWithField({{"id", "a"}, {"source", "$"}, {"filter", {{"path", "$"}, {"equal", 1}}}}),
      Code::kInvalidArgument, "did you mean 'equals'?"));
}

TEST(RuleJsonTest, IdsAreValidated) {
  EXPECT_TRUE(FailsWith(RuleFromJson(json::array()), Code::kInvalidArgument, "JSON object"));
  EXPECT_TRUE(FailsWith(RuleWith("id", nullptr), Code::kInvalidArgument, "missing 'id'"));
  EXPECT_TRUE(FailsWith(RuleWith("id", 7), Code::kInvalidArgument, "'id' must be a string"));
  EXPECT_TRUE(FailsWith(RuleWith("id", ""), Code::kInvalidArgument, "rule id is empty"));
  EXPECT_TRUE(FailsWith(RuleWith("id", "a b"), Code::kInvalidArgument, "whitespace"));
  EXPECT_TRUE(FailsWith(RuleWith("id", "a\tb"), Code::kInvalidArgument, "whitespace"));
  EXPECT_TRUE(FailsWith(RuleWith("id", std::string("a\0b", 3)), Code::kInvalidArgument, "NUL"));
  EXPECT_TRUE(RuleWith("id", std::string(kMaxIdBytes, 'x')).ok());
  EXPECT_TRUE(FailsWith(RuleWith("id", std::string(kMaxIdBytes + 1, 'x')), Code::kInvalidArgument,
                        "longer than 128 bytes"));
  EXPECT_TRUE(FailsWith(RuleWithField({{"id", "a b"}, {"source", "$"}}), Code::kInvalidArgument,
                        "fields[0]: field id 'a b' contains whitespace"));
}

TEST(RuleJsonTest, RootGlobTargetAndLimitAreValidated) {
  EXPECT_TRUE(FailsWith(RuleWith("root", "runs"), Code::kInvalidArgument, "must be absolute"));
  EXPECT_TRUE(FailsWith(RuleWith("root", "/a/../b"), Code::kInvalidArgument, "'..'"));
  EXPECT_TRUE(FailsWith(RuleWith("root", "/" + std::string(256, 'n')), Code::kInvalidArgument,
                        "longer than 255"));
  EXPECT_TRUE(FailsWith(RuleWith("root", nullptr), Code::kInvalidArgument, "missing 'root'"));
  EXPECT_TRUE(FailsWith(RuleWith("glob", ""), Code::kInvalidArgument, "glob is empty"));
  EXPECT_TRUE(FailsWith(RuleWith("glob", "/a/*.json"), Code::kInvalidArgument, "relative"));
  EXPECT_TRUE(FailsWith(RuleWith("glob", "a/[bc.json"), Code::kInvalidArgument, "unclosed '['"));
  EXPECT_TRUE(FailsWith(RuleWith("target", "dir"), Code::kInvalidArgument,
                        "'target' must be \"file\" or \"parent\""));
  for (json bad : {json(0), json(-1), json("4MiB"), json(1.5), json(kMaxMaxBodyBytes + 1)}) {
    EXPECT_TRUE(FailsWith(RuleWith("max_body_bytes", bad), Code::kInvalidArgument,
                          "'max_body_bytes' must be an integer"))
        << bad;
  }
}

TEST(RuleJsonTest, FieldsAreValidated) {
  EXPECT_TRUE(FailsWith(RuleWith("fields", nullptr), Code::kInvalidArgument, "missing 'fields'"));
  EXPECT_TRUE(
      FailsWith(RuleWith("fields", json::array()), Code::kInvalidArgument, "non-empty array"));
  EXPECT_TRUE(FailsWith(RuleWith("fields", json::array({"a=$.a", "a=$.b"})), Code::kInvalidArgument,
                        "fields[1]: duplicate field id 'a'"));
  EXPECT_TRUE(FailsWith(RuleWith("fields", json::array({7})), Code::kInvalidArgument, "fields[0]"));
  EXPECT_TRUE(FailsWith(RuleWithField({{"id", "a"}}), Code::kInvalidArgument, "missing 'source'"));
  EXPECT_TRUE(FailsWith(RuleWithField({{"id", "a"}, {"source", "a.b"}}), Code::kInvalidArgument,
                        "must start with '$'"));
  EXPECT_TRUE(FailsWith(RuleWithField({{"id", "a"}, {"source", "$"}, {"type", "int"}}),
                        Code::kInvalidArgument, "'type' must be one of"));
  EXPECT_TRUE(FailsWith(RuleWithField({{"id", "a"}, {"source", "$"}, {"reducer", "avg"}}),
                        Code::kInvalidArgument, "'reducer' must be one of"));
  EXPECT_TRUE(FailsWith(RuleWithField({{"id", "a"}, {"source", "$"}, {"flatten", "yes"}}),
                        Code::kInvalidArgument, "'flatten' must be true or false"));
  EXPECT_TRUE(FailsWith(
      RuleWithField({{"id", "a"}, {"source", "$"}, {"flatten", true}, {"reducer", "max"}}),
      Code::kInvalidArgument, "flatten cannot be combined with a reducer"));
  EXPECT_TRUE(FailsWith(
      RuleWithField({{"id", "a"}, {"source", "$"}, {"type", "string"}, {"reducer", "sum"}}),
      Code::kInvalidArgument, "reducer 'sum' produces numbers"));
}

TEST(RuleJsonTest, FlattenIdMayBeWrittenWithStarSuffix) {
  Result<IndexRule> rule = RuleWithField({{"id", "param.*"}, {"source", "$"}, {"flatten", true}});
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  EXPECT_EQ(rule->fields[0].id, "param");
}

TEST(RuleJsonTest, FiltersAreValidated) {
  json field = {{"id", "a"}, {"source", "$.v"}};
  field["filter"] = "x";
  EXPECT_TRUE(FailsWith(RuleWithField(field), Code::kInvalidArgument, "'filter' must be"));
  field["filter"] = {{"path", "$.n"}};
  EXPECT_TRUE(FailsWith(RuleWithField(field), Code::kInvalidArgument, "missing 'equals'"));
  field["filter"] = {{"path", "$.n"}, {"equals", {1, 2}}};
  EXPECT_TRUE(FailsWith(RuleWithField(field), Code::kInvalidArgument, "'equals' must be"));
  field["filter"] = {{"path", "n"}, {"equals", 1}};
  EXPECT_TRUE(FailsWith(RuleWithField(field), Code::kInvalidArgument, "source 'n'"));
  field["filter"] = {{"path", "$.n"}, {"equals", 2}};
  Result<IndexRule> ok = RuleWithField(field);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->fields[0].filter->equals, TypedValue::Number(2));
}

TEST(FieldSpecSyntaxTest, ParsesTheDocumentedExamples) {
  Result<FieldSpec> plain = ParseFieldSpec("run.status=$.status");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(*plain, (FieldSpec{.id = "run.status", .source = "$.status"}));

  Result<FieldSpec> typed = ParseFieldSpec("run.epochs:number=$.epochs");
  ASSERT_TRUE(typed.ok());
  EXPECT_EQ(typed->type, FieldType::kNumber);

  Result<FieldSpec> min =
      ParseFieldSpec("metric.val_loss.min:number=min($.value where $.name == \"val_loss\")");
  ASSERT_TRUE(min.ok()) << min.status().ToString();
  EXPECT_EQ(min->reducer, Reducer::kMin);
  EXPECT_EQ(min->source, "$.value");
  EXPECT_EQ(*min->filter, (RecordFilter{"$.name", TypedValue::String("val_loss")}));

  Result<FieldSpec> flat = ParseFieldSpec("param.*=flatten($)");
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(*flat, (FieldSpec{.id = "param", .source = "$", .flatten = true}));
}

TEST(FieldSpecSyntaxTest, SourcesLiteralsAndSpacing) {
  EXPECT_EQ(ParseFieldSpec(" tag = $.tags[*] ")->source, "$.tags[*]");
  EXPECT_EQ(ParseFieldSpec("a=/x/y~1z")->source, "/x/y~1z");
  EXPECT_EQ(ParseFieldSpec("a=$[\"key with = and ]\"].b")->source, "$[\"key with = and ]\"].b");
  Result<FieldSpec> tight = ParseFieldSpec("n=count($.v where $.name==val_loss)");
  ASSERT_TRUE(tight.ok()) << tight.status().ToString();
  EXPECT_EQ(tight->filter->equals, TypedValue::String("val_loss"));
  EXPECT_EQ(ParseFieldSpec("s=sum($.v where $.epoch == 3)")->filter->equals, TypedValue::Number(3));
  EXPECT_EQ(ParseFieldSpec("s=last($.v where $.ok == true)")->filter->equals,
            TypedValue::Bool(true));
  EXPECT_EQ(ParseFieldSpec("f=flatten($.p where $.kind == \"a b\")")->filter->equals,
            TypedValue::String("a b"));
}

TEST(FieldSpecSyntaxTest, RejectsMalformedSpecs) {
  const std::pair<const char*, const char*> cases[] = {
      {"run.status", "expected <id>[:<type>]=<source>"},
      {"a:int=$.a", "type must be one of"},
      {"a=avg($.a)", "unknown function 'avg'"},
      {"a.*=$.a", "needs flatten"},
      {"a=", "missing source"},
      {"a=$.a extra", "expected 'where"},
      {"a=$.a where $.b", "expected 'where <source> == <literal>'"},
      {"a=$.a where $.b ==", "missing literal"},
      {"a=status", "must start with '$'"},
      {"a=$..b", "empty step"},
      {"a=$[x]", "expected [<index>]"},
      {"a=$[\"open", "unterminated key"},
      {"a=/x~2", "'~' must be followed by 0 or 1"},
      {"n:string=count($.a)", "reducer 'count' produces numbers"},
      {"=$.a", "field id is empty"},
  };
  for (const auto& [spec, error] : cases) {
    EXPECT_TRUE(FailsWith(ParseFieldSpec(spec), Code::kInvalidArgument, error)) << spec;
  }
}

TEST(FieldSpecSyntaxTest, ToStringRoundTrips) {
  for (const char* text :
       {"run.status=$.status", "run.epochs:number=$.epochs", "param.*=flatten($)",
        "metric.val_loss.min:number=min($.value where $.name == \"val_loss\")",
        "n=count($.a[*] where $.ok == true)", "s:bool=first(/a/0 where $.x == null)",
        "p.*:string=flatten($.params where $.k == 2.5)"}) {
    Result<FieldSpec> spec = ParseFieldSpec(text);
    ASSERT_TRUE(spec.ok()) << text << ": " << spec.status().ToString();
    EXPECT_EQ(FieldSpecToString(*spec), text);
    EXPECT_EQ(*ParseFieldSpec(FieldSpecToString(*spec)), *spec) << text;
  }
}

TEST(ReducerTest, NamesRoundTrip) {
  for (Reducer r : {Reducer::kFirst, Reducer::kLast, Reducer::kMin, Reducer::kMax, Reducer::kCount,
                    Reducer::kSum}) {
    EXPECT_EQ(ParseReducer(ReducerName(r)), r);
  }
  EXPECT_FALSE(ParseReducer("avg").has_value());
}

// Found by tests/fuzz/records_fuzz: a field spec whose literal was not UTF-8
// parsed, but did not print back to itself, and a rule holding it could not be
// stored (rule records are JSON).
TEST(FieldSpecSyntaxTest, NonUtf8LiteralsIdsAndRootsAreRejected) {
  EXPECT_EQ(ParseFieldSpec("a=$.v where $.n == \"\x8d\"").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseFieldSpec("a\xff=$.v").status().code(), Code::kInvalidArgument);
  nlohmann::json rule = {{"id", "r"}, {"root", "/d\xff"}, {"glob", "*"}, {"fields", {"a=$.v"}}};
  EXPECT_EQ(RuleFromJson(rule).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(ParseFieldSpec("a=$.v where $.n == \"h\u00e9\"").ok());
}

}  // namespace
}  // namespace nokv::records
