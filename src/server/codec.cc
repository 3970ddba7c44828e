// Wire payloads of the metadata methods. Keys are short (one or two
// letters): a directory page of 1000 entries is mostly names, not keys.
// docs/formats/rpc.md lists them.
#include "server/codec.h"

#include <functional>
#include <limits>
#include <type_traits>

namespace nokv::server {
namespace {

// Thrown inside this file only; FromWire turns it into InvalidArgument.
struct WireError {
  std::string message;
};

const Json& Field(const Json& j, const char* key) {
  if (!j.is_object()) throw WireError{"expected an object"};
  auto it = j.find(key);
  if (it == j.end()) throw WireError{std::string("missing field '") + key + "'"};
  return *it;
}

template <typename Int>
Int AsInt(const Json& v, const char* key) {
  static_assert(std::is_integral_v<Int>);
  if constexpr (std::is_signed_v<Int>) {
    if (v.is_number_integer()) {
      int64_t x = v.get<int64_t>();
      if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<Int>::max())) {
        throw WireError{std::string("field '") + key + "' is out of range"};
      }
      if (x >= std::numeric_limits<Int>::min() && x <= std::numeric_limits<Int>::max()) {
        return static_cast<Int>(x);
      }
    }
  } else {
    if (v.is_number_unsigned()) {
      uint64_t x = v.get<uint64_t>();
      if (x <= std::numeric_limits<Int>::max()) return static_cast<Int>(x);
    } else if (v.is_number_integer() && v.get<int64_t>() >= 0) {
      uint64_t x = static_cast<uint64_t>(v.get<int64_t>());
      if (x <= std::numeric_limits<Int>::max()) return static_cast<Int>(x);
    }
  }
  throw WireError{std::string("field '") + key + "' must be an integer in range"};
}

template <typename Int>
Int GetInt(const Json& j, const char* key) {
  return AsInt<Int>(Field(j, key), key);
}

// Optional fields: absent means the type's default.
template <typename Int>
Int GetIntOr(const Json& j, const char* key, Int fallback) {
  if (!j.is_object()) throw WireError{"expected an object"};
  auto it = j.find(key);
  return it == j.end() ? fallback : AsInt<Int>(*it, key);
}

std::string GetString(const Json& j, const char* key) {
  const Json& v = Field(j, key);
  if (!v.is_string()) throw WireError{std::string("field '") + key + "' must be a string"};
  return v.get<std::string>();
}

std::string GetStringOr(const Json& j, const char* key) {
  if (!j.is_object()) throw WireError{"expected an object"};
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (!it->is_string()) throw WireError{std::string("field '") + key + "' must be a string"};
  return it->get<std::string>();
}

bool GetBoolOr(const Json& j, const char* key, bool fallback) {
  if (!j.is_object()) throw WireError{"expected an object"};
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (!it->is_boolean()) throw WireError{std::string("field '") + key + "' must be a boolean"};
  return it->get<bool>();
}

template <typename Enum>
Enum GetEnum(const Json& j, const char* key, int first, int last) {
  int value = GetInt<int>(j, key);
  if (value < first || value > last) {
    throw WireError{std::string("field '") + key + "' names no known value"};
  }
  return static_cast<Enum>(value);
}

Json DigestToWire(const Digest& digest) {
  return Json::binary(std::vector<uint8_t>(digest.begin(), digest.end()));
}

Digest DigestFromWire(const Json& j, const char* key) {
  const Json& v = Field(j, key);
  if (!v.is_binary() || v.get_binary().size() != Digest().size()) {
    throw WireError{std::string("field '") + key + "' must be a 32-byte digest"};
  }
  Digest digest;
  std::copy(v.get_binary().begin(), v.get_binary().end(), digest.begin());
  return digest;
}

template <typename T>
std::vector<T> ListOf(const Json& j, const char* key, T (*decode)(const Json&)) {
  const Json& v = Field(j, key);
  if (!v.is_array()) throw WireError{std::string("field '") + key + "' must be a list"};
  std::vector<T> out;
  out.reserve(v.size());
  for (const auto& item : v) out.push_back(decode(item));
  return out;
}

// --- Decoders (throwing) ------------------------------------------------------

