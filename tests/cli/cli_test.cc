// End-to-end tests of the `nokv` binary: byte round trips compared by
// SHA-256, trees, replace and compare-and-swap, snapshots, watch, --json
// shapes (golden files), error messages and exit codes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "common/sha256.h"
#include "fs/embedded.h"
#include "run_nokv.h"
#include "test_dir.h"

namespace nokv {
namespace {

namespace stdfs = std::filesystem;
using testing::RunResult;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(Nokv({"init"}).exit_code, 0); }

  RunResult Nokv(std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), {NOKV_BINARY, "--data-dir", data_.path()});
    return testing::RunProgram(args, input, work_.path());
  }

  std::string WriteLocal(const std::string& name, const std::string& bytes) {
    std::string path = work_.Sub(name);
    stdfs::create_directories(stdfs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  static std::string Random(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
  }

  // The JSON output with wall-clock and per-run fields zeroed.
  static nlohmann::json Stable(const std::string& text) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    std::function<void(nlohmann::json&)> scrub = [&](nlohmann::json& v) {
      if (v.is_object()) {
        for (auto& [k, x] : v.items()) {
          if (k.ends_with("time_ns") || k == "created_ns")
            x = 0;
          else
            scrub(x);
        }
      } else if (v.is_array()) {
        for (auto& x : v) scrub(x);
      }
    };
    scrub(j);
    return j;
  }

  void ExpectGolden(const std::string& name, const std::string& output) {
    std::string path = std::string(NOKV_GOLDEN_DIR) + "/" + name + ".json";
    nlohmann::json got = Stable(output);
    ASSERT_FALSE(got.is_discarded()) << output;
    if (std::getenv("NOKV_UPDATE_GOLDEN")) std::ofstream(path) << got.dump(2) << "\n";
    std::ifstream in(path);
    ASSERT_TRUE(in) << "missing golden file " << path << " (NOKV_UPDATE_GOLDEN=1 writes it)";
    nlohmann::json want = nlohmann::json::parse(in, nullptr, false);
    EXPECT_EQ(got, want) << "golden " << name;
  }

  nokv::testing::TempDir data_;
  nokv::testing::TempDir work_;
};

TEST_F(CliTest, PutCatRoundTripsBySha256) {
  const size_t kBlock = 4 << 20;
  for (size_t size : {size_t{0}, size_t{1}, kBlock - 1, kBlock, kBlock + 1, 2 * kBlock + 12345}) {
    SCOPED_TRACE("size " + std::to_string(size));
    std::string bytes = Random(size, static_cast<uint32_t>(size));
    std::string local = WriteLocal("f" + std::to_string(size), bytes);
    std::string remote = "/rt/f" + std::to_string(size);
    auto put = Nokv({"put", local, remote});
    ASSERT_EQ(put.exit_code, 0) << put.err;
    auto cat = Nokv({"cat", remote});
    ASSERT_EQ(cat.exit_code, 0) << cat.err;
    EXPECT_EQ(DigestHex(Sha256::Of(cat.out)), DigestHex(Sha256::Of(bytes)));
  }
  auto range = Nokv({"cat", "--range", "3:4", "/rt/f4194305"});
  EXPECT_EQ(range.out, Random(4194305, 4194305).substr(3, 4));
}

TEST_F(CliTest, StdinPutAndStreamingCatOfAGigabyteFile) {
  // 1 GiB, mostly zeros with random islands: exercises many blocks, dedupe
  // and streaming without filling the disk.
  std::string local = work_.Sub("big.bin");
  {
    std::ofstream f(local, std::ios::binary);
    f.seekp((int64_t{1} << 30) - 1);
    f.put('\x7f');
  }
  {
    std::fstream f(local, std::ios::in | std::ios::out | std::ios::binary);
    for (int i = 0; i < 16; ++i) {
      f.seekp(int64_t{i} * (64 << 20) + 12345);
      std::string island = Random(100000, static_cast<uint32_t>(i));
      f.write(island.data(), static_cast<std::streamsize>(island.size()));
    }
  }
  Sha256 want;
  {
    std::ifstream in(local, std::ios::binary);
    std::string buf(1 << 20, '\0');
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
      want.Update(std::string_view(buf.data(), static_cast<size_t>(in.gcount())));
    }
  }
  ASSERT_EQ(Nokv({"put", local, "/big.bin"}).exit_code, 0);
  auto stat = Nokv({"--json", "stat", "/big.bin"});
  EXPECT_EQ(nlohmann::json::parse(stat.out)["size_bytes"], int64_t{1} << 30);
  auto cat = Nokv({"cat", "/big.bin"});
  ASSERT_EQ(cat.exit_code, 0);
  EXPECT_EQ(DigestHex(Sha256::Of(cat.out)), DigestHex(want.Finish()));

  auto piped = Nokv({"put", "-", "/from-stdin"}, "piped bytes");
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(Nokv({"cat", "/from-stdin"}).out, "piped bytes");
}

