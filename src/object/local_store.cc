// LocalStore implementation: key <-> path mapping, atomic puts, ordered listing.
#include "object/local_store.h"

#include <unistd.h>

#include <algorithm>
#include <functional>
#include <vector>

namespace nokv::object {
namespace {

constexpr std::string_view kDirSuffix = ".d";
constexpr std::string_view kEmptySegment = "@";
constexpr size_t kMaxEscapedSegment = 250;  // a file name is at most 255 bytes

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
      tmp_dir_(JoinPath(root_, ".tmp")),
      options_(options),
      env_(options.env != nullptr ? options.env : Env::Default()) {}

Result<std::unique_ptr<LocalStore>> LocalStore::Open(const std::string& root,
                                                     const LocalStoreOptions& options) {
  if (root.empty()) return Status::InvalidArgument("LocalStore needs a directory");
  std::unique_ptr<LocalStore> store(new LocalStore(root, options));
  NOKV_RETURN_IF_ERROR(store->env_->CreateDirs(store->tmp_dir_));
  NOKV_ASSIGN_OR_RETURN(auto leftovers, store->env_->GetChildren(store->tmp_dir_));
  for (const std::string& name : leftovers) {
    (void)store->env_->RemoveFile(JoinPath(store->tmp_dir_, name));  // best effort
  }
  return store;
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
  if (s.ok() && options_.fsync) s = (*file)->Sync();
  Status close = (*file)->Close();
  if (s.ok()) s = close;
  if (!s.ok()) (void)env_->RemoveFile(*tmp_path);
  return s;
}

Status LocalStore::Publish(std::string_view key, const std::string& tmp, const std::string& path,
                           bool if_none_match) {
  std::lock_guard lock(StripeFor(key));
  if (if_none_match && env_->FileExists(path)) {
    return Status::AlreadyExists("object exists: " + std::string(key));
  }
  Status s = env_->RenameFile(tmp, path);
  if (s.Is(Code::kNotFound)) {
    NOKV_RETURN_IF_ERROR(env_->CreateDirs(DirName(path)));
    s = env_->RenameFile(tmp, path);
  }
  return s;
}

Status LocalStore::Put(std::string_view key, std::string_view body, const PutOptions& options) {
  NOKV_ASSIGN_OR_RETURN(std::string path, PathForKey(key));
  std::string tmp;
  NOKV_RETURN_IF_ERROR(WriteTemp(body, &tmp));
  Status s = Publish(key, tmp, path, options.if_none_match);
  if (!s.ok()) {
    (void)env_->RemoveFile(tmp);
    return s;
  }
  if (options_.fsync) {
    // Make the rename durable, and every directory level it may have created.
    for (std::string dir = DirName(path); dir.size() >= root_.size(); dir = DirName(dir)) {
      NOKV_RETURN_IF_ERROR(env_->SyncDir(dir));
      if (dir == root_) break;
    }
  }
  return Status::Ok();
}

Result<std::string> LocalStore::Get(std::string_view key) {
  return GetRange(key, ByteRange{0, UINT64_MAX});
}

Result<std::string> LocalStore::GetRange(std::string_view key, ByteRange range) {
  NOKV_ASSIGN_OR_RETURN(std::string path, PathForKey(key));
  auto file = env_->NewRandomAccessFile(path);
  if (!file.ok()) {
    if (file.status().Is(Code::kNotFound)) {
      return Status::NotFound("no such object: " + std::string(key));
    }
    return file.status();
  }
  NOKV_ASSIGN_OR_RETURN(uint64_t size, (*file)->Size());
  auto [begin, end] = ClipRange(range, size);
  std::string out;
  NOKV_RETURN_IF_ERROR((*file)->Read(begin, end - begin, &out));
  return out;
}

Result<ObjectInfo> LocalStore::Head(std::string_view key) {
  NOKV_ASSIGN_OR_RETURN(std::string path, PathForKey(key));
  auto size = env_->GetFileSize(path);
  if (!size.ok()) {
    if (size.status().Is(Code::kNotFound)) {
      return Status::NotFound("no such object: " + std::string(key));
    }
    return size.status();
  }
  return ObjectInfo{std::string(key), *size, ""};
}

Status LocalStore::Delete(std::string_view key) {
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
    auto size = env_->GetFileSize(path);
    if (!size.ok()) {
      if (size.status().Is(Code::kNotFound)) continue;  // deleted while listing
      return size.status();
    }
    result->objects.push_back(ObjectInfo{std::move(key), *size, ""});
  }
  return Status::Ok();
}

}  // namespace nokv::object