meta::Attr DecodeAttr(const Json& j) {
  meta::Attr a;
  a.inode = GetInt<uint64_t>(j, "i");
  a.type = GetEnum<meta::FileType>(j, "t", 1, 3);
  a.mode = GetInt<uint32_t>(j, "m");
  a.uid = GetIntOr<uint32_t>(j, "u", 0);
  a.gid = GetIntOr<uint32_t>(j, "g", 0);
  a.nlink = GetIntOr<uint32_t>(j, "n", 1);
  a.size = GetIntOr<uint64_t>(j, "s", 0);
  a.mtime_ns = GetIntOr<int64_t>(j, "mt", 0);
  a.ctime_ns = GetIntOr<int64_t>(j, "ct", 0);
  a.generation = GetIntOr<uint64_t>(j, "gen", 0);
  a.child_count = GetIntOr<uint64_t>(j, "cc", 0);
  a.symlink_target = GetStringOr(j, "st");
  a.parent = GetIntOr<uint64_t>(j, "p", 0);
  a.name = GetStringOr(j, "nm");
  return a;
}

meta::DirEntry DecodeDirEntry(const Json& j) {
  return meta::DirEntry{GetString(j, "nm"), GetInt<uint64_t>(j, "i"),
                        GetEnum<meta::FileType>(j, "t", 1, 3)};
}

// Blocks travel as one byte string of 40-byte records (digest, then the
// length as 8 big-endian bytes): a 1 TiB file's 262,144 blocks are one
// MessagePack value, not a million.
constexpr size_t kBlockRecordBytes = 40;

std::vector<object::BlockRef> DecodeBlocks(const Json& j, const char* key) {
  const Json& v = Field(j, key);
  if (!v.is_binary() || v.get_binary().size() % kBlockRecordBytes != 0) {
    throw WireError{std::string("field '") + key + "' must be 40-byte block records"};
  }
  const auto& bytes = v.get_binary();
  std::vector<object::BlockRef> blocks(bytes.size() / kBlockRecordBytes);
  for (size_t i = 0; i < blocks.size(); ++i) {
    const uint8_t* record = bytes.data() + i * kBlockRecordBytes;
    std::copy(record, record + 32, blocks[i].digest.begin());
    uint64_t length = 0;
    for (size_t b = 0; b < 8; ++b) length = (length << 8) | record[32 + b];
    blocks[i].length = length;
  }
  return blocks;
}

Json BlocksToWire(const std::vector<object::BlockRef>& blocks) {
  std::vector<uint8_t> bytes;
  bytes.reserve(blocks.size() * kBlockRecordBytes);
  for (const auto& block : blocks) {
    bytes.insert(bytes.end(), block.digest.begin(), block.digest.end());
    for (int b = 7; b >= 0; --b) bytes.push_back(static_cast<uint8_t>(block.length >> (8 * b)));
  }
  return Json::binary(std::move(bytes));
}

meta::Manifest DecodeManifest(const Json& j) {
  meta::Manifest m;
  object::BodyLayout& layout = m.layout;
  layout.digest = DigestFromWire(j, "d");
  layout.digest_kind = static_cast<object::DigestKind>(GetIntOr<uint8_t>(j, "dk", 0));
  layout.size = GetInt<uint64_t>(j, "s");
  layout.blocks = DecodeBlocks(j, "b");
  if (j.contains("cs")) {
    layout.chunk_size = GetInt<uint32_t>(j, "cs");
    const Json& crcs = Field(j, "cc");
    if (!crcs.is_binary() ||
        !ChunkCrcsFromWire(std::string_view(reinterpret_cast<const char*>(crcs.get_binary().data()),
                                            crcs.get_binary().size()),
                           &layout.chunk_crcs)) {
      throw WireError{"field 'cc' must be 4-byte chunk checksums"};
    }
  }
  if (Status valid = object::ValidateLayout(layout); !valid.ok()) {
    throw WireError{std::string(valid.message())};
  }
  m.content_type = GetStringOr(j, "ct");
  m.producer = GetStringOr(j, "pr");
  return m;
}

meta::Snapshot DecodeSnapshot(const Json& j) {
  meta::Snapshot s;
  s.name = GetString(j, "nm");
  s.root = GetString(j, "r");
  s.seq = GetInt<uint64_t>(j, "q");
  s.created_ns = GetIntOr<int64_t>(j, "c", 0);
  s.expires_ns = GetIntOr<int64_t>(j, "x", 0);
  return s;
}

