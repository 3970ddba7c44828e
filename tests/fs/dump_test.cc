// Dump and load (fs/dump.h): a dump loaded elsewhere gives the same tree
// (bytes by SHA-256, modes, owners, times, xattrs, symlinks, hard links,
// index rules) over the same blocks; a dump taken while writers run is one
// generation; damaged, truncated and unknown dumps, missing blocks and
// existing entries are refused with the line and the path.
#include "fs/dump.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include "common/sha256.h"
#include "fs/embedded.h"
#include "meta/path.h"
#include "query/text_codec.h"
#include "test_dir.h"

namespace nokv::fs {
namespace {

EmbeddedOptions Options(const std::string& dir) {
  EmbeddedOptions options;
  options.data_dir = dir;
  options.block_size = 64;  // many blocks from small bodies
  options.durability = Durability::kNone;
  options.create_if_missing = true;
  return options;
}

std::unique_ptr<Filesystem> Open(const std::string& dir) {
  auto fs = OpenEmbedded(Options(dir));
  EXPECT_TRUE(fs.ok()) << fs.status().ToString();
  return fs.ok() ? std::move(fs).value() : nullptr;
}

Status Write(Filesystem& fs, const std::string& path, std::string_view bytes, uint32_t mode = 0) {
  WriteOptions options;
  options.file_mode = mode;
  NOKV_ASSIGN_OR_RETURN(auto writer, fs.OpenWriter(path, options));
  NOKV_RETURN_IF_ERROR(writer->Append(bytes));
  return writer->Commit().status();
}

std::string Sha256Of(Filesystem& fs, const std::string& path) {
  auto reader = fs.OpenReader(path);
  if (!reader.ok()) return "<" + reader.status().ToString() + ">";
  std::string bytes;
  if (!(*reader)->Read(0, (*reader)->size(), &bytes).ok()) return "<unreadable>";
  return DigestHex(Sha256::Of(bytes));
}

Result<std::string> Dump(Filesystem& fs, const std::string& root, size_t page = 512) {
  std::string text;
  DumpOptions options;
  options.root = root;
  options.page = page;
  NOKV_RETURN_IF_ERROR(DumpNamespace(fs, options, [&](std::string_view line) {
                         text.append(line);
                         return Status::Ok();
                       }).status());
  return text;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

Result<DumpCounts> Load(Filesystem& fs, const std::vector<std::string>& lines,
                        LoadOptions options) {
  DumpLoader loader(&fs, std::move(options));
  for (const auto& line : lines) NOKV_RETURN_IF_ERROR(loader.Line(line));
  return loader.Finish();
}

Result<DumpCounts> Load(Filesystem& fs, const std::string& text, const std::string& into,
                        const std::string& rule_prefix = "") {
  return Load(fs, Lines(text), LoadOptions{into, rule_prefix});
}

// Everything a load must keep of the tree under `root`, one line per entry
// keyed by its path below the root; hard links as "link to <first path>".
std::map<std::string, std::string> Describe(Filesystem& fs, const std::string& root) {
  std::map<std::string, std::string> tree;
  std::map<meta::InodeId, std::string> seen;
  std::vector<std::string> dirs = {root};
  while (!dirs.empty()) {
    std::string dir = dirs.back();
    dirs.pop_back();
    auto page = fs.List(dir, "", 100000);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) break;
    for (size_t i = 0; i < page->entries.size(); ++i) {
      const meta::Attr& a = page->attrs[i];
      std::string path = meta::ChildPath(dir, page->entries[i].name);
      std::string rel = path.substr(root.size());
      auto [first, fresh] = seen.try_emplace(a.inode, rel);
      std::ostringstream d;
      d << meta::FileTypeName(a.type) << " mode=" << std::oct << a.mode << std::dec
        << " uid=" << a.uid << " gid=" << a.gid << " mtime=" << a.mtime_ns;
      if (!fresh) d << " link to " << first->second;
      if (a.type == meta::FileType::kFile) {
        d << " size=" << a.size << " nlink=" << a.nlink << " sha256=" << Sha256Of(fs, path);
      }
      if (a.type == meta::FileType::kSymlink) d << " -> " << a.symlink_target;
      if (a.type == meta::FileType::kDirectory) {
        d << " entries=" << a.child_count;
        dirs.push_back(path);
      }
      auto names = fs.metadata()->ListXattrs(a.inode, {});
      for (const auto& name : names.ok() ? *names : std::vector<std::string>{}) {
        auto value = fs.metadata()->GetXattr(a.inode, name, {});
        d << " xattr " << name << "=" << query::Base64Encode(value.ok() ? *value : "?");
      }
      tree[rel] = d.str();
    }
  }
  return tree;
}

// The rules rooted at or below `root`, keyed by id without `prefix`, roots
// relative.
std::map<std::string, std::string> Rules(Filesystem& fs, const std::string& root,
                                         const std::string& prefix = "") {
  std::map<std::string, std::string> rules;
  auto records = fs.IndexRules();
  EXPECT_TRUE(records.ok());
  for (auto record : records.ok() ? *records : std::vector<meta::RuleRecord>{}) {
    if (!meta::PathIsUnder(record.rule.root, root) || !record.rule.id.starts_with(prefix)) continue;
    std::string id = record.rule.id.substr(prefix.size());
    record.rule.id = id;
    record.rule.root = record.rule.root.substr(root.size());
    rules[id] = records::RuleToJson(record.rule).dump();
  }
  return rules;
}

class DumpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_ = Open(dir_.path());
    ASSERT_NE(fs_, nullptr);
  }

