// Holt: the embedded, ordered, versioned key-value engine under NoKV metadata.
//
// Keys and values are bytes. Every committed Batch gets the next commit
// sequence number; a reader at sequence S sees, for each key, the newest
// version written at or before S. Batches are logged to a WAL before they
// become visible (the visibility watermark), checkpointed in the background,
// and recovered on Open. See docs/holt.md and docs/formats/.
//
// Thread-safety: every public method may be called from any thread. Writers
// queue behind one commit leader that applies a whole group of batches and
// logs them with one write and one sync (group commit). Readers share a
// reader/writer lock with the leader's short apply step and never wait for
// I/O. ReadViews must be destroyed before the Engine.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/env.h"
#include "holt/art/art.h"
#include "holt/batch.h"
#include "holt/histogram.h"
#include "holt/record_arena.h"
#include "holt/wal.h"

namespace nokv::holt {

enum class Durability {
  kSync,   // acknowledged after write + fdatasync of the WAL (default)
  kGroup,  // acknowledged after write; a syncer thread fdatasyncs every group_sync_interval
  kNone,   // acknowledged after write; synced only at rotation and close
};

// Computes a key's new value at commit time from its current value
// (nullptr when absent) and a Batch::Merge operand; `seq` is the committing
// batch's sequence. Runs on the commit leader with the index locked: it must
// be fast, deterministic and must not call back into the engine. An error
// fails the whole batch with that status.
using MergeOperator =
    std::function<Result<std::string>(std::string_view key, const std::string_view* existing,
                                      std::string_view operand, uint64_t seq)>;

struct Options {
  Env* env = nullptr;            // nullptr: Env::Default()
  MergeOperator merge_operator;  // required to commit batches with merges
  Durability durability = Durability::kSync;
  std::chrono::milliseconds group_sync_interval{5};
  uint64_t wal_segment_bytes = 64ull << 20;
  // Automatic checkpoints (docs/holt.md#checkpoint-policy). One is due when
  // the WAL since the last image (replayed at open plus written since) holds
  // at least min(checkpoint_wal_bytes, max(checkpoint_min_wal_bytes, half
  // the image size)) bytes, or more than checkpoint_max_wal_segments
  // segments are live. The background thread writes a due checkpoint, and a
  // writable engine writes one when it is destroyed, so short-lived
  // processes checkpoint too. checkpoint_wal_bytes = 0 disables automatic
  // checkpoints.
  uint64_t checkpoint_wal_bytes = 256ull << 20;
  uint64_t checkpoint_min_wal_bytes = 1ull << 20;
  uint64_t checkpoint_max_wal_segments = 8;
  // Upper bound on the encoded bytes of one commit group.
  size_t max_group_bytes = 8ull << 20;
  // Largest batch Commit accepts, in encoded WAL payload bytes
  // (Batch::encoded_size() after merges are resolved); a larger one fails
  // with TooLarge. At most kMaxBatchBytesLimit (512 MiB), which keeps every
  // record the engine writes below what recovery reads (kMaxRecordPayload,
  // 1 GiB). See docs/holt.md#size-limits.
  size_t max_batch_bytes = 256ull << 20;
  // A checkpoint data record holds entries up to this many bytes (and at
  // most 2048 keys); one version of one key larger than this gets a record
  // of its own. At most kMaxBatchBytesLimit.
  size_t checkpoint_chunk_bytes = 1ull << 20;
  // kSync: how long a commit leader waits for callers already inside Commit
  // to queue their batches, so one fdatasync covers them (0 disables).
  std::chrono::microseconds group_gather_wait{50};
  // Run the checkpoint/sweep thread. (kGroup always runs its syncer thread.)
  bool background_work = true;
  // Open for reading only: the directory must exist; the LOCK file is taken
  // shared (readers coexist; a writer and readers exclude each other with
  // Busy); the checkpoint and WAL are replayed in memory and no file is
  // created, truncated, renamed or removed (a torn WAL tail is ignored, not
  // cut). Commit and Checkpoint fail with NotSupported.
  bool read_only = false;
  // Writable opens keep <dir>/RESERVE, a preallocated file of this many
  // bytes, created when missing and space allows (0: no reserve). See
  // holt/reserve.h and docs/holt.md#space-reserve.
  uint64_t reserve_bytes = 0;
  // Delete the reserve at open so this engine's commits can use its space
  // (for operations that free space on a full disk); it is re-created when
  // the engine is destroyed, if space allows.
  bool release_reserve = false;
};

class Engine;

// What an image (docs/formats/checkpoint.md) written by Engine::ExportImage
// holds.
struct ImageInfo {
  uint64_t seq = 0;       // the image's sequence
  uint64_t pins = 0;      // durable pins it carries
  uint64_t keys = 0;      // entries (keys with at least one kept version)
  uint64_t versions = 0;  // versions of those keys
  uint64_t bytes = 0;     // bytes appended to the file
};

// A pinned read sequence. While it lives, every version it can see is kept.
// Movable, not copyable; owned by one thread at a time.
class ReadView {
 public:
  ReadView() = default;
  ReadView(ReadView&& other) noexcept;
  ReadView& operator=(ReadView&& other) noexcept;
  ReadView(const ReadView&) = delete;
  ReadView& operator=(const ReadView&) = delete;
  ~ReadView();

