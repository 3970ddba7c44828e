// Exported images: ExportImage writes the state one view sees (with the
// durable pins it carries) while commits go on, and InstallImage makes it a
// new engine directory that opens to exactly that state.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/coding.h"
#include "engine_test_util.h"
#include "holt/engine.h"
#include "holt/log_format.h"

namespace nokv::holt {
namespace {

using testing::Dump;
using testing::MustCommit;
using testing::Put;
using testing::TestOptions;

class ImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto e = Engine::Open(JoinPath(dir_.path(), "src"), TestOptions());
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value();
  }

  // Exports `view` to a file and returns its path.
  std::string Export(const ReadView& view, ImageInfo* info = nullptr) {
    std::string path = JoinPath(dir_.path(), "image-" + std::to_string(++images_));
    auto file = Env::Default()->NewWritableFile(path);
    EXPECT_TRUE(file.ok());
    auto written = engine_->ExportImage(view, file->get());
    EXPECT_TRUE(written.ok()) << written.status().ToString();
    EXPECT_TRUE((*file)->Sync().ok());
    EXPECT_TRUE((*file)->Close().ok());
    if (info != nullptr && written.ok()) *info = *written;
    return path;
  }

  std::unique_ptr<Engine> OpenInstalled(const std::string& image, const std::string& name) {
    std::string dir = JoinPath(dir_.path(), name);
    Status s = InstallImage(Env::Default(), image, dir);
    EXPECT_TRUE(s.ok()) << s.ToString();
    auto e = Engine::Open(dir, TestOptions());
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? std::move(e).value() : nullptr;
  }

  nokv::testing::TempDir dir_{nokv::testing::TempDir::InMemoryBase()};
  std::unique_ptr<Engine> engine_;
  int images_ = 0;
};

TEST_F(ImageTest, InstalledImageHoldsExactlyTheViewsState) {
  for (int round = 0; round < 5; ++round) {
    Batch b;
    for (int i = round * 1000; i < (round + 1) * 1000; ++i) {
      b.Put("k" + std::to_string(i), std::string(i % 97, 'v'));
    }
    MustCommit(*engine_, b);
  }
  ReadView view = engine_->Pin();
  auto at_view = Dump(*engine_, &view);
  // Later commits change, add and delete keys; none of it is in the image.
  Put(*engine_, "k1", "changed");
  Put(*engine_, "late", "x");
  Batch del;
  del.Delete("k2");
  MustCommit(*engine_, del);

  ImageInfo info;
  std::string image = Export(view, &info);
  EXPECT_EQ(info.seq, view.seq());
  EXPECT_EQ(info.keys, at_view.size());
  auto restored = OpenInstalled(image, "restored");
  ASSERT_NE(restored, nullptr);
  EXPECT_EQ(Dump(*restored), at_view);
  EXPECT_EQ(restored->visible_seq(), view.seq());
  // The restored engine is a normal one: it commits after the image's
  // sequence and keeps what it commits across a reopen.
  uint64_t next = Put(*restored, "after", "restore");
  EXPECT_GT(next, view.seq());
  std::string dir = restored->dir();
  restored.reset();
  auto reopened = Engine::Open(dir, TestOptions());
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->Get("after")->bytes, "restore");
  EXPECT_EQ((*reopened)->Get("k1")->bytes, "v");
}

TEST_F(ImageTest, DurablePinsAtOrBeforeTheViewTravelWithTheirHistory) {
  Put(*engine_, "a", "old");
  Batch pin;
  pin.Pin("keep");
  uint64_t pinned = MustCommit(*engine_, pin);
  Put(*engine_, "a", "new");
  ReadView view = engine_->Pin();
  Batch later;
  later.Pin("later");  // after the view: not in the image
  MustCommit(*engine_, later);

  auto restored = OpenInstalled(Export(view), "restored");
  ASSERT_NE(restored, nullptr);
  auto pins = restored->DurablePins();
  ASSERT_EQ(pins.size(), 1u);
  EXPECT_EQ(pins["keep"], pinned);
  auto old_view = restored->PinDurable("keep");
  ASSERT_TRUE(old_view.ok());
  EXPECT_EQ(restored->Get("a", &*old_view)->bytes, "old");
  EXPECT_EQ(restored->Get("a")->bytes, "new");
}

