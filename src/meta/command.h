// MetadataCommand: builds the one engine batch of a metadata mutation.
//
// A command collects puts, deletes, merges and predicates, typed watch
// events (stamped with the commit sequence and numbered within the commit),
// and block reference deltas (netted per block and emitted at Finish, with a
// GC hint record for every decrement). Owned by one thread; internal to
// src/meta.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "holt/batch.h"
#include "meta/codec.h"
#include "meta/merge.h"
#include "meta/meta_service.h"

namespace nokv::meta {

class IndexEdits;

class MetaService::Command {
 public:
  Command(MetaService* service, int64_t now_ns);
  ~Command();

  holt::Batch& batch() { return batch_; }
  MetaService& service() { return *service_; }
  int64_t now() const { return now_; }

  void Event(EventType type, std::string_view path, InodeId inode, FileType file_type,
             std::string_view old_path = {}, std::string_view detail = {});
  // Emits `event` (time, seq and ordinal are filled in). A creating event
  // (mkdir, create, symlink, publish) also counts the ancestors noted by
  // NoteCreatedParent since the last one.
  void Event(meta::Event event);
  // A missing ancestor created for the next creating event: it gets no event
  // of its own (its path is a prefix of that event's path).
  void NoteCreatedParent() { created_parents_++; }
  // Child-count and link-count deltas on a directory, with mtime/ctime = now.
  void TouchDir(InodeId dir, int64_t child_delta, int64_t nlink_delta);
  // The same for a directory that moved to (new_parent, new_name).
  void MoveDir(InodeId dir, InodeId new_parent, std::string_view new_name);
  // Writes an inode; with `stamp_generation` its generation becomes the
  // commit sequence.
  void PutAttr(const Attr& attr, bool stamp_generation);
  void PutManifestStamped(InodeId inode, const Manifest& manifest);
  // +1 or -1 on every block of `manifest`, the body of `inode`.
  void BlockDeltas(InodeId inode, const Manifest& manifest, int64_t sign);
  void Totals(int64_t files, int64_t dirs, int64_t symlinks, int64_t bytes);
  // Records that this command allocates `inode`, so the high-water mark
  // keeps inode numbers from being reused after a restart.
  void NoteNewInode(InodeId inode);
  // Guards: the read of `key` at `version` (0: absent) is still current.
  void Guard(std::string_view key, uint64_t version);

  // Blocks whose count this command raises (netted so far).
  std::vector<Digest> RaisedBlocks() const;
  // The reference added to `digest` revives it from collected (its object
  // was uploaded again); the caller guards the collected marker's version.
  void Revive(const Digest& digest) { revive_.insert(digest); }

  // The index rows this command changes (index_edits.h). Made on first use, which
  // snapshots the active rules and guards the rule-set version (kIndexRulesKey).
  IndexEdits& index();

  // Emits the index changes, netted block deltas, GC hints and totals collected so far.
  void Finish();

  // Directories this command creates, so later steps of the same command
  // (publish-many, mkdir -p) find them: (parent, name) -> inode.
  std::map<std::pair<InodeId, std::string>, InodeId> created_dirs;
  // Files this command publishes, to refuse duplicates.
  std::map<std::pair<InodeId, std::string>, InodeId> published;

  // The inode the command is about (returned to idempotent retries).
  InodeId result_inode = 0;

 private:
  MetaService* service_;
  int64_t now_;
  holt::Batch batch_;
  uint32_t ordinal_ = 0;
  std::string last_event_path_;   // events store their path relative to it
  uint64_t created_parents_ = 0;  // ancestors the next creating event stands for
  std::map<Digest, int64_t> block_deltas_;
  std::set<Digest> revive_;
  std::map<Digest, std::set<InodeId>> released_by_;  // inodes whose manifests dropped a block
  int64_t totals_[4] = {0, 0, 0, 0};
  InodeId max_new_inode_ = 0;
  std::unique_ptr<IndexEdits> index_;
};

}  // namespace nokv::meta
