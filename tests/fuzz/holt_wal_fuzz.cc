// libFuzzer target for WAL recovery (holt/wal.h, holt/log_format.h,
// docs/formats/wal.md): the bytes become segment files in a fresh directory
// and go through ReplayWal, the code Engine::Open runs. The first byte picks
// the mode (low two bits):
//   0  one segment, replayed without repair (a read-only open)
//   1  one segment, replayed with repair; a second replay must see the same
//      records, and no torn tail when the first one cut it
//   2  two segments: a big-endian u16 length, the first, then the second
//   3  the rest is one batch payload, framed by the target behind a valid
//      header (so its checksums hold) and also decoded directly
// Properties: errors are a Status; every batch replay applies re-encodes to
// the same bytes and size; sequences applied are consecutive from 1.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/coding.h"
#include "common/env.h"
#include "common/logging.h"
#include "fuzz/fuzz_check.h"
#include "holt/batch.h"
#include "holt/log_format.h"
#include "holt/wal.h"
#include "test_dir.h"

namespace nokv::fuzz {
namespace {

using holt::Batch;

void WriteFile(const std::string& path, std::string_view bytes) {
  auto file = Env::Default()->NewWritableFile(path);
  Require(file.ok(), "the scratch file opens");
  Require((*file)->Append(bytes).ok() && (*file)->Close().ok(), "the scratch file is written");
}

// A decoded batch encodes back to a payload that decodes to the same batch.
void RequireBatchRoundTrips(uint64_t seq, const Batch& batch) {
  std::string again;
  batch.EncodeTo(seq, &again);
  Require(again.size() == batch.encoded_size(), "encoded_size() is the encoded size");
  uint64_t seq_back = 0;
  Batch back;
  Require(Batch::Decode(again, &seq_back, &back).ok(), "a re-encoded batch decodes");
  Require(seq_back == seq && back.ops().size() == batch.ops().size(), "batch header round-trips");
  for (size_t i = 0; i < back.ops().size(); ++i) {
    const holt::Op& a = batch.ops()[i];
    const holt::Op& b = back.ops()[i];
    Require(a.type == b.type && a.key == b.key && a.value == b.value, "batch ops round-trip");
  }
}

struct Replayed {
  Status status;
  holt::WalReplayStats stats;
  uint64_t applied = 0;
};

Replayed Replay(const std::string& dir, bool repair) {
  Replayed out;
  uint64_t expect = 1;
  out.status = holt::ReplayWal(
      Env::Default(), dir, 0, repair,
      [&](uint64_t seq, const Batch& batch) {
        Require(seq == expect++, "replay applies consecutive sequences");
        RequireBatchRoundTrips(seq, batch);
        out.applied++;
        return Status::Ok();
      },
      &out.stats);
  return out;
}

void FuzzSegments(std::string_view in, int mode) {
  testing::TempDir dir(testing::TempDir::InMemoryBase());
  if (mode == 2 && in.size() >= 2) {
    size_t n = std::min<size_t>(DecodeFixed16(in.data()), in.size() - 2);
    std::string_view second = in.substr(2 + n);
    in = in.substr(2, n);
    // The second segment is named after the first sequence its header
    // claims (when that is a later one), as WalWriter names it.
    uint64_t first_seq = 2;
    if (second.size() >= 20) first_seq = std::max<uint64_t>(2, DecodeFixed64(second.data() + 12));
    WriteFile(dir.Sub(holt::WalSegmentName(first_seq)), second);
  }
  WriteFile(dir.Sub(holt::WalSegmentName(1)), in);
  Replayed first = Replay(dir.path(), mode == 1);
  if (mode != 1 || !first.status.ok()) return;
  Replayed again = Replay(dir.path(), true);
  Require(again.status.ok(), "a repaired WAL replays");
  // A segment too short for its header is left for the writer to replace,
  // not cut; a torn tail after a valid header is cut.
  if (first.stats.cut_torn_tail) Require(!again.stats.torn_tail, "a cut WAL has no torn tail");
  Require(again.applied == first.applied && again.stats.last_seq == first.stats.last_seq,
          "a repaired WAL replays the same batches");
}

void FuzzPayload(std::string_view payload) {
  uint64_t seq = 0;
  Batch batch;
  if (Batch::Decode(payload, &seq, &batch).ok()) RequireBatchRoundTrips(seq, batch);
  std::string segment;
  holt::AppendFileHeader(&segment, holt::kWalMagic, holt::kWalVersion, 1);
  holt::AppendRecord(&segment, payload);
  FuzzSegments(segment, 0);
}

}  // namespace
}  // namespace nokv::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  nokv::SetLogLevel(nokv::LogLevel::kOff);  // torn tails are logged; not news here
  int mode = data[0] & 3;
  std::string_view in = nokv::fuzz::Rest(data, size);
  if (mode == 3) {
    nokv::fuzz::FuzzPayload(in);
  } else {
    nokv::fuzz::FuzzSegments(in, mode);
  }
  return 0;
}