  // A tree with every kind of entry: nested directories, files of one and
  // many blocks, an empty file, modes (0 included), owners, binary xattrs,
  // a symlink, a file with three links, and an index rule.
  void MakeTree(const std::string& root) {
    Filesystem& fs = *fs_;
    ASSERT_TRUE(Write(fs, root + "/a/one-block.txt", "hello").ok());
    ASSERT_TRUE(Write(fs, root + "/a/b/many.bin", std::string(1000, 'x') + "tail", 0600).ok());
    ASSERT_TRUE(Write(fs, root + "/a/b/run.json", R"({"loss": 0.25})").ok());
    ASSERT_TRUE(Write(fs, root + "/empty", "").ok());
    ASSERT_TRUE(Write(fs, root + "/locked", "no permissions").ok());
    meta::SetAttrRequest locked;
    locked.mode = 0;
    locked.uid = 1000;
    locked.gid = 2000;
    ASSERT_TRUE(fs.SetAttr(root + "/locked", locked).ok());
    ASSERT_TRUE(fs.Mkdir(root + "/a/empty-dir", false).ok());
    meta::SetAttrRequest dir_mode;
    dir_mode.mode = 0700;
    ASSERT_TRUE(fs.SetAttr(root + "/a/empty-dir", dir_mode).ok());
    ASSERT_TRUE(fs.Symlink(root + "/link", "a/b/run.json").ok());
    ASSERT_TRUE(fs.Link(root + "/a/b/many.bin", root + "/hard1").ok());
    ASSERT_TRUE(fs.Link(root + "/a/b/many.bin", root + "/a/hard2").ok());
    auto file = fs.Stat(root + "/a/one-block.txt");
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE(fs.metadata()
                    ->SetXattr(file->inode, "user.bin", std::string("\0\xff\x01", 3),
                               meta::XattrMode::kCreate)
                    .ok());
    auto dir = fs.Stat(root + "/a");
    ASSERT_TRUE(dir.ok());
    ASSERT_TRUE(
        fs.metadata()->SetXattr(dir->inode, "user.tag", "x", meta::XattrMode::kCreate).ok());
    records::IndexRule rule;
    rule.id = "loss";
    rule.root = root + "/a";
    rule.glob = "**/*.json";
    auto field = records::ParseFieldSpec("loss:number=$.loss");
    ASSERT_TRUE(field.ok());
    rule.fields.push_back(*field);
    ASSERT_TRUE(fs.AddIndexRule(rule).ok());
  }

  nokv::testing::TempDir dir_;
  std::unique_ptr<Filesystem> fs_;
};

