// FaultInjectionEnv: bookkeeping of synced state and injected failures.
#include "common/fault_env.h"

#include <vector>

namespace nokv {
namespace {

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultInjectionEnv* env, std::string path, std::unique_ptr<WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    env_->RunAppendHook(path_);
    NOKV_RETURN_IF_ERROR(env_->BeforeMutation("append " + path_));
    if (env_->TakeShortWrite()) {
      Status s = base_->Append(data.substr(0, data.size() / 2));
      env_->RecordAppend(path_, base_->Size());
      if (!s.ok()) return s;
      return Status::IOError("injected short write to " + path_);
    }
    Status s = base_->Append(data);
    env_->RecordAppend(path_, base_->Size());
    return s;
  }

  Status Sync() override {
    NOKV_RETURN_IF_ERROR(env_->BeforeMutation("sync " + path_));
    NOKV_RETURN_IF_ERROR(base_->Sync());
    env_->RecordSync(path_, base_->Size());
    return Status::Ok();
  }

  Status StartWriteback() override { return base_->StartWriteback(); }
  Status Close() override { return base_->Close(); }
  uint64_t Size() const override { return base_->Size(); }

 private:
  FaultInjectionEnv* env_;
  std::string path_;
  std::unique_ptr<WritableFile> base_;
};

}  // namespace

FaultInjectionEnv::FaultInjectionEnv(Env* base) : base_(base) {}

Status FaultInjectionEnv::BeforeMutation(const std::string& what) {
  std::lock_guard lock(mu_);
  if (crashed_) return Status::IOError("injected crash before " + what);
  ++ops_;
  if (crash_budget_ >= 0 && ops_ > crash_budget_) {
    crashed_ = true;
    return Status::IOError("injected crash before " + what);
  }
  return Status::Ok();
}

void FaultInjectionEnv::RecordAppend(const std::string& path, uint64_t new_size) {
  std::lock_guard lock(mu_);
  files_[path].size = new_size;
}

void FaultInjectionEnv::RecordSync(const std::string& path, uint64_t size) {
  std::lock_guard lock(mu_);
  FileState& state = files_[path];
  state.size = std::max(state.size, size);
  state.synced = size;
}

bool FaultInjectionEnv::TakeShortWrite() {
  std::lock_guard lock(mu_);
  bool take = short_write_next_;
  short_write_next_ = false;
  return take;
}

void FaultInjectionEnv::NoteCreated(const std::string& path) {
  std::lock_guard lock(mu_);
  files_[path] = FileState{};
  unsynced_entries_.insert(path);
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(const std::string& path) {
  NOKV_RETURN_IF_ERROR(BeforeMutation("create " + path));
  bool existed = base_->FileExists(path);
  NOKV_ASSIGN_OR_RETURN(auto file, base_->NewWritableFile(path));
  if (existed) {
    std::lock_guard lock(mu_);
    files_[path] = FileState{};
  } else {
    NoteCreated(path);
  }
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, path, std::move(file)));
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewAppendableFile(
    const std::string& path) {
  NOKV_RETURN_IF_ERROR(BeforeMutation("open " + path));
  bool existed = base_->FileExists(path);
  NOKV_ASSIGN_OR_RETURN(auto file, base_->NewAppendableFile(path));
  if (!existed) {
    NoteCreated(path);
  } else {
    std::lock_guard lock(mu_);
    if (!files_.contains(path)) files_[path] = FileState{file->Size(), file->Size()};
  }
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, path, std::move(file)));
}

Result<std::unique_ptr<RandomAccessFile>> FaultInjectionEnv::NewRandomAccessFile(
    const std::string& path) {
  return base_->NewRandomAccessFile(path);
}

bool FaultInjectionEnv::FileExists(const std::string& path) { return base_->FileExists(path); }