meta::Event DecodeEvent(const Json& j) {
  meta::Event e;
  e.seq = GetInt<uint64_t>(j, "q");
  e.ordinal = GetIntOr<uint32_t>(j, "o", 0);
  e.type = GetEnum<meta::EventType>(j, "t", 1, 10);
  e.path = GetString(j, "p");
  e.old_path = GetStringOr(j, "op");
  e.inode = GetIntOr<uint64_t>(j, "i", 0);
  e.file_type = GetEnum<meta::FileType>(j, "ft", 1, 3);
  e.detail = GetStringOr(j, "d");
  e.time_ns = GetIntOr<int64_t>(j, "tm", 0);
  e.count = GetIntOr<uint64_t>(j, "n", 1);
  return e;
}

meta::DirPage DecodeDirPage(const Json& j) {
  meta::DirPage page;
  page.entries = ListOf<meta::DirEntry>(j, "e", DecodeDirEntry);
  if (j.contains("a")) page.attrs = ListOf<meta::Attr>(j, "a", DecodeAttr);
  if (!page.attrs.empty() && page.attrs.size() != page.entries.size()) {
    throw WireError{"a page has attributes for some entries only"};
  }
  page.more = GetBoolOr(j, "more", false);
  return page;
}

meta::EventPage DecodeEventPage(const Json& j) {
  return meta::EventPage{ListOf<meta::Event>(j, "e", DecodeEvent), GetStringOr(j, "next")};
}

meta::GcReport DecodeGcReport(const Json& j) {
  meta::GcReport r;
  r.blocks_deleted = GetIntOr<uint64_t>(j, "blocks_deleted", 0);
  r.blocks_waiting_for_snapshots = GetIntOr<uint64_t>(j, "blocks_waiting_for_snapshots", 0);
  r.claims_resumed = GetIntOr<uint64_t>(j, "claims_resumed", 0);
  r.stale_hints_dropped = GetIntOr<uint64_t>(j, "stale_hints_dropped", 0);
  r.collected_markers_pruned = GetIntOr<uint64_t>(j, "collected_markers_pruned", 0);
  r.orphans_deleted = GetIntOr<uint64_t>(j, "orphans_deleted", 0);
  r.events_pruned = GetIntOr<uint64_t>(j, "events_pruned", 0);
  r.dedupe_pruned = GetIntOr<uint64_t>(j, "dedupe_pruned", 0);
  r.snapshots_expired = GetIntOr<uint64_t>(j, "snapshots_expired", 0);
  return r;
}

meta::GcPlan::Pin DecodeGcPin(const Json& j) {
  return {GetString(j, "kind"), GetStringOr(j, "name"), GetIntOr<uint64_t>(j, "seq", 0),
          GetIntOr<uint64_t>(j, "blocks", 0), GetIntOr<uint64_t>(j, "bytes", 0)};
}

std::string DecodeName(const Json& j) {
  if (!j.is_string()) throw WireError{"a snapshot name must be a string"};
  return j.get<std::string>();
}

meta::GcPlan DecodeGcPlan(const Json& j) {
  meta::GcPlan p;
  p.blocks = GetIntOr<uint64_t>(j, "blocks", 0);
  p.block_bytes = GetIntOr<uint64_t>(j, "block_bytes", 0);
  p.orphans = GetIntOr<uint64_t>(j, "orphans", 0);
  p.orphan_bytes = GetIntOr<uint64_t>(j, "orphan_bytes", 0);
  p.young_orphans = GetIntOr<uint64_t>(j, "young_orphans", 0);
  p.young_orphan_bytes = GetIntOr<uint64_t>(j, "young_orphan_bytes", 0);
  p.orphan_grace_ns = GetIntOr<int64_t>(j, "orphan_grace_ns", 0);
  p.snapshots_expiring = ListOf<std::string>(j, "snapshots_expiring", DecodeName);
  p.pins = ListOf<meta::GcPlan::Pin>(j, "pins", DecodeGcPin);
  p.events = GetIntOr<uint64_t>(j, "events", 0);
  p.dedupe = GetIntOr<uint64_t>(j, "dedupe", 0);
  return p;
}

meta::IndexProblems::Example DecodeProblem(const Json& j) {
  return {GetString(j, "path"), GetString(j, "message")};
}

meta::IndexProblems DecodeIndexProblems(const Json& j) {
  meta::IndexProblems p;
  p.not_indexed = GetIntOr<uint64_t>(j, "not_indexed", 0);
  p.values_skipped = GetIntOr<uint64_t>(j, "values_skipped", 0);
  p.not_indexed_examples =
      ListOf<meta::IndexProblems::Example>(j, "not_indexed_examples", DecodeProblem);
  p.values_skipped_examples =
      ListOf<meta::IndexProblems::Example>(j, "values_skipped_examples", DecodeProblem);
  return p;
}

