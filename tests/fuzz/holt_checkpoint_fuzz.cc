// libFuzzer target for checkpoint images (docs/formats/checkpoint.md): the
// bytes become an image file that InstallImage takes into a fresh engine
// directory and Engine::Open loads, the path a restart and `nokv restore`
// take. The first byte picks the mode (low bit):
//   0  the rest is the image file as is
//   1  the rest is a list of record payloads, each a big-endian u16 length
//      and that many bytes, framed by the target behind a valid version 2
//      header (so checksums hold and the decoder behind them is reached);
//      the header's sequence is the one a leading meta record names
// Properties: errors are a Status; an image that loads exports (ExportImage)
// to one that loads to the same keys, values and durable pins.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/coding.h"
#include "common/env.h"
#include "common/logging.h"
#include "fuzz/fuzz_check.h"
#include "holt/engine.h"
#include "holt/log_format.h"
#include "test_dir.h"

namespace nokv::fuzz {
namespace {

// docs/formats/checkpoint.md: magic and the version with split keys.
constexpr std::string_view kImageMagic{"HOLTCKPT", 8};
constexpr uint32_t kImageVersion = 2;

void WriteFile(const std::string& path, std::string_view bytes) {
  auto file = Env::Default()->NewWritableFile(path);
  Require(file.ok(), "the scratch file opens");
  Require((*file)->Append(bytes).ok() && (*file)->Close().ok(), "the scratch file is written");
}

holt::Options EngineOptions() {
  holt::Options options;
  options.durability = holt::Durability::kNone;
  options.background_work = false;
  options.checkpoint_wal_bytes = 0;
  return options;
}

// Every live key of `engine`, in order.
std::vector<holt::Entry> ScanAll(holt::Engine& engine) {
  std::vector<holt::Entry> all;
  holt::ScanOptions scan;
  while (true) {
    auto page = engine.Scan(scan);
    Require(page.ok(), "a loaded engine scans");
    all.insert(all.end(), page->begin(), page->end());
    if (page->size() < scan.limit) return all;
    scan.start_after = page->back().key;
  }
}

void FuzzImage(std::string_view image) {
  testing::TempDir dir(testing::TempDir::InMemoryBase());
  WriteFile(dir.Sub("image"), image);
  if (!holt::InstallImage(Env::Default(), dir.Sub("image"), dir.Sub("db")).ok()) return;
  auto engine = holt::Engine::Open(dir.Sub("db"), EngineOptions());
  if (!engine.ok()) return;
  std::vector<holt::Entry> entries = ScanAll(**engine);
  std::map<std::string, uint64_t> pins = (*engine)->DurablePins();
  {
    auto out = Env::Default()->NewWritableFile(dir.Sub("export"));
    Require(out.ok(), "the export file opens");
    holt::ReadView view = (*engine)->Pin();
    Require((*engine)->ExportImage(view, out->get()).ok(), "a loaded image exports");
    Require((*out)->Close().ok(), "the export file closes");
  }
  engine->reset();
  Require(holt::InstallImage(Env::Default(), dir.Sub("export"), dir.Sub("again")).ok(),
          "an exported image installs");
  auto again = holt::Engine::Open(dir.Sub("again"), EngineOptions());
  Require(again.ok(), "an exported image loads");
  std::vector<holt::Entry> back = ScanAll(**again);
  Require(back.size() == entries.size(), "an exported image has the same keys");
  for (size_t i = 0; i < back.size(); ++i) {
    Require(back[i].key == entries[i].key && back[i].value == entries[i].value,
            "an exported image has the same values");
  }
  Require((*again)->DurablePins() == pins, "an exported image has the same durable pins");
}

// Frames u16-length-prefixed payloads as image records.
std::string FrameRecords(std::string_view in) {
  std::vector<std::string_view> payloads;
  while (in.size() >= 2) {
    size_t n = std::min<size_t>(DecodeFixed16(in.data()), in.size() - 2);
    payloads.push_back(in.substr(2, n));
    in.remove_prefix(2 + n);
  }
  uint64_t seq = 0;
  if (!payloads.empty() && payloads[0].size() >= 9 && payloads[0][0] == 'M') {
    seq = DecodeFixed64(payloads[0].data() + 1);
  }
  std::string image;
  holt::AppendFileHeader(&image, kImageMagic, kImageVersion, seq);
  for (std::string_view payload : payloads) holt::AppendRecord(&image, payload);
  return image;
}

}  // namespace
}  // namespace nokv::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  nokv::SetLogLevel(nokv::LogLevel::kOff);
  std::string_view in = nokv::fuzz::Rest(data, size);
  if (data[0] & 1) {
    nokv::fuzz::FuzzImage(nokv::fuzz::FrameRecords(in));
  } else {
    nokv::fuzz::FuzzImage(in);
  }
  return 0;
}
