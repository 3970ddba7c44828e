// Parsing stays within a fixed address space (issue #10 item 5): a million-element
// YAML or JSON body parses in a child process limited to 256 MiB (RLIMIT_AS), and a
// body over the value limit is a parse error, not an out-of-memory kill. Its own
// binary: the child must not inherit test-runner threads.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <string>

#include "records/format.h"

namespace nokv::records {
namespace {

constexpr rlim_t kAddressSpace = rlim_t{256} << 20;

// Exit codes of the child.
constexpr int kParsed = 0;
constexpr int kParseError = 2;
constexpr int kOtherError = 3;

// Runs `body` through ParseRecords in a child limited to kAddressSpace; returns its exit
// code (kParsed with `want_records` records, kParseError for a parse limit error).
int ParseInLimitedChild(const std::string& body, RecordFormat format, size_t want_records) {
  pid_t pid = fork();
  if (pid == 0) {
    rlimit limit{kAddressSpace, kAddressSpace};
    if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(10);
    auto parsed = ParseRecords(body, format);
    if (parsed.ok()) _exit(parsed->records.size() == want_records ? kParsed : 11);
    bool limit_error = parsed.status().code() == Code::kInvalidArgument &&
                       parsed.status().message().find("parse limit") != std::string::npos;
    _exit(limit_error ? kParseError : kOtherError);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  if (!WIFEXITED(status)) return 128 + WTERMSIG(status);  // killed: out of memory, abort
  return WEXITSTATUS(status);
}

std::string YamlList(size_t n) {
  std::string body;
  body.reserve(n * 4);
  for (size_t i = 0; i < n; ++i) body += "- 1\n";
  return body;
}

std::string JsonArray(size_t n, const std::string& element) {
  std::string body = "[";
  body.reserve(n * (element.size() + 1) + 2);
  for (size_t i = 0; i < n; ++i) {
    if (i) body += ',';
    body += element;
  }
  return body + "]";
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

class ParseMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A sanitizer reserves terabytes of address space for its shadow memory,
    // so an RLIMIT_AS bound cannot hold; the plain build runs these.
    if (kSanitized) GTEST_SKIP() << "address-space limits do not apply under a sanitizer";
  }
};

TEST_F(ParseMemoryTest, AMillionElementYamlListParsesIn256MiB) {
  EXPECT_EQ(ParseInLimitedChild(YamlList(1'000'000), RecordFormat::kYaml, 1'000'000), kParsed);
}

TEST_F(ParseMemoryTest, AMillionElementJsonArrayParsesIn256MiB) {
  EXPECT_EQ(ParseInLimitedChild(JsonArray(1'000'000, "1"), RecordFormat::kJson, 1'000'000),
            kParsed);
}

constexpr size_t kOver = kMaxParsedValues + 1;

TEST_F(ParseMemoryTest, AYamlBodyOverTheValueLimitIsAParseError) {
  EXPECT_EQ(ParseInLimitedChild(YamlList(kOver), RecordFormat::kYaml, 0), kParseError);
}

TEST_F(ParseMemoryTest, AJsonBodyOverTheValueLimitIsAParseError) {
  EXPECT_EQ(ParseInLimitedChild(JsonArray(kOver, "1"), RecordFormat::kJson, 0), kParseError);
  // Objects cost more per value than numbers; the limit counts every value.
  EXPECT_EQ(ParseInLimitedChild(JsonArray(kOver / 2, "{\"k\":1}"), RecordFormat::kJson, 0),
            kParseError);
}

TEST_F(ParseMemoryTest, AJsonlBodyOverTheValueLimitIsAParseError) {
  std::string jsonl;
  for (size_t i = 0; i < kOver; ++i) jsonl += "1\n";
  EXPECT_EQ(ParseInLimitedChild(jsonl, RecordFormat::kJsonl, 0), kParseError);
}

TEST_F(ParseMemoryTest, ACsvBodyOverTheValueLimitIsAParseError) {
  std::string csv = "a,b\n";
  for (size_t i = 0; i < kOver / 3 + 1; ++i) csv += "1,2\n";
  EXPECT_EQ(ParseInLimitedChild(csv, RecordFormat::kCsv, 0), kParseError);
}

}  // namespace
}  // namespace nokv::records
