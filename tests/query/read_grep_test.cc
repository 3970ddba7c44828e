// read and grep on the fixed workspace.
#include <atomic>
#include <set>

#include "query/text_codec.h"
#include "query_fixture.h"

namespace nokv::query::testing {
namespace {

using ReadTest = QueryTest;
using GrepTest = QueryTest;

TEST_F(ReadTest, StructuredFilesReadAsRecords) {
  json r = Call("read", {{"path", "/runs/r1/metrics.jsonl"}});
  ASSERT_EQ(Code(r), "") << r.dump();
  EXPECT_EQ(r["format"], "structured");
  EXPECT_EQ(r["record_type"], "jsonl");
  EXPECT_EQ(r["record_count"], 3);
  EXPECT_EQ(r["records"][0]["step"], 1);
  json page = Call("read", {{"path", "/data/table.csv"}, {"offset", 1}, {"limit", 1}});
  EXPECT_EQ(page["records"][0]["name"], "beta");
  EXPECT_EQ(page["evidence"], "nokv-native:///data/table.csv@generation:" +
                                  std::to_string(page["generation"].get<uint64_t>()) + "#item:1");
  ASSERT_TRUE(page.contains("next_cursor"));
  json next = Call(
      "read",
      {{"path", "/data/table.csv"}, {"offset", 1}, {"limit", 1}, {"cursor", page["next_cursor"]}});
  EXPECT_EQ(next["records"][0]["name"], "gamma, the third");
}

TEST_F(ReadTest, MalformedStructuredFileFallsBackToText) {
  json r = Call("read", {{"path", "/data/bad.json"}});
  EXPECT_EQ(r["format"], "text");
  EXPECT_TRUE(r.contains("parse_error"));
  EXPECT_EQ(Code(Call("read", {{"path", "/data/bad.json"}, {"format", "structured"}})),
            "invalid_argument");
}

TEST_F(ReadTest, TextIsNumberedLinesPagedAcrossAHugeFile) {
  json r = Call("read", {{"path", "/data/big.txt"}, {"lines", "49998-50005"}});
  ASSERT_EQ(Code(r), "") << r.dump();
  ASSERT_EQ(r["lines"].size(), 3u);
  EXPECT_EQ(r["lines"][0]["line"], 49998);
  EXPECT_EQ(r["lines"][2]["text"], BigLine(50000));
  EXPECT_TRUE(r["eof"].get<bool>());
  EXPECT_NE(r["evidence"].get<std::string>().find("#L49998-L50000"), std::string::npos);
  json first = Call("read", {{"path", "/data/big.txt"}, {"limit", 2}});
  ASSERT_TRUE(first.contains("next_cursor"));
  EXPECT_FALSE(first.contains("eof"));
  json second =
      Call("read", {{"path", "/data/big.txt"}, {"limit", 2}, {"cursor", first["next_cursor"]}});
  EXPECT_EQ(second["lines"][0]["line"], 3);
  EXPECT_EQ(second["lines"][0]["text"], BigLine(3));
}

TEST_F(ReadTest, BytesAreUtf8WhenValidElseBase64) {
  json bin = Call("read", {{"path", "/data/blob.bin"}});
  EXPECT_EQ(bin["format"], "bytes");
  EXPECT_EQ(bin["encoding"], "base64");
  EXPECT_EQ(bin["length"], 27);
  json text = Call("read", {{"path", "/runs/r1/stdout.log"}, {"format", "bytes"}, {"limit", 8}});
  EXPECT_EQ(text["encoding"], "utf8");
  EXPECT_EQ(text["data"], "starting");
  ASSERT_TRUE(text.contains("next_cursor"));
  json rest = Call("read", {{"path", "/runs/r1/stdout.log"},
                            {"format", "bytes"},
                            {"limit", 8},
                            {"cursor", text["next_cursor"]}});
  EXPECT_EQ(rest["offset"], 8);
}

TEST_F(ReadTest, ImagesComeWholeAsBase64WithTheirMediaType) {
  std::string png("\x89PNG\r\n\x1a\n", 8);
  for (int i = 0; i < 20000; ++i) png += static_cast<char>(i * 7);
  Put("/plots/loss.PNG", png, 4096);  // several blocks; the extension in any case
  json image = Call("read", {{"path", "/plots/loss.PNG"}});
  ASSERT_EQ(Code(image), "") << image.dump().substr(0, 300);
  EXPECT_EQ(image["format"], "image");
  EXPECT_EQ(image["media_type"], "image/png");
  EXPECT_EQ(image["encoding"], "base64");
  EXPECT_EQ(image["length"], png.size());
  EXPECT_EQ(image["data"], Base64Encode(png)) << "the whole image, over the 64 KiB default";
  EXPECT_FALSE(image.contains("next_cursor"));

  // Bounded: too big for the budget is too_large, never half an image.
  json small = Call("read", {{"path", "/plots/loss.PNG"}, {"max_result_bytes", 16384}});
  EXPECT_EQ(Code(small), "too_large") << small.dump().substr(0, 300);
  Put("/plots/huge.png", std::string(900 * 1024, 'x'));
  EXPECT_EQ(Code(Call("read", {{"path", "/plots/huge.png"}})), "too_large");
  // ... which can still be paged as bytes.
  json page = Call("read", {{"path", "/plots/huge.png"}, {"format", "bytes"}, {"limit", 10}});
  EXPECT_EQ(page["format"], "bytes");
  json at = Call("read", {{"path", "/plots/loss.PNG"}, {"offset", 8}, {"limit", 4}});
  EXPECT_EQ(at["format"], "bytes") << "an offset asks for bytes";
  EXPECT_EQ(Code(Call("read", {{"path", "/runs/r1/stdout.log"}, {"format", "image"}})),
            "invalid_argument");
}

// A damaged block is reported by every read format and by grep; the agent
// never sees its bytes.
TEST_F(ReadTest, DamagedBlocksAreReportedNotServed) {
  std::string body;
  for (int i = 0; i < 400; ++i) body += "line " + std::to_string(i) + " secret\n";
  Put("/damaged.log", body, 1024);
  // Replace the second block's object with same-length damaged bytes.
  auto attr = meta_->Stat("/damaged.log");
  ASSERT_TRUE(attr.ok());
  auto manifest = meta_->GetManifest(attr->inode, attr->generation);
  ASSERT_TRUE(manifest.ok());
  std::string key = object::BlockKey(manifest->layout.blocks[1].digest);
  std::string damaged = body.substr(1024, 1024);
  damaged[10] ^= 0x20;
  ASSERT_TRUE(store_.Put(key, damaged).ok());
  for (const json& args :
       {json{{"path", "/damaged.log"}},
        json{{"path", "/damaged.log"}, {"format", "bytes"}, {"offset", 1030}, {"limit", 8}},
        json{{"path", "/damaged.log"}, {"format", "text"}, {"offset", 75}, {"limit", 5}}}) {
    SCOPED_TRACE(args.dump());
    json result = Call("read", args);
    ASSERT_TRUE(result.contains("error")) << result.dump();
    EXPECT_EQ(result.dump().find(damaged.substr(0, 16)), std::string::npos);
  }
  json grep = Call("grep", {{"pattern", "secret"}, {"path", "/damaged.log"}});
  EXPECT_EQ(grep.dump().find(damaged.substr(0, 16)), std::string::npos) << grep.dump();
}

TEST_F(ReadTest, DirectoriesAreNotFilesAndArgumentsAreChecked) {
  EXPECT_EQ(Code(Call("read", {{"path", "/runs"}})), "not_a_file");
  EXPECT_EQ(Code(Call("read", json::object())), "invalid_argument");
  EXPECT_EQ(Code(Call("read", {{"path", "/data/big.txt"}, {"lines", "5-2"}})), "invalid_argument");
  EXPECT_EQ(Code(Call("read", {{"path", "/data/big.txt"}, {"format", "xml"}})), "invalid_argument");
  EXPECT_EQ(Code(Call("read", {{"evidence", "http://x"}})), "invalid_argument");
}

TEST_F(ReadTest, ItemEvidenceRoundTripsAndHugeStructuredBodiesAreTooLarge) {
  json page = Call("read", {{"path", "/data/table.csv"}, {"offset", 2}, {"limit", 1}});
  json item = Call("read", {{"evidence", page["evidence"]}});
  ASSERT_EQ(Code(item), "") << item.dump();
  EXPECT_EQ(item["records"], page["records"]);
  std::string huge;
  while (huge.size() <= (5u << 20)) huge += "{\"k\": \"" + std::string(100, 'v') + "\"}\n";
  Put("/data/huge.jsonl", huge, 1 << 20);
  json r = Call("read", {{"path", "/data/huge.jsonl"}, {"format", "structured"}});
  EXPECT_EQ(Code(r), "too_large");
  EXPECT_FALSE(r["error"]["hint"].get<std::string>().empty());
  EXPECT_EQ(Call("read", {{"path", "/data/huge.jsonl"}, {"limit", 1}})["format"], "text");
  EXPECT_TRUE(Call("stat", {{"path", "/data/huge.jsonl"}}).contains("summary_skipped"));
}

TEST_F(ReadTest, ResultSizeCapTruncatesWithCursor) {
  json r = Call("read", {{"path", "/data/big.txt"}, {"limit", 5000}, {"max_result_bytes", 4096}});
  ASSERT_EQ(Code(r), "") << r.dump();
  EXPECT_TRUE(r["truncated"].get<bool>());
  EXPECT_LE(r.dump().size(), 4096u);
  ASSERT_TRUE(r.contains("next_cursor"));
  uint64_t last = r["lines"].back()["line"];
  json next = Call("read", {{"path", "/data/big.txt"},
                            {"limit", 5000},
                            {"max_result_bytes", 4096},
                            {"cursor", r["next_cursor"]}});
  EXPECT_EQ(next["lines"][0]["line"], last + 1);
  EXPECT_EQ(Code(Call("read", {{"path", "/data/big.txt"}, {"max_result_bytes", 1 << 21}})),
            "invalid_argument");
}

TEST_F(ReadTest, TheLastLinesAndTheLineCountInOneCall) {
  json r = Call("read", {{"path", "/data/big.txt"}, {"tail", 3}});
  ASSERT_EQ(Code(r), "") << r.dump();
  EXPECT_EQ(r["line_count"], kBigLines);
  ASSERT_EQ(r["lines"].size(), 3u);
  EXPECT_EQ(r["lines"][0]["line"], kBigLines - 2);
  EXPECT_EQ(r["lines"][2]["text"], BigLine(kBigLines));
  EXPECT_TRUE(r["eof"].get<bool>());
  EXPECT_FALSE(r.contains("next_cursor"));
  // The evidence of the page reads back the same lines.
  json again = Call("read", {{"evidence", r["evidence"]}});
  EXPECT_EQ(again["lines"], r["lines"]);
  // More lines than the file has; a record file read as its text lines.
  json all = Call("read", {{"path", "/runs/r1/stdout.log"}, {"tail", 10}});
  EXPECT_EQ(all["line_count"], 3);
  EXPECT_EQ(all["lines"].size(), 3u);
  json metrics = Call("read", {{"path", "/runs/r1/metrics.jsonl"}, {"tail", 1}});
  EXPECT_EQ(metrics["format"], "text");
  EXPECT_EQ(metrics["lines"][0]["line"], 3);
  // A tail cut by the size cap continues with its cursor to the end.
  json args = {{"path", "/data/big.txt"}, {"tail", 400}, {"max_result_bytes", 4096}};
  json first = Call("read", args);
  ASSERT_TRUE(first["truncated"].get<bool>()) << first.dump();
  EXPECT_EQ(first["lines"][0]["line"], kBigLines - 399);
  args["cursor"] = first["next_cursor"];
  json next = Call("read", args);
  EXPECT_EQ(next["lines"][0]["line"], first["lines"].back()["line"].get<int>() + 1);
  for (const json& bad : {json{{"path", "/data/big.txt"}, {"tail", 3}, {"lines", "1-2"}},
                          json{{"path", "/data/big.txt"}, {"tail", 3}, {"format", "bytes"}},
                          json{{"path", "/data/big.txt"}, {"tail", 0}}}) {
    EXPECT_EQ(Code(Call("read", bad)), "invalid_argument") << bad.dump();
  }
}

TEST_F(GrepTest, LiteralCaseInsensitiveRecursiveWithEvidence) {
  json r = Call("grep", {{"path", "/runs"}, {"pattern", "runtimeerror: cuda"}});
  ASSERT_EQ(Code(r), "") << r.dump();
  ASSERT_EQ(r["matches"].size(), 1u);
  EXPECT_EQ(r["matches"][0]["path"], "/runs/r2/stderr.log");
  EXPECT_EQ(r["matches"][0]["line"], 4);
  EXPECT_NE(r["matches"][0]["evidence"].get<std::string>().find("#L4"), std::string::npos);
  EXPECT_GT(r["files_scanned"].get<int>(), 10);
  EXPECT_GT(r["bytes_scanned"].get<int>(), 0);
  // The evidence reads back exactly that line.
  json line = Call("read", {{"evidence", r["matches"][0]["evidence"]}});
  ASSERT_EQ(Code(line), "") << line.dump();
  EXPECT_EQ(line["lines"][0]["text"], "RuntimeError: CUDA out of memory");
  EXPECT_EQ(line["lines"].size(), 1u);
}

TEST_F(GrepTest, LiteralEscapesRegexAndRegexModeWorks) {
  EXPECT_EQ(Call("grep", {{"path", "/runs"}, {"pattern", "main()"}})["matches"].size(), 1u);
  json re = Call("grep", {{"path", "/runs"}, {"pattern", "epoch \\d+ done"}, {"regex", true}});
  EXPECT_EQ(re["matches"].size(), 5u);
  json cs = Call("grep", {{"path", "/runs"}, {"pattern", "TRACEBACK"}, {"case_sensitive", true}});
  EXPECT_EQ(cs["matches"].size(), 0u);
  json bad = Call("grep", {{"path", "/runs"}, {"pattern", "(unclosed"}, {"regex", true}});
  EXPECT_EQ(Code(bad), "invalid_argument");
  EXPECT_FALSE(bad["error"]["hint"].get<std::string>().empty());
}

TEST_F(GrepTest, ContextGlobAndPerFileCap) {
  json r = Call("grep", {{"path", "/runs"}, {"pattern", "main()"}, {"context", 1}});
  ASSERT_EQ(r["matches"].size(), 1u);
  EXPECT_EQ(r["matches"][0]["before"], json({"  File \"train.py\", line 42, in <module>"}));
  EXPECT_EQ(r["matches"][0]["after"], json({"RuntimeError: CUDA out of memory"}));
  json logs =
      Call("grep", {{"path", "/"}, {"pattern", "e"}, {"glob", "stdout.log"}, {"max_per_file", 1}});
  EXPECT_EQ(logs["matches"].size(), 5u);
  json rel = Call("grep", {{"path", "/runs"}, {"pattern", "finished"}, {"glob", "r3/*.log"}});
  EXPECT_EQ(rel["matches"].size(), 1u);
}

TEST_F(GrepTest, BinaryFilesAreSkippedAndLongLinesClipped) {
  json r = Call("grep", {{"path", "/data"}, {"pattern", "error"}});
  EXPECT_EQ(r["binary_skipped"], 1);
  EXPECT_EQ(r["matches"].size(), 0u);
  json lng = Call("grep", {{"path", "/data/long.txt"}, {"pattern", "needle"}});
  ASSERT_EQ(lng["matches"].size(), 1u);
  EXPECT_TRUE(lng["matches"][0]["clipped"].get<bool>());
  EXPECT_LE(lng["matches"][0]["text"].get<std::string>().size(), 410u);
  EXPECT_NE(lng["matches"][0]["text"].get<std::string>().find("NEEDLE"), std::string::npos);
  EXPECT_EQ(lng["matches"][0]["column"], 3002);
}

TEST_F(GrepTest, PagesThroughManyMatchesWithCursor) {
  json args = {
      {"path", "/data/big.txt"}, {"pattern", "checkpoint"}, {"limit", 20}, {"max_per_file", 1000}};
  json first = Call("grep", args);
  ASSERT_EQ(first["matches"].size(), 20u);
  args["cursor"] = first["next_cursor"];
  json second = Call("grep", args);
  ASSERT_EQ(Code(second), "") << second.dump();
  EXPECT_EQ(second["matches"][0]["line"], 21000);
  args["cursor"] = second["next_cursor"];
  json third = Call("grep", args);
  EXPECT_EQ(third["matches"].size(), 10u);
  EXPECT_FALSE(third.contains("next_cursor"));
}

TEST_F(GrepTest, CancellationStopsTheScan) {
  std::atomic<bool> cancelled{true};
  CallControl control;
  control.cancelled = &cancelled;
  EXPECT_EQ(Code(Call("grep", {{"path", "/"}, {"pattern", "zzz"}}, control)), "cancelled");
  std::atomic<bool> later{false};
  int calls = 0;
  control.cancelled = &later;
  control.progress = [&](uint64_t, uint64_t, std::string_view) {
    if (++calls == 3) later = true;
  };
  EXPECT_EQ(Code(Call("grep", {{"path", "/"}, {"pattern", "zzz"}}, control)), "cancelled");
}

TEST_F(GrepTest, TheLastMatchesOfEachFileWithTheirOwnContext) {
  json r = Call("grep", {{"path", "/data/big.txt"},
                         {"pattern", "checkpoint"},
                         {"from_end", 3},
                         {"context_before", 1},
                         {"context_after", 1}});
  ASSERT_EQ(Code(r), "") << r.dump();
  ASSERT_EQ(r["matches"].size(), 3u);
  EXPECT_EQ(r["matches"][0]["line"], 48000);
  EXPECT_EQ(r["matches"][2]["line"], 50000);
  EXPECT_EQ(r["matches"][0]["before"], json({BigLine(47999)}));
  EXPECT_EQ(r["matches"][0]["after"], json({BigLine(48001)}));
  EXPECT_FALSE(r["matches"][2].contains("after"));  // the file ends there
  // Only one side of context.
  json before_only = Call("grep", {{"path", "/data/big.txt"},
                                   {"pattern", "checkpoint"},
                                   {"from_end", 1},
                                   {"context_before", 2}});
  EXPECT_EQ(before_only["matches"][0]["before"], json({BigLine(49998), BigLine(49999)}));
  EXPECT_FALSE(before_only["matches"][0].contains("after"));
  // One per file across a tree, and pages that split a file's last matches.
  json per_run =
      Call("grep", {{"path", "/runs"}, {"pattern", "o"}, {"glob", "stdout.log"}, {"from_end", 1}});
  ASSERT_EQ(per_run["matches"].size(), 5u);
  for (const json& m : per_run["matches"]) EXPECT_EQ(m["line"], 2) << m.dump();  // "epoch 1 done"
  json args = {{"path", "/data/big.txt"}, {"pattern", "checkpoint"}, {"from_end", 3}, {"limit", 2}};
  json first = Call("grep", args);
  ASSERT_EQ(first["matches"].size(), 2u);
  args["cursor"] = first["next_cursor"];
  json second = Call("grep", args);
  ASSERT_EQ(second["matches"].size(), 1u);
  EXPECT_EQ(second["matches"][0]["line"], 50000);
  EXPECT_FALSE(second.contains("next_cursor"));
}

TEST_F(GrepTest, CountOnlyGivesMatchesPerFilePaged) {
  json r = Call("grep", {{"path", "/"}, {"pattern", "checkpoint saved"}, {"count_only", true}});
  ASSERT_EQ(Code(r), "") << r.dump();
  EXPECT_FALSE(r.contains("matches"));
  ASSERT_EQ(r["counts"].size(), 1u);
  EXPECT_EQ(r["counts"][0]["path"], "/data/big.txt");
  EXPECT_EQ(r["counts"][0]["count"], 50);
  // The count's evidence names the version counted; read accepts it.
  EXPECT_EQ(Code(Call("read", {{"evidence", r["counts"][0]["evidence"]}})), "");
  json args = {{"path", "/runs"}, {"pattern", "done"}, {"count_only", true}, {"limit", 2}};
  std::set<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    json got = Call("grep", args);
    ASSERT_EQ(Code(got), "") << got.dump();
    for (const json& c : got["counts"]) {
      EXPECT_EQ(c["count"], 1);
      EXPECT_TRUE(seen.insert(c["path"].get<std::string>()).second) << c.dump();
    }
    if (!got.contains("next_cursor")) break;
    args["cursor"] = got["next_cursor"];
  }
  EXPECT_EQ(seen.size(), 5u);  // one stdout.log per run, each once
}

TEST_F(GrepTest, AListOfPathsIsSearchedInOrderAcrossPages) {
  json args = {{"paths", {"/runs/r2/stderr.log", "/data/big.txt", "/runs/r3"}},
               {"pattern", "o"},
               {"max_per_file", 1},
               {"limit", 1}};
  std::vector<std::string> files;
  for (int page = 0; page < 10; ++page) {
    json got = Call("grep", args);
    ASSERT_EQ(Code(got), "") << got.dump();
    for (const json& m : got["matches"]) files.push_back(m["path"]);
    if (!got.contains("next_cursor")) break;
    args["cursor"] = got["next_cursor"];
  }
  std::vector<std::string> want = {"/runs/r2/stderr.log",    "/data/big.txt",
                                   "/runs/r3/metadata.json", "/runs/r3/metrics.jsonl",
                                   "/runs/r3/params.yaml",   "/runs/r3/stdout.log"};
  EXPECT_EQ(files, want);
  EXPECT_EQ(Code(Call("grep", {{"paths", {"/runs", "/missing"}}, {"pattern", "x"}})), "not_found");
}

TEST_F(GrepTest, ConflictingArgumentsAndAnEmptyGlobAreExplained) {
  for (const json& bad :
       {json{{"path", "/runs"}, {"paths", {"/data"}}, {"pattern", "x"}},
        json{{"paths", json::array()}, {"pattern", "x"}}, json{{"pattern", "x"}},
        json{{"path", "/runs"}, {"pattern", "x"}, {"from_end", 2}, {"max_per_file", 3}},
        json{{"path", "/runs"}, {"pattern", "x"}, {"count_only", true}, {"context", 1}},
        json{{"path", "/runs"}, {"pattern", "x"}, {"context_after", 11}}}) {
    EXPECT_EQ(Code(Call("grep", bad)), "invalid_argument") << bad.dump();
  }
  json none = Call("grep", {{"path", "/runs"}, {"pattern", "e"}, {"glob", "*.nope"}});
  ASSERT_EQ(Code(none), "") << none.dump();
  EXPECT_TRUE(none["matches"].empty());
  EXPECT_NE(none.value("hint", "").find("matched no file"), std::string::npos) << none.dump();
  json some = Call("grep", {{"path", "/runs"}, {"pattern", "zzz"}, {"glob", "*.log"}});
  EXPECT_FALSE(some.contains("hint")) << some.dump();
}

}  // namespace
}  // namespace nokv::query::testing
