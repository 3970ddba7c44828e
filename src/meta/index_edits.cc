// Guarded reads and composed writes of index rows inside one command.
#include "meta/index_edits.h"

#include "records/combine.h"

namespace nokv::meta {

std::string ParentOf(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? std::string("/") : std::string(path.substr(0, slash));
}

std::string BaseOf(std::string_view path) { return std::string(path.substr(path.rfind('/') + 1)); }

bool IsParentRule(const records::IndexRule& rule) {
  return rule.target == records::IndexRule::Target::kParent;
}

namespace {

constexpr size_t kScanPage = 4096;

// Every key under `prefix` (all pages).
Result<std::vector<holt::Entry>> ScanAll(const holt::Engine* engine, std::string prefix,
                                         bool keys_only) {
  std::vector<holt::Entry> out;
  holt::ScanOptions scan;
  scan.prefix = std::move(prefix);
  scan.keys_only = keys_only;
  scan.limit = kScanPage;
  for (;;) {
    NOKV_ASSIGN_OR_RETURN(auto page, engine->Scan(scan));
    for (auto& e : page) out.push_back(std::move(e));
    if (page.size() < scan.limit) return out;
    scan.start_after = out.back().key;
  }
}

}  // namespace

IndexEdits::IndexEdits(const holt::Engine* engine, holt::Batch* batch,
                       std::vector<records::IndexRule> rules)
    : engine_(engine), batch_(batch), rules_(std::move(rules)) {}

Result<IndexEdits::RowState*> IndexEdits::Load(const records::IndexRule& rule,
                                               std::string_view row_path) {
  auto [it, fresh] = rows_.try_emplace({rule.id, std::string(row_path)});
  RowState& state = it->second;
  if (!fresh) return &state;
  state.rule = rule;
  auto current = engine_->Get(RowKey(rule.id, row_path));
  batch_->RequireVersion(RowKey(rule.id, row_path), current.ok() ? current->seq : 0);
  if (current.ok()) {
    state.existed = true;
    if (auto decoded = DecodeStoredRow(current->bytes); decoded.ok()) state.old = *decoded;
  }
  if (IsParentRule(rule)) {
    std::string prefix = ContributionPrefix(rule.id, row_path);
    NOKV_ASSIGN_OR_RETURN(auto parts, ScanAll(engine_, prefix, /*keys_only=*/false));
    for (const auto& e : parts) {
      std::string name = e.key.substr(prefix.size());
      state.stored_parts.insert(name);
      if (auto decoded = DecodeStoredRow(e.value); decoded.ok()) state.parts[name] = *decoded;
    }
  }
  if (state.stored_parts.empty()) state.direct = state.old;
  return &state;
}

Status IndexEdits::SetPiece(const records::IndexRule& rule, std::string_view file_path,
                            std::optional<StoredRow> piece) {
  if (!IsParentRule(rule)) {
    NOKV_ASSIGN_OR_RETURN(RowState * state, Load(rule, file_path));
    state->direct = std::move(piece);
    state->dirty = true;
    return Status::Ok();
  }
  NOKV_ASSIGN_OR_RETURN(RowState * state, Load(rule, ParentOf(file_path)));
  std::string name = BaseOf(file_path);
  if (piece) {
    state->parts[name] = std::move(*piece);
  } else {
    state->parts.erase(name);
  }
  state->changed_parts.insert(name);
  state->direct.reset();  // contributions replace a row that had none (bulk rows)
  state->dirty = true;
  return Status::Ok();
}

Result<std::optional<StoredRow>> IndexEdits::TakePiece(const records::IndexRule& rule,
                                                       std::string_view file_path) {
  std::optional<StoredRow> piece;
  if (!IsParentRule(rule)) {
    NOKV_ASSIGN_OR_RETURN(RowState * state, Load(rule, file_path));
    piece = state->direct;
  } else {
    NOKV_ASSIGN_OR_RETURN(RowState * state, Load(rule, ParentOf(file_path)));
    if (auto it = state->parts.find(BaseOf(file_path)); it != state->parts.end()) {
      piece = it->second;
    }
  }
  NOKV_RETURN_IF_ERROR(SetPiece(rule, file_path, std::nullopt));
  return piece;
}

Result<std::vector<std::string>> IndexEdits::RowPathsUnder(const records::IndexRule& rule,
                                                           std::string_view path) {
  if (path != "/" && guarded_epochs_.insert(IndexEpochKey(path)).second) {
    auto epoch = engine_->Get(IndexEpochKey(path));
    batch_->RequireVersion(IndexEpochKey(path), epoch.ok() ? epoch->seq : 0);
  }
  std::vector<std::string> out;
  if (engine_->Get(RowKey(rule.id, path)).ok()) out.emplace_back(path);
  std::string below = path == "/" ? std::string("/") : std::string(path) + "/";
  NOKV_ASSIGN_OR_RETURN(auto rows, ScanAll(engine_, RowPrefix(rule.id, below), true));
  for (const auto& e : rows) {
    std::string_view id, row_path;
    if (ParseRowKey(e.key, &id, &row_path)) out.emplace_back(row_path);
  }
  return out;
}

Result<TakenRow> IndexEdits::TakeRow(const records::IndexRule& rule, std::string_view row_path) {
  NOKV_ASSIGN_OR_RETURN(RowState * state, Load(rule, row_path));
  TakenRow taken{std::move(state->direct), std::move(state->parts)};
  state->direct.reset();
  state->parts.clear();
  state->changed_parts.insert(state->stored_parts.begin(), state->stored_parts.end());
  state->dirty = true;
  return taken;
}

Status IndexEdits::PutDirect(const records::IndexRule& rule, std::string_view row_path,
                             StoredRow row) {
  NOKV_ASSIGN_OR_RETURN(RowState * state, Load(rule, row_path));
  state->direct = std::move(row);
  state->parts.clear();
  state->changed_parts.insert(state->stored_parts.begin(), state->stored_parts.end());
  state->dirty = true;
  return Status::Ok();
}

void IndexEdits::Emit(const std::string& row_path, RowState& state) {
  const std::string& rule = state.rule.id;
  if (state.old) {
    for (const auto& [field, values] : state.old->row.fields) {
      for (const auto& value : values) batch_->Delete(ValueKey(rule, field, value, row_path));
    }
  }
  for (const auto& name : state.changed_parts) {
    auto it = state.parts.find(name);
    if (it != state.parts.end()) {
      batch_->Put(ContributionKey(rule, row_path, name), EncodeStoredRow(it->second));
    } else if (state.stored_parts.contains(name)) {
      batch_->Delete(ContributionKey(rule, row_path, name));
    }
  }
  std::optional<StoredRow> row = state.direct;
  if (!state.parts.empty()) {
    std::vector<const records::Row*> rows;
    for (const auto& [name, part] : state.parts) rows.push_back(&part.row);
    row = StoredRow{state.parts.begin()->first, records::CombineRows(state.rule, rows)};
  }
  if (row) {
    batch_->Put(RowKey(rule, row_path), EncodeStoredRow(*row));
    for (const auto& [field, values] : row->row.fields) {
      for (const auto& value : values) batch_->Put(ValueKey(rule, field, value, row_path), "");
    }
  } else if (state.existed) {
    batch_->Delete(RowKey(rule, row_path));
  }
  // The state now matches what the batch will hold.
  state.existed = row.has_value();
  state.old = row;
  state.stored_parts.clear();
  for (const auto& [name, part] : state.parts) state.stored_parts.insert(name);
  state.changed_parts.clear();
  state.dirty = false;
}

Status IndexEdits::DropEpochs(std::string_view dir) {
  dropped_epochs_.insert(IndexEpochKey(dir));
  NOKV_ASSIGN_OR_RETURN(auto below, ScanAll(engine_, IndexEpochKey(std::string(dir) + "/"), true));
  for (auto& e : below) dropped_epochs_.insert(std::move(e.key));
  return Status::Ok();
}

void IndexEdits::Flush() {
  std::set<std::string> epochs;
  for (auto& [key, state] : rows_) {
    if (!state.dirty) continue;
    Emit(key.second, state);
    for (auto& epoch : IndexEpochKeysFor(key.second)) epochs.insert(std::move(epoch));
  }
  for (const auto& epoch : epochs) batch_->Put(epoch, "");
  for (const auto& key : dropped_epochs_) batch_->Delete(key);
  dropped_epochs_.clear();
}

}  // namespace nokv::meta
