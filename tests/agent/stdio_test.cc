// The capped line reader: splitting, CR LF, a last line without newline,
// and huge lines skipped with bounded memory.
#include "agent/stdio.h"

#include <gtest/gtest.h>

#include <thread>

namespace nokv::agent {
namespace {

// A source that hands out at most `chunk` bytes per Read.
class ChunkedSource : public ByteSource {
 public:
  ChunkedSource(std::string data, size_t chunk) : data_(std::move(data)), chunk_(chunk) {}
  long Read(char* buf, size_t cap) override {
    size_t n = std::min({cap, chunk_, data_.size() - pos_});
    std::copy_n(data_.data() + pos_, n, buf);
    pos_ += n;
    return static_cast<long>(n);
  }

 private:
  std::string data_;
  size_t chunk_;
  size_t pos_ = 0;
};

std::vector<std::string> ReadAll(ByteSource* source, size_t max_line) {
  LineReader reader(source, max_line);
  std::vector<std::string> out;
  std::string line;
  for (;;) {
    auto event = reader.Next(&line);
    if (event == LineReader::Event::kEnd) return out;
    out.push_back(event == LineReader::Event::kTooLong ? "<too long>" : line);
  }
}

TEST(LineReaderTest, SplitsLinesAcrossReads) {
  for (size_t chunk : {1, 3, 1000}) {
    ChunkedSource source("a\nbb\r\n\nccc", chunk);
    EXPECT_EQ(ReadAll(&source, 100), (std::vector<std::string>{"a", "bb", "", "ccc"}));
  }
}

TEST(LineReaderTest, TooLongLineIsSkippedAndNextLineRead) {
  std::string huge(10u << 20, 'x');
  ChunkedSource source("first\n" + huge + "\nnext\n", 1 << 16);
  EXPECT_EQ(ReadAll(&source, 4u << 20), (std::vector<std::string>{"first", "<too long>", "next"}));
}

TEST(LineReaderTest, LineAtTheCapIsAccepted) {
  std::string exact(1000, 'y');
  ChunkedSource source(exact + "\n" + exact + "z\n", 7);
  EXPECT_EQ(ReadAll(&source, 1000), (std::vector<std::string>{exact, "<too long>"}));
}

TEST(LineReaderTest, TooLongFinalLineWithoutNewline) {
  ChunkedSource source(std::string(5000, 'q'), 512);
  EXPECT_EQ(ReadAll(&source, 100), (std::vector<std::string>{"<too long>"}));
}

TEST(MemorySourceTest, BlocksUntilPushedOrClosed) {
  MemorySource source;
  std::thread writer([&] {
    source.Push("one\ntw");
    source.Push("o\n");
    source.Close();
  });
  EXPECT_EQ(ReadAll(&source, 100), (std::vector<std::string>{"one", "two"}));
  writer.join();
}

TEST(MemorySinkTest, WaitForTakesEachLineOnce) {
  MemorySink sink;
  sink.WriteLine("a1");
  sink.WriteLine("a2");
  auto starts_a = [](const std::string& l) { return l.starts_with("a"); };
  EXPECT_EQ(sink.WaitFor(starts_a, std::chrono::milliseconds(10)), "a1");
  EXPECT_EQ(sink.WaitFor(starts_a, std::chrono::milliseconds(10)), "a2");
  EXPECT_EQ(sink.WaitFor(starts_a, std::chrono::milliseconds(10)), "");
}

}  // namespace
}  // namespace nokv::agent
