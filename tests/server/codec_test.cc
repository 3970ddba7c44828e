// The metadata method payloads: every wire type round-trips through JSON and
// MessagePack, and malformed payloads are refused with InvalidArgument
// naming what is wrong, never an exception.
#include "server/codec.h"

#include <gtest/gtest.h>

#include "rpc/payload.h"

namespace nokv::server {
namespace {

// Encodes, passes through MessagePack as the transport does, decodes.
template <typename T>
Result<T> RoundTrip(const T& value) {
  Json wire = Json::from_msgpack(Json::to_msgpack(ToWire(value)));
  return FromWire<T>(wire);
}

meta::Attr SampleAttr() {
  meta::Attr a;
  a.inode = 42;
  a.type = meta::FileType::kSymlink;
  a.mode = 0755;
  a.uid = 1000;
  a.gid = 100;
  a.nlink = 3;
  a.size = (1ull << 40) + 7;
  a.mtime_ns = -5;  // before the epoch is legal
  a.ctime_ns = 1'700'000'000'000'000'000;
  a.generation = 99;
  a.child_count = 0;
  a.symlink_target = "../target";
  a.parent = 7;
  a.name = std::string("caf\xc3\xa9\xff", 6);  // names are bytes, not text
  return a;
}

meta::Manifest SampleManifest() {
  meta::Manifest m;
  m.layout.size = 10;
  m.layout.digest = Sha256::Of("whole");
  m.layout.blocks = {{Sha256::Of("a"), 4}, {Sha256::Of("b"), 6}};
  m.content_type = "text/plain";
  m.producer = "trainer";
  return m;
}

void ExpectSame(const meta::Attr& a, const meta::Attr& b) {
  EXPECT_EQ(a.inode, b.inode);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.mode, b.mode);
  EXPECT_EQ(a.uid, b.uid);
  EXPECT_EQ(a.gid, b.gid);
  EXPECT_EQ(a.nlink, b.nlink);
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.mtime_ns, b.mtime_ns);
  EXPECT_EQ(a.ctime_ns, b.ctime_ns);
  EXPECT_EQ(a.generation, b.generation);
  EXPECT_EQ(a.child_count, b.child_count);
  EXPECT_EQ(a.symlink_target, b.symlink_target);
  EXPECT_EQ(a.parent, b.parent);
  EXPECT_EQ(a.name, b.name);
}

TEST(CodecTest, AttributesRoundTripIncludingDefaultsAndByteNames) {
  auto back = RoundTrip(SampleAttr());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(*back, SampleAttr());
  meta::Attr plain;
  plain.inode = 1;
  plain.type = meta::FileType::kDirectory;
  auto plain_back = RoundTrip(plain);
  ASSERT_TRUE(plain_back.ok());
  ExpectSame(*plain_back, plain);
}

TEST(CodecTest, ManifestsRoundTripAndMustAddUp) {
  auto back = RoundTrip(SampleManifest());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->layout, SampleManifest().layout);
  EXPECT_EQ(back->content_type, "text/plain");
  EXPECT_EQ(back->producer, "trainer");

  Json lying = ToWire(SampleManifest());
  lying["s"] = 11;  // blocks cover 10 bytes
  EXPECT_EQ(FromWire<meta::Manifest>(lying).status().code(), Code::kInvalidArgument);
  Json ragged = ToWire(SampleManifest());
  ragged["b"] = Json::binary(std::vector<uint8_t>(41, 0));  // not whole 40-byte records
  EXPECT_EQ(FromWire<meta::Manifest>(ragged).status().code(), Code::kInvalidArgument);
  Json short_digest = ToWire(SampleManifest());
  short_digest["d"] = Json::binary({1, 2, 3});
  auto refused = FromWire<meta::Manifest>(short_digest);
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("digest"), std::string::npos);
}

meta::Manifest ChunkedManifest() {
  meta::Manifest m = SampleManifest();
  m.layout.chunk_size = 16;
  m.layout.chunk_crcs = {1, 0xfffffffeu};  // one 16-byte chunk per block (4 and 6 bytes)
  object::SetBodyDigest(&m.layout);
  return m;
}

