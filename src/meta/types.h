// Value types of the metadata layer: inode attributes, directory entries,
// manifests, snapshots and watch events. Plain values; no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "object/block.h"

namespace nokv::meta {

using InodeId = uint64_t;
inline constexpr InodeId kRootInode = 1;
inline constexpr size_t kMaxNameBytes = 255;
// The deepest an entry may lie, counted in path components ("/a/b" is 2).
// Enforced where entries are made or moved (mkdir, create, symlink, link,
// publish, rename: InvalidArgument naming the limit). Walks over existing trees
// (removal, PathOf, GC, index) accept deeper trees made before the limit existed
// and tell a cycle from depth by the inodes they have seen.
inline constexpr size_t kMaxDepth = 4096;

enum class FileType : uint8_t { kFile = 1, kDirectory = 2, kSymlink = 3 };

// "file", "directory", "symlink".
const char* FileTypeName(FileType type);

struct Attr {
  InodeId inode = 0;
  FileType type = FileType::kFile;
  uint32_t mode = 0;  // permission bits only (no S_IFMT)
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t nlink = 1;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  // Commit sequence of the last content change (files), of creation (others).
  uint64_t generation = 0;
  uint64_t child_count = 0;  // directories: entries
  std::string symlink_target;
  // The entry that made this inode: its directory and name (kept current by
  // renames for directories and for a file's first link). Root: 0 and "".
  InodeId parent = 0;
  std::string name;
};

struct DirEntry {
  std::string name;
  InodeId inode = 0;
  FileType type = FileType::kFile;
};

// The body of one generation of a file.
struct Manifest {
  object::BodyLayout layout;
  std::string content_type;
  std::string producer;
};

struct Snapshot {
  std::string name;
  std::string root;  // absolute path of the pinned subtree
  uint64_t seq = 0;  // the pinned read sequence
  int64_t created_ns = 0;
  int64_t expires_ns = 0;  // 0: until retired
};

// A metadata backup the namespace keeps history for: a durable pin at `seq`
// (so every block the namespace referenced then stays collectable only
// after the backup is dropped) and where its image was written.
struct BackupRecord {
  std::string id;
  uint64_t seq = 0;  // the pinned sequence: the image's state
  int64_t created_ns = 0;
  std::string location;  // where the image lives ("" = the data directory's store)
};

enum class EventType : uint8_t {
  kCreate = 1,  // empty file created
  kMkdir = 2,
  kPublish = 3,  // new body generation
  kRemove = 4,   // unlink or rmdir
  kRename = 5,
  kSetattr = 6,
  kXattr = 7,
  kSymlink = 8,
  kLink = 9,
  kSnapshot = 10,  // snapshot created or retired (path = its root)
};

const char* EventTypeName(EventType type);

struct Event {
  uint64_t seq = 0;      // commit sequence
  uint32_t ordinal = 0;  // position within the commit
  EventType type = EventType::kCreate;
  std::string path;
  std::string old_path;  // renames
  InodeId inode = 0;
  FileType file_type = FileType::kFile;
  std::string detail;   // snapshot name, xattr name, ...
  int64_t time_ns = 0;  // wall clock of the commit
  // How many entries the event stands for. mkdir/create/symlink/publish: 1 plus
  // the missing ancestors the same command created (they are not reported
  // separately; each is a prefix of `path`). remove: the entry and everything
  // below it that went with it (a directory removed with its contents).
  uint64_t count = 1;

  // "seq.ordinal": a position in the event stream.
  std::string cursor() const;
};

}  // namespace nokv::meta
