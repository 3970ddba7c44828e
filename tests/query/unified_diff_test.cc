// UnifiedDiff: the hunks an agent sees after an edit, in diff -u's format.
#include "query/unified_diff.h"

#include <gtest/gtest.h>

namespace nokv::query {
namespace {

TEST(UnifiedDiffTest, EqualTextsHaveNoDiff) {
  EXPECT_EQ(UnifiedDiff("a\nb\n", "a\nb\n", "/f"), "");
}

TEST(UnifiedDiffTest, ChangedLineWithContext) {
  EXPECT_EQ(UnifiedDiff("1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nfive\n6\n7\n8\n", "/f"),
            "--- a/f\n+++ b/f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST(UnifiedDiffTest, InsertionIntoEmptyFileUsesAZeroRange) {
  EXPECT_EQ(UnifiedDiff("", "new\n", "/f"), "--- a/f\n+++ b/f\n@@ -0,0 +1 @@\n+new\n");
}

TEST(UnifiedDiffTest, MissingFinalNewlineIsMarked) {
  EXPECT_EQ(UnifiedDiff("a\nb", "a\nc", "/f"),
            "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n"
            "\\ No newline at end of file\n");
}

TEST(UnifiedDiffTest, DistantChangesGetTheirOwnHunks) {
  std::string before, after;
  for (int i = 1; i <= 20; ++i) {
    before += std::to_string(i) + "\n";
    after += (i == 2 || i == 18 ? "x" : std::to_string(i)) + "\n";
  }
  std::string diff = UnifiedDiff(before, after, "/f");
  EXPECT_NE(diff.find("@@ -1,5 +1,5 @@\n 1\n-2\n+x\n 3\n 4\n 5\n"), std::string::npos) << diff;
  EXPECT_NE(diff.find("@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+x\n 19\n 20\n"), std::string::npos)
      << diff;
}

TEST(UnifiedDiffTest, NearbyChangesShareAHunk) {
  std::string diff = UnifiedDiff("a\nb\nc\nd\ne\n", "A\nb\nc\nd\nE\n", "/f");
  EXPECT_EQ(diff, "--- a/f\n+++ b/f\n@@ -1,5 +1,5 @@\n-a\n+A\n b\n c\n d\n-e\n+E\n");
}

TEST(UnifiedDiffTest, LcsKeepsUnchangedLinesInsideTheChangedMiddle) {
  EXPECT_EQ(UnifiedDiff("a\nkeep\nb\n", "x\nkeep\ny\n", "/f", 0),
            "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+x\n@@ -3 +3 @@\n-b\n+y\n");
}

TEST(UnifiedDiffTest, OversizedMiddleIsShownAsRemovedThenAdded) {
  // With no room for the LCS table, "keep" is removed and added again:
  // longer, still a diff that turns one text into the other.
  EXPECT_EQ(UnifiedDiff("a\nkeep\nb\n", "x\nkeep\ny\n", "/f", 3, /*max_cells=*/1),
            "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n-a\n-keep\n-b\n+x\n+keep\n+y\n");
}

}  // namespace
}  // namespace nokv::query