TEST(CodecTest, ManifestsCarryTheDigestKindAndChunkChecksums) {
  meta::Manifest m = ChunkedManifest();
  Json wire = ToWire(m);
  EXPECT_EQ(wire["dk"], 1);
  EXPECT_EQ(wire["cs"], 16);
  EXPECT_EQ(wire["cc"].get_binary().size(), 8u);
  EXPECT_EQ(wire["cc"].get_binary()[4], 0xff);  // big-endian CRCs
  auto back = RoundTrip(m);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->layout, m.layout);
  // An old manifest (whole-body SHA-256, no checksums) has neither field.
  EXPECT_FALSE(ToWire(SampleManifest()).contains("dk"));
  EXPECT_FALSE(ToWire(SampleManifest()).contains("cs"));

  auto refused = [](const Json& j) { return FromWire<meta::Manifest>(j).status().code(); };
  Json truncated = wire;
  truncated["cc"] = Json::binary(std::vector<uint8_t>(4, 0));  // 1 CRC for 2 chunks
  EXPECT_EQ(refused(truncated), Code::kInvalidArgument);
  Json ragged = wire;
  ragged["cc"] = Json::binary(std::vector<uint8_t>(7, 0));
  EXPECT_EQ(refused(ragged), Code::kInvalidArgument);
  Json no_crcs = wire;
  no_crcs.erase("cc");
  EXPECT_EQ(refused(no_crcs), Code::kInvalidArgument);
  Json odd_chunk = wire;
  odd_chunk["cs"] = 24;
  EXPECT_EQ(refused(odd_chunk), Code::kInvalidArgument);
  Json wrong_digest = wire;
  wrong_digest["d"] = Json::binary(std::vector<uint8_t>(32, 7));  // not the block-list digest
  EXPECT_EQ(refused(wrong_digest), Code::kInvalidArgument);
  Json unknown_kind = wire;
  unknown_kind["dk"] = 2;
  EXPECT_EQ(refused(unknown_kind), Code::kInvalidArgument);
}

TEST(CodecTest, AManifestOfATebibyteFilePassesTheTransportLimits) {
  meta::Manifest m;
  constexpr uint64_t kBlocks = 262'144;  // 1 TiB in 4 MiB blocks
  for (uint64_t i = 0; i < kBlocks; ++i) {
    object::BlockRef block;
    block.digest[0] = static_cast<unsigned char>(i);
    block.digest[31] = static_cast<unsigned char>(i >> 8);
    block.length = 4ull << 20;
    m.layout.blocks.push_back(block);
  }
  m.layout.size = kBlocks * (4ull << 20);
  std::string payload = rpc::EncodePayload(ToWire(m));
  EXPECT_LT(payload.size(), 11u << 20);        // 40 bytes a block
  auto decoded = rpc::DecodePayload(payload);  // default limits
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  auto back = FromWire<meta::Manifest>(*decoded);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->layout, m.layout);
}

TEST(CodecTest, PublishRequestsCarryBodiesAndOptions) {
  meta::PublishRequest r;
  r.path = "/runs/a/metrics.json";
  r.manifest = SampleManifest();
  r.mode = meta::PublishMode::kReplaceIfGeneration;
  r.expected_generation = 12;
  r.node.parents = true;
  r.node.mode = 0600;
  r.node.request_id = "req-1";
  std::string body("{\"loss\": 1}\0tail", 16);
  r.body = body;
  Json wire = Json::from_msgpack(Json::to_msgpack(ToWire(r)));
  auto back = FromWire<meta::PublishRequest>(wire);  // its body views `wire`
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->path, r.path);
  EXPECT_EQ(back->mode, r.mode);
  EXPECT_EQ(back->expected_generation, 12u);
  EXPECT_TRUE(back->node.parents);
  EXPECT_EQ(back->node.mode, 0600u);
  EXPECT_EQ(back->node.request_id, "req-1");
  ASSERT_TRUE(back->body.has_value());
  EXPECT_EQ(*back->body, body);

  Json bad_mode = ToWire(r);
  bad_mode["mode"] = 3;
  EXPECT_EQ(FromWire<meta::PublishRequest>(bad_mode).status().code(), Code::kInvalidArgument);
}