meta::FsckReport DecodeFsckReport(const Json& j) {
  meta::FsckReport r;
  r.seq = GetIntOr<uint64_t>(j, "seq", 0);
  r.inodes = GetIntOr<uint64_t>(j, "inodes", 0);
  r.dentries = GetIntOr<uint64_t>(j, "dentries", 0);
  r.manifests = GetIntOr<uint64_t>(j, "manifests", 0);
  r.blocks = GetIntOr<uint64_t>(j, "blocks", 0);
  r.blocks_verified = GetIntOr<uint64_t>(j, "blocks_verified", 0);
  r.bytes_verified = GetIntOr<uint64_t>(j, "bytes_verified", 0);
  r.index_rows = GetIntOr<uint64_t>(j, "index_rows", 0);
  r.remaining = GetIntOr<uint64_t>(j, "remaining", 0);
  for (const Json& f : j.at("findings")) {
    meta::FsckFinding finding;
    auto kind = meta::FsckKindFromName(f.at("kind").get<std::string>());
    if (!kind) throw WireError{"unknown fsck finding kind " + f.at("kind").get<std::string>()};
    finding.kind = *kind;
    finding.subject = GetStringOr(f, "subject");
    finding.detail = GetStringOr(f, "detail");
    if (f.contains("files")) finding.files = f.at("files").get<std::vector<std::string>>();
    finding.repair = GetStringOr(f, "repair");
    finding.repaired = GetBoolOr(f, "repaired", false);
    r.findings.push_back(std::move(finding));
  }
  return r;
}

meta::FsTotals DecodeTotals(const Json& j) {
  return meta::FsTotals{GetIntOr<uint64_t>(j, "files", 0), GetIntOr<uint64_t>(j, "directories", 0),
                        GetIntOr<uint64_t>(j, "symlinks", 0), GetIntOr<uint64_t>(j, "bytes", 0)};
}

meta::NodeOptions DecodeNodeOptions(const Json& j) {
  meta::NodeOptions o;
  o.mode = GetIntOr<uint32_t>(j, "m", 0);
  o.uid = GetIntOr<uint32_t>(j, "u", 0);
  o.gid = GetIntOr<uint32_t>(j, "g", 0);
  o.parents = GetBoolOr(j, "parents", false);
  o.request_id = GetStringOr(j, "rid");
  return o;
}

