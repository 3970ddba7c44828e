// Index rules kept in step with the namespace: rows written in the publish
// commit, moved by renames, dropped by removes, back-filled when a rule is
// added, and replaced wholesale by bulk registration.
#include <gtest/gtest.h>

#include "holt/engine.h"
#include "index_fixture.h"
#include "meta/index_keys.h"
#include "records/rule.h"

namespace nokv::meta {
namespace {

class IndexTest : public testing::MetaTest {
 protected:
  records::IndexRule Rule(const std::string& json) {
    auto rule = records::RuleFromJson(nlohmann::json::parse(json));
    EXPECT_TRUE(rule.ok()) << rule.status().ToString();
    return rule.value_or(records::IndexRule{});
  }

  void AddRunRules() {
    ASSERT_TRUE(meta_
                    ->AddIndexRule(Rule(R"({"id": "runs-meta", "root": "/runs",
        "glob": "*/metadata.json", "target": "parent",
        "fields": ["run.status=$.status", "run.epochs:number=$.epochs"]})"))
                    .ok());
    ASSERT_TRUE(meta_
                    ->AddIndexRule(Rule(R"J({"id": "runs-metrics", "root": "/runs",
        "glob": "*/metrics.jsonl", "target": "parent",
        "fields": ["metric.val_loss.min:number=min($.value where $.name == \"val_loss\")"]})J"))
                    .ok());
  }

  // The row of `rule` at `row_path`, as "field=value;..." (or "<none>").
  std::string Row(const std::string& rule, const std::string& row_path) {
    return testing::RowText(meta_.get(), rule, row_path);
  }

  // Row paths found through the value index for `field` of `rule`, in value order.
  std::vector<std::string> ByValue(const std::string& rule, const std::string& field) {
    holt::ScanOptions scan;
    scan.prefix = ValueFieldPrefix(rule, field);
    scan.keys_only = true;
    auto rows = meta_->engine()->Scan(scan);
    std::vector<std::string> out;
    for (const auto& e : *rows) {
      records::TypedValue value;
      std::string_view row_path;
      EXPECT_TRUE(ParseValueKeySuffix(std::string_view(e.key).substr(scan.prefix.size()), &value,
                                      &row_path));
      out.push_back(std::string(row_path) + "=" + value.DebugString());
    }
    return out;
  }
};

TEST_F(IndexTest, PublishWritesRowsAndValueIndexInTheSameCommit) {
  AddRunRules();
  ASSERT_TRUE(Publish("/runs/r1/metadata.json", R"({"status": "completed", "epochs": 10})").ok());
  uint64_t seq = meta_->visible_seq();
  ASSERT_TRUE(
      Publish("/runs/r1/metrics.jsonl",
              "{\"name\":\"val_loss\",\"value\":0.5}\n{\"name\":\"val_loss\",\"value\":0.25}\n"
              "{\"name\":\"train_loss\",\"value\":0.1}\n")
          .ok());
  ASSERT_TRUE(Publish("/runs/r2/metadata.json", R"({"status": "failed", "epochs": 3})").ok());
  EXPECT_EQ(Row("runs-meta", "/runs/r1"), "run.epochs=10;run.status=\"completed\";");
  EXPECT_EQ(Row("runs-metrics", "/runs/r1"), "metric.val_loss.min=0.25;");
  EXPECT_EQ(meta_->engine()->Get(RowKey("runs-meta", "/runs/r1"))->seq, seq);
  EXPECT_EQ(ByValue("runs-meta", "run.epochs"),
            (std::vector<std::string>{"/runs/r2=3", "/runs/r1=10"}));
  ASSERT_TRUE(Publish("/runs/r1/metadata.json", R"({"status": "failed", "epochs": 12})",
                      PublishMode::kReplace)
                  .ok());
  EXPECT_EQ(ByValue("runs-meta", "run.status"),
            (std::vector<std::string>{"/runs/r1=\"failed\"", "/runs/r2=\"failed\""}));
}

TEST_F(IndexTest, UncoveredAndMalformedFilesAreHandledVisibly) {
  AddRunRules();
  ASSERT_TRUE(Publish("/runs/r1/notes.txt", "hello").ok());
  ASSERT_TRUE(Publish("/other/x/metadata.json", R"({"status": "x"})").ok());
  EXPECT_EQ(Row("runs-meta", "/runs/r1"), "<none>");
  EXPECT_EQ(Row("runs-meta", "/other/x"), "<none>");
  ASSERT_TRUE(Publish("/runs/bad/metadata.json", "{not json").ok());
  EXPECT_NE(Row("runs-meta", "/runs/bad").find("_error="), std::string::npos);
}

TEST_F(IndexTest, ProblemsNameTheFilesNotIndexedAndThoseWithValuesSkipped) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Publish("/d/ok" + std::to_string(i) + ".json", R"({"n": 1})").ok());
  }
  ASSERT_TRUE(Publish("/d/bad1.json", "{not json").ok());
  ASSERT_TRUE(Publish("/d/bad2.json", "[1,").ok());
  ASSERT_TRUE(Publish("/d/big.json", R"({"n": 1, "pad": "0123456789012345678901234567"})").ok());
  ASSERT_TRUE(Publish("/d/word.json", R"({"n": "ten"})").ok());
  ASSERT_TRUE(meta_
                  ->AddIndexRule(Rule(R"({"id": "d", "root": "/d", "glob": "*.json",
      "max_body_bytes": 32, "fields": ["n:number=$.n"]})"))
                  .ok());
  auto problems = meta_->IndexRuleProblems("d", 2);
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  EXPECT_EQ(problems->not_indexed, 3u);  // two malformed, one over the limit
  ASSERT_EQ(problems->not_indexed_examples.size(), 2u) << "at most the examples asked for";
  for (const auto& e : problems->not_indexed_examples) {
    EXPECT_TRUE(e.path == "/d/bad1.json" || e.path == "/d/bad2.json" || e.path == "/d/big.json")
        << e.path;
    EXPECT_FALSE(e.message.empty());
  }
  EXPECT_EQ(problems->values_skipped, 1u);
  ASSERT_EQ(problems->values_skipped_examples.size(), 1u);
  EXPECT_EQ(problems->values_skipped_examples[0].path, "/d/word.json");
  EXPECT_NE(problems->values_skipped_examples[0].message.find("\"ten\" is not a number"),
            std::string::npos)
      << problems->values_skipped_examples[0].message;

  // Fixed files leave the count; a rule with nothing wrong has no problems.
  ASSERT_TRUE(Publish("/d/bad1.json", R"({"n": 2})", PublishMode::kReplace).ok());
  EXPECT_EQ(meta_->IndexRuleProblems("d", 2)->not_indexed, 2u);
  ASSERT_TRUE(meta_
                  ->AddIndexRule(Rule(R"({"id": "clean", "root": "/d", "glob": "ok*.json",
      "fields": ["n:number=$.n"]})"))
                  .ok());
  auto clean = meta_->IndexRuleProblems("clean", 2);
  ASSERT_TRUE(clean.ok());
  EXPECT_EQ(clean->not_indexed + clean->values_skipped, 0u);
}