TEST(CodecTest, PagesEventsAndRecordsRoundTrip) {
  meta::DirPage page;
  page.entries = {{"a", 5, meta::FileType::kFile}, {"b", 6, meta::FileType::kDirectory}};
  page.attrs = {SampleAttr(), SampleAttr()};
  page.more = true;
  auto page_back = RoundTrip(page);
  ASSERT_TRUE(page_back.ok()) << page_back.status().ToString();
  ASSERT_EQ(page_back->entries.size(), 2u);
  EXPECT_EQ(page_back->entries[1].name, "b");
  EXPECT_EQ(page_back->entries[1].type, meta::FileType::kDirectory);
  ASSERT_EQ(page_back->attrs.size(), 2u);
  EXPECT_TRUE(page_back->more);
  page.attrs.pop_back();  // attributes for some entries only
  EXPECT_EQ(FromWire<meta::DirPage>(ToWire(page)).status().code(), Code::kInvalidArgument);

  meta::EventPage events;
  meta::Event e;
  e.seq = 9;
  e.ordinal = 2;
  e.type = meta::EventType::kRename;
  e.path = "/b";
  e.old_path = "/a";
  e.inode = 5;
  e.file_type = meta::FileType::kDirectory;
  e.time_ns = 123;
  e.count = 17;  // a directory and what went with it
  events.events = {e};
  events.next_cursor = "9.2";
  auto events_back = RoundTrip(events);
  ASSERT_TRUE(events_back.ok()) << events_back.status().ToString();
  ASSERT_EQ(events_back->events.size(), 1u);
  EXPECT_EQ(events_back->events[0].old_path, "/a");
  EXPECT_EQ(events_back->events[0].type, meta::EventType::kRename);
  EXPECT_EQ(events_back->events[0].count, 17u);
  EXPECT_EQ(events_back->next_cursor, "9.2");

  meta::RuleRecord record;
  record.rule.id = "loss";
  record.rule.root = "/runs";
  record.rule.glob = "**/*.json";
  record.rule.fields.push_back(*records::ParseFieldSpec("loss:number=$.loss"));
  record.state = meta::IndexRuleState::kBackfilling;
  record.cursor = "/runs/x";
  auto record_back = RoundTrip(record);
  ASSERT_TRUE(record_back.ok()) << record_back.status().ToString();
  EXPECT_EQ(record_back->rule.id, "loss");
  EXPECT_EQ(record_back->state, meta::IndexRuleState::kBackfilling);
  EXPECT_EQ(record_back->cursor, "/runs/x");

  fs::OpenedFile opened{{3, 77}, SampleAttr(), SampleManifest()};
  auto opened_back = RoundTrip(opened);
  ASSERT_TRUE(opened_back.ok()) << opened_back.status().ToString();
  EXPECT_EQ(opened_back->pin.id, 3u);
  EXPECT_EQ(opened_back->pin.seq, 77u);
  ASSERT_TRUE(opened_back->manifest.has_value());
  EXPECT_EQ(opened_back->manifest->layout.blocks.size(), 2u);
}

TEST(CodecTest, EngineFiguresRoundTripAndOldServersReadAsZero) {
  fs::MetadataStats stats;
  stats.keys = 10;
  stats.visible_seq = 20;
  stats.wal_bytes = 30;
  stats.checkpoint_seq = 15;
  stats.wal_segments = 2;
  stats.wal_since_checkpoint_bytes = 7;
  stats.checkpoint_unix_ns = 1'700'000'000'000'000'000;
  stats.checkpoints = 3;
  stats.commit_latency = {5, 5000, 900, 1800, 1900, 2000};
  auto back = RoundTrip(stats);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->wal_segments, 2u);
  EXPECT_EQ(back->wal_since_checkpoint_bytes, 7u);
  EXPECT_EQ(back->checkpoint_unix_ns, stats.checkpoint_unix_ns);
  EXPECT_EQ(back->checkpoints, 3u);
  EXPECT_EQ(back->commit_latency.count, 5u);
  EXPECT_EQ(back->commit_latency.sum_ns, 5000u);
  EXPECT_EQ(back->commit_latency.p99_ns, 1900u);
  EXPECT_EQ(back->commit_latency.max_ns, 2000u);

  auto old = FromWire<fs::MetadataStats>(
      Json{{"keys", 1}, {"visible_seq", 2}, {"wal_bytes", 3}, {"checkpoint_seq", 1}});
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->visible_seq, 2u);
  EXPECT_EQ(old->commit_latency.count, 0u);
  EXPECT_EQ(old->wal_segments, 0u);
}

TEST(CodecTest, NumbersAreRangeChecked) {
  Json j = ToWire(SampleAttr());
  j["m"] = 1ull << 33;  // mode is 32 bits
  EXPECT_EQ(FromWire<meta::Attr>(j).status().code(), Code::kInvalidArgument);
  j = ToWire(SampleAttr());
  j["i"] = -1;  // inode numbers are unsigned
  EXPECT_EQ(FromWire<meta::Attr>(j).status().code(), Code::kInvalidArgument);
  j = ToWire(SampleAttr());
  j["mt"] = std::numeric_limits<uint64_t>::max();  // past int64
  EXPECT_EQ(FromWire<meta::Attr>(j).status().code(), Code::kInvalidArgument);
  j = ToWire(SampleAttr());
  j["t"] = 9;  // no such file type
  EXPECT_EQ(FromWire<meta::Attr>(j).status().code(), Code::kInvalidArgument);
  j = ToWire(SampleAttr());
  j["s"] = 1.5;
  EXPECT_EQ(FromWire<meta::Attr>(j).status().code(), Code::kInvalidArgument);
}