// The body, if any, views `j`'s storage: valid while `j` lives.
meta::PublishRequest DecodePublish(const Json& j) {
  meta::PublishRequest r;
  r.path = GetStringOr(j, "path");
  r.inode = GetIntOr<meta::InodeId>(j, "inode", 0);
  r.manifest = DecodeManifest(Field(j, "man"));
  r.mode = GetEnum<meta::PublishMode>(j, "mode", 0, 2);
  r.expected_generation = GetIntOr<uint64_t>(j, "eg", 0);
  if (j.contains("node")) r.node = DecodeNodeOptions(j["node"]);
  if (auto it = j.find("body"); it != j.end()) {
    if (!it->is_binary()) throw WireError{"field 'body' must be bytes"};
    const auto& bytes = it->get_binary();
    r.body = std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  return r;
}

meta::SetAttrRequest DecodeSetAttr(const Json& j) {
  if (!j.is_object()) throw WireError{"expected an object"};
  meta::SetAttrRequest r;
  if (j.contains("m")) r.mode = GetInt<uint32_t>(j, "m");
  if (j.contains("u")) r.uid = GetInt<uint32_t>(j, "u");
  if (j.contains("g")) r.gid = GetInt<uint32_t>(j, "g");
  if (j.contains("mt")) r.mtime_ns = GetInt<int64_t>(j, "mt");
  if (j.contains("s")) r.size = GetInt<uint64_t>(j, "s");
  return r;
}

meta::RuleRecord DecodeRuleRecord(const Json& j) {
  auto rule = records::RuleFromJson(Field(j, "rule"));
  if (!rule.ok()) throw WireError{std::string(rule.status().message())};
  meta::RuleRecord r;
  r.rule = std::move(rule).value();
  r.state = GetEnum<meta::IndexRuleState>(j, "state", 0, 3);
  r.cursor = GetStringOr(j, "cursor");
  return r;
}

fs::ReadAt DecodeReadAt(const Json& j) {
  if (j.is_null()) return {};
  return fs::ReadAt{GetStringOr(j, "snap"), GetIntOr<uint64_t>(j, "pin", 0)};
}

fs::Pin DecodePin(const Json& j) {
  return fs::Pin{GetInt<uint64_t>(j, "id"), GetInt<uint64_t>(j, "q")};
}

fs::OpenedFile DecodeOpenedFile(const Json& j) {
  fs::OpenedFile f;
  f.pin = DecodePin(Field(j, "pin"));
  f.attr = DecodeAttr(Field(j, "attr"));
  if (j.contains("man")) f.manifest = DecodeManifest(j["man"]);
  return f;
}

fs::MetadataStats DecodeStats(const Json& j) {
  fs::MetadataStats s;
  s.keys = GetIntOr<uint64_t>(j, "keys", 0);
  s.visible_seq = GetIntOr<uint64_t>(j, "visible_seq", 0);
  s.wal_bytes = GetIntOr<uint64_t>(j, "wal_bytes", 0);
  s.checkpoint_seq = GetIntOr<uint64_t>(j, "checkpoint_seq", 0);
  s.wal_segments = GetIntOr<uint64_t>(j, "wal_segments", 0);
  s.wal_since_checkpoint_bytes = GetIntOr<uint64_t>(j, "wal_since_checkpoint_bytes", 0);
  s.checkpoint_unix_ns = GetIntOr<int64_t>(j, "checkpoint_unix_ns", 0);
  s.checkpoints = GetIntOr<uint64_t>(j, "checkpoints", 0);
  if (auto it = j.find("commit_latency"); it != j.end() && it->is_object()) {
    const Json& l = *it;
    s.commit_latency = {GetIntOr<uint64_t>(l, "count", 0),  GetIntOr<uint64_t>(l, "sum_ns", 0),
                        GetIntOr<uint64_t>(l, "p50_ns", 0), GetIntOr<uint64_t>(l, "p95_ns", 0),
                        GetIntOr<uint64_t>(l, "p99_ns", 0), GetIntOr<uint64_t>(l, "max_ns", 0)};
  }
  return s;
}

query::ServiceOptions DecodeScope(const Json& j) {
  query::ServiceOptions s;
  s.root = GetStringOr(j, "root");
  if (s.root.empty()) s.root = "/";
  s.snapshot = GetStringOr(j, "snap");
  s.default_max_result_bytes = GetIntOr<size_t>(j, "dmax", s.default_max_result_bytes);
  s.hard_max_result_bytes = GetIntOr<size_t>(j, "hmax", s.hard_max_result_bytes);
  return s;
}

template <typename T>
Result<T> Decode(const Json& json, T (*decode)(const Json&), const char* what) {
  try {
    return decode(json);
  } catch (const WireError& e) {
    return Status::InvalidArgument(std::string("malformed ") + what + ": " + e.message);
  } catch (const Json::exception&) {
    return Status::InvalidArgument(std::string("malformed ") + what);
  }
}

}  // namespace

// --- Encoders ---------------------------------------------------------------------

Json ToWire(const meta::Attr& a) {
  Json j = {{"i", a.inode}, {"t", static_cast<int>(a.type)}, {"m", a.mode}};
  if (a.uid != 0) j["u"] = a.uid;
  if (a.gid != 0) j["g"] = a.gid;
  if (a.nlink != 1) j["n"] = a.nlink;
  if (a.size != 0) j["s"] = a.size;
  if (a.mtime_ns != 0) j["mt"] = a.mtime_ns;
  if (a.ctime_ns != 0) j["ct"] = a.ctime_ns;
  if (a.generation != 0) j["gen"] = a.generation;
  if (a.child_count != 0) j["cc"] = a.child_count;
  if (!a.symlink_target.empty()) j["st"] = a.symlink_target;
  if (a.parent != 0) j["p"] = a.parent;
  if (!a.name.empty()) j["nm"] = a.name;
  return j;
}

Json ToWire(const meta::DirEntry& e) {
  return {{"nm", e.name}, {"i", e.inode}, {"t", static_cast<int>(e.type)}};
}

Json ToWire(const meta::Manifest& m) {
  Json j = {{"d", DigestToWire(m.layout.digest)},
            {"s", m.layout.size},
            {"b", BlocksToWire(m.layout.blocks)}};
  if (m.layout.digest_kind != object::DigestKind::kSha256) {
    j["dk"] = static_cast<int>(m.layout.digest_kind);
  }
  if (m.layout.has_chunk_crcs()) {
    std::string crcs = ChunkCrcsToWire(m.layout.chunk_crcs);
    j["cs"] = m.layout.chunk_size;
    j["cc"] = Json::binary(std::vector<uint8_t>(crcs.begin(), crcs.end()));
  }
  if (!m.content_type.empty()) j["ct"] = m.content_type;
  if (!m.producer.empty()) j["pr"] = m.producer;
  return j;
}

