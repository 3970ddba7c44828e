#include "common/status.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "common/result.h"

namespace nokv {
namespace {

TEST(StatusTest, OkCarriesNoMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "ok");
  EXPECT_EQ(s.WithContext("x").ToString(), "ok");
}

TEST(StatusTest, ErrorsKeepCodeAndMessageThroughCopies) {
  Status s = Status::NotFound("/a/b");
  Status copy = s;
  EXPECT_EQ(copy.code(), Code::kNotFound);
  EXPECT_EQ(copy.ToString(), "not_found: /a/b");
  EXPECT_EQ(s.WithContext("stat").message(), "stat: /a/b");
  EXPECT_EQ(copy, s);
}

TEST(StatusTest, ReasonSurvivesCopiesAndContext) {
  Status s(Code::kAborted, "block was collected", Reason::kBlockCollected);
  Status copy = s;
  Status wrapped = copy.WithContext("publish /a");
  EXPECT_TRUE(wrapped.Is(Reason::kBlockCollected));
  EXPECT_TRUE(wrapped.Is(Code::kAborted));
  EXPECT_EQ(wrapped.message(), "publish /a: block was collected");
  EXPECT_FALSE(Status::Aborted("block was collected").Is(Reason::kBlockCollected));
  EXPECT_NE(Status::Aborted("x"), Status(Code::kAborted, "x", Reason::kStaleRead));
  EXPECT_EQ(ReasonName(Reason::kPredicateFailed), "predicate_failed");
}

TEST(StatusTest, ErrnoMapsToCodes) {
  EXPECT_EQ(Status::FromErrno(ENOENT, "p").code(), Code::kNotFound);
  EXPECT_EQ(Status::FromErrno(ENOSPC, "p").code(), Code::kNoSpace);
  EXPECT_EQ(Status::FromErrno(EIO, "p").code(), Code::kIOError);
  EXPECT_NE(Status::FromErrno(ENOENT, "path").message().find("path"), std::string_view::npos);
}

Result<int> Half(int v) {
  if (v % 2) return Status::InvalidArgument("odd");
  return v / 2;
}

Result<int> Quarter(int v) {
  NOKV_ASSIGN_OR_RETURN(int h, Half(v));
  return Half(h);
}

TEST(ResultTest, ValueOrError) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.value_or(-1), -1);
}

TEST(ResultTest, HoldsMoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

}  // namespace
}  // namespace nokv
