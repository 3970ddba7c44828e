// Glob matching, validation, rule coverage and row paths.
#include "records/glob.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace nokv::records {
namespace {

TEST(GlobTest, StarStaysWithinOneSegment) {
  EXPECT_TRUE(MatchGlob("*/metadata.json", "run1/metadata.json"));
  EXPECT_FALSE(MatchGlob("*/metadata.json", "a/b/metadata.json"));
  EXPECT_FALSE(MatchGlob("*/metadata.json", "metadata.json"));
  EXPECT_TRUE(MatchGlob("*.json", ".hidden.json"));
  EXPECT_TRUE(MatchGlob("*", "x"));
  EXPECT_FALSE(MatchGlob("*", "x/y"));
  EXPECT_TRUE(MatchGlob("run-*-*.log", "run-1-2.log"));
  EXPECT_TRUE(MatchGlob("a*", "a"));
  EXPECT_FALSE(MatchGlob("a*b", "a/b"));
}

TEST(GlobTest, DoubleStarSpansZeroOrMoreSegments) {
  EXPECT_TRUE(MatchGlob("**/x.json", "x.json"));
  EXPECT_TRUE(MatchGlob("**/x.json", "a/x.json"));
  EXPECT_TRUE(MatchGlob("**/x.json", "a/b/c/x.json"));
  EXPECT_FALSE(MatchGlob("**/x.json", "a/y.json"));
  EXPECT_TRUE(MatchGlob("a/**/b", "a/b"));
  EXPECT_TRUE(MatchGlob("a/**/b", "a/x/y/b"));
  EXPECT_FALSE(MatchGlob("a/**/b", "a/x/y/c"));
  EXPECT_TRUE(MatchGlob("a/**", "a"));
  EXPECT_TRUE(MatchGlob("a/**", "a/b/c"));
  EXPECT_TRUE(MatchGlob("**", "anything/at/all"));
  EXPECT_TRUE(MatchGlob("**/*.yaml", "p.yaml"));
  EXPECT_TRUE(MatchGlob("a**b", "axxb"));  // inside a segment ** is *
  EXPECT_FALSE(MatchGlob("a**b", "ax/xb"));
}

TEST(GlobTest, QuestionMarkClassesAndEscapes) {
  EXPECT_TRUE(MatchGlob("run?.json", "run1.json"));
  EXPECT_FALSE(MatchGlob("run?.json", "run12.json"));
  EXPECT_FALSE(MatchGlob("run?.json", "run.json"));
  EXPECT_FALSE(MatchGlob("a?b", "a/b"));
  EXPECT_TRUE(MatchGlob("[abc].txt", "b.txt"));
  EXPECT_FALSE(MatchGlob("[abc].txt", "d.txt"));
  EXPECT_TRUE(MatchGlob("v[0-9][0-9]", "v42"));
  EXPECT_FALSE(MatchGlob("v[0-9]", "va"));
  EXPECT_TRUE(MatchGlob("[!a-c]x", "dx"));
  EXPECT_FALSE(MatchGlob("[!a-c]x", "bx"));
  EXPECT_FALSE(MatchGlob("[^a]x", "ax"));
  EXPECT_TRUE(MatchGlob("[]]", "]"));
  EXPECT_TRUE(MatchGlob("[a-]", "-"));
  EXPECT_TRUE(MatchGlob("\\*.txt", "*.txt"));
  EXPECT_FALSE(MatchGlob("\\*.txt", "a.txt"));
  EXPECT_TRUE(MatchGlob("[x", "[x"));  // MatchGlob treats an unclosed '[' literally
}

TEST(GlobTest, PathologicalPatternsStayFastAndCorrect) {
  std::string glob;
  for (int i = 0; i < 20; ++i) glob += "**/";
  glob += "z";
  std::string path;
  for (int i = 0; i < 60; ++i) path += "d/";
  EXPECT_FALSE(MatchGlob(glob, path + "y"));
  EXPECT_TRUE(MatchGlob(glob, path + "z"));
  EXPECT_FALSE(MatchGlob("*a*a*a*a*a*a*a*b", std::string(200, 'a')));
  EXPECT_TRUE(MatchGlob("*a*a*a*a*a*a*a*b", std::string(200, 'a') + "b"));
}

TEST(GlobTest, ValidateRejectsBadGlobs) {
  EXPECT_TRUE(ValidateGlob("*/metadata.json").ok());
  EXPECT_TRUE(ValidateGlob("\\[literal").ok());
  EXPECT_TRUE(FailsWith(ValidateGlob(""), Code::kInvalidArgument, "empty"));
  EXPECT_TRUE(FailsWith(ValidateGlob("/abs"), Code::kInvalidArgument, "relative"));
  EXPECT_TRUE(FailsWith(ValidateGlob("a//b"), Code::kInvalidArgument, "empty path segment"));
  EXPECT_TRUE(FailsWith(ValidateGlob("a/"), Code::kInvalidArgument, "empty path segment"));
  EXPECT_TRUE(FailsWith(ValidateGlob("a/[bc"), Code::kInvalidArgument, "unclosed '['"));
  EXPECT_TRUE(FailsWith(ValidateGlob("a\\"), Code::kInvalidArgument, "ends in"));
  EXPECT_TRUE(FailsWith(ValidateGlob(std::string("a\0b", 3)), Code::kInvalidArgument, "NUL"));
  EXPECT_TRUE(FailsWith(ValidateGlob(std::string(kMaxGlobBytes + 1, 'a')), Code::kInvalidArgument,
                        "too long"));
}

IndexRule Rule(std::string root, std::string glob, IndexRule::Target target) {
  IndexRule rule;
  rule.id = "r";
  rule.root = std::move(root);
  rule.glob = std::move(glob);
  rule.target = target;
  return rule;
}

TEST(RuleCoversTest, PathMustBeStrictlyBelowRootAndMatch) {
  IndexRule rule = Rule("/runs", "*/metadata.json", IndexRule::Target::kParent);
  std::string relative;
  EXPECT_TRUE(RuleCovers(rule, "/runs/r1/metadata.json", &relative));
  EXPECT_EQ(relative, "r1/metadata.json");
  EXPECT_FALSE(RuleCovers(rule, "/runsx/r1/metadata.json", nullptr));
  EXPECT_FALSE(RuleCovers(rule, "/runs", nullptr));
  EXPECT_FALSE(RuleCovers(rule, "/runs/", nullptr));
  EXPECT_FALSE(RuleCovers(rule, "/runs/r1/sub/metadata.json", nullptr));
  EXPECT_FALSE(RuleCovers(rule, "/other/runs/r1/metadata.json", nullptr));
  IndexRule everywhere = Rule("/", "**/*.csv", IndexRule::Target::kFile);
  EXPECT_TRUE(RuleCovers(everywhere, "/t.csv", &relative));
  EXPECT_EQ(relative, "t.csv");
  EXPECT_TRUE(RuleCovers(everywhere, "/a/b/t.csv", nullptr));
  EXPECT_FALSE(RuleCovers(everywhere, "/a/b/t.json", nullptr));
}

TEST(RowPathTest, FileOrParent) {
  IndexRule file = Rule("/runs", "**", IndexRule::Target::kFile);
  IndexRule parent = Rule("/runs", "**", IndexRule::Target::kParent);
  EXPECT_EQ(RowPath(file, "/runs/r1/metadata.json"), "/runs/r1/metadata.json");
  EXPECT_EQ(RowPath(parent, "/runs/r1/metadata.json"), "/runs/r1");
  EXPECT_EQ(RowPath(parent, "/top.json"), "/");
}

}  // namespace
}  // namespace nokv::records
