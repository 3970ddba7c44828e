// LocalStore implementation: key <-> path mapping, atomic puts, batched
// syncs, per-store temp directories, ordered listing.
#include "object/local_store.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <thread>
#include <vector>

namespace nokv::object {
namespace {

constexpr std::string_view kDirSuffix = ".d";
constexpr std::string_view kEmptySegment = "@";
constexpr size_t kMaxEscapedSegment = 250;  // a file name is at most 255 bytes
constexpr std::string_view kLockName = "lock";
constexpr int kClaimAttempts = 8;
// fdatasyncs in flight at once: concurrent syncs share journal commits.
constexpr size_t kSyncThreads = 8;

// Process-wide counter so two stores of one process get distinct temp dirs.
std::atomic<uint64_t> next_store_id{0};

// Runs fn(0) .. fn(n - 1) on up to kSyncThreads threads (the caller's
// among them); returns the first error.
Status RunParallel(size_t n, const std::function<Status(size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first_error;  // guarded by mu
  auto worker = [&] {
    for (size_t i = next++; i < n; i = next++) {
      Status s = fn(i);
      if (s.ok()) continue;
      std::lock_guard lock(mu);
      if (first_error.ok()) first_error = s;
    }
  };
  std::vector<std::thread> helpers;
  size_t threads = std::min(kSyncThreads, n);
  for (size_t t = 1; t < threads; ++t) helpers.emplace_back(worker);
  worker();
  for (std::thread& t : helpers) t.join();
  return first_error;
}

// The pid in a legacy temp file name "<pid>-<n>", or 0.
int64_t LegacyTempOwner(std::string_view name) {
  int64_t pid = 0;
  size_t dash = name.find('-');
  if (dash == std::string_view::npos) return 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + dash, pid);
  return ec == std::errc() && end == name.data() + dash ? pid : 0;
}

bool IsPlainByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A child of a directory as the listing sees it.
struct Child {
  std::string sort_key;  // segment, plus '/' for a directory
  std::string name;      // file name on disk
  bool is_dir;
};

}  // namespace

std::string EscapeSegment(std::string_view segment) {
  if (segment.empty()) return std::string(kEmptySegment);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(segment.size());
  for (char ch : segment) {
    auto c = static_cast<unsigned char>(ch);
    if (IsPlainByte(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

bool UnescapeSegment(std::string_view name, std::string* segment) {
  segment->clear();
  if (name == kEmptySegment) return true;
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char ch = name[i];
    if (ch == '%') {
      if (i + 2 >= name.size()) return false;
      int hi = HexValue(name[i + 1]);
      int lo = HexValue(name[i + 2]);
      if (hi < 0 || lo < 0) return false;
      segment->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (IsPlainByte(static_cast<unsigned char>(ch))) {
      segment->push_back(ch);
    } else {
      return false;
    }
  }
  return true;
}

LocalStore::LocalStore(std::string root, const LocalStoreOptions& options)
    : root_(std::move(root)),
      tmp_root_(JoinPath(root_, ".tmp")),
      options_(options),
      env_(options.env != nullptr ? options.env : Env::Default()) {}

LocalStore::~LocalStore() {
  if (tmp_lock_ == nullptr) return;
  auto names = env_->GetChildren(tmp_dir_);  // best effort: temp files of failed puts
  if (names.ok()) {
    for (const std::string& name : *names) (void)env_->RemoveFile(JoinPath(tmp_dir_, name));
  }
  (void)env_->RemoveDir(tmp_dir_);
  tmp_lock_.reset();
}

Result<std::unique_ptr<LocalStore>> LocalStore::Open(const std::string& root,
                                                     const LocalStoreOptions& options) {
  if (root.empty()) return Status::InvalidArgument("LocalStore needs a directory");
  std::unique_ptr<LocalStore> store(new LocalStore(root, options));
  if (options.read_only) return store;
  NOKV_RETURN_IF_ERROR(store->env_->CreateDirs(store->tmp_root_));
  NOKV_RETURN_IF_ERROR(store->ClaimTempDir());
  store->SweepTempDirs();
  return store;
}

// A temp dir is claimed by holding the flock on its `lock` file. A sweeper
// may take a fresh dir's lock before its creator does (and remove the dir):
// the creator then fails to lock, or locks a file that no longer exists, and
// tries again under a new name.
Status LocalStore::ClaimTempDir() {
  Status last;
  for (int attempt = 0; attempt < kClaimAttempts; ++attempt) {
    auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    std::string dir = JoinPath(tmp_root_, std::to_string(::getpid()) + "-" +
                                              std::to_string(next_store_id.fetch_add(1)) + "-" +
                                              std::to_string(now));
    last = env_->CreateDirs(dir);
    if (!last.ok()) continue;
    std::string lock_path = JoinPath(dir, kLockName);
    auto lock = env_->LockFile(lock_path);
    if (!lock.ok()) {
      last = lock.status();
      continue;
    }
    if (!env_->FileExists(lock_path)) {
      last = Status::Busy("temp directory " + dir + " was swept while being claimed");
      continue;
    }
    tmp_dir_ = std::move(dir);
    tmp_lock_ = std::move(*lock);
    return Status::Ok();
  }
  return last.WithContext("claim a temp directory in " + tmp_root_);
}

void LocalStore::SweepTempDirs() {
  auto names = env_->GetChildren(tmp_root_);
  if (!names.ok()) return;
  for (const std::string& name : *names) {
    std::string path = JoinPath(tmp_root_, name);
    if (path == tmp_dir_) continue;
    auto children = env_->GetChildren(path);
    if (!children.ok()) {
      // A loose temp file from a NoKV before per-store temp dirs: its name
      // carries the writer's pid.
      if (!ProcessMayBeAlive(LegacyTempOwner(name))) (void)env_->RemoveFile(path);
      continue;
    }
    auto lock = env_->LockFile(JoinPath(path, kLockName));
    if (!lock.ok()) continue;  // its store is open (Busy) or the dir just went away
    for (const std::string& child : *children) (void)env_->RemoveFile(JoinPath(path, child));
    (void)env_->RemoveFile(JoinPath(path, kLockName));
    (void)env_->RemoveDir(path);
  }
}

Status LocalStore::RefuseIfReadOnly(std::string_view key) const {
  if (!options_.read_only) return Status::Ok();
  return Status::NotSupported("local store " + root_ + " is opened read-only: cannot change " +
                              std::string(key));
}

Result<std::string> LocalStore::PathForKey(std::string_view key) const {
  NOKV_RETURN_IF_ERROR(ValidateKey(key));
  std::string path = root_;
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    std::string_view segment =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    std::string name = EscapeSegment(segment);
    if (name.size() > kMaxEscapedSegment) {
      return Status::InvalidArgument("key segment too long for a local file name: " +
                                     std::string(key));
    }
    path.push_back('/');
    path += name;
    if (slash == std::string_view::npos) break;
    path += kDirSuffix;
    start = slash + 1;
  }
  return path;
}

std::mutex& LocalStore::StripeFor(std::string_view key) {
  return stripes_[std::hash<std::string_view>{}(key) % kStripes];
}

Status LocalStore::WriteTemp(std::string_view body, std::string* tmp_path) {
  *tmp_path =
      JoinPath(tmp_dir_, std::to_string(::getpid()) + "-" + std::to_string(next_tmp_.fetch_add(1)));
  auto file = env_->NewWritableFile(*tmp_path);
  if (!file.ok() && file.status().Is(Code::kNotFound)) {
    // Someone removed the directory under us (a wiped cache dir): recreate it.
    NOKV_RETURN_IF_ERROR(env_->CreateDirs(tmp_dir_));
    file = env_->NewWritableFile(*tmp_path);
  }
  if (!file.ok()) return file.status();
  Status s = (*file)->Append(body);
  // Without fsync, start the writeback now so a later Sync finds it done.
  if (s.ok()) s = options_.fsync ? (*file)->Sync() : (*file)->StartWriteback();
  Status close = (*file)->Close();
  if (s.ok()) s = close;
  if (!s.ok()) (void)env_->RemoveFile(*tmp_path);
  return s;
}

// Makes `tmp` visible as `path`: rename (replaces) or, with if_none_match,
// link (never replaces, atomic against every other process; the temp name is
// removed by the caller).
Status LocalStore::Publish(std::string_view key, const std::string& tmp, const std::string& path,
                           bool if_none_match, const std::function<bool()>* still_wanted) {
  std::lock_guard lock(StripeFor(key));
  if (still_wanted != nullptr && !(*still_wanted)()) {
    return Status::Aborted("put of " + std::string(key) + " abandoned");
  }
  auto publish = [&] {
    return if_none_match ? env_->LinkFile(tmp, path) : env_->RenameFile(tmp, path);
  };
  Status s = publish();
  if (s.Is(Code::kNotFound)) {
    NOKV_RETURN_IF_ERROR(env_->CreateDirs(DirName(path)));
    s = publish();
  }
  if (s.Is(Code::kAlreadyExists))
    return Status::AlreadyExists("object exists: " + std::string(key));
  return s;
}

Status LocalStore::Put(std::string_view key, std::string_view body, const PutOptions& options) {
  return PutImpl(key, body, options.if_none_match, nullptr);
}

Status LocalStore::PutChecked(std::string_view key, std::string_view body,
                              const std::function<bool()>& still_wanted) {
  return PutImpl(key, body, false, &still_wanted);
}

Status LocalStore::PutImpl(std::string_view key, std::string_view body, bool if_none_match,
                           const std::function<bool()>* still_wanted) {
  NOKV_RETURN_IF_ERROR(RefuseIfReadOnly(key));
  NOKV_ASSIGN_OR_RETURN(std::string path, PathForKey(key));
  std::string tmp;
  NOKV_RETURN_IF_ERROR(WriteTemp(body, &tmp));
  Status s = Publish(key, tmp, path, if_none_match, still_wanted);
  if (!s.ok() || if_none_match) (void)env_->RemoveFile(tmp);  // a link leaves the temp name
  if (!s.ok()) return s;
  if (options_.fsync) {
    // Make the rename durable, and every directory level it may have created.
    for (std::string dir = DirName(path); dir.size() >= root_.size(); dir = DirName(dir)) {
      NOKV_RETURN_IF_ERROR(env_->SyncDir(dir));
      if (dir == root_) break;
    }
  }
  return Status::Ok();
}

Status LocalStore::Sync(std::span<const std::string> keys) {
  std::vector<std::string> paths;
  paths.reserve(keys.size());
  for (const std::string& key : keys) {
    NOKV_ASSIGN_OR_RETURN(std::string path, PathForKey(key));
    paths.push_back(std::move(path));
  }
  return SyncPathsAndDirs(paths);
}

Status LocalStore::SyncPathsAndDirs(const std::vector<std::string>& paths) {
  NOKV_RETURN_IF_ERROR(RunParallel(paths.size(), [&](size_t i) {
    Status s = env_->SyncFile(paths[i]);
    if (s.Is(Code::kNotFound) || s.Is(Code::kNotADirectory)) {
      return Status::NotFound("cannot sync missing object at " + paths[i]);
    }
    return s;
  }));
  // Each directory from the files' up to the root, once, a level at a time
  // from the deepest; the directories of one level are synced concurrently,
  // so they share journal commits and cache flushes (a 1 GiB body touches
  // about 160 block directories: one at a time, that was a second of flushes).
  std::map<size_t, std::set<std::string>, std::greater<>> levels;  // by depth
  for (const std::string& path : paths) {
    for (std::string dir = DirName(path); dir.size() > root_.size(); dir = DirName(dir)) {
      size_t depth = static_cast<size_t>(std::count(dir.begin(), dir.end(), '/'));
      if (!levels[depth].insert(dir).second) break;  // its parents are in already
    }
  }
  if (!paths.empty()) levels[0].insert(root_);
  for (const auto& [depth, dirs] : levels) {
    std::vector<std::string> level(dirs.begin(), dirs.end());
    NOKV_RETURN_IF_ERROR(
        RunParallel(level.size(), [&](size_t i) { return env_->SyncDir(level[i]); }));
  }
  return Status::Ok();
}

Result<std::string> LocalStore::Get(std::string_view key) {
  return GetRange(key, ByteRange{0, UINT64_MAX});
}

Result<std::unique_ptr<RandomAccessFile>> LocalStore::OpenForRead(std::string_view key) {
  NOKV_ASSIGN_OR_RETURN(std::string path, PathForKey(key));
  auto file = env_->NewRandomAccessFile(path);
  if (!file.ok() && (file.status().Is(Code::kNotFound) || file.status().Is(Code::kNotADirectory))) {
    return Status::NotFound("no such object: " + std::string(key));
  }
  return file;
}

Result<size_t> LocalStore::ReadInto(std::string_view key, uint64_t offset, std::span<char> out) {
  NOKV_ASSIGN_OR_RETURN(auto file, OpenForRead(key));
  return file->ReadInto(offset, out);
}

Result<std::string> LocalStore::GetRange(std::string_view key, ByteRange range) {
  NOKV_ASSIGN_OR_RETURN(auto file, OpenForRead(key));
  NOKV_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  auto [begin, end] = ClipRange(range, size);
  std::string out;
  NOKV_RETURN_IF_ERROR(file->Read(begin, end - begin, &out));
  return out;
}

Result<ObjectInfo> LocalStore::Head(std::string_view key) {
  NOKV_ASSIGN_OR_RETURN(std::string path, PathForKey(key));
  auto attrs = env_->GetFileAttributes(path);
  if (!attrs.ok()) {
    if (attrs.status().Is(Code::kNotFound) || attrs.status().Is(Code::kNotADirectory)) {
      return Status::NotFound("no such object: " + std::string(key));
    }
    return attrs.status();
  }
  return ObjectInfo{std::string(key), attrs->size, "", attrs->mtime_ns};
}

Status LocalStore::Delete(std::string_view key) {
  NOKV_RETURN_IF_ERROR(RefuseIfReadOnly(key));
  NOKV_ASSIGN_OR_RETURN(std::string path, PathForKey(key));
  std::lock_guard lock(StripeFor(key));
  Status s = env_->RemoveFile(path);
  if (s.Is(Code::kNotFound) || s.Is(Code::kNotADirectory)) return Status::Ok();
  return s;
}

Result<ListResult> LocalStore::List(const ListOptions& options) {
  ListResult result;
  NOKV_RETURN_IF_ERROR(ListDir(root_, "", options, &result));
  return result;
}

// Appends the keys under `dir` (whose keys all start with `key_prefix`) in
// byte order. Stops once limit + 1 keys were seen (the extra one only sets
// `truncated`).
Status LocalStore::ListDir(const std::string& dir, const std::string& key_prefix,
                           const ListOptions& options, ListResult* result) {
  auto names = env_->GetChildren(dir);
  if (!names.ok()) {
    if (names.status().Is(Code::kNotFound)) return Status::Ok();  // removed under us
    return names.status();
  }
  std::vector<Child> children;
  children.reserve(names->size());
  for (const std::string& name : *names) {
    bool is_dir = name.size() > kDirSuffix.size() && name.ends_with(kDirSuffix);
    std::string_view base(name);
    if (is_dir) base.remove_suffix(kDirSuffix.size());
    std::string segment;
    if (!UnescapeSegment(base, &segment)) continue;  // temp files, foreign files
    if (is_dir) segment.push_back('/');
    children.push_back(Child{std::move(segment), name, is_dir});
  }
  std::sort(children.begin(), children.end(),
            [](const Child& a, const Child& b) { return a.sort_key < b.sort_key; });

  const std::string& prefix = options.prefix;
  const std::string& after = options.start_after;
  for (const Child& child : children) {
    if (result->truncated) break;
    std::string key = key_prefix + child.sort_key;
    std::string path = JoinPath(dir, child.name);
    if (child.is_dir) {
      // Every key below starts with `key`: skip the subtree when the prefix
      // rules it out or start_after lies beyond all of it.
      bool prefix_possible = key.starts_with(prefix) || prefix.starts_with(key);
      bool after_possible = after.empty() || after < key || after.starts_with(key);
      if (!prefix_possible || !after_possible) continue;
      NOKV_RETURN_IF_ERROR(ListDir(path, key, options, result));
      continue;
    }
    if (!key.starts_with(prefix) || (!after.empty() && key <= after)) continue;
    if (options.limit != 0 && result->objects.size() == options.limit) {
      result->truncated = true;
      break;
    }
    auto attrs = env_->GetFileAttributes(path);
    if (!attrs.ok()) {
      if (attrs.status().Is(Code::kNotFound)) continue;  // deleted while listing
      return attrs.status();
    }
    result->objects.push_back(ObjectInfo{std::move(key), attrs->size, "", attrs->mtime_ns});
  }
  return Status::Ok();
}

}  // namespace nokv::object
