// fsck: what a consistency check of the metadata and its blocks finds, and
// what a repair did (docs/fsck.md). MetaService::Fsck produces the report;
// frontends print it. Plain value types.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nokv::meta {

// The kinds of damage fsck knows (docs/fsck.md describes each).
enum class FsckKind : uint8_t {
  kDanglingDentry,      // a directory entry names an inode (or sits in a directory) that is gone
  kOrphanInode,         // an inode no directory entry names
  kBacklinkMismatch,    // an inode's parent/name is not an entry that names it
  kNlinkMismatch,       // link count differs from the entries counted
  kChildCountMismatch,  // a directory's child count differs from its entries
  kTotalsMismatch,      // c/totals differs from the inodes counted
  kMissingManifest,     // a non-empty file has no manifest for its generation
  kStaleManifest,       // a manifest of a generation no inode has
  kMissingBlock,        // a block a file needs is not in the object store
  kBlockSizeMismatch,   // the stored object's size differs from the manifest's length
  kDamagedBlock,        // the block's bytes fail its SHA-256 or chunk checksums (--verify)
  kRefcountDrift,       // a block's `b` count differs from the references counted
  kLeakedBlock,         // an object nothing references, past the grace period
  kStaleIndexRow,       // an index key a rebuild would not write (or would write differently)
  kMissingIndexRow,     // an index key a rebuild would write that is absent
  kMalformedRecord,     // a value that does not decode
};
inline constexpr size_t kFsckKindCount = static_cast<size_t>(FsckKind::kMalformedRecord) + 1;

// "dangling_dentry", "orphan_inode", ... (the names in docs/fsck.md).
std::string_view FsckKindName(FsckKind kind);
std::optional<FsckKind> FsckKindFromName(std::string_view name);

struct FsckOptions {
  bool repair = false;  // fix what can be fixed without losing data
  bool verify = false;  // read every block and check its SHA-256 and chunk checksums (the scrub)
  uint64_t rate_bytes_per_sec = 0;  // --verify read rate limit; 0: unlimited
};

struct FsckFinding {
  FsckKind kind = FsckKind::kMalformedRecord;
  std::string subject;             // what it is about: a path, "inode N", a block digest, a key
  std::string detail;              // what differs
  std::vector<std::string> files;  // the files a bad block affects
  std::string repair;              // what --repair did about it ("" without --repair)
  bool repaired = false;           // the repair was committed
};

struct FsckReport {
  uint64_t seq = 0;  // the sequence the (first) check read at
  uint64_t inodes = 0;
  uint64_t dentries = 0;
  uint64_t manifests = 0;
  uint64_t blocks = 0;           // distinct blocks the manifests reference
  uint64_t blocks_verified = 0;  // read and found intact (--verify)
  uint64_t bytes_verified = 0;
  uint64_t index_rows = 0;  // index keys checked
  std::vector<FsckFinding> findings;
  // With repair: findings a check after the repair still saw (0 = clean).
  uint64_t remaining = 0;

  std::array<uint64_t, kFsckKindCount> Counts() const;
};

}  // namespace nokv::meta
