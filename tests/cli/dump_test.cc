// End-to-end tests of `nokv dump` and `nokv load` through the binary: a dump
// loaded into another data directory on the same object store, and into
// another path of the same one, dumps again to the same lines; bad dumps and
// existing entries are refused with the line, the path and the exit code.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "common/sha256.h"
#include "run_nokv.h"
#include "test_dir.h"

namespace nokv {
namespace {

namespace stdfs = std::filesystem;
using testing::RunResult;

class CliDumpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The second data directory shares the first one's object store.
    stdfs::create_directories(other_.path());
    ASSERT_EQ(Nokv(data_, {"init"}).exit_code, 0);
    stdfs::create_directory_symlink(data_.Sub("objects"), other_.Sub("objects"));
    RunResult init = Nokv(other_, {"init"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
  }

  RunResult Nokv(const nokv::testing::TempDir& dir, std::vector<std::string> args,
                 const std::string& input = {}) {
    args.insert(args.begin(), {NOKV_BINARY, "--data-dir", dir.path()});
    return testing::RunProgram(args, input, work_.path());
  }

  std::string WriteLocal(const std::string& name, const std::string& bytes) {
    return testing::WriteLocalFile(work_.Sub(name), bytes);
  }
  static std::string Random(size_t n, uint32_t seed) { return testing::RandomBytes(n, seed); }

  // A dump's lines without what differs between two dumps of equal trees:
  // the header and change times.
  static std::vector<nlohmann::json> Comparable(const std::string& dump) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(dump);
    for (std::string line; std::getline(in, line);) {
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      EXPECT_FALSE(j.is_discarded()) << line;
      if (j["type"] == "header") continue;
      j.erase("ctime_ns");
      lines.push_back(std::move(j));
    }
    return lines;
  }

  void MakeTree() {
    bytes_ = Random(9 << 20, 7);  // three blocks
    for (auto args : std::vector<std::vector<std::string>>{
             {"put", WriteLocal("big", bytes_), "/src/data/big.bin"},
             {"put", WriteLocal("run.json", R"({"loss": 0.5})"), "/src/runs/a/run.json"},
             {"put", WriteLocal("empty", ""), "/src/empty"},
             {"ln", "/src/data/big.bin", "/src/runs/big-link"},
             {"ln", "-s", "../data/big.bin", "/src/runs/sym"},
             {"mkdir", "/src/nothing"},
             {"index", "add", "--id", "loss", "--root", "/src/runs", "--glob", "**/*.json",
              "--field", "loss:number=$.loss"},
             {"snapshot", "create", "before"}}) {
      RunResult r = Nokv(data_, args);
      ASSERT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    }
  }

  nokv::testing::TempDir data_;
  nokv::testing::TempDir other_;
  nokv::testing::TempDir work_;
  std::string bytes_;
};

TEST_F(CliDumpTest, DumpLoadsIntoAnotherDataDirectoryOnTheSameStore) {
  MakeTree();
  std::string file = work_.Sub("src.jsonl");
  RunResult dump = Nokv(data_, {"dump", "/src", "--out", file});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_NE(dump.out.find("dumped /src at generation"), std::string::npos) << dump.out;
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto header = nlohmann::json::parse(text.substr(0, text.find('\n')));
  EXPECT_EQ(header["format"], "nokv-dump");
  EXPECT_EQ(header["version"], 1);
  EXPECT_EQ(header["snapshots"], nlohmann::json::array({"before"}));

  RunResult load = Nokv(other_, {"load", file, "--into", "/moved"});
  ASSERT_EQ(load.exit_code, 0) << load.err;
  EXPECT_NE(load.out.find("loaded into /moved: 10 entries, 3 files"), std::string::npos)
      << load.out;
  RunResult cat = Nokv(other_, {"cat", "/moved/runs/sym"});
  ASSERT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(DigestHex(Sha256::Of(cat.out)), DigestHex(Sha256::Of(bytes_)));

  RunResult again = Nokv(other_, {"dump", "/moved"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Comparable(again.out), Comparable(text));
}

TEST_F(CliDumpTest, DumpToStdoutLoadsFromStdinUnderAnotherPath) {
  MakeTree();
  RunResult dump = Nokv(data_, {"dump", "/src"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_NE(dump.err.find("dumped /src"), std::string::npos) << dump.err;
  RunResult load =
      Nokv(data_, {"--json", "load", "-", "--into", "/copy", "--rule-prefix", "copy-"}, dump.out);
  ASSERT_EQ(load.exit_code, 0) << load.err;
  EXPECT_EQ(nlohmann::json::parse(load.out)["files"], 3);
  RunResult rules = Nokv(data_, {"index", "ls"});
  EXPECT_NE(rules.out.find("copy-loss"), std::string::npos) << rules.out;
  RunResult again = Nokv(data_, {"dump", "/copy"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto want = Comparable(dump.out);
  auto got = Comparable(again.out);
  ASSERT_EQ(got.size(), want.size());
  // The rule is the one difference: its id carries the prefix.
  want[0]["rule"]["id"] = "copy-loss";
  EXPECT_EQ(got, want);

  RunResult overwrite =
      Nokv(data_, {"load", "-", "--into", "/copy", "--rule-prefix", "x-"}, dump.out);
  EXPECT_EQ(overwrite.exit_code, 4) << overwrite.err;
  EXPECT_NE(overwrite.err.find("/copy/data exists; a load never overwrites"), std::string::npos)
      << overwrite.err;
}

TEST_F(CliDumpTest, TruncatedAndForeignDumpsAreRefusedWithTheLine) {
  MakeTree();
  RunResult dump = Nokv(data_, {"dump", "/src/runs"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  ASSERT_NE(dump.out.rfind("\"type\":\"trailer\""), std::string::npos);
  // Without its last line, the trailer.
  std::string truncated = dump.out.substr(0, dump.out.rfind('\n', dump.out.size() - 2) + 1);
  RunResult load = Nokv(other_, {"load", "-", "--into", "/t"}, truncated);
  EXPECT_NE(load.exit_code, 0);
  EXPECT_NE(load.err.find("truncated dump"), std::string::npos) << load.err;

  RunResult foreign = Nokv(other_, {"load", "-"}, "{\"format\":\"other\"}\n");
  EXPECT_NE(foreign.exit_code, 0);
  EXPECT_NE(foreign.err.find("line 1: "), std::string::npos) << foreign.err;
}

}  // namespace
}  // namespace nokv