TEST_F(DumpTest, LoadIntoAnotherPathGivesTheSameTreeOverTheSameBlocks) {
  MakeTree("/src");
  auto text = Dump(*fs_, "/src", /*page=*/2);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  auto counts = Load(*fs_, *text, "/copy", "copy-");
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->files, 5u);
  EXPECT_EQ(counts->rules, 1u);

  auto want = Describe(*fs_, "/src");
  EXPECT_EQ(want.size(), 11u);
  EXPECT_EQ(Describe(*fs_, "/copy"), want);
  EXPECT_EQ(Rules(*fs_, "/copy", "copy-"), Rules(*fs_, "/src"));
  nlohmann::json predicate = {{"field", "loss"}, {"op", "lt"}, {"value", 1}};
  auto found = fs_->CallVerb("find", {{"path", "/copy"}, {"predicates", {predicate}}});
  EXPECT_NE(found.dump().find("/copy/a/b/run.json"), std::string::npos) << found.dump();

  // The copy holds its own references: the original and its blocks can go.
  ASSERT_TRUE(fs_->Remove("/src", true).ok());
  ASSERT_TRUE(fs_->CollectGarbage().ok());
  EXPECT_EQ(Describe(*fs_, "/copy"), want);
  auto doctor = fs_->Doctor({.verify = true});
  ASSERT_TRUE(doctor.ok());
  for (const auto& line : *doctor) EXPECT_FALSE(line.starts_with("FAILED")) << line;
}

TEST_F(DumpTest, LoadIntoASecondDataDirectoryOnTheSameStore) {
  MakeTree("");
  auto text = Dump(*fs_, "/");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  nokv::testing::TempDir other;
  std::filesystem::create_directories(other.path());
  std::filesystem::create_directory_symlink(dir_.Sub("objects"), other.Sub("objects"));
  auto second = Open(other.path());
  ASSERT_NE(second, nullptr);
  auto counts = Load(*second, *text, "/");
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(Describe(*second, "/"), Describe(*fs_, "/"));
  EXPECT_EQ(Rules(*second, "/"), Rules(*fs_, "/"));
}

TEST_F(DumpTest, ADumpWhileWritersRunIsOneGeneration) {
  // The writer moves files between two directories, one commit each, so
  // /s always holds exactly kFiles files; a walk without one read point
  // would miss or double some of them.
  constexpr int kFiles = 20;
  for (int i = 0; i < kFiles; ++i) {
    ASSERT_TRUE(Write(*fs_, "/s/a/f" + std::to_string(i), std::to_string(i)).ok());
  }
  ASSERT_TRUE(fs_->Mkdir("/s/b", false).ok());
  std::atomic<uint64_t> moves{0};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (uint64_t n = 0; !stop; ++n) {
      std::string name = "f" + std::to_string(n % kFiles);
      bool forward = (n / kFiles) % 2 == 0;
      std::string from = (forward ? "/s/a/" : "/s/b/") + name;
      std::string to = (forward ? "/s/b/" : "/s/a/") + name;
      ASSERT_TRUE(fs_->Rename(from, to, meta::RenameMode::kNoReplace).ok());
      moves++;
    }
  });
  uint64_t lines = 0;
  uint64_t files = 0;
  DumpOptions options;
  options.root = "/s";
  options.page = 3;
  auto summary = DumpNamespace(*fs_, options, [&](std::string_view line) {
    // Every line waits for more moves: the namespace changes under the walk.
    uint64_t target = moves.load() + 3;
    while (moves.load() < target) std::this_thread::yield();
    lines++;
    if (line.find(R"("type":"file")") != std::string_view::npos) files++;
    return Status::Ok();
  });
  stop = true;
  writer.join();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(files, static_cast<uint64_t>(kFiles));
  EXPECT_EQ(summary->counts.files, static_cast<uint64_t>(kFiles));
  EXPECT_EQ(summary->counts.entries, kFiles + 3u);  // /s, /s/a, /s/b
  EXPECT_GT(moves.load(), lines * 3 - 1);
}