Result<std::vector<std::string>> FaultInjectionEnv::GetChildren(const std::string& dir) {
  return base_->GetChildren(dir);
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  NOKV_RETURN_IF_ERROR(BeforeMutation("remove " + path));
  NOKV_RETURN_IF_ERROR(base_->RemoveFile(path));
  std::lock_guard lock(mu_);
  files_.erase(path);
  unsynced_entries_.erase(path);
  unsynced_renames_.erase(path);
  return Status::Ok();
}

Status FaultInjectionEnv::CreateDirs(const std::string& dir) {
  NOKV_RETURN_IF_ERROR(BeforeMutation("mkdir " + dir));
  std::vector<std::string> created;  // the missing levels, deepest first
  for (std::string d = dir; !d.empty() && d != "." && d != "/" && !base_->FileExists(d);
       d = DirName(d)) {
    created.push_back(d);
  }
  NOKV_RETURN_IF_ERROR(base_->CreateDirs(dir));
  std::lock_guard lock(mu_);
  if (track_dirs_) unsynced_entries_.insert(created.begin(), created.end());
  return Status::Ok();
}

Status FaultInjectionEnv::RemoveDir(const std::string& dir) {
  NOKV_RETURN_IF_ERROR(BeforeMutation("rmdir " + dir));
  return base_->RemoveDir(dir);
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  NOKV_RETURN_IF_ERROR(BeforeMutation("rename " + from));
  std::optional<std::string> previous;
  if (base_->FileExists(to)) {
    std::string bytes;
    NOKV_RETURN_IF_ERROR(base_->ReadFileToString(to, &bytes));
    previous = std::move(bytes);
  }
  NOKV_RETURN_IF_ERROR(base_->RenameFile(from, to));
  std::lock_guard lock(mu_);
  auto state = files_.find(from);
  if (state != files_.end()) {
    files_[to] = state->second;
    files_.erase(state);
  }
  unsynced_entries_.erase(from);
  // Only the first undurable rename onto `to` knows what a crash restores.
  unsynced_renames_.emplace(to, std::move(previous));
  return Status::Ok();
}

Status FaultInjectionEnv::LinkFile(const std::string& from, const std::string& to) {
  NOKV_RETURN_IF_ERROR(BeforeMutation("link " + from));
  NOKV_RETURN_IF_ERROR(base_->LinkFile(from, to));
  std::lock_guard lock(mu_);
  auto state = files_.find(from);
  // Both names share one inode; the new name's data is as durable as the
  // file's, its entry not until the directory is synced.
  files_[to] = state != files_.end() ? state->second : FileState{};
  unsynced_entries_.insert(to);
  return Status::Ok();
}

Status FaultInjectionEnv::SyncFile(const std::string& path) {
  NOKV_RETURN_IF_ERROR(BeforeMutation("sync " + path));
  NOKV_RETURN_IF_ERROR(base_->SyncFile(path));
  NOKV_ASSIGN_OR_RETURN(uint64_t size, base_->GetFileSize(path));
  std::lock_guard lock(mu_);
  files_[path] = FileState{size, size};
  return Status::Ok();
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  NOKV_RETURN_IF_ERROR(BeforeMutation("sync dir " + dir));
  NOKV_RETURN_IF_ERROR(base_->SyncDir(dir));
  std::lock_guard lock(mu_);
  std::erase_if(unsynced_entries_, [&](const std::string& p) { return DirName(p) == dir; });
  std::erase_if(unsynced_renames_, [&](const auto& kv) { return DirName(kv.first) == dir; });
  return Status::Ok();
}

Status FaultInjectionEnv::TruncateFile(const std::string& path, uint64_t size) {
  NOKV_RETURN_IF_ERROR(BeforeMutation("truncate " + path));
  NOKV_RETURN_IF_ERROR(base_->TruncateFile(path, size));
  std::lock_guard lock(mu_);
  auto it = files_.find(path);
  if (it != files_.end()) {
    it->second.size = size;
    it->second.synced = std::min(it->second.synced, size);
  }
  return Status::Ok();
}