TEST_F(ImageTest, ExportDuringCommitsIsOneConsistentState) {
  // Two keys always change together; an image that tore a commit apart
  // would hold them at different counts.
  Batch first;
  first.Put("x", "0");
  first.Put("y", "0");
  MustCommit(*engine_, first);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 1; !stop.load(); ++i) {
      Batch b;
      b.Put("x", std::to_string(i));
      b.Put("y", std::to_string(i));
      b.Put("filler" + std::to_string(i % 3000), std::string(64, 'f'));
      if (!engine_->Commit(b).ok()) break;
    }
  });
  std::vector<std::string> images;
  std::vector<std::map<std::string, std::string>> expected;
  uint64_t last = 0;
  for (int round = 0; round < 5; ++round) {
    // Each image is taken after the writer has moved on.
    ASSERT_TRUE(engine_->WaitVisibleAfter(
        last, std::chrono::steady_clock::now() + std::chrono::seconds(30)));
    ReadView view = engine_->Pin();
    last = view.seq();
    expected.push_back(Dump(*engine_, &view));
    images.push_back(Export(view));
  }
  stop = true;
  writer.join();
  for (size_t i = 0; i < images.size(); ++i) {
    auto restored = OpenInstalled(images[i], "restored-" + std::to_string(i));
    ASSERT_NE(restored, nullptr);
    auto state = Dump(*restored);
    EXPECT_EQ(state, expected[i]);
    EXPECT_EQ(state["x"], state["y"]);
  }
}

TEST_F(ImageTest, InstallRefusesANonEmptyDirectoryAndAFileThatIsNoImage) {
  Put(*engine_, "a", "1");
  ReadView view = engine_->Pin();
  std::string image = Export(view);
  std::string busy = JoinPath(dir_.path(), "busy");
  ASSERT_TRUE(Env::Default()->CreateDirs(busy).ok());
  ASSERT_TRUE(Env::Default()->WriteFileAtomically(JoinPath(busy, "x"), "x").ok());
  EXPECT_EQ(InstallImage(Env::Default(), image, busy).code(), Code::kAlreadyExists);
  EXPECT_TRUE(Env::Default()->FileExists(image));  // left where it was

  std::string junk = JoinPath(dir_.path(), "junk");
  ASSERT_TRUE(Env::Default()->WriteFileAtomically(junk, std::string(64, 'j')).ok());
  EXPECT_EQ(InstallImage(Env::Default(), junk, JoinPath(dir_.path(), "j")).code(),
            Code::kCorruption);
}

TEST_F(ImageTest, ADamagedRecordIsFoundWhenTheInstalledImageOpens) {
  for (int i = 0; i < 100; ++i) Put(*engine_, "k" + std::to_string(i), "value");
  ReadView view = engine_->Pin();
  std::string image = Export(view);
  auto size = Env::Default()->GetFileSize(image);
  ASSERT_TRUE(size.ok());
  // Flip one byte in the middle of the data.
  std::string bytes;
  {
    auto file = Env::Default()->NewRandomAccessFile(image);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Read(0, *size, &bytes).ok());
  }
  bytes[bytes.size() / 2] ^= 0x40;
  ASSERT_TRUE(Env::Default()->WriteFileAtomically(image, bytes).ok());
  std::string dir = JoinPath(dir_.path(), "damaged");
  ASSERT_TRUE(InstallImage(Env::Default(), image, dir).ok());
  auto e = Engine::Open(dir, TestOptions());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Code::kCorruption) << e.status().ToString();
}

// Found by tests/fuzz/holt_checkpoint_fuzz: an image whose meta record held a
// pin newer than the image loaded, and a reader pinned there would have seen
// commits made after the image. Such an image is damaged.
TEST_F(ImageTest, APinAfterTheImagesSequenceIsCorruption) {
  std::string meta = "M";
  PutFixed64(&meta, 2);  // the image's sequence
  meta += '\x01';        // one pin
  meta += '\x04';
  meta += "snap";
  PutFixed64(&meta, 9);  // after the image
  std::string end = "E";
  PutFixed64(&end, 0);
  PutFixed64(&end, 0);
  std::string image;
  AppendFileHeader(&image, std::string_view("HOLTCKPT", 8), 2, 2);
  AppendRecord(&image, meta);
  AppendRecord(&image, end);
  std::string path = JoinPath(dir_.path(), "pin-after");
  ASSERT_TRUE(Env::Default()->WriteFileAtomically(path, image).ok());
  std::string dir = JoinPath(dir_.path(), "installed");
  ASSERT_TRUE(InstallImage(Env::Default(), path, dir).ok());
  auto e = Engine::Open(dir, TestOptions());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Code::kCorruption);
  EXPECT_NE(e.status().message().find("pin after the image's sequence"), std::string::npos)
      << e.status().ToString();
}

}  // namespace
}  // namespace nokv::holt
