// IndexEdits: the index rows one metadata command changes.
//
// A row is read once per command (the `f` key, and for `target: parent` rules every
// contribution under it) and that read is guarded in the command's batch: the `f` key's
// version. Every batch that changes a contribution also rewrites its row, so the row's
// version covers the contributions too. Changes are kept here and written by Flush
// (called from Command::Finish), so several changes to one row in one command compose:
// a rename inside one directory, two siblings in one publish-many.
//
// Flush deletes the old row's value-index entries, writes the new row (a parent row is
// records::CombineRows of its contributions in file-name order), its `v` entries and the
// changed contributions, and rewrites the index epoch of every touched row path and its
// ancestors (index_keys.h). Owned by one command on one thread; internal to src/meta.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "holt/batch.h"
#include "holt/engine.h"
#include "meta/index_keys.h"
#include "records/rule.h"

namespace nokv::meta {

// The directory of a normalized path ("/" for a top-level entry) and its last
// component: where a file's contribution to a `target: parent` row is kept.
std::string ParentOf(std::string_view path);
std::string BaseOf(std::string_view path);
bool IsParentRule(const records::IndexRule& rule);

// What a row held before a command took it away (to move it elsewhere).
struct TakenRow {
  std::optional<StoredRow> direct;         // a row with no contributions
  std::map<std::string, StoredRow> parts;  // file name -> contribution
};

class IndexEdits {
 public:
  // `engine` is read at its latest state; guards go into `batch`. Both outlive this.
  IndexEdits(const holt::Engine* engine, holt::Batch* batch, std::vector<records::IndexRule> rules);

  // The rule set the command was built with (its version is guarded by the command).
  const std::vector<records::IndexRule>& rules() const { return rules_; }

  // The piece file `file_path` gives `rule` (the row itself for `target: file`, its
  // contribution to the parent row otherwise); nullopt removes it.
  Status SetPiece(const records::IndexRule& rule, std::string_view file_path,
                  std::optional<StoredRow> piece);
  // The current piece of `file_path`, removed.
  Result<std::optional<StoredRow>> TakePiece(const records::IndexRule& rule,
                                             std::string_view file_path);
  // The row paths of `rule` at or below `path`; guards the epoch of `path`, so a row
  // written there concurrently makes the command rebuild.
  Result<std::vector<std::string>> RowPathsUnder(const records::IndexRule& rule,
                                                 std::string_view path);
  // Removes the row at `row_path` with all its contributions and returns them.
  Result<TakenRow> TakeRow(const records::IndexRule& rule, std::string_view row_path);
  // Sets a row with no contributions (moved rows of `target: file`, bulk rows).
  Status PutDirect(const records::IndexRule& rule, std::string_view row_path, StoredRow row);
  // Epoch keys at or below `dir` are deleted at Flush (the directory is gone or moved).
  Status DropEpochs(std::string_view dir);

  // Emits every change into the batch. Idempotent: a second call emits nothing new.
  void Flush();

 private:
  struct RowState {
    records::IndexRule rule;
    bool existed = false;                    // the f key was live
    std::optional<StoredRow> old;            // decoded old row (its v entries go)
    std::set<std::string> stored_parts;      // contribution names in the store
    std::map<std::string, StoredRow> parts;  // current contributions
    std::set<std::string> changed_parts;
    std::optional<StoredRow> direct;  // current row when there are no contributions
    bool dirty = false;
  };

  Result<RowState*> Load(const records::IndexRule& rule, std::string_view row_path);
  void Emit(const std::string& row_path, RowState& state);

  const holt::Engine* engine_;
  holt::Batch* batch_;
  std::vector<records::IndexRule> rules_;
  std::map<std::pair<std::string, std::string>, RowState> rows_;  // (rule id, row path)
  std::set<std::string> guarded_epochs_;
  std::set<std::string> dropped_epochs_;  // keys
};

}  // namespace nokv::meta