Json ToWire(const meta::Snapshot& s) {
  return {{"nm", s.name}, {"r", s.root}, {"q", s.seq}, {"c", s.created_ns}, {"x", s.expires_ns}};
}

Json ToWire(const meta::Event& e) {
  Json j = {{"q", e.seq},     {"o", e.ordinal}, {"t", static_cast<int>(e.type)},
            {"p", e.path},    {"i", e.inode},   {"ft", static_cast<int>(e.file_type)},
            {"tm", e.time_ns}};
  if (!e.old_path.empty()) j["op"] = e.old_path;
  if (!e.detail.empty()) j["d"] = e.detail;
  if (e.count != 1) j["n"] = e.count;
  return j;
}

Json ToWire(const meta::DirPage& page) {
  Json j = {{"e", ListToWire(page.entries)}, {"more", page.more}};
  if (!page.attrs.empty()) j["a"] = ListToWire(page.attrs);
  return j;
}

Json ToWire(const meta::EventPage& page) {
  return {{"e", ListToWire(page.events)}, {"next", page.next_cursor}};
}

Json ToWire(const meta::GcReport& r) {
  return {{"blocks_deleted", r.blocks_deleted},
          {"blocks_waiting_for_snapshots", r.blocks_waiting_for_snapshots},
          {"claims_resumed", r.claims_resumed},
          {"stale_hints_dropped", r.stale_hints_dropped},
          {"collected_markers_pruned", r.collected_markers_pruned},
          {"orphans_deleted", r.orphans_deleted},
          {"events_pruned", r.events_pruned},
          {"dedupe_pruned", r.dedupe_pruned},
          {"snapshots_expired", r.snapshots_expired}};
}

Json ToWire(const meta::GcPlan& p) {
  Json pins = Json::array();
  for (const auto& pin : p.pins) {
    pins.push_back({{"kind", pin.kind},
                    {"name", pin.name},
                    {"seq", pin.seq},
                    {"blocks", pin.blocks},
                    {"bytes", pin.bytes}});
  }
  return {{"dry_run", true},
          {"blocks", p.blocks},
          {"block_bytes", p.block_bytes},
          {"orphans", p.orphans},
          {"orphan_bytes", p.orphan_bytes},
          {"young_orphans", p.young_orphans},
          {"young_orphan_bytes", p.young_orphan_bytes},
          {"orphan_grace_ns", p.orphan_grace_ns},
          {"bytes_freed", p.block_bytes + p.orphan_bytes},
          {"snapshots_expiring", p.snapshots_expiring},
          {"pins", std::move(pins)},
          {"events", p.events},
          {"dedupe", p.dedupe}};
}

Json ToWire(const meta::IndexProblems& p) {
  auto examples = [](const std::vector<meta::IndexProblems::Example>& list) {
    Json out = Json::array();
    for (const auto& e : list) out.push_back({{"path", e.path}, {"message", e.message}});
    return out;
  };
  return {{"not_indexed", p.not_indexed},
          {"values_skipped", p.values_skipped},
          {"not_indexed_examples", examples(p.not_indexed_examples)},
          {"values_skipped_examples", examples(p.values_skipped_examples)}};
}

Json ToWire(const meta::FsckReport& r) {
  Json counts = Json::object();
  auto tally = r.Counts();
  for (size_t i = 0; i < tally.size(); ++i) {
    if (tally[i] != 0)
      counts[std::string(meta::FsckKindName(static_cast<meta::FsckKind>(i)))] = tally[i];
  }
  Json findings = Json::array();
  for (const auto& f : r.findings) {
    Json item = {
        {"kind", meta::FsckKindName(f.kind)}, {"subject", f.subject}, {"detail", f.detail}};
    if (!f.files.empty()) item["files"] = f.files;
    if (!f.repair.empty()) {
      item["repair"] = f.repair;
      item["repaired"] = f.repaired;
    }
    findings.push_back(std::move(item));
  }
  return {{"seq", r.seq},
          {"inodes", r.inodes},
          {"dentries", r.dentries},
          {"manifests", r.manifests},
          {"blocks", r.blocks},
          {"blocks_verified", r.blocks_verified},
          {"bytes_verified", r.bytes_verified},
          {"index_rows", r.index_rows},
          {"remaining", r.remaining},
          {"counts", std::move(counts)},
          {"findings", std::move(findings)}};
}