TEST_F(IndexTest, RowsFollowRenamesAndRemoves) {
  AddRunRules();
  ASSERT_TRUE(Publish("/runs/r1/metadata.json", R"({"status": "ok", "epochs": 1})").ok());
  ASSERT_TRUE(meta_->Rename("/runs/r1", "/runs/r9").ok());
  EXPECT_EQ(Row("runs-meta", "/runs/r1"), "<none>");
  EXPECT_EQ(Row("runs-meta", "/runs/r9"), "run.epochs=1;run.status=\"ok\";");
  EXPECT_EQ(ByValue("runs-meta", "run.epochs"), (std::vector<std::string>{"/runs/r9=1"}));
  ASSERT_TRUE(meta_->Mkdir("/archive").ok());
  ASSERT_TRUE(meta_->Rename("/runs/r9", "/archive/r9").ok());  // leaves the rule's root
  EXPECT_EQ(Row("runs-meta", "/archive/r9"), "<none>");
  EXPECT_TRUE(ByValue("runs-meta", "run.epochs").empty());
  ASSERT_TRUE(meta_->Mkdir("/runs/r5").ok());
  ASSERT_TRUE(meta_->Rename("/archive/r9/metadata.json", "/runs/r5/metadata.json").ok());
  EXPECT_EQ(Row("runs-meta", "/runs/r5"), "run.epochs=1;run.status=\"ok\";");  // extracted
  ASSERT_TRUE(meta_->Unlink("/runs/r5/metadata.json").ok());
  EXPECT_EQ(Row("runs-meta", "/runs/r5"), "<none>");
  EXPECT_TRUE(ByValue("runs-meta", "run.status").empty());
}