  uint64_t seq() const { return seq_; }
  bool valid() const { return engine_ != nullptr; }

 private:
  friend class Engine;
  ReadView(Engine* engine, uint64_t seq) : engine_(engine), seq_(seq) {}
  void Release();

  Engine* engine_ = nullptr;
  uint64_t seq_ = 0;
};

struct Value {
  std::string bytes;
  uint64_t seq = 0;  // sequence that wrote this version
};

struct Entry {
  std::string key;
  std::string value;
  uint64_t seq = 0;
};

struct ScanOptions {
  std::string prefix;                      // only keys starting with it
  std::optional<std::string> start_after;  // exclusive bound in scan direction
  size_t limit = 1000;
  bool reverse = false;
  bool keys_only = false;  // leave Entry::value empty
};

struct Stats {
  uint64_t keys = 0;            // keys in the index, including pending tombstones
  uint64_t versions = 0;        // records, all keys
  uint64_t record_bytes = 0;    // bytes of records (header + key + value)
  uint64_t arena_bytes = 0;     // bytes the record arena took from the system
  uint64_t node_bytes = 0;      // bytes of ART inner nodes
  uint64_t resident_bytes = 0;  // record_bytes + node_bytes
  uint64_t wal_bytes = 0;       // bytes of live WAL segments
  uint64_t checkpoint_seq = 0;
  uint64_t checkpoints = 0;
  uint64_t last_seq = 0;
  uint64_t visible_seq = 0;
  uint64_t commits = 0;
  uint64_t commit_groups = 0;
  uint64_t reader_pins = 0;
  uint64_t durable_pins = 0;
  uint64_t wal_segments = 0;                // live WAL segment files
  uint64_t wal_since_checkpoint_bytes = 0;  // WAL the next open replays (policy input)
  // When the image CURRENT names was written (ns since the Unix epoch): its
  // file time at open, the wall clock when this engine writes one; 0: none.
  int64_t checkpoint_unix_ns = 0;
  // What Open replayed: segments read, their bytes, records applied or
  // skipped, and whether the newest segment ended in a torn tail.
  uint64_t open_replay_segments = 0;
  uint64_t open_replay_bytes = 0;
  uint64_t open_replay_records = 0;
  bool open_torn_tail = false;
  LatencyHistogram::Summary commit_latency;
};

class Engine {
 public:
  // Opens (creating if needed, unless read-only) the engine in `dir`: takes
  // the directory lock (Busy naming the holder if taken; InvalidArgument for
  // a size limit in `options` that is 0 or over kMaxBatchBytesLimit), loads
  // the checkpoint CURRENT names, replays the WAL after it (a writable open
  // cuts a torn tail; damage is Corruption naming the file and offset) and
  // continues the newest WAL segment (a new one only when there is none).
  // Read-only: NotFound when `dir` or its LOCK file is missing.
  static Result<std::unique_ptr<Engine>> Open(const std::string& dir, const Options& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Commits `batch` atomically. Returns its sequence number (for a batch
  // with no operations: the last sequence, after checking predicates). A
  // failed predicate gives FailedPrecondition (Reason::kPredicateFailed)
  // naming it, and its index in *failed_predicate. A batch whose encoded
  // size, merges resolved, is over Options::max_batch_bytes gives TooLarge;
  // like a failed predicate it uses no sequence and changes nothing. After a WAL write or sync
  // error every later commit fails with that error (the engine must be reopened).
  Result<uint64_t> Commit(const Batch& batch, size_t* failed_predicate = nullptr);

  // Point read at `view`, or at the latest visible sequence. NotFound if absent.
  Result<Value> Get(std::string_view key, const ReadView* view = nullptr) const;
  // Ordered range read, at most options.limit entries.
  Result<std::vector<Entry>> Scan(const ScanOptions& options, const ReadView* view = nullptr) const;
  // Live keys starting with `prefix`. O(keys under the prefix).
  uint64_t CountPrefix(std::string_view prefix, const ReadView* view = nullptr) const;

  // Pins the latest visible sequence.
  ReadView Pin();
  // Pins `seq` if it is still fully retained: it is the visible sequence,
  // another pin holds it, or no prune has run since it was visible (any
  // write may prune, so in practice: hold a pin to keep a sequence).
  // Expired otherwise; InvalidArgument for a sequence not yet visible.
  Result<ReadView> PinAt(uint64_t seq);
  // Pins the sequence of the durable pin `name`. NotFound if absent.
  Result<ReadView> PinDurable(std::string_view name);
  // Durable pins by name.
  std::map<std::string, uint64_t> DurablePins() const;
  // The oldest sequence any reader or durable pin can still read (the
  // visible sequence when nothing is pinned).
  uint64_t OldestPin() const;
  // The oldest sequence a reader pin (not a durable pin) holds; the visible
  // sequence when there is none.
  uint64_t OldestReaderPin() const;

  uint64_t visible_seq() const { return visible_seq_.load(std::memory_order_acquire); }
  // Blocks until the visible sequence passes `seq` (any committer's batch
  // became visible), the engine stops, or `deadline`. Returns whether it
  // passed. Any thread.
  bool WaitVisibleAfter(uint64_t seq, std::chrono::steady_clock::time_point deadline);

  // Writes a checkpoint image now and drops the WAL segments it covers.
  // NotSupported on a read-only engine.
  Status Checkpoint();
  // Frees every version no pin can see and tombstones no reader needs.
  void Sweep();
  // Appends to `out` a checkpoint image of the state `view` (a view of this
  // engine) sees, with the durable pins at or before it and the versions
  // they need: what Checkpoint would write at that sequence. The caller
  // syncs and closes `out`. Runs beside commits; read-only engines export
  // too. With InstallImage, the image becomes a new engine directory.
  Result<ImageInfo> ExportImage(const ReadView& view, WritableFile* out);

  Stats GetStats() const;
  const std::string& dir() const { return dir_; }

 private:
  struct Writer;
  friend class ReadView;
  friend class EngineRecovery;

  Engine(std::string dir, const Options& options);
  Status Recover();
  Status TakeLock();
  Status OpenWalForAppend(const WalReplayStats& replay);
  // Whether the checkpoint policy (Options::checkpoint_*) asks for an image.
  bool CheckpointDue() const;
  void CheckpointAtClose();
  void KeepReserve();
  Status LoadCheckpointImage(const std::string& name);

  // Commit path (commit.cc).
  Status RunGroup(const std::vector<Writer*>& group);
  void GatherGroup(std::unique_lock<std::mutex>& lock);
  bool CheckPredicates(const Batch& batch, size_t* failed, Status* why) const;
  Status CheckBatchSize(const Batch& resolved) const;
  Status Resolve(const Batch& batch, uint64_t seq, Batch* resolved) const;
  void ApplyBatch(uint64_t seq, const Batch& batch, std::vector<uint64_t>* pins);
  void ApplyWrite(uint64_t seq, const Op& op, std::span<const uint64_t> pins);
  void CollectPendingTombstones(std::span<const uint64_t> pins);
  std::vector<uint64_t> PinSnapshot() const;
  Status WriteWal(std::string_view records, uint64_t first_seq, uint64_t last_seq);
  void SetBackgroundError(const Status& s);
  // Wakes threads waiting for the visible sequence to advance or the engine
  // to fail. Call after storing visible_seq_ or failed_.
  void NotifyVisibleWaiters();

  // Pins.
  void RegisterPin(uint64_t seq);
  void ReleasePin(uint64_t seq);

  // Background work.
  void BackgroundLoop();
  void SyncLoop();
  Status WriteCheckpoint(uint64_t seq, const std::map<std::string, uint64_t>& pins,
                         std::string* name);
  // The image at `seq` (fully retained by the caller's pin) into `file`.
  Result<ImageInfo> WriteImage(uint64_t seq, const std::map<std::string, uint64_t>& pins,
                               WritableFile* file);
  Status DropCoveredFiles(uint64_t seq, const std::string& keep_image);
  void SweepChunk(std::optional<std::string>* resume, bool* done);
  bool LiveUnder(std::string_view prefix, uint64_t seq, bool latest) const;

  const std::string dir_;
  const Options options_;
  Env* const env_;
  std::unique_ptr<FileLock> lock_;

  // The index and the record accounting. Writers hold tree_mu_ exclusively;
  // readers share it.
  mutable std::shared_mutex tree_mu_;
  RecordArena arena_;                            // guarded by tree_mu_
  ArtIndex index_;                               // guarded by tree_mu_
  uint64_t versions_ = 0;                        // guarded by tree_mu_
  uint64_t record_bytes_ = 0;                    // guarded by tree_mu_
  uint64_t last_seq_ = 0;                        // guarded by tree_mu_ (leader writes)
  std::vector<std::string> pending_tombstones_;  // guarded by tree_mu_
  std::atomic<uint64_t> visible_seq_{0};
  // Checkpoint() waits on visible_cv_ for the WAL boundary to become
  // visible; visible_mu_ only orders that wait against NotifyVisibleWaiters.
  std::mutex visible_mu_;
  std::condition_variable visible_cv_;

  // Pins. Registering takes tree_mu_ shared then pin_mu_, so pruning (under
  // tree_mu_ exclusive) always sees every pin.
  mutable std::mutex pin_mu_;
  std::map<uint64_t, int> reader_pins_;           // guarded by pin_mu_
  std::map<std::string, uint64_t> durable_pins_;  // guarded by pin_mu_
  uint64_t prune_floor_ = 0;                      // guarded by pin_mu_

  // Commit queue.
  std::mutex commit_mu_;
  std::deque<Writer*> writers_;  // guarded by commit_mu_
  size_t committers_ = 0;        // callers inside Commit; guarded by commit_mu_
  bool leader_waiting_ = false;  // guarded by commit_mu_
  std::condition_variable leader_cv_;
  Status bg_error_;  // guarded by commit_mu_
  std::atomic<bool> failed_{false};

  // WAL. The leader appends; the checkpointer rotates; the syncer syncs.
  mutable std::mutex wal_mu_;
  WalWriter wal_;                    // guarded by wal_mu_
  uint64_t wal_written_seq_ = 0;     // guarded by wal_mu_
  uint64_t wal_unsynced_bytes_ = 0;  // guarded by wal_mu_
  std::atomic<uint64_t> wal_bytes_{0};
  std::atomic<uint64_t> wal_since_checkpoint_{0};
  std::atomic<uint64_t> wal_segments_{0};  // live segment files
  std::atomic<uint64_t> image_bytes_{0};   // size of the image CURRENT names
  std::atomic<int64_t> image_unix_ns_{0};  // when it was written (0: no image)
  WalReplayStats open_replay_;             // set by Recover, then constant
  bool opened_ = false;                    // Open succeeded; set once before threads start

  // Checkpoints and sweeps.
  std::mutex checkpoint_mu_;  // one checkpoint at a time
  std::atomic<uint64_t> checkpoint_seq_{0};
  std::atomic<uint64_t> checkpoints_{0};
  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool bg_stop_ = false;          // guarded by bg_mu_
  bool sweep_requested_ = false;  // guarded by bg_mu_
  std::thread bg_thread_;
  std::thread sync_thread_;  // kGroup only

  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> commit_groups_{0};
  LatencyHistogram commit_latency_;
};

// Makes `dir` (absent or empty: AlreadyExists otherwise) an engine
// directory whose state is the image in the file `image` (written by
// Engine::ExportImage or Checkpoint): checks its header, syncs it, moves it
// into `dir` (so it must be on the same filesystem) as the checkpoint of its
// sequence and names it in CURRENT. The next Open loads it, checking every
// record, and starts an empty WAL after its sequence. Corruption for a file
// that is not an image, NotSupported for an image version this build
// does not read.
Status InstallImage(Env* env, const std::string& image, const std::string& dir);

}  // namespace nokv::holt
