// Cursors, snapshots, evidence and result bounds: paging stays on its
// sequence while writers commit, expired cursors and generations are
// reported, and results respect their byte caps.
#include "query/text_codec.h"
#include "query_fixture.h"

namespace nokv::query::testing {
namespace {

using CursorTest = QueryTest;

std::vector<std::string> Names(const json& r) {
  std::vector<std::string> out;
  for (const auto& e : r["entries"]) out.push_back(e["name"]);
  return out;
}

TEST_F(CursorTest, PagingStaysOnTheCursorsSequenceWhileWritersCommit) {
  json first = Call("ls", {{"path", "/runs"}, {"limit", 2}});
  Put("/runs/r0/metadata.json", R"({"status": "new"})");
  Put("/runs/r6/metadata.json", R"({"status": "new"})");
  json second = Call("ls", {{"path", "/runs"}, {"limit", 2}, {"cursor", first["next_cursor"]}});
  ASSERT_EQ(Code(second), "") << second.dump();
  EXPECT_EQ(second["as_of"], first["as_of"]);
  EXPECT_EQ(Names(second), std::vector<std::string>({"r3", "r4"}));
  json third = Call("ls", {{"path", "/runs"}, {"limit", 2}, {"cursor", second["next_cursor"]}});
  EXPECT_EQ(Names(third), std::vector<std::string>({"r5"}));
  EXPECT_FALSE(third.contains("next_cursor"));
  EXPECT_EQ(Call("ls", {{"path", "/runs"}})["entry_count"], 7);

  json find = Call("find", {{"path", "/runs"}, {"fields", {"run.status"}}, {"limit", 3}});
  Put("/runs/r7/metadata.json", R"({"status": "newer"})");
  json rest = Call("find", {{"path", "/runs"},
                            {"fields", {"run.status"}},
                            {"limit", 3},
                            {"cursor", find["next_cursor"]}});
  EXPECT_EQ(rest["as_of"], find["as_of"]);
  EXPECT_EQ(rest["match_count"], 7);  // r7 came after the cursor's sequence
  EXPECT_EQ(rest["matches"].size(), 3u);
  json last = Call("find", {{"path", "/runs"},
                            {"fields", {"run.status"}},
                            {"limit", 3},
                            {"cursor", rest["next_cursor"]}});
  EXPECT_EQ(last["matches"].size(), 1u);
  EXPECT_EQ(last["matches"][0]["path"], "/runs/r6");
}

TEST_F(CursorTest, CursorsExpireWhenTheirSequenceIsNoLongerHeld) {
  json first = Call("ls", {{"path", "/runs"}, {"limit", 1}});
  for (int i = 0; i < 70; ++i) {  // more leased sequences than the table holds
    Put("/tmp/f" + std::to_string(i), "x");
    ASSERT_TRUE(Call("ls", {{"path", "/runs"}, {"limit", 1}}).contains("next_cursor"));
  }
  json r = Call("ls", {{"path", "/runs"}, {"limit", 1}, {"cursor", first["next_cursor"]}});
  EXPECT_EQ(Code(r), "cursor_expired");
  EXPECT_NE(r["error"]["hint"].get<std::string>().find("restart"), std::string::npos);
}

TEST_F(CursorTest, CursorsAreCheckedAgainstVerbAndArguments) {
  json first = Call("ls", {{"path", "/runs"}, {"limit", 1}});
  EXPECT_EQ(
      Code(Call("grep", {{"path", "/runs"}, {"pattern", "x"}, {"cursor", first["next_cursor"]}})),
      "invalid_argument");
  EXPECT_EQ(Code(Call("ls", {{"path", "/data"}, {"limit", 1}, {"cursor", first["next_cursor"]}})),
            "invalid_argument");
  EXPECT_EQ(Code(Call("ls", {{"path", "/runs"}, {"cursor", "!!!"}})), "invalid_argument");
  // A different page size is fine.
  EXPECT_EQ(Code(Call("ls", {{"path", "/runs"}, {"limit", 3}, {"cursor", first["next_cursor"]}})),
            "");
}

TEST_F(CursorTest, SnapshotsFreezeEveryVerb) {
  ASSERT_TRUE(meta_->CreateSnapshot("before", "/runs").ok());
  Put("/runs/r1/metadata.json", R"({"status": "archived", "script": "train.py"})");
  json pred = {{{"field", "run.status"}, {"op", "eq"}, {"value", "completed"}}};
  json now = Call("find", {{"path", "/runs"}, {"predicates", pred}});
  json then = Call("find", {{"path", "/runs"}, {"predicates", pred}, {"snapshot", "before"}});
  EXPECT_EQ(now["match_count"], 1);
  EXPECT_EQ(then["match_count"], 2);
  EXPECT_EQ(then["snapshot"], "before");
  EXPECT_LT(then["as_of"].get<uint64_t>(), now["as_of"].get<uint64_t>());
  EXPECT_EQ(Code(Call("ls", {{"path", "/data"}, {"snapshot", "before"}})), "not_found");
  json missing = Call("ls", {{"path", "/"}, {"snapshot", "nope"}});
  EXPECT_EQ(Code(missing), "not_found");
  EXPECT_FALSE(missing["error"]["hint"].get<std::string>().empty());
  ServiceOptions options;
  options.snapshot = "before";
  Service frozen(meta_.get(), &store_, &pool_, options);
  EXPECT_EQ(frozen.Call("stat", {{"path", "/runs/r1"}})["snapshot"], "before");
  // A frozen view stays frozen: no request and no cursor reads past it.
  for (const json& args : {json{{"path", "/runs/r1"}, {"snapshot", ""}},
                           json{{"path", "/runs/r1"}, {"snapshot", "other"}}}) {
    json escaped = frozen.Call("stat", args);
    EXPECT_EQ(Code(escaped), "invalid_argument") << escaped.dump();
  }
  EXPECT_EQ(Code(Call("stat", {{"path", "/runs/r1"}, {"snapshot", ""}})), "invalid_argument");
  json live = Call("ls", {{"path", "/runs"}, {"limit", 1}});
  ASSERT_TRUE(live.contains("next_cursor")) << live.dump();
  json crossed =
      frozen.Call("ls", {{"path", "/runs"}, {"limit", 1}, {"cursor", live["next_cursor"]}});
  EXPECT_EQ(Code(crossed), "invalid_argument") << crossed.dump();
}

// A cursor whose position was altered (valid framing, wrong shape inside)
// is a malformed cursor, never an internal error quoting the JSON library.
TEST_F(CursorTest, ForgedCursorPositionsAreMalformedCursors) {
  json first = Call("ls", {{"path", "/runs"}, {"limit", 1}});
  ASSERT_TRUE(first.contains("next_cursor")) << first.dump();
  auto bytes = Base64UrlDecode(first["next_cursor"].get<std::string>());
  ASSERT_TRUE(bytes);
  json inner = json::parse(*bytes);
  for (const json& forged : {json("x"), json::array({1, 2}), json(42), json{{"a", 7}}}) {
    inner["p"] = forged;
    json r =
        Call("ls", {{"path", "/runs"}, {"limit", 1}, {"cursor", Base64UrlEncode(inner.dump())}});
    EXPECT_EQ(Code(r), "invalid_argument") << r.dump();
    EXPECT_EQ(r.dump().find("json.exception"), std::string::npos) << r.dump();
  }
}

TEST_F(CursorTest, EvidenceReadsItsGenerationUntilItIsGone) {
  json card = Call("stat", {{"path", "/runs/r1/stdout.log"}});
  std::string evidence = card["evidence"].get<std::string>() + "#L2";
  ASSERT_TRUE(meta_->CreateSnapshot("keep", "/runs/r1").ok());
  Put("/runs/r1/stdout.log", "rewritten\n");
  json old = Call("read", {{"evidence", evidence}});
  ASSERT_EQ(Code(old), "") << old.dump();
  EXPECT_EQ(old["lines"], json::parse(R"([{"line": 2, "text": "epoch 1 done"}])"));
  EXPECT_EQ(old["generation"], card["generation"]);
  ASSERT_TRUE(meta_->RetireSnapshot("keep").ok());
  ASSERT_TRUE(meta_->CollectGarbage().ok());
  json gone = Call("read", {{"evidence", evidence}});
  EXPECT_EQ(Code(gone), "generation_gone");
  EXPECT_NE(gone["error"]["hint"].get<std::string>().find("@generation:"), std::string::npos);
  json current =
      Call("read", {{"evidence", Call("stat", {{"path", "/runs/r1/stdout.log"}})["evidence"]}});
  EXPECT_EQ(current["lines"][0]["text"], "rewritten");
}

TEST_F(CursorTest, ResultsStayUnderTheirByteCap) {
  json args = {{"path", "/data/big.txt"},
               {"pattern", "line"},
               {"limit", 1000},
               {"max_per_file", 1000},
               {"max_result_bytes", 2048}};
  json r = Call("grep", args);
  ASSERT_EQ(Code(r), "") << r.dump();
  EXPECT_TRUE(r["truncated"].get<bool>());
  EXPECT_LE(r.dump().size(), 2048u);
  ASSERT_FALSE(r["matches"].empty());
  int last = r["matches"].back()["line"];
  args["cursor"] = r["next_cursor"];
  json next = Call("grep", args);
  EXPECT_EQ(next["matches"][0]["line"], last + 1);
  json small = Call("ls", {{"path", "/runs/r1"}, {"max_result_bytes", 1024}});
  EXPECT_LE(small.dump().size(), 1024u);
  EXPECT_FALSE(small["entries"].empty());
}

}  // namespace
}  // namespace nokv::query::testing