TEST_F(IndexTest, AddingARuleBackfillsAndRemovingItDropsItsRows) {
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(Publish("/runs/r" + std::to_string(i) + "/metadata.json",
                        R"({"status": "done", "epochs": )" + std::to_string(i) + "}")
                    .ok());
  }
  AddRunRules();
  EXPECT_EQ(ByValue("runs-meta", "run.epochs").size(), 300u);
  EXPECT_EQ(Row("runs-meta", "/runs/r7"), "run.epochs=7;run.status=\"done\";");
  EXPECT_EQ(meta_->IndexRules().size(), 2u);
  Reopen();
  EXPECT_EQ(meta_->IndexRules().size(), 2u);  // rules are durable
  ASSERT_TRUE(meta_->RemoveIndexRule("runs-meta").ok());
  EXPECT_TRUE(ByValue("runs-meta", "run.epochs").empty());
  EXPECT_EQ(Row("runs-meta", "/runs/r7"), "<none>");
  EXPECT_EQ(meta_->RemoveIndexRule("runs-meta").code(), Code::kNotFound);
  ASSERT_TRUE(Publish("/runs/new/metadata.json", R"({"status": "x"})").ok());
  EXPECT_EQ(Row("runs-meta", "/runs/new"), "<none>");
}

TEST_F(IndexTest, ReindexRebuildsRowsFromBodies) {
  AddRunRules();
  ASSERT_TRUE(Publish("/runs/a/metadata.json", R"({"status": "s", "epochs": 5})").ok());
  // Damage the derived state behind the service's back, then rebuild it.
  holt::Batch damage;
  damage.Delete(RowKey("runs-meta", "/runs/a"));
  ASSERT_TRUE(meta_->engine()->Commit(damage).ok());
  EXPECT_EQ(Row("runs-meta", "/runs/a"), "<none>");
  ASSERT_TRUE(meta_->Reindex("runs-meta").ok());
  EXPECT_EQ(Row("runs-meta", "/runs/a"), "run.epochs=5;run.status=\"s\";");
}

TEST_F(IndexTest, BulkRowsReplaceAtomically) {
  ASSERT_TRUE(meta_
                  ->AddIndexRule(Rule(R"({"id": "etl", "root": "/data", "glob": "**",
      "fields": ["score:number=$.score"]})"))
                  .ok());
  records::Row a, b;
  a.fields["score"] = {records::TypedValue::Number(1)};
  b.fields["score"] = {records::TypedValue::Number(2)};
  ASSERT_TRUE(meta_->RegisterBulkRows("etl", {{"/data/a", a}, {"/data/b", b}}).ok());
  EXPECT_EQ(ByValue("etl", "score"), (std::vector<std::string>{"/data/a=1", "/data/b=2"}));
  ASSERT_TRUE(meta_->RegisterBulkRows("etl", {{"/data/c", b}}).ok());
  EXPECT_EQ(ByValue("etl", "score"), (std::vector<std::string>{"/data/c=2"}));
  EXPECT_EQ(meta_->RegisterBulkRows("nope", {}).code(), Code::kNotFound);
}

TEST_F(IndexTest, OversizedBodiesAreReportedNotParsed) {
  ASSERT_TRUE(meta_
                  ->AddIndexRule(Rule(R"({"id": "small", "root": "/", "glob": "*.json",
      "max_body_bytes": 8, "fields": ["v=$.v"]})"))
                  .ok());
  ASSERT_TRUE(Publish("/big.json", R"({"v": "0123456789"})").ok());
  EXPECT_NE(Row("small", "/big.json").find("index limit"), std::string::npos);
}

TEST_F(IndexTest, EachRuleAppliesItsOwnBodyLimit) {
  ASSERT_TRUE(meta_
                  ->AddIndexRule(Rule(R"({"id": "tiny", "root": "/", "glob": "*.json",
      "max_body_bytes": 4, "fields": ["v=$.v"]})"))
                  .ok());
  ASSERT_TRUE(meta_
                  ->AddIndexRule(Rule(R"({"id": "roomy", "root": "/", "glob": "*.json",
      "fields": ["v=$.v"]})"))
                  .ok());
  ASSERT_TRUE(Publish("/doc.json", R"({"v": "x"})").ok());
  EXPECT_NE(Row("tiny", "/doc.json").find("index limit"), std::string::npos);
  EXPECT_EQ(Row("roomy", "/doc.json"), "v=\"x\";");
}

}  // namespace
}  // namespace nokv::meta
