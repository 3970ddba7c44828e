// Writes the seed corpora of tests/fuzz (one directory per target, one file
// per seed) from the real encoders, so seeds follow the formats they start
// from. Not run by the tests: run it by hand after a format change and
// commit what changed:
//   build/tests/fuzz/fuzz_seed_writer tests/fuzz/corpus
// The rpc corpus is older and written by hand (see its file names).
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/coding.h"
#include "common/env.h"
#include "fs/backup.h"
#include "holt/batch.h"
#include "holt/engine.h"
#include "holt/log_format.h"
#include "holt/wal.h"
#include "meta/codec.h"
#include "meta/index_keys.h"
#include "meta/merge.h"
#include "object/block.h"
#include "query/cursor.h"
#include "query/evidence.h"
#include "records/value.h"
#include "test_dir.h"

namespace nokv::fuzz {
namespace {

namespace fs = std::filesystem;

class SeedDir {
 public:
  SeedDir(const fs::path& root, std::string_view target) : dir_(root / target) {
    fs::create_directories(dir_);
  }
  // Seed `name`: the selector byte, then `body`.
  void Add(std::string_view name, uint8_t selector, std::string_view body) const {
    AddRaw(name, std::string(1, static_cast<char>(selector)) + std::string(body));
  }
  // Seed `name` holding `bytes` only (targets without a selector byte).
  void AddRaw(std::string_view name, std::string_view bytes) const {
    std::ofstream out(dir_ / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

 private:
  fs::path dir_;
};

std::string U8Prefixed(std::string_view s) {
  return std::string(1, static_cast<char>(s.size())) + std::string(s);
}

std::string U16Prefixed(std::string_view s) {
  std::string out;
  PutFixed16(&out, static_cast<uint16_t>(s.size()));
  return out + std::string(s);
}

std::string BatchPayload(uint64_t seq, int variant) {
  holt::Batch batch;
  batch.Put("i\x00\x00\x00\x00\x00\x00\x00\x01" + std::to_string(variant), "value");
  if (variant % 2 == 0) batch.Delete("d/gone");
  if (variant == 2) batch.Pin("snapshot-a");
  if (variant == 3) batch.Unpin("snapshot-a");
  std::string payload;
  batch.EncodeTo(seq, &payload);
  return payload;
}

std::string Segment(uint64_t first_seq, uint64_t count) {
  std::string segment;
  holt::AppendFileHeader(&segment, holt::kWalMagic, holt::kWalVersion, first_seq);
  for (uint64_t i = 0; i < count; ++i) {
    holt::AppendRecord(&segment, BatchPayload(first_seq + i, static_cast<int>(i)));
  }
  return segment;
}

void WriteWalSeeds(const fs::path& root) {
  SeedDir seeds(root, "holt_wal");
  std::string three = Segment(1, 3);
  seeds.Add("segment_three_batches", 0, three);
  seeds.Add("segment_header_only", 0, Segment(1, 0));
  seeds.Add("segment_torn_tail_repair", 1, three + Segment(4, 1).substr(holt::kFileHeaderSize, 9));
  seeds.Add("segment_zero_tail_repair", 1, three + std::string(700, '\0'));
  seeds.Add("segments_two", 2, U16Prefixed(Segment(1, 2)) + Segment(3, 2));
  seeds.Add("payload_batch", 3, BatchPayload(1, 2));
}

// An image of a small engine: several keys, a durable pin holding an older
// version, a deleted key the pin still sees.
std::string ImageBytes() {
  testing::TempDir dir;
  holt::Options options;
  options.background_work = false;
  options.durability = holt::Durability::kNone;
  auto engine = holt::Engine::Open(dir.Sub("db"), options);
  if (!engine.ok()) return {};
  holt::Batch first;
  first.Put("a/one", "1");
  first.Put("a/two", "2");
  first.Put("b/gone", "x");
  first.Pin("snap");
  (void)(*engine)->Commit(first);
  holt::Batch second;
  second.Put("a/one", "one, again");
  second.Delete("b/gone");
  second.Put(std::string("k\0bin", 5), std::string(40, 'v'));
  (void)(*engine)->Commit(second);
  auto out = Env::Default()->NewWritableFile(dir.Sub("image"));
  if (!out.ok()) return {};
  (void)(*engine)->ExportImage((*engine)->Pin(), out->get());
  (void)(*out)->Close();
  std::string bytes;
  (void)Env::Default()->ReadFileToString(dir.Sub("image"), &bytes);
  return bytes;
}

void WriteCheckpointSeeds(const fs::path& root) {
  SeedDir seeds(root, "holt_checkpoint");
  std::string image = ImageBytes();
  seeds.Add("image", 0, image);
  seeds.Add("image_truncated", 0, image.substr(0, image.size() - 7));
  // The same records as u16-length-prefixed payloads (mode 1).
  std::string framed;
  for (size_t at = holt::kFileHeaderSize; at + holt::kRecordHeaderSize <= image.size();) {
    uint32_t n = DecodeFixed32(image.data() + at);
    framed += U16Prefixed(image.substr(at + holt::kRecordHeaderSize, n));
    at += holt::kRecordHeaderSize + n;
  }
  seeds.Add("records", 1, framed);
  std::string meta_only;
  PutFixed64(&meta_only, 5);
  seeds.Add("records_meta_and_end", 1,
            U16Prefixed("M" + meta_only + std::string(1, '\0')) +
                U16Prefixed("E" + std::string(16, '\0')));
}

object::BodyLayout Layout(const std::vector<std::string>& blocks, uint32_t chunk_size) {
  object::BodyLayout layout;
  std::string body;
  for (const std::string& block : blocks) {
    layout.blocks.push_back({Sha256::Of(block), block.size()});
    if (chunk_size != 0) object::AppendChunkCrcs(block, chunk_size, &layout.chunk_crcs);
    body += block;
  }
  layout.size = body.size();
  layout.chunk_size = chunk_size;
  if (blocks.size() >= 2) {
    layout.digest_kind = object::DigestKind::kBlockList;
    layout.digest = object::BlockListDigest(layout.size, layout.blocks);
  } else {
    layout.digest = Sha256::Of(body);
  }
  return layout;
}

void WriteMetaSeeds(const fs::path& root) {
  using namespace nokv::meta;  // the codecs the seeds come from
  SeedDir seeds(root, "meta");
  Attr file;
  file.inode = 42;
  file.mode = 0644;
  file.uid = 1000;
  file.size = 150;
  file.mtime_ns = 1700000000000000000;
  file.generation = 17;
  file.parent = 1;
  file.name = "train.jsonl";
  Attr dir;
  dir.inode = 1;
  dir.type = FileType::kDirectory;
  dir.nlink = 2;
  dir.child_count = 3;
  Attr link = file;
  link.type = FileType::kSymlink;
  link.symlink_target = "../data/a";
  seeds.Add("attr_file", 0, EncodeAttr(file));
  seeds.Add("attr_dir", 0, EncodeAttr(dir));
  seeds.Add("attr_symlink", 0, EncodeAttr(link));
  seeds.Add("dentry", 1, EncodeDentry(5, FileType::kDirectory));
  std::string a(100, 'a'), b(50, 'b');
  Manifest two{Layout({a, b}, 32), "application/jsonl", "trainer"};
  Manifest one{Layout({a}, 0), "", ""};
  seeds.Add("manifest_v2_two_blocks", 2, EncodeManifest(two));
  seeds.Add("manifest_v1_one_block", 2, EncodeManifest(one));
  seeds.Add("snapshot", 3, EncodeSnapshot({"snap", "/data", 99, 1700000000, 1800000000}));
  seeds.Add("backup", 4, EncodeBackup({"b1", 99, 1700000000, "s3://bucket/backups"}));
  Event first;
  first.type = EventType::kRename;
  first.path = "/runs/a/metrics.jsonl";
  first.old_path = "/runs/a/tmp";
  first.inode = 42;
  first.time_ns = 1700000000;
  Event next;
  next.type = EventType::kPublish;
  next.path = "/runs/a/metrics.json";
  next.inode = 43;
  seeds.Add("event_first", 5, U8Prefixed("") + EncodeEvent(first));
  seeds.Add("event_shared_prefix", 5, U8Prefixed(first.path) + EncodeEvent(next, first.path));
  seeds.Add("block_ref", 6, EncodeBlockRef({3, BlockState::kLive}));
  seeds.Add("block_ref_claimed", 6, EncodeBlockRef({0, BlockState::kClaimed}));
  seeds.Add("dedupe", 7, EncodeDedupe({12, 42, 1700000000}));
  seeds.Add("gc_hint", 8, EncodeGcHint({42, 43, 1000000}));
  records::IndexRule rule;
  rule.id = "runs";
  rule.root = "/runs";
  rule.glob = "*/metrics.jsonl";
  records::FieldSpec loss;
  loss.id = "loss";
  loss.source = "$.loss";
  loss.type = records::FieldType::kNumber;
  loss.reducer = records::Reducer::kMin;
  rule.fields.push_back(loss);
  seeds.Add("rule_record", 9,
            EncodeRuleRecord({rule, IndexRuleState::kBackfilling, "/runs/a/metrics.jsonl"}));
  records::Row row;
  row.fields["loss"] = {records::TypedValue::Number(0.25)};
  row.fields["status"] = {records::TypedValue::String("done"), records::TypedValue::Bool(true)};
  seeds.Add("stored_row", 10, EncodeStoredRow({"metrics.jsonl", row}));
  seeds.Add("merge_dir_update", 11,
            U8Prefixed(InodeKey(1)) + U8Prefixed(EncodeAttr(dir)) +
                DirMoveOperand(1, 0, 1700000000, 7, "moved"));
  seeds.Add("merge_block_delta", 11,
            U8Prefixed(BlockRefKey(Sha256::Of(a))) + U8Prefixed(EncodeBlockRef({1})) +
                BlockDeltaOperand(-1, false));
  seeds.Add("merge_totals", 11,
            U8Prefixed(kTotalsKey) + U8Prefixed(EncodeTotals({3, 2, 1, 4096})) +
                TotalsOperand(1, 0, 0, 150));
  seeds.Add("merge_high_water", 11,
            U8Prefixed(kInodeHighWaterKey) + U8Prefixed("") + HighWaterOperand(77));
  seeds.Add("block_verified", 12, U16Prefixed(EncodeManifest(one)) + a);
  seeds.Add("block_damaged", 12, U16Prefixed(EncodeManifest(one)) + std::string(100, 'A'));
}

void WriteRecordsSeeds(const fs::path& root) {
  SeedDir seeds(root, "records");
  auto parse = [](int format) { return static_cast<uint8_t>(format << 2); };
  auto extract = [](int format) { return static_cast<uint8_t>(1 | format << 2); };
  const std::string json = R"([{"run":{"id":"a","epochs":10},"status":"done","tags":["x","y"]},
{"run":{"id":"b","epochs":"ten"},"status":null,"value":1e300}])";
  const std::string jsonl =
      "{\"name\":\"val_loss\",\"value\":0.5,\"step\":1}\n{\"name\":\"val_loss\",\"value\":0.25}\n"
      "\n{\"name\":\"lr\",\"value\":0.001}\n";
  const std::string yaml =
      "base: &b {lr: 0.1, opt: adam}\nrun:\n  <<: *b\n  epochs: 3\n  on: yes\n---\n- 1\n- two\n"
      "- .inf\n";
  const std::string csv = "name,value,ok\n\"a, quoted\",1.5,TRUE\nb,,false\n\"c\"\"d\",-0,x\n";
  const std::string text = "first line\r\nsecond \xff line\n\nlast";
  seeds.Add("parse_json", parse(0), json);
  seeds.Add("parse_jsonl", parse(1), jsonl);
  seeds.Add("parse_yaml", parse(2), yaml);
  seeds.Add("parse_csv", parse(3), csv);
  seeds.Add("parse_text", parse(4), text);
  seeds.Add(
      "extract_min_where", extract(1),
      U8Prefixed("metric.val_loss.min:number=min($.value where $.name == \"val_loss\")") + jsonl);
  seeds.Add("extract_flatten", extract(2), U8Prefixed("param.*=flatten($.run)") + yaml);
  seeds.Add("extract_status", extract(0), U8Prefixed("run.status=$.status") + json);
  seeds.Add("extract_csv_count", extract(3), U8Prefixed("rows:number=count($.name)") + csv);
  seeds.Add("rule_json", 2, R"j({"id":"runs","root":"/runs/","glob":"*/metrics.jsonl",
"target":"parent","max_body_bytes":1048576,"fields":["loss:number=min($.value)",
{"id":"status","source":"$.status","filter":{"path":"$.kind","equals":"final"},"reducer":"last"}]})j");
  std::string ordered;
  records::EncodeOrdered(records::TypedValue::String(std::string("a\0b", 3)), &ordered);
  records::EncodeOrdered(records::TypedValue::Number(-2.5), &ordered);
  seeds.Add("ordered_values", 3, ordered);
  seeds.Add("literal", 3, "\"quoted\"");
}

void WriteQuerySeeds(const fs::path& root) {
  SeedDir seeds(root, "query");
  seeds.Add("evidence_version", 0, query::VersionUri("/runs/a@b/metrics.jsonl", 17));
  seeds.Add("evidence_lines", 0, query::LinesUri("/runs/a/log.txt", 17, 3, 9));
  seeds.Add("evidence_item", 0, query::ItemUri("/runs/a/data.csv", 4, 0));
  query::CursorState cursor;
  cursor.verb = "find";
  cursor.seq = 9;
  cursor.snapshot = "nightly";
  cursor.query = 12345;
  cursor.position = {{"after", "/runs/b"}, {"rule", "runs"}};
  seeds.Add("cursor", 1, query::EncodeCursor(cursor));
  seeds.Add(
      "arguments", 2,
      R"({"path":"/runs","where":["loss<0.5"],"cursor":"x","limit":10,"deep":[[{"a":null}]]})");
  seeds.Add("text_escape", 3, "/data/r\xe9sum\xc3\xa9/\xef\x9e\x80");
  seeds.Add("text_base64", 3, "aGVsbG8gd29ybGQ=");
  seeds.Add("text_path", 3, "/data/./a//b/../c");
}

void WriteS3Seeds(const fs::path& root) {
  SeedDir seeds(root, "s3_xml");
  seeds.Add("list_page", 0, R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult><Name>b</Name><Prefix>nokv/</Prefix><KeyCount>2</KeyCount>
<Contents><Key>nokv/blocks/ab/ab12</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>
<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>4194304</Size></Contents>
<Contents><Key>other/x</Key><Size>1</Size></Contents>
<IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>)");
  seeds.Add("delete_result", 1, R"(<DeleteResult><Deleted><Key>nokv/a</Key></Deleted>
<Error><Key>nokv/b</Key><Code>NoSuchKey</Code><Message>gone</Message></Error>
<Error><Key>nokv/c&amp;d</Key><Code>AccessDenied</Code><Message>Access &#65;&#x42; denied</Message></Error>
</DeleteResult>)");
  seeds.Add("error_slow_down", 9,
            R"(<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>
<RequestId>4442587FB7D0A2F9</RequestId></Error>)");
  seeds.Add("multipart_started", 0, R"(<InitiateMultipartUploadResult><Bucket>b</Bucket>
<Key>nokv/k</Key><UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>)");
  seeds.Add("http_date", 2, "Wed, 12 Oct 2009 17:50:00 GMT");
}

void WriteBackupSeeds(const fs::path& root) {
  SeedDir seeds(root, "backup");
  nokv::fs::BackupDescriptor backup;
  backup.id = "20261207T201500Z";
  backup.seq = 99;
  backup.created_ns = 1700000000000000000;
  backup.image_bytes = 300;
  backup.image_sha256 = Sha256::Of("image");
  backup.parts = {{"backups/20261207T201500Z/part-0", 200, Sha256::Of("p0")},
                  {"backups/20261207T201500Z/part-1", 100, Sha256::Of("p1")}};
  backup.keys = 12;
  backup.versions = 14;
  backup.files = 3;
  backup.directories = 2;
  backup.bytes = 4096;
  // The target reads the whole input as the document: no selector byte.
  seeds.AddRaw("descriptor", nokv::fs::DescriptorToJson(backup).dump(2));
  seeds.AddRaw("descriptor_newer", R"({"format":"nokv-backup","version":99})");
  seeds.AddRaw("descriptor_wrong_types",
               R"({"format":"nokv-backup","version":1,"id":7,"parts":{}})");
  seeds.AddRaw("not_a_descriptor", "[1,2,3]");
}

std::string Line(std::string_view json) { return std::string(json) + "\n"; }

void WriteMcpSeeds(const fs::path& root) {
  SeedDir seeds(root, "mcp");
  const std::string init =
      Line(
          R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"roots":{}},"clientInfo":{"name":"fuzz","version":"1"}}})") +
      Line(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  seeds.Add(
      "session_tools", 0,
      init + Line(R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})") +
          Line(
              R"({"jsonrpc":"2.0","id":"c","method":"tools/call","params":{"name":"ls","arguments":{"path":"/runs"},"_meta":{"progressToken":7}}})") +
          Line(
              R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"c"}})") +
          Line(R"({"jsonrpc":"2.0","id":3,"method":"ping"})"));
  seeds.Add(
      "session_resources", 0,
      init + Line(R"({"jsonrpc":"2.0","id":2,"method":"resources/templates/list"})") +
          Line(
              R"({"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"nokv-native:///runs/a.json@generation:4#L1-L2"}})") +
          Line(R"({"jsonrpc":"2.0","id":4,"method":"resources/list","params":{"cursor":"e30"}})"));
  seeds.Add(
      "session_old_era", 0,
      Line(
          R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{}}})") +
          Line(
              R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"grep","arguments":{"pattern":"a(b|c)*","path":"/"}}})"));
  seeds.Add(
      "session_write_profile", 1,
      init +
          Line(
              R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"write","arguments":{"path":"/a.txt","content":"hi","if_generation":0}}})"));
  seeds.Add(
      "session_roots", 2,
      init +
          Line(
              R"({"jsonrpc":"2.0","id":"nokv-roots-1","result":{"roots":[{"uri":"file:///runs","name":"runs"},{"uri":"nokv-native:///data"}]}})") +
          Line(
              R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"stat","arguments":{"path":"/runs/a"}}})") +
          Line(R"({"jsonrpc":"2.0","method":"notifications/roots/list_changed"})"));
  seeds.Add("malformed", 0,
            Line(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])") +
                Line("{\"jsonrpc\":\"2.0\",\"id\":") +
                Line(R"({"jsonrpc":"1.0","id":null,"method":7})") + Line("\xff\xfe not json") +
                Line(R"({"jsonrpc":"2.0","id":9,"result":{}})") +
                Line(R"({"jsonrpc":"2.0","id":2,"method":"server/discover"})"));
}

}  // namespace
}  // namespace nokv::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_seed_writer <corpus root, e.g. tests/fuzz/corpus>\n";
    return 2;
  }
  std::filesystem::path root = argv[1];
  nokv::fuzz::WriteWalSeeds(root);
  nokv::fuzz::WriteCheckpointSeeds(root);
  nokv::fuzz::WriteMetaSeeds(root);
  nokv::fuzz::WriteRecordsSeeds(root);
  nokv::fuzz::WriteQuerySeeds(root);
  nokv::fuzz::WriteS3Seeds(root);
  nokv::fuzz::WriteMcpSeeds(root);
  nokv::fuzz::WriteBackupSeeds(root);
  return 0;
}