TEST(CodecTest, FsckReportsRoundTripWithTypedFindings) {
  meta::FsckReport report;
  report.seq = 77;
  report.inodes = 12;
  report.blocks_verified = 3;
  report.remaining = 1;
  meta::FsckFinding missing;
  missing.kind = meta::FsckKind::kMissingBlock;
  missing.subject = "ab12";
  missing.detail = "a block of 4 bytes";
  missing.files = {"/a", "/b"};
  missing.repair = "cannot be repaired";
  report.findings.push_back(missing);
  meta::FsckFinding drift;
  drift.kind = meta::FsckKind::kRefcountDrift;
  drift.subject = "cd34";
  drift.repaired = true;
  drift.repair = "set the count to 1";
  report.findings.push_back(drift);
  EXPECT_EQ(ToWire(report)["counts"], Json({{"missing_block", 1}, {"refcount_drift", 1}}));
  auto back = RoundTrip(report);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->seq, 77u);
  EXPECT_EQ(back->inodes, 12u);
  EXPECT_EQ(back->blocks_verified, 3u);
  EXPECT_EQ(back->remaining, 1u);
  ASSERT_EQ(back->findings.size(), 2u);
  EXPECT_EQ(back->findings[0].kind, meta::FsckKind::kMissingBlock);
  EXPECT_EQ(back->findings[0].files, missing.files);
  EXPECT_FALSE(back->findings[0].repaired);
  EXPECT_EQ(back->findings[1].kind, meta::FsckKind::kRefcountDrift);
  EXPECT_TRUE(back->findings[1].repaired);
  EXPECT_EQ(back->findings[1].repair, "set the count to 1");
  Json unknown = ToWire(report);
  unknown["findings"][0]["kind"] = "no_such_kind";
  EXPECT_EQ(FromWire<meta::FsckReport>(unknown).status().code(), Code::kInvalidArgument);
}

TEST(CodecTest, CollectionPlansAndIndexProblemsRoundTrip) {
  meta::GcPlan plan;
  plan.blocks = 3;
  plan.block_bytes = 12 << 20;
  plan.orphans = 1;
  plan.orphan_bytes = 4096;
  plan.young_orphans = 2;
  plan.young_orphan_bytes = 8192;
  plan.orphan_grace_ns = int64_t{3600} * 1'000'000'000;
  plan.snapshots_expiring = {"nightly-1"};
  plan.pins = {{"readers", "", 0, 1, 10}, {"snapshot", "before", 42, 2, 20}};
  plan.events = 7;
  plan.dedupe = 5;
  Json wire = ToWire(plan);
  EXPECT_EQ(wire["bytes_freed"], (12 << 20) + 4096);
  auto back = FromWire<meta::GcPlan>(wire);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ToWire(*back), wire);
  EXPECT_FALSE(
      FromWire<meta::GcPlan>(Json{{"pins", 3}, {"snapshots_expiring", Json::array()}}).ok());
  EXPECT_FALSE(FromWire<meta::GcPlan>(
                   Json{{"pins", Json::array()}, {"snapshots_expiring", Json::array({1})}})
                   .ok());

  meta::IndexProblems problems;
  problems.not_indexed = 9;
  problems.not_indexed_examples = {{"/a", "a.json: line 1: bad"}};
  problems.values_skipped = 1;
  problems.values_skipped_examples = {{"/b", "field 'x': \"y\" is not a number"}};
  Json problems_wire = ToWire(problems);
  auto problems_back = FromWire<meta::IndexProblems>(problems_wire);
  ASSERT_TRUE(problems_back.ok()) << problems_back.status().ToString();
  EXPECT_EQ(ToWire(*problems_back), problems_wire);
  problems_wire["values_skipped_examples"][0].erase("message");
  EXPECT_FALSE(FromWire<meta::IndexProblems>(problems_wire).ok());
}

TEST(CodecTest, MalformedShapesAreErrorsNotExceptions) {
  for (const Json& junk :
       {Json(), Json(7), Json("x"), Json::array({1, 2}), Json::object(), Json{{"i", "one"}}}) {
    auto attr = FromWire<meta::Attr>(junk);
    EXPECT_EQ(attr.status().code(), Code::kInvalidArgument) << junk.dump();
    EXPECT_FALSE(FromWire<meta::PublishRequest>(junk).ok()) << junk.dump();
    EXPECT_FALSE(FromWire<meta::DirPage>(junk).ok()) << junk.dump();
  }
  auto missing = FromWire<meta::Attr>(Json{{"t", 1}, {"m", 0}});
  EXPECT_NE(missing.status().message().find("'i'"), std::string::npos)
      << missing.status().ToString();
  // A null read point is "latest".
  auto latest = FromWire<fs::ReadAt>(Json());
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->pin, 0u);
  EXPECT_TRUE(latest->snapshot.empty());
}

}  // namespace
}  // namespace nokv::server