TEST_F(DumpTest, BadDumpsAreRefusedWithTheirLineNumbers) {
  ASSERT_TRUE(Write(*fs_, "/d/f", "bytes").ok());
  auto text = Dump(*fs_, "/d");
  ASSERT_TRUE(text.ok());
  std::vector<std::string> good = Lines(*text);
  ASSERT_EQ(good.size(), 4u);  // header, /, /f, trailer

  auto refused = [&](std::vector<std::string> lines, const std::string& into) {
    auto loaded = Load(*fs_, lines, LoadOptions{into, ""});
    EXPECT_FALSE(loaded.ok()) << into;
    return loaded.ok() ? std::string("ok") : std::string(loaded.status().message());
  };

  auto unknown_version = good;
  unknown_version[0].replace(unknown_version[0].find(R"("version":1)"), 11, R"("version":2)");
  EXPECT_EQ(refused(unknown_version, "/v").rfind("line 1: dump version 2 is not supported", 0), 0u);

  auto not_json = good;
  not_json[2] = "{\"type\":\"file\",";
  std::string message = refused(not_json, "/j");
  EXPECT_EQ(message.rfind("line 3: not a JSON object", 0), 0u) << message;

  auto bad_field = good;
  bad_field[2].replace(bad_field[2].find(R"("mode":")"), 8, R"("mode":"9)");
  message = refused(bad_field, "/m");
  EXPECT_EQ(message.rfind("line 3: field 'mode'", 0), 0u) << message;

  auto truncated = good;
  truncated.pop_back();
  message = refused(truncated, "/t");
  EXPECT_NE(message.find("truncated dump"), std::string::npos) << message;

  auto miscounted = good;
  miscounted[3].replace(miscounted[3].find(R"("files":1)"), 9, R"("files":2)");
  message = refused(miscounted, "/c");
  EXPECT_EQ(message.rfind("line 4: the trailer counts", 0), 0u) << message;

  EXPECT_NE(refused({"{\"type\":\"file\"}"}, "/h").find("line 1: not a nokv dump"),
            std::string::npos);
}

TEST_F(DumpTest, AMissingBlockIsRefusedNamingFileAndBlockAndNothingIsPublished) {
  ASSERT_TRUE(Write(*fs_, "/d/big", std::string(300, 'b')).ok());
  ASSERT_TRUE(Write(*fs_, "/d/small", "s").ok());
  auto text = Dump(*fs_, "/d");
  ASSERT_TRUE(text.ok());
  // Another data directory with its own, empty store.
  nokv::testing::TempDir other;
  auto second = Open(other.path());
  ASSERT_NE(second, nullptr);
  auto loaded = Load(*second, *text, "/");
  ASSERT_FALSE(loaded.ok());
  EXPECT_TRUE(loaded.status().Is(Code::kNotFound)) << loaded.status().ToString();
  auto manifest =
      fs_->metadata()->GetManifest(fs_->Stat("/d/big")->inode, fs_->Stat("/d/big")->generation, {});
  ASSERT_TRUE(manifest.ok());
  std::string block = DigestHex(manifest->layout.blocks.front().digest);
  std::string message(loaded.status().message());
  EXPECT_NE(message.find("line 3: /big"), std::string::npos) << message;
  EXPECT_NE(message.find("block " + block), std::string::npos) << message;
  EXPECT_TRUE(second->Stat("/big").status().Is(Code::kNotFound));
}

TEST_F(DumpTest, LoadNeverOverwrites) {
  MakeTree("/src");
  auto text = Dump(*fs_, "/src");
  ASSERT_TRUE(text.ok());
  ASSERT_TRUE(Load(*fs_, *text, "/copy", "copy-").ok());
  auto before = Describe(*fs_, "/copy");

  // The rule first: its id is taken.
  auto again = Load(*fs_, *text, "/copy", "copy-");
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.status().Is(Code::kAlreadyExists)) << again.status().ToString();
  EXPECT_NE(again.status().message().find("index rule 'copy-loss' exists"), std::string::npos);

  // Then the entries: the first existing one is named.
  again = Load(*fs_, *text, "/copy", "again-");
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.status().Is(Code::kAlreadyExists)) << again.status().ToString();
  EXPECT_NE(again.status().message().find("/copy/a exists; a load never overwrites"),
            std::string::npos)
      << again.status().ToString();
  EXPECT_EQ(Describe(*fs_, "/copy"), before);
}

TEST(ReadDumpLineTest, LinesComeOutWholeAndAnOverlongOneIsRefusedNotBuffered) {
  std::istringstream in("a\nbb\n\nccc");
  std::string line;
  std::vector<std::string> lines;
  for (;;) {
    auto more = ReadDumpLine(in, &line);
    ASSERT_TRUE(more.ok());
    if (!*more) break;
    lines.push_back(line);
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "bb", "", "ccc"}));
  std::istringstream exact("abc\nabcd\n");
  ASSERT_TRUE(*ReadDumpLine(exact, &line, 3));
  EXPECT_EQ(line, "abc");
  auto over = ReadDumpLine(exact, &line, 3);
  EXPECT_EQ(over.status().code(), Code::kTooLarge);
  EXPECT_TRUE(line.empty());
}

}  // namespace
}  // namespace nokv::fs
