// The direct MessagePack forms of the hot values and methods
// (server/fast_codec.h, fast_methods.cc) against the JSON codec they stand
// in for: the same values both ways, the same answers for the same payloads
// (errors included), and a refusal, not a guess, for anything out of shape.
#include "server/fast_codec.h"

#include <gtest/gtest.h>

#include "memory_fs.h"
#include "rpc/payload.h"
#include "server/batch.h"
#include "server/codec.h"
#include "server/methods.h"
#include "test_dir.h"

namespace nokv::server {
namespace {

meta::Attr FullAttr() {
  meta::Attr a;
  a.inode = 1ull << 40;
  a.type = meta::FileType::kSymlink;
  a.mode = 0755;
  a.uid = 70000;
  a.gid = 5;
  a.nlink = 3;
  a.size = 1ull << 33;
  a.mtime_ns = -12345678901;
  a.ctime_ns = 1700000000000000000;
  a.generation = 42;
  a.child_count = 7;
  a.symlink_target = std::string(300, 't');
  a.parent = 9;
  a.name = "name with \xff bytes";
  return a;
}

template <typename T>
std::string Written(void (*write)(rpc::MsgWriter&, const T&), const T& value) {
  std::string out;
  rpc::MsgWriter w(&out);
  write(w, value);
  return out;
}

TEST(FastCodecTest, AttrsWrittenDirectlyDecodeWithTheJsonCodecAndBack) {
  for (const meta::Attr& attr : {FullAttr(), meta::Attr{}}) {
    std::string direct = Written(WriteAttr, attr);
    auto json = rpc::DecodePayload(direct);
    ASSERT_TRUE(json.ok()) << json.status().ToString();
    EXPECT_EQ(*json, ToWire(attr));
    meta::Attr back;
    ASSERT_TRUE(ReadWhole(rpc::EncodePayload(ToWire(attr)), ReadAttr, &back));
    EXPECT_EQ(ToWire(back), ToWire(attr));
  }
}

TEST(FastCodecTest, PagesAndOpenedFilesRoundTripThroughBothCodecs) {
  meta::DirPage page;
  for (int i = 0; i < 20; ++i) {
    page.entries.push_back({"f" + std::to_string(i), uint64_t(100 + i), meta::FileType::kFile});
    meta::Attr a = FullAttr();
    a.inode = 100 + i;
    page.attrs.push_back(a);
  }
  page.more = true;
  EXPECT_EQ(*rpc::DecodePayload(Written(WriteDirPage, page)), ToWire(page));
  meta::DirPage page_back;
  ASSERT_TRUE(ReadWhole(rpc::EncodePayload(ToWire(page)), ReadDirPage, &page_back));
  EXPECT_EQ(ToWire(page_back), ToWire(page));

  fs::OpenedFile file{{7, 8}, FullAttr(), meta::Manifest{}};
  file.manifest->layout.size = 10;
  file.manifest->layout.digest.fill(0xab);
  file.manifest->layout.blocks = {{{}, 4}, {{}, 6}};
  file.manifest->layout.blocks[1].digest.fill(0xcd);
  file.manifest->content_type = "text/plain";
  EXPECT_EQ(*rpc::DecodePayload(Written(WriteOpenedFile, file)), ToWire(file));
  fs::OpenedFile file_back;
  ASSERT_TRUE(ReadWhole(rpc::EncodePayload(ToWire(file)), ReadOpenedFile, &file_back));
  EXPECT_EQ(ToWire(file_back), ToWire(file));

  // With a block-list digest and chunk checksums (every new body).
  object::SetBodyDigest(&file.manifest->layout);
  file.manifest->layout.chunk_size = 16;
  file.manifest->layout.chunk_crcs = {0x01020304u, 0xfffefdfcu};
  EXPECT_EQ(*rpc::DecodePayload(Written(WriteOpenedFile, file)), ToWire(file));
  ASSERT_TRUE(ReadWhole(rpc::EncodePayload(ToWire(file)), ReadOpenedFile, &file_back));
  EXPECT_EQ(file_back.manifest->layout, file.manifest->layout);
  // A checksum list that does not fit the blocks is not taken (the JSON path
  // then refuses it, naming the problem).
  Json cut = ToWire(file);
  cut["man"]["cc"] = Json::binary(std::vector<uint8_t>(4, 0));
  EXPECT_FALSE(ReadWhole(rpc::EncodePayload(cut), ReadOpenedFile, &file_back));
  EXPECT_FALSE(FromWire<fs::OpenedFile>(cut).ok());
}

TEST(FastCodecTest, ReadersRefuseWhatTheJsonCodecWouldRefuseOrNotTake) {
  meta::Attr attr;
  Json good = ToWire(FullAttr());
  std::vector<Json> bad;
  for (const char* key : {"i", "t", "m"}) {
    Json missing = good;
    missing.erase(key);
    bad.push_back(missing);
  }
  Json wide_mode = good;
  wide_mode["m"] = uint64_t{1} << 32;
  Json bad_type = good;
  bad_type["t"] = 4;
  Json negative_inode = good;
  negative_inode["i"] = -1;
  Json text_size = good;
  text_size["s"] = "big";
  bad.insert(bad.end(), {wide_mode, bad_type, negative_inode, text_size, Json::array()});
  for (const Json& j : bad) {
    EXPECT_FALSE(ReadWhole(rpc::EncodePayload(j), ReadAttr, &attr)) << j.dump();
    EXPECT_FALSE(FromWire<meta::Attr>(j).ok()) << j.dump();
  }
  // Unknown keys are skipped, as the JSON codec ignores them.
  Json extra = good;
  extra["future"] = Json{{"x", {1, 2, 3}}};
  ASSERT_TRUE(ReadWhole(rpc::EncodePayload(extra), ReadAttr, &attr));
  EXPECT_EQ(ToWire(attr), good);
  // Every cut of a valid encoding is refused.
  std::string bytes = rpc::EncodePayload(good);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(ReadWhole(std::string_view(bytes).substr(0, cut), ReadAttr, &attr)) << cut;
  }
}

meta::PublishRequest FullPublish() {
  meta::PublishRequest r;
  r.path = "/runs/1/ckpt.pt";
  r.inode = 77;
  r.manifest.layout.size = 10;
  r.manifest.layout.blocks = {{{}, 10}};
  r.manifest.layout.blocks[0].digest.fill(0x22);
  r.manifest.layout.digest = r.manifest.layout.blocks[0].digest;  // one block: its digest
  r.manifest.producer = "trainer";
  r.mode = meta::PublishMode::kReplaceIfGeneration;
  r.expected_generation = 9;
  r.node.mode = 0600;
  r.node.request_id = "rid-1";
  r.body = "0123456789";
  return r;
}

TEST(FastCodecTest, PublishRequestsRoundTripThroughBothCodecs) {
  meta::PublishRequest plain;
  plain.path = "/empty";
  for (const meta::PublishRequest& request : {FullPublish(), plain}) {
    std::string direct = Written(WritePublishRequest, request);
    auto json = rpc::DecodePayload(direct);
    ASSERT_TRUE(json.ok()) << json.status().ToString();
    EXPECT_EQ(*json, ToWire(request));
    std::string from_json = rpc::EncodePayload(ToWire(request));
    meta::PublishRequest back;
    ASSERT_TRUE(ReadWhole(std::string_view(from_json), ReadPublishRequest, &back));
    EXPECT_EQ(ToWire(back), ToWire(request));
  }
  // Out of shape: refused, as the JSON codec refuses it or does not take it.
  Json good = ToWire(FullPublish());
  Json no_manifest = good, bad_mode = good, text_body = good, no_mode = good;
  no_manifest.erase("man");
  no_mode.erase("mode");
  bad_mode["mode"] = 3;
  text_body["body"] = "not bytes";
  meta::PublishRequest out;
  for (const Json& j : {no_manifest, no_mode, bad_mode, text_body}) {
    EXPECT_FALSE(ReadWhole(std::string_view(rpc::EncodePayload(j)), ReadPublishRequest, &out))
        << j.dump();
    EXPECT_FALSE(FromWire<meta::PublishRequest>(j).ok()) << j.dump();
  }
  std::string bytes = rpc::EncodePayload(good);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(ReadWhole(std::string_view(bytes).substr(0, cut), ReadPublishRequest, &out))
        << cut;
  }
}

class FastMethodsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = OpenMemoryFs(dir_.path());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    fs_ = std::move(opened).value();
    methods_ = std::make_unique<MetadataMethods>(fs_->metadata());
    ASSERT_TRUE(methods_->Handle("meta.mkdir", {{"path", "/d"}}).ok());
    ASSERT_TRUE(methods_->Handle("meta.mkdir", {{"path", "/d/sub"}}).ok());
  }

  // The same call through the direct path and through the JSON path.
  void ExpectSameAnswer(std::string_view method, const Json& args) {
    Result<std::string> direct = methods_->HandlePayload(method, rpc::EncodePayload(args));
    Result<Json> json = methods_->Handle(method, args);
    ASSERT_EQ(direct.ok(), json.ok()) << method << " " << args.dump();
    if (!json.ok()) {
      EXPECT_EQ(direct.status(), json.status()) << method << " " << args.dump();
      return;
    }
    EXPECT_EQ(*rpc::DecodePayload(*direct), *json) << method << " " << args.dump();
  }

  nokv::testing::TempDir dir_;
  std::unique_ptr<fs::Filesystem> fs_;
  std::unique_ptr<MetadataMethods> methods_;
};

TEST_F(FastMethodsTest, ReadsAnswerAsTheJsonPathDoesForGoodAndBadArguments) {
  auto d = methods_->Handle("meta.stat", {{"path", "/d"}});
  ASSERT_TRUE(d.ok());
  uint64_t dir = (*d)["i"].get<uint64_t>();
  std::vector<std::pair<std::string, Json>> calls = {
      {"meta.stat", {{"path", "/d"}}},
      {"meta.stat", {{"path", "/d/sub"}, {"at", nullptr}}},
      {"meta.stat", {{"path", "/d"}, {"at", {{"snap", "nope"}}}}},
      {"meta.stat", {{"path", "/missing"}}},
      {"meta.stat", {{"path", 5}}},
      {"meta.stat", Json::object()},
      {"meta.stat", {{"path", "/d"}, {"unknown", {1, 2}}}},
      {"meta.getattr", {{"inode", dir}}},
      {"meta.getattr", {{"inode", -1}}},
      {"meta.lookup", {{"parent", dir}, {"name", "sub"}}},
      {"meta.lookup", {{"parent", dir}, {"name", "none"}}},
      {"meta.lookup", {{"parent", dir}}},
      {"meta.readdir", {{"dir", dir}, {"attrs", true}}},
      {"meta.readdir", {{"dir", dir}, {"after", "sub"}, {"limit", 1}}},
      {"meta.readdir", {{"dir", dir}, {"attrs", "yes"}}},
      {"meta.unpin", {{"id", 12345}}},
      {"meta.unpin", {{"id", "x"}}},
  };
  for (const auto& [method, args] : calls) ExpectSameAnswer(method, args);
  EXPECT_EQ(methods_->HandlePayload("meta.stat", "\xc1").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(methods_->HandlePayload("meta.nope", "").status().code(), Code::kNotSupported);
}

TEST_F(FastMethodsTest, PublishAnswersAsTheJsonPathDoes) {
  auto files = [](std::vector<std::string> paths) {
    Json list = Json::array();
    for (const std::string& path : paths) {
      meta::PublishRequest r;
      r.path = path;
      list.push_back(ToWire(r));
    }
    return Json{{"files", list}};
  };
  // Good publishes of the same shape at different paths: the same attributes.
  auto direct =
      methods_->HandlePayload("meta.publish", rpc::EncodePayload(files({"/d/p1", "/d/sub/p2"})));
  auto json = methods_->Handle("meta.publish", files({"/d/q1", "/d/sub/q2"}));
  ASSERT_TRUE(direct.ok()) << direct.status().ToString();
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  Json direct_attrs = *rpc::DecodePayload(*direct);
  ASSERT_EQ(direct_attrs.size(), 2u);
  ASSERT_EQ(json->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    for (const char* key : {"t", "m", "n", "s"}) {
      EXPECT_EQ(direct_attrs[i].value(key, Json()), (*json)[i].value(key, Json())) << key;
    }
    EXPECT_EQ(direct_attrs[i]["nm"], i == 0 ? "p1" : "p2");
  }
  EXPECT_TRUE(methods_->Handle("meta.stat", {{"path", "/d/sub/p2"}}).ok());

  Json bad_mode = files({"/d/x"});
  bad_mode["files"][0]["mode"] = 7;
  Json two_same = files({"/d/y", "/d/y"});
  std::vector<Json> calls = {files({"/d/p1"}),          // exists
                             files({}),                 // nothing to publish
                             files({"/none/under/x"}),  // no parent
                             bad_mode,
                             two_same,
                             Json{{"files", 5}},
                             Json::object()};
  for (const Json& args : calls) ExpectSameAnswer("meta.publish", args);
  EXPECT_FALSE(methods_->Handle("meta.stat", {{"path", "/d/y"}}).ok());
}

TEST_F(FastMethodsTest, APageHoldsAtMostTheCapWhateverTheLimitAsked) {
  Json files = Json::array();
  for (uint64_t i = 0; i <= kMaxPageEntries; ++i) {
    meta::PublishRequest r;
    r.path = "/d/sub/f" + std::to_string(i);
    files.push_back(ToWire(r));
  }
  ASSERT_TRUE(methods_->Handle("meta.publish", {{"files", files}}).ok());
  auto sub = methods_->Handle("meta.stat", {{"path", "/d/sub"}});
  ASSERT_TRUE(sub.ok());
  Json args = {{"dir", (*sub)["i"]}, {"limit", 5 * kMaxPageEntries}, {"attrs", true}};
  auto direct = methods_->HandlePayload("meta.readdir", rpc::EncodePayload(args));
  ASSERT_TRUE(direct.ok()) << direct.status().ToString();
  Json page = *rpc::DecodePayload(*direct);
  EXPECT_EQ(page["e"].size(), kMaxPageEntries);
  EXPECT_EQ(page["more"], true);
  ExpectSameAnswer("meta.readdir", args);
  auto listed = methods_->Handle("meta.list", {{"path", "/d/sub"}, {"limit", 1u << 30}});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ((*listed)["e"].size(), kMaxPageEntries);
  EXPECT_EQ((*listed)["more"], true);
}

TEST_F(FastMethodsTest, CreatesAndBatchesAnswerAsTheJsonPathDoes) {
  auto d = methods_->Handle("meta.stat", {{"path", "/d"}});
  ASSERT_TRUE(d.ok());
  uint64_t dir = (*d)["i"].get<uint64_t>();
  auto created = methods_->HandlePayload(
      "meta.createat",
      rpc::EncodePayload({{"parent", dir}, {"name", "new"}, {"node", {{"m", 0600}}}}));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto attr = FromWire<meta::Attr>(*rpc::DecodePayload(*created));
  ASSERT_TRUE(attr.ok());
  EXPECT_EQ(attr->name, "new");
  EXPECT_EQ(attr->mode, 0600u);
  ExpectSameAnswer("meta.createat", {{"parent", dir}, {"name", "new"}});  // exists
  ExpectSameAnswer("meta.createat", {{"parent", dir}, {"name", "x"}, {"node", 3}});

  // A batch through both paths: same items in the same order.
  auto batch = [&](const std::string& prefix) {
    std::vector<BatchCall> calls = {
        {"meta.createat", {{"parent", dir}, {"name", prefix + "a"}}},
        {"meta.stat", {{"path", "/d/" + prefix + "a"}}},
        {"meta.stat", {{"path", "/none"}}},
        {"meta.watch", {{"path", "/"}}},
        {"meta.nope", Json::object()},
        {"meta.createat", {{"parent", dir}, {"name", prefix + "b"}}},
    };
    return BatchToWire(calls, true);
  };
  auto direct = methods_->HandlePayload("meta.batch", rpc::EncodePayload(batch("p")));
  auto json = methods_->Handle("meta.batch", batch("q"));
  ASSERT_TRUE(direct.ok() && json.ok());
  Json direct_items = *rpc::DecodePayload(*direct);
  ASSERT_EQ(direct_items.size(), json->size());
  for (size_t i = 0; i < json->size(); ++i) {
    EXPECT_EQ(direct_items[i]["c"], (*json)[i]["c"]) << i;
    EXPECT_EQ(direct_items[i].contains("v"), (*json)[i].contains("v")) << i;
  }
  EXPECT_EQ(direct_items[1]["v"]["nm"], "pa");
  EXPECT_EQ(direct_items[5]["c"], static_cast<int>(Code::kCancelled));  // stop_on_error
  // 1 + 2 x 2 single calls, and the one create of each batch that ran.
  EXPECT_EQ(methods_->counters().at("meta.createat").calls.load(), 7u);
}

}  // namespace
}  // namespace nokv::server