TEST_F(CliTest, RecursivePutAndGetOfATree) {
  WriteLocal("tree/a.txt", "alpha");
  WriteLocal("tree/sub/b.json", "{\"b\": 1}");
  WriteLocal("tree/sub/deeper/c.bin", Random(5 << 20, 3));
  auto put = Nokv({"put", work_.Sub("tree"), "/ckpt"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  auto ls = Nokv({"ls", "-R", "/ckpt"});
  EXPECT_NE(ls.out.find("deeper/"), std::string::npos) << ls.out;
  auto get = Nokv({"get", "/ckpt", work_.Sub("back")});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  for (const char* rel : {"a.txt", "sub/b.json", "sub/deeper/c.bin"}) {
    std::ifstream a(work_.Sub(std::string("tree/") + rel), std::ios::binary);
    std::ifstream b(work_.Sub(std::string("back/") + rel), std::ios::binary);
    std::string sa((std::istreambuf_iterator<char>(a)), {});
    std::string sb((std::istreambuf_iterator<char>(b)), {});
    EXPECT_EQ(sa, sb) << rel;
  }
}

TEST_F(CliTest, ReplaceAndCompareAndSwapHaveTheirExitCodes) {
  std::string v1 = WriteLocal("v1", "one"), v2 = WriteLocal("v2", "two");
  ASSERT_EQ(Nokv({"put", v1, "/f"}).exit_code, 0);
  auto conflict = Nokv({"put", v2, "/f"});
  EXPECT_EQ(conflict.exit_code, 4);
  EXPECT_EQ(conflict.err, "nokv: put /f: /f already exists (use --replace)\n");
  ASSERT_EQ(Nokv({"put", "--replace", v2, "/f"}).exit_code, 0);
  uint64_t gen = nlohmann::json::parse(Nokv({"--json", "stat", "/f"}).out)["generation"];
  auto stale = Nokv({"put", "--if-generation", std::to_string(gen - 1), v1, "/f"});
  EXPECT_EQ(stale.exit_code, 4);
  EXPECT_NE(stale.err.find("generation"), std::string::npos) << stale.err;
  EXPECT_EQ(Nokv({"put", "--if-generation", std::to_string(gen), v1, "/f"}).exit_code, 0);
  EXPECT_EQ(Nokv({"cat", "/f"}).out, "one");
}

TEST_F(CliTest, SnapshotThenModifyThenReadTheSnapshot) {
  ASSERT_EQ(Nokv({"put", "-", "/data/x"}, "before").exit_code, 0);
  ASSERT_EQ(Nokv({"snapshot", "create", "s1", "--root", "/data"}).exit_code, 0);
  ASSERT_EQ(Nokv({"put", "--replace", "-", "/data/x"}, "after").exit_code, 0);
  ASSERT_EQ(Nokv({"rm", "/data/x"}).exit_code, 0);
  EXPECT_EQ(Nokv({"cat", "--snapshot", "s1", "/data/x"}).out, "before");
  EXPECT_EQ(Nokv({"cat", "/data/x"}).exit_code, 3);
  auto list = Nokv({"--json", "snapshot", "ls"});
  EXPECT_EQ(nlohmann::json::parse(list.out)[0]["name"], "s1");
  ASSERT_EQ(Nokv({"snapshot", "rm", "s1"}).exit_code, 0);
  EXPECT_EQ(Nokv({"cat", "--snapshot", "s1", "/data/x"}).exit_code, 3);
}

TEST_F(CliTest, WatchPrintsTypedEventsAndResumesFromACursor) {
  ASSERT_EQ(Nokv({"mkdir", "-p", "/w/a"}).exit_code, 0);
  ASSERT_EQ(Nokv({"put", "-", "/w/a/f"}, "x").exit_code, 0);
  ASSERT_EQ(Nokv({"mv", "/w/a/f", "/w/g"}).exit_code, 0);
  auto watch = Nokv({"watch", "/w"});
  ASSERT_EQ(watch.exit_code, 0);
  // mkdir -p reports the deepest directory, counting the parent it made.
  EXPECT_NE(watch.out.find("\tmkdir\t/w/a (2 entries)\n"), std::string::npos) << watch.out;
  EXPECT_NE(watch.out.find("\tpublish\t/w/a/f\n"), std::string::npos);
  EXPECT_NE(watch.out.find("\trename\t/w/g <- /w/a/f\n"), std::string::npos);
  auto json = Nokv({"--json", "watch", "/w"});
  std::vector<nlohmann::json> events;
  std::istringstream lines(json.out);
  for (std::string line; std::getline(lines, line);) events.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]["count"], 2);
  EXPECT_FALSE(events[1].contains("count"));
  auto resumed = Nokv({"--json", "watch", "/w", "--from", events[1]["cursor"]});
  EXPECT_EQ(Stable(resumed.out), Stable(events[2].dump()));
  // rm -r is one event for the tree, delivered to a watcher below it too.
  ASSERT_EQ(Nokv({"rm", "-r", "/w"}).exit_code, 0);
  auto removed = Nokv({"watch", "/w/a", "--from", events[2]["cursor"]});
  EXPECT_EQ(removed.out.substr(removed.out.find('\t')), "\tremove\t/w (3 entries)\n")
      << removed.out;
}