Json ToWire(const meta::FsTotals& t) {
  return {{"files", t.files},
          {"directories", t.directories},
          {"symlinks", t.symlinks},
          {"bytes", t.bytes}};
}

Json ToWire(const meta::NodeOptions& o) {
  Json j = Json::object();
  if (o.mode != 0) j["m"] = o.mode;
  if (o.uid != 0) j["u"] = o.uid;
  if (o.gid != 0) j["g"] = o.gid;
  if (o.parents) j["parents"] = true;
  if (!o.request_id.empty()) j["rid"] = o.request_id;
  return j;
}

Json ToWire(const meta::PublishRequest& r) {
  Json j = {{"path", r.path},
            {"man", ToWire(r.manifest)},
            {"mode", static_cast<int>(r.mode)},
            {"node", ToWire(r.node)}};
  if (r.inode != 0) j["inode"] = r.inode;
  if (r.expected_generation != 0) j["eg"] = r.expected_generation;
  if (r.body) j["body"] = Json::binary(std::vector<uint8_t>(r.body->begin(), r.body->end()));
  return j;
}

Json ToWire(const meta::SetAttrRequest& r) {
  Json j = Json::object();
  if (r.mode) j["m"] = *r.mode;
  if (r.uid) j["u"] = *r.uid;
  if (r.gid) j["g"] = *r.gid;
  if (r.mtime_ns) j["mt"] = *r.mtime_ns;
  if (r.size) j["s"] = *r.size;
  return j;
}

Json ToWire(const meta::RuleRecord& r) {
  return {{"rule", records::RuleToJson(r.rule)},
          {"state", static_cast<int>(r.state)},
          {"cursor", r.cursor}};
}

Json ToWire(const fs::ReadAt& at) {
  Json j = Json::object();
  if (!at.snapshot.empty()) j["snap"] = at.snapshot;
  if (at.pin != 0) j["pin"] = at.pin;
  return j;
}

Json ToWire(const fs::Pin& pin) { return {{"id", pin.id}, {"q", pin.seq}}; }

Json ToWire(const fs::OpenedFile& f) {
  Json j = {{"pin", ToWire(f.pin)}, {"attr", ToWire(f.attr)}};
  if (f.manifest) j["man"] = ToWire(*f.manifest);
  return j;
}

Json ToWire(const fs::MetadataStats& s) {
  const fs::LatencySummary& l = s.commit_latency;
  return {{"keys", s.keys},
          {"visible_seq", s.visible_seq},
          {"wal_bytes", s.wal_bytes},
          {"checkpoint_seq", s.checkpoint_seq},
          {"wal_segments", s.wal_segments},
          {"wal_since_checkpoint_bytes", s.wal_since_checkpoint_bytes},
          {"checkpoint_unix_ns", s.checkpoint_unix_ns},
          {"checkpoints", s.checkpoints},
          {"commit_latency",
           {{"count", l.count},
            {"sum_ns", l.sum_ns},
            {"p50_ns", l.p50_ns},
            {"p95_ns", l.p95_ns},
            {"p99_ns", l.p99_ns},
            {"max_ns", l.max_ns}}}};
}

Json ToWire(const query::ServiceOptions& s) {
  return {{"root", s.root},
          {"snap", s.snapshot},
          {"dmax", s.default_max_result_bytes},
          {"hmax", s.hard_max_result_bytes}};
}

// --- Decoders ---------------------------------------------------------------------

#define NOKV_WIRE_TYPE(Type, decoder, what)       \
  template <>                                     \
  Result<Type> FromWire<Type>(const Json& json) { \
    return Decode<Type>(json, decoder, what);     \
  }

