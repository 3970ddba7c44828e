// Client roots: URIs to paths, the intersection with the server's root, and
// the root a call runs in.
#include "query/roots.h"

#include <gtest/gtest.h>

namespace nokv::query {
namespace {

TEST(RootsTest, FileAndNativeUrisNameNamespacePaths) {
  EXPECT_EQ(RootUriPath("file:///runs/r1"), "/runs/r1");
  EXPECT_EQ(RootUriPath("nokv-native:///runs/"), "/runs");
  EXPECT_EQ(RootUriPath("file:///with%20space/x"), "/with space/x");
  EXPECT_EQ(RootUriPath("file:///"), "/");
  EXPECT_EQ(RootUriPath("file://host/runs"), std::nullopt);
  EXPECT_EQ(RootUriPath("https:///runs"), std::nullopt);
  EXPECT_EQ(RootUriPath("file:///a/../b"), std::nullopt);
  EXPECT_EQ(RootUriPath("file:///bad%2"), std::nullopt);
}

TEST(RootsTest, IntersectionKeepsWhatBothAllow) {
  using V = std::vector<std::string>;
  EXPECT_EQ(IntersectRoots("/proj", {"/proj/a"}), V{"/proj/a"});
  EXPECT_EQ(IntersectRoots("/proj", {"/"}), V{"/proj"});
  EXPECT_EQ(IntersectRoots("/proj", {"/other", "/projects"}), V{});
  EXPECT_EQ(IntersectRoots("/proj", {"/proj/b", "/proj/a", "/proj/a/x", "/proj/b"}),
            (V{"/proj/a", "/proj/b"}));
  EXPECT_EQ(IntersectRoots("/", {"/proj/a/x", "/proj"}), V{"/proj"});
}

TEST(RootsTest, CallRunsInTheRootHoldingItsPaths) {
  std::vector<std::string> roots = {"/proj/a", "/proj/b"};
  std::string root;
  ASSERT_TRUE(RootForCall({{"path", "/proj/b/x"}}, roots, &root).ok());
  EXPECT_EQ(root, "/proj/b");
  ASSERT_TRUE(
      RootForCall({{"evidence", "nokv-native:///proj/a/f@generation:3#L2"}}, roots, &root).ok());
  EXPECT_EQ(root, "/proj/a");
  VerbError outside = RootForCall({{"path", "/proj/c"}}, roots, &root);
  EXPECT_EQ(outside.code, "not_found");
  EXPECT_NE(outside.message.find("/proj/a, /proj/b"), std::string::npos) << outside.message;
  EXPECT_EQ(RootForCall({{"paths", {"/proj/a/x", "/proj/b/y"}}}, roots, &root).code,
            "invalid_argument");
  EXPECT_EQ(RootForCall({{"path", "/proj/a"}}, {}, &root).code, "not_found");
}

}  // namespace
}  // namespace nokv::query