TEST_F(CliTest, JsonShapesMatchTheGoldenFiles) {
  ASSERT_EQ(Nokv({"mkdir", "/g"}).exit_code, 0);
  ASSERT_EQ(Nokv({"put", "-", "/g/file.json"}, "{\"k\": 1}").exit_code, 0);
  ASSERT_EQ(Nokv({"ln", "-s", "/g/file.json", "/g/link"}).exit_code, 0);
  ExpectGolden("ls", Nokv({"--json", "ls", "/g"}).out);
  ExpectGolden("stat", Nokv({"--json", "stat", "/g/file.json"}).out);
  ExpectGolden("du", Nokv({"--json", "du", "/g"}).out);
  ExpectGolden("gc", Nokv({"--json", "gc"}).out);
}

// Names are bytes: --json prints each byte of invalid UTF-8, and each byte of a
// literal U+F780..U+F7FF, as U+F700+byte; path arguments take that form back, and
// raw bytes in argv still work (docs/cli.md, "Names that are not UTF-8").
TEST_F(CliTest, NamesThatAreNotUtf8RoundTripThroughJson) {
  const std::string invalid = "bad\xff\xfe";                          // raw bytes
  const std::string invalid_printed = "bad\xEF\x9F\xBF\xEF\x9F\xBE";  // U+F7FF U+F7FE
  const std::string literal = "pua\xEF\x9F\xBF";                      // literal U+F7FF
  const std::string literal_printed = "pua\xEF\x9F\xAF\xEF\x9E\x9F\xEF\x9E\xBF";
  const std::string cafe = "caf\xC3\xA9";
  ASSERT_EQ(Nokv({"put", "-", "/odd/" + invalid}, "1").exit_code, 0);
  // A literal U+F7FF in argv is the escape of byte 0xff, so that name is made
  // from its printed form.
  ASSERT_EQ(Nokv({"put", "-", "/odd/" + literal_printed}, "22").exit_code, 0);
  ASSERT_EQ(Nokv({"put", "-", "/odd/" + cafe}, "333").exit_code, 0);

  auto ls = Nokv({"--json", "ls", "/odd"});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  nlohmann::json listing = nlohmann::json::parse(ls.out);  // throws on invalid UTF-8
  std::vector<std::string> names;
  for (const auto& e : listing["entries"]) names.push_back(e["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{invalid_printed, cafe, literal_printed}));

  const std::vector<std::pair<std::string, uint64_t>> by_printed = {
      {invalid_printed, 1}, {literal_printed, 2}, {cafe, 3}};
  for (const auto& [name, size] : by_printed) {
    auto st = Nokv({"--json", "stat", "/odd/" + name});
    ASSERT_EQ(st.exit_code, 0) << name << ": " << st.err;
    nlohmann::json j = nlohmann::json::parse(st.out);
    EXPECT_EQ(j["path"], "/odd/" + name);
    EXPECT_EQ(j["size_bytes"], size);
  }
  // The decoded form: raw bytes in argv name the same file.
  auto raw = Nokv({"--json", "stat", "/odd/" + invalid});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_EQ(nlohmann::json::parse(raw.out)["path"], "/odd/" + invalid_printed);
  EXPECT_EQ(Nokv({"cat", "/odd/" + invalid}).out, "1");
  EXPECT_EQ(Nokv({"cat", "/odd/" + literal_printed}).out, "22");
  // Human-readable output prints the stored bytes as they are.
  EXPECT_EQ(Nokv({"ls", "/odd"}).out, invalid + "\n" + cafe + "\n" + literal + "\n");
}

TEST_F(CliTest, ErrorsNameThePathAndUseDocumentedExitCodes) {
  auto missing = Nokv({"cat", "/nope"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_EQ(missing.err, "nokv: cat /nope: /nope does not exist\n");
  EXPECT_EQ(Nokv({"ls", "/nope"}).exit_code, 3);
  auto bad_flag = Nokv({"ls", "--bogus"});
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_NE(bad_flag.err.find("unknown flag --bogus"), std::string::npos);
  EXPECT_EQ(Nokv({"frobnicate"}).exit_code, 2);
  ASSERT_EQ(Nokv({"mkdir", "/d"}).exit_code, 0);
  ASSERT_EQ(Nokv({"put", "-", "/d/f"}, "x").exit_code, 0);
  auto not_empty = Nokv({"rm", "/d"});
  EXPECT_EQ(not_empty.exit_code, 4);
  EXPECT_NE(not_empty.err.find("(use -r)"), std::string::npos) << not_empty.err;
  EXPECT_EQ(Nokv({"rm", "-r", "/d"}).exit_code, 0);
  EXPECT_EQ(Nokv({"put", "-", "/relative"}, "x").exit_code, 0);
  EXPECT_EQ(Nokv({"put", "-", "relative"}, "x").exit_code, 2);
}

TEST_F(CliTest, ALockedDataDirectoryIsBusyNamingTheHolder) {
  fs::EmbeddedOptions options;
  options.data_dir = data_.path();
  auto holder = fs::OpenEmbedded(options);
  ASSERT_TRUE(holder.ok()) << holder.status().ToString();
  auto busy = Nokv({"ls", "/"});
  EXPECT_EQ(busy.exit_code, 5);
  EXPECT_NE(busy.err.find("held by pid " + std::to_string(getpid())), std::string::npos)
      << busy.err;
}

TEST_F(CliTest, UninitializedDirectoryGetsAHint) {
  auto r = testing::RunProgram({NOKV_BINARY, "--data-dir", work_.Sub("never"), "ls"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("nokv init"), std::string::npos) << r.err;
}

TEST_F(CliTest, HelpAndVersion) {
  auto help = testing::RunProgram({NOKV_BINARY, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("exit codes"), std::string::npos);
  auto put_help = Nokv({"put", "--help"});
  EXPECT_NE(put_help.out.find("usage: nokv put"), std::string::npos);
  EXPECT_EQ(testing::RunProgram({NOKV_BINARY, "--version"}).out.substr(0, 5), "nokv ");
}

TEST_F(CliTest, DoctorAndGcOnAHealthyDirectory) {
  ASSERT_EQ(Nokv({"put", "-", "/a"}, "aaaa").exit_code, 0);
  ASSERT_EQ(Nokv({"put", "--replace", "-", "/a"}, "bbbb").exit_code, 0);
  auto doctor = Nokv({"doctor"});
  EXPECT_EQ(doctor.exit_code, 0) << doctor.out;
  EXPECT_NE(doctor.out.find("healthy"), std::string::npos);
  auto verify = Nokv({"doctor", "--verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_NE(verify.out.find("1 verified (4 bytes read), 0 damaged; bodies: 1 verified"),
            std::string::npos)
      << verify.out;
  auto gc = nlohmann::json::parse(Nokv({"--json", "gc"}).out);
  EXPECT_EQ(gc["blocks_deleted"], 1);
  // Damage: delete a live block behind NoKV's back; doctor must notice.
  for (auto& e : stdfs::recursive_directory_iterator(data_.Sub("objects"))) {
    if (e.is_regular_file() && e.path().string().find("blocks") != std::string::npos) {
      stdfs::remove(e.path());
    }
  }
  auto broken = Nokv({"doctor"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.out.find("MISSING block"), std::string::npos) << broken.out;
  auto broken_verify = Nokv({"doctor", "--verify"});
  EXPECT_EQ(broken_verify.exit_code, 1);
  EXPECT_NE(broken_verify.out.find("MISSING block"), std::string::npos) << broken_verify.out;
}

// Damaged block files: every read, whole or ranged, that touches a damaged
// chunk reports the damage (exit 6, damaged, naming the block) and never
// prints the damaged bytes; a ranged read of intact chunks of the same block
// is served, checked, and `doctor --verify` finds the damage.
TEST_F(CliTest, DamagedBlocksAreReportedByEveryReadAndNeverServed) {
  std::string bytes = Random(3 << 20, 7);
  ASSERT_EQ(Nokv({"put", WriteLocal("f", bytes), "/f"}).exit_code, 0);
  std::string block;
  for (auto& e : stdfs::recursive_directory_iterator(data_.Sub("objects"))) {
    if (e.is_regular_file() && e.path().string().find("blocks") != std::string::npos) {
      block = e.path().string();
    }
  }
  ASSERT_FALSE(block.empty());
  {
    std::fstream f(block, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100000);
    f.put(static_cast<char>(bytes[100000] ^ 0x5a));
  }
  for (std::vector<std::string> args : {std::vector<std::string>{"cat", "/f"},
                                        {"cat", "--range", "99990:20", "/f"},
                                        {"cat", "--range", "65536:4096", "/f"},
                                        {"get", "/f", work_.Sub("copy")}}) {
    SCOPED_TRACE(args[0] + " " + args[1]);
    auto read = Nokv(args);
    EXPECT_EQ(read.exit_code, 6) << read.err;
    EXPECT_NE(read.err.find("does not match its checksums"), std::string::npos) << read.err;
    EXPECT_NE(read.err.find("blocks/"), std::string::npos) << read.err;
    EXPECT_EQ(read.out.find(bytes.substr(0, 4096)), std::string::npos);
    EXPECT_EQ(read.out.find(bytes.substr(65536, 4096)), std::string::npos);
  }
  // The first 64 KiB chunk is intact: a range inside it is served.
  auto intact = Nokv({"cat", "--range", "0:4096", "/f"});
  EXPECT_EQ(intact.exit_code, 0) << intact.err;
  EXPECT_EQ(intact.out, bytes.substr(0, 4096));
  auto scrub = Nokv({"doctor", "--verify"});
  EXPECT_EQ(scrub.exit_code, 1);
  EXPECT_NE(scrub.out.find("FAILED block"), std::string::npos) << scrub.out;
  EXPECT_NE(scrub.out.find("does not match its SHA-256"), std::string::npos) << scrub.out;
  std::string copied;
  if (std::ifstream in(work_.Sub("copy"), std::ios::binary); in) {
    copied.assign(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_NE(copied, bytes);
}

TEST_F(CliTest, MalformedNumbersAndCursorsAreRefusedAndChangeNothing) {
  ASSERT_EQ(Nokv({"put", "-", "/a"}, "aaaa").exit_code, 0);
  std::string before = Nokv({"--json", "stat", "/a"}).out;
  const std::vector<std::vector<std::string>> bad = {
      {"cat", "--range", "-1:5", "/a"},
      {"cat", "--range", "1:x", "/a"},
      {"cat", "--range", "1:99999999999999999999", "/a"},
      {"put", "--if-generation", "-1", "-", "/a"},
      {"put", "--if-generation", "", "-", "/a"},
      {"snapshot", "create", "s", "--expires", "100000d"},
      {"watch", "--from", "1.2.3"},
      {"watch", "--from", "7x"},
  };
  for (const auto& args : bad) {
    SCOPED_TRACE(args[0] + " " + args[1] + " " + args[2]);
    auto r = Nokv(args, "bbbb");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  EXPECT_EQ(Nokv({"--json", "stat", "/a"}).out, before);
  EXPECT_EQ(nlohmann::json::parse(Nokv({"--json", "snapshot", "ls"}).out).size(), 0u);
}

TEST_F(CliTest, RecursiveRemoveOfTheRootIsRefusedBeforeRemovingAnything) {
  ASSERT_EQ(Nokv({"put", "-", "/keep/a"}, "aaaa").exit_code, 0);
  auto r = Nokv({"rm", "-r", "/"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("refusing to remove /"), std::string::npos) << r.err;
  EXPECT_EQ(Nokv({"cat", "/keep/a"}).out, "aaaa");
}

}  // namespace
}  // namespace nokv