NOKV_WIRE_TYPE(meta::Attr, DecodeAttr, "attributes")
NOKV_WIRE_TYPE(meta::DirEntry, DecodeDirEntry, "directory entry")
NOKV_WIRE_TYPE(meta::Manifest, DecodeManifest, "manifest")
NOKV_WIRE_TYPE(meta::Snapshot, DecodeSnapshot, "snapshot")
NOKV_WIRE_TYPE(meta::Event, DecodeEvent, "event")
NOKV_WIRE_TYPE(meta::DirPage, DecodeDirPage, "directory page")
NOKV_WIRE_TYPE(meta::EventPage, DecodeEventPage, "event page")
NOKV_WIRE_TYPE(meta::GcReport, DecodeGcReport, "collection report")
NOKV_WIRE_TYPE(meta::GcPlan, DecodeGcPlan, "collection plan")
NOKV_WIRE_TYPE(meta::IndexProblems, DecodeIndexProblems, "index problems")
NOKV_WIRE_TYPE(meta::FsTotals, DecodeTotals, "totals")
NOKV_WIRE_TYPE(meta::FsckReport, DecodeFsckReport, "fsck report")
NOKV_WIRE_TYPE(meta::NodeOptions, DecodeNodeOptions, "node options")
NOKV_WIRE_TYPE(meta::PublishRequest, DecodePublish, "publish request")
NOKV_WIRE_TYPE(meta::SetAttrRequest, DecodeSetAttr, "setattr request")
NOKV_WIRE_TYPE(meta::RuleRecord, DecodeRuleRecord, "index rule record")
NOKV_WIRE_TYPE(fs::ReadAt, DecodeReadAt, "read point")
NOKV_WIRE_TYPE(fs::Pin, DecodePin, "pin")
NOKV_WIRE_TYPE(fs::OpenedFile, DecodeOpenedFile, "opened file")
NOKV_WIRE_TYPE(fs::MetadataStats, DecodeStats, "metadata stats")
NOKV_WIRE_TYPE(query::ServiceOptions, DecodeScope, "verb scope")

#undef NOKV_WIRE_TYPE

// --- Method arguments --------------------------------------------------------------

ArgReader::ArgReader(const Json& args) : args_(args) {
  if (!args_.is_object()) status_ = Status::InvalidArgument("method arguments must be a map");
}

void ArgReader::Fail(const Status& status) {
  if (status_.ok()) status_ = status;
}

const Json* ArgReader::Find(const char* key, bool optional) {
  if (!status_.ok()) return nullptr;
  auto it = args_.find(key);
  if (it == args_.end()) {
    if (!optional) Fail(Status::InvalidArgument(std::string("missing argument '") + key + "'"));
    return nullptr;
  }
  return &*it;
}

namespace {

template <typename T>
T Read(const Json* v, const char* key, T fallback, T (*read)(const Json&, const char*),
       const std::function<void(const Status&)>& fail) {
  if (v == nullptr) return fallback;
  try {
    return read(*v, key);
  } catch (const WireError& e) {
    fail(Status::InvalidArgument("argument " + e.message));
    return fallback;
  }
}

std::string AsString(const Json& v, const char* key) {
  if (!v.is_string()) throw WireError{std::string("'") + key + "' must be a string"};
  return v.get<std::string>();
}

bool AsBool(const Json& v, const char* key) {
  if (!v.is_boolean()) throw WireError{std::string("'") + key + "' must be a boolean"};
  return v.get<bool>();
}

}  // namespace

std::string ArgReader::String(const char* key) {
  return Read<std::string>(Find(key, false), key, {}, AsString, [this](auto& s) { Fail(s); });
}

std::string ArgReader::OptString(const char* key) {
  return Read<std::string>(Find(key, true), key, {}, AsString, [this](auto& s) { Fail(s); });
}

uint64_t ArgReader::U64(const char* key) {
  return Read<uint64_t>(Find(key, false), key, 0, AsInt<uint64_t>, [this](auto& s) { Fail(s); });
}

uint64_t ArgReader::OptU64(const char* key, uint64_t fallback) {
  return Read<uint64_t>(Find(key, true), key, fallback, AsInt<uint64_t>,
                        [this](auto& s) { Fail(s); });
}

int64_t ArgReader::I64(const char* key) {
  return Read<int64_t>(Find(key, false), key, 0, AsInt<int64_t>, [this](auto& s) { Fail(s); });
}

bool ArgReader::OptBool(const char* key, bool fallback) {
  return Read<bool>(Find(key, true), key, fallback, AsBool, [this](auto& s) { Fail(s); });
}

std::string ChunkCrcsToWire(const std::vector<uint32_t>& crcs) {
  std::string bytes;
  bytes.reserve(crcs.size() * 4);
  for (uint32_t crc : crcs) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(crc >> shift));
  }
  return bytes;
}

bool ChunkCrcsFromWire(std::string_view bytes, std::vector<uint32_t>* crcs) {
  if (bytes.size() % 4 != 0) return false;
  crcs->resize(bytes.size() / 4);
  for (size_t i = 0; i < crcs->size(); ++i) {
    uint32_t crc = 0;
    for (size_t b = 0; b < 4; ++b) crc = (crc << 8) | static_cast<uint8_t>(bytes[i * 4 + b]);
    (*crcs)[i] = crc;
  }
  return true;
}

}  // namespace nokv::server