Result<uint64_t> FaultInjectionEnv::GetFileSize(const std::string& path) {
  return base_->GetFileSize(path);
}

Result<FileAttributes> FaultInjectionEnv::GetFileAttributes(const std::string& path) {
  return base_->GetFileAttributes(path);
}

Result<std::unique_ptr<FileLock>> FaultInjectionEnv::LockFile(const std::string& path) {
  return base_->LockFile(path);
}

Result<std::unique_ptr<FileLock>> FaultInjectionEnv::LockFileShared(const std::string& path) {
  return base_->LockFileShared(path);
}

void FaultInjectionEnv::CrashAfter(int64_t ops) {
  std::lock_guard lock(mu_);
  crash_budget_ = ops < 0 ? -1 : ops_ + ops;
}

void FaultInjectionEnv::TrackDirectories() {
  std::lock_guard lock(mu_);
  track_dirs_ = true;
}

void FaultInjectionEnv::SetAppendHook(std::function<void(const std::string& path)> hook) {
  std::lock_guard lock(mu_);
  append_hook_ = std::move(hook);
}

void FaultInjectionEnv::RunAppendHook(const std::string& path) {
  std::function<void(const std::string&)> hook;
  {
    std::lock_guard lock(mu_);
    hook = append_hook_;
  }
  if (hook) hook(path);
}

Status FaultInjectionEnv::RemoveTree(const std::string& path) {
  auto children = base_->GetChildren(path);
  if (!children.ok()) {  // a file
    files_.erase(path);
    Status s = base_->RemoveFile(path);
    return s.Is(Code::kNotFound) ? Status::Ok() : s;
  }
  for (const std::string& name : *children) NOKV_RETURN_IF_ERROR(RemoveTree(JoinPath(path, name)));
  return base_->RemoveDir(path);
}

void FaultInjectionEnv::ShortWriteNext() {
  std::lock_guard lock(mu_);
  short_write_next_ = true;
}

int64_t FaultInjectionEnv::mutating_ops() const {
  std::lock_guard lock(mu_);
  return ops_;
}

bool FaultInjectionEnv::crashed() const {
  std::lock_guard lock(mu_);
  return crashed_;
}

Status FaultInjectionEnv::SimulateCrash(std::optional<uint32_t> torn_seed) {
  std::lock_guard lock(mu_);
  std::mt19937 rng(torn_seed.value_or(0));
  // Undo renames that never became durable, newest effect first.
  for (auto& [to, previous] : unsynced_renames_) {
    if (previous.has_value()) {
      auto file = base_->NewWritableFile(to);
      if (!file.ok()) return file.status();
      NOKV_RETURN_IF_ERROR((*file)->Append(*previous));
      NOKV_RETURN_IF_ERROR((*file)->Sync());
      files_[to] = FileState{previous->size(), previous->size()};
    } else if (base_->FileExists(to)) {
      NOKV_RETURN_IF_ERROR(base_->RemoveFile(to));
      files_.erase(to);
    }
  }
  unsynced_renames_.clear();
  for (const std::string& path : unsynced_entries_) {
    if (base_->FileExists(path)) NOKV_RETURN_IF_ERROR(RemoveTree(path));
    files_.erase(path);
  }
  unsynced_entries_.clear();
  for (auto& [path, state] : files_) {
    if (state.size <= state.synced || !base_->FileExists(path)) continue;
    uint64_t keep = state.synced;
    if (torn_seed.has_value()) keep += rng() % (state.size - state.synced + 1);
    NOKV_RETURN_IF_ERROR(base_->TruncateFile(path, keep));
    state.size = keep;
    state.synced = keep;
  }
  crash_budget_ = -1;
  crashed_ = false;
  short_write_next_ = false;
  return Status::Ok();
}

}  // namespace nokv
