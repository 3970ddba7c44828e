// Keys and value encodings of the metadata key families (docs/formats/meta-keys.md).
//
// Every key starts with its family byte; integers are big-endian so keys sort
// numerically. Structured values (inodes, manifests, snapshots, events, block
// references, dedupe records) start with a format version byte; dentry,
// xattr and counter values are raw (docs/formats/meta-keys.md). All functions
// are pure; decoders return Corruption on malformed bytes.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/sha256.h"
#include "meta/types.h"

namespace nokv::meta {

namespace family {
inline constexpr char kInode = 'i';
inline constexpr char kDentry = 'd';
inline constexpr char kManifest = 'm';
inline constexpr char kBlockRef = 'b';
inline constexpr char kXattr = 'x';
inline constexpr char kWatch = 'w';
inline constexpr char kSnapshot = 's';
inline constexpr char kBackup = 'k';
inline constexpr char kGc = 'g';
inline constexpr char kRule = 'r';
inline constexpr char kRow = 'f';
inline constexpr char kValueIndex = 'v';
inline constexpr char kDedupe = 'q';
}  // namespace family

inline constexpr uint8_t kValueVersion = 1;

// Keys.
std::string InodeKey(InodeId inode);
std::string DentryKey(InodeId parent, std::string_view name);
std::string DentryPrefix(InodeId parent);
std::string ManifestKey(InodeId inode, uint64_t generation);
std::string ManifestPrefix(InodeId inode);
std::string BlockRefKey(const Digest& digest);
std::string XattrKey(InodeId inode, std::string_view name);
std::string XattrPrefix(InodeId inode);
std::string WatchKey(uint64_t seq, uint32_t ordinal);
std::string SnapshotKey(std::string_view name);
std::string BackupKey(std::string_view id);
std::string GcKey(uint64_t seq, const Digest& digest);
std::string DedupeKey(std::string_view request_id);
// Counters ('c' family). The watch floor holds the WatchKey of the newest
// pruned event; the inode high-water mark the largest inode ever allocated.
inline constexpr std::string_view kWatchFloorKey = "c/watch_floor";
inline constexpr std::string_view kInodeHighWaterKey = "c/inode_hwm";
// Offsets of the stamped sequence inside keys built with a placeholder seq.
inline constexpr uint32_t kWatchKeySeqOffset = 1;
inline constexpr uint32_t kManifestKeySeqOffset = 9;
inline constexpr uint32_t kGcKeySeqOffset = 1;

bool ParseInodeKey(std::string_view key, InodeId* inode);
bool ParseDentryKey(std::string_view key, InodeId* parent, std::string_view* name);
bool ParseManifestKey(std::string_view key, InodeId* inode, uint64_t* generation);
bool ParseWatchKey(std::string_view key, uint64_t* seq, uint32_t* ordinal);
bool ParseGcKey(std::string_view key, uint64_t* seq, Digest* digest);
// A GC hint's value: the inodes whose manifests dropped the block in that
// commit (empty for hints the collector writes itself, and for hints written
// before inodes were recorded: then every snapshot may need the block).
std::string EncodeGcHint(const std::set<InodeId>& inodes);
Result<std::vector<InodeId>> DecodeGcHint(std::string_view value);

// Inode values. The generation sits at a fixed offset so a commit can stamp
// its own sequence into it.
inline constexpr uint32_t kAttrGenerationOffset = 1;
std::string EncodeAttr(const Attr& attr);
Result<Attr> DecodeAttr(InodeId inode, std::string_view value);

std::string EncodeDentry(InodeId child, FileType type);
Result<DirEntry> DecodeDentry(std::string_view name, std::string_view value);

// Manifest values (docs/formats/meta-keys.md, `m`). A layout with a
// block-list digest or chunk checksums is written in manifest version 2
// (kManifestVersion); one with neither in version 1, byte for byte as
// before. Both are read. The layout must satisfy object::ValidateLayout.
inline constexpr uint8_t kManifestVersion = 2;
std::string EncodeManifest(const Manifest& manifest);
Result<Manifest> DecodeManifest(std::string_view value);

std::string EncodeSnapshot(const Snapshot& snapshot);
Result<Snapshot> DecodeSnapshot(std::string_view name, std::string_view value);
std::string EncodeBackup(const BackupRecord& backup);
Result<BackupRecord> DecodeBackup(std::string_view id, std::string_view value);

// Watch event values; seq and ordinal come from the key. Events are written in
// version 2 (kEventVersion): the path is stored as the number of leading bytes it
// shares with `previous_path`, the path of the event before it in the same commit
// ("" for ordinal 0), plus the rest, so a commit's events that share a long prefix
// store it once. Version 1 (full paths, count 1) is still read.
inline constexpr uint8_t kEventVersion = 2;
std::string EncodeEvent(const Event& event, std::string_view previous_path = {});
// Corruption when the value is malformed or claims more shared bytes than
// `previous_path` has.
Result<Event> DecodeEvent(uint64_t seq, uint32_t ordinal, std::string_view value,
                          std::string_view previous_path = {});

// Block reference state: live with a count, claimed by GC (object being
// deleted), or collected (object gone; a publish must re-upload).
enum class BlockState : uint8_t { kLive = 0, kClaimed = 1, kCollected = 2 };
struct BlockRefValue {
  uint64_t count = 0;
  BlockState state = BlockState::kLive;
};
std::string EncodeBlockRef(const BlockRefValue& value);
Result<BlockRefValue> DecodeBlockRef(std::string_view value);

// Dedupe records: the outcome of an idempotent request.
struct DedupeValue {
  uint64_t seq = 0;  // stamped: the commit that performed the request
  InodeId inode = 0;
  int64_t created_ns = 0;
};
inline constexpr uint32_t kDedupeSeqOffset = 1;
std::string EncodeDedupe(const DedupeValue& value);
Result<DedupeValue> DecodeDedupe(std::string_view value);

}  // namespace nokv::meta
