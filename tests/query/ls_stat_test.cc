// ls and stat on the fixed workspace, plus argument validation shared by
// every verb (paths, unknown keys, scope).
#include "query_fixture.h"

namespace nokv::query::testing {
namespace {

using LsStatTest = QueryTest;

TEST_F(LsStatTest, LsListsChildrenInNameOrderWithTotals) {
  json r = Call("ls", {{"path", "/runs"}});
  ASSERT_EQ(Code(r), "") << r.dump();
  EXPECT_EQ(r["entry_count"], 5);
  ASSERT_EQ(r["entries"].size(), 5u);
  EXPECT_EQ(r["entries"][0]["name"], "r1");
  EXPECT_EQ(r["entries"][0]["kind"], "directory");
  EXPECT_EQ(r["entries"][0]["entry_count"], 4);
  EXPECT_GT(r["as_of"].get<uint64_t>(), 0u);
  EXPECT_FALSE(r.contains("next_cursor"));
}

TEST_F(LsStatTest, LsPagesWithCursorAndFiltersByKind) {
  json first = Call("ls", {{"path", "/runs/r2"}, {"limit", 2}});
  ASSERT_EQ(first["entries"].size(), 2u);
  ASSERT_TRUE(first.contains("next_cursor"));
  json second = Call("ls", {{"path", "/runs/r2"}, {"limit", 2}, {"cursor", first["next_cursor"]}});
  ASSERT_EQ(Code(second), "") << second.dump();
  EXPECT_EQ(second["entries"][0]["name"], "params.yaml");
  EXPECT_EQ(second["as_of"], first["as_of"]);
  json files = Call("ls", {{"path", "/"}, {"kind", "directory"}});
  EXPECT_EQ(files["entries"].size(), 2u);
  json bad = Call("ls", {{"path", "/"}, {"kind", "dir"}});
  EXPECT_EQ(Code(bad), "invalid_argument");
}

TEST_F(LsStatTest, LsOfAFileIsNotADirectory) {
  json r = Call("ls", {{"path", "/data/big.txt"}});
  EXPECT_EQ(Code(r), "not_a_directory");
  EXPECT_FALSE(r["error"]["hint"].get<std::string>().empty());
}

TEST_F(LsStatTest, PathsAreNormalizedAndValidated) {
  EXPECT_EQ(Code(Call("ls", {{"path", "//runs/./r1/"}})), "");
  json rel = Call("ls", {{"path", "runs"}});
  EXPECT_EQ(Code(rel), "invalid_argument");
  EXPECT_NE(rel["error"]["hint"].get<std::string>().find("'/'"), std::string::npos);
  EXPECT_EQ(Code(Call("ls", {{"path", "/runs/../data"}})), "invalid_argument");
  EXPECT_EQ(Code(Call("ls", {{"path", "/" + std::string(300, 'x')}})), "invalid_argument");
  EXPECT_EQ(Code(Call("ls", {{"path", std::string("/a\0b", 4)}})), "invalid_argument");
  json missing = Call("stat", {{"path", "/runs/r9"}});
  EXPECT_EQ(Code(missing), "not_found");
  EXPECT_FALSE(missing["error"]["hint"].get<std::string>().empty());
}

TEST_F(LsStatTest, UnknownArgumentsAndVerbsGetSuggestions) {
  json r = Call("ls", {{"path", "/"}, {"limt", 3}});
  EXPECT_EQ(Code(r), "invalid_argument");
  EXPECT_EQ(r["error"]["hint"], "did you mean 'limit'?");
  json verb = Call("finds", {{"path", "/"}});
  EXPECT_EQ(verb["error"]["hint"], "did you mean 'find'?");
  EXPECT_EQ(Code(Call("ls", json::array())), "invalid_argument");
  EXPECT_EQ(Code(Call("ls", {{"path", 3}})), "invalid_argument");
  EXPECT_EQ(Code(Call("ls", {{"path", "/"}, {"limit", 0}})), "invalid_argument");
}

TEST_F(LsStatTest, RootConfinesEveryVerb) {
  ServiceOptions options;
  options.root = "/runs";
  Service scoped(meta_.get(), &store_, &pool_, options);
  EXPECT_EQ(Code(scoped.Call("ls", {{"path", "/runs/r1"}})), "");
  json outside = scoped.Call("stat", {{"path", "/data/big.txt"}});
  EXPECT_EQ(Code(outside), "not_found");
  EXPECT_NE(outside["error"]["hint"].get<std::string>().find("/runs"), std::string::npos);
  EXPECT_EQ(Code(scoped.Call("grep", {{"path", "/"}, {"pattern", "x"}})), "not_found");
}

TEST_F(LsStatTest, StatSummarizesStructuredFiles) {
  json r = Call("stat", {{"path", "/data/table.csv"}});
  ASSERT_EQ(Code(r), "") << r.dump();
  EXPECT_EQ(r["kind"], "file");
  EXPECT_EQ(r["record_type"], "csv");
  EXPECT_EQ(r["record_count"], 3);
  EXPECT_EQ(r["schema"], json({"name", "ok", "score"}));
  EXPECT_EQ(r["sample"].size(), 3u);
  EXPECT_EQ(r["body"]["content_type"], "text/plain");
  EXPECT_EQ(r["body"]["digest"].get<std::string>().substr(0, 7), "sha256:");
  EXPECT_EQ(r["evidence"], "nokv-native:///data/table.csv@generation:" +
                               std::to_string(r["generation"].get<uint64_t>()));
}

TEST_F(LsStatTest, StatNamesTheKindOfBodyDigest) {
  // One block: the body's plain SHA-256 (what sha256sum prints).
  json small = Call("stat", {{"path", "/data/table.csv"}});
  auto small_attr = meta_->Stat("/data/table.csv");
  ASSERT_TRUE(small_attr.ok());
  auto small_manifest = meta_->GetManifest(small_attr->inode, small_attr->generation);
  ASSERT_TRUE(small_manifest.ok());
  ASSERT_EQ(small_manifest->layout.blocks.size(), 1u);
  std::string whole = store_.Get(object::BlockKey(small_manifest->layout.blocks[0].digest)).value();
  EXPECT_EQ(small["body"]["digest"], "sha256:" + DigestHex(Sha256::Of(whole)));
  // Several blocks: the block-list digest, labelled as such.
  json big = Call("stat", {{"path", "/data/big.txt"}});
  ASSERT_EQ(Code(big), "") << big.dump();
  auto attr = meta_->Stat("/data/big.txt");
  ASSERT_TRUE(attr.ok());
  auto manifest = meta_->GetManifest(attr->inode, attr->generation);
  ASSERT_TRUE(manifest.ok());
  ASSERT_GT(manifest->layout.blocks.size(), 1u);
  EXPECT_EQ(big["body"]["digest"],
            "sha256-blocks:" +
                DigestHex(object::BlockListDigest(manifest->layout.size, manifest->layout.blocks)));
}

TEST_F(LsStatTest, StatOfMalformedStructuredFileReportsParseError) {
  json r = Call("stat", {{"path", "/data/bad.json"}});
  ASSERT_EQ(Code(r), "") << r.dump();
  EXPECT_EQ(r["record_type"], "text");
  EXPECT_TRUE(r.contains("parse_error"));
}

TEST_F(LsStatTest, StatShowsTheCoveringIndexRowAndDirectoryCatalog) {
  json file = Call("stat", {{"path", "/runs/r1/metadata.json"}});
  ASSERT_TRUE(file.contains("indexed_values")) << file.dump();
  EXPECT_EQ(file["indexed_values"]["row"], "/runs/r1");
  EXPECT_EQ(file["indexed_values"]["values"]["run.status"], "completed");
  EXPECT_EQ(file["indexed_values"]["values"]["param.lr"], 0.001);
  json dir = Call("stat", {{"path", "/runs"}});
  EXPECT_EQ(dir["kind"], "directory");
  EXPECT_EQ(dir["entry_count"], 5);
  auto ids = dir["catalog"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(ids.begin(), ids.end(), "run.status"), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), "param.optimizer.name"), ids.end());
}

}  // namespace
}  // namespace nokv::query::testing
