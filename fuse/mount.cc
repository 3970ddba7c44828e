// The low-level FUSE operations over fs::Filesystem (docs/fuse.md). Each
// handler translates its arguments, makes one or two seam calls and replies;
// the state kept here is what the kernel protocol needs: lookup counts,
// open handles, spools of files being written and directory streams.
#define FUSE_USE_VERSION 312

#include "fuse/mount.h"

#include <fuse_lowlevel.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "fuse/errno.h"
#include "fuse/spool.h"

namespace nokv::fuse {
namespace {

constexpr size_t kDirPage = 1024;
constexpr size_t kCopyChunk = 1 << 20;
// After the follower has handled a page of events it waits this long before
// the next poll, so a burst of changes (a tree being created) wakes it a few
// times a second, not once per change. Changes made elsewhere still reach
// the kernel's caches well under a second after they are made.
constexpr auto kFollowCoalesce = std::chrono::milliseconds(25);

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

timespec ToTimespec(int64_t ns) {
  return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

int64_t FromTimespec(const timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

mode_t TypeBits(meta::FileType type) {
  switch (type) {
    case meta::FileType::kDirectory:
      return S_IFDIR;
    case meta::FileType::kSymlink:
      return S_IFLNK;
    case meta::FileType::kFile:
      break;
  }
  return S_IFREG;
}

std::string_view BaseName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view DirName(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

// What an open file handle (fi->fh) holds.
struct FileHandle {
  fuse_ino_t ino = 0;
  bool write = false;
  bool append = false;
  std::mutex mu;
  std::unique_ptr<fs::Reader> reader;  // guarded by mu: the generation it reads
};

// An open directory stream (fi->fh). Entry i (0-based) has offset i + 3;
// "." and ".." have 1 and 2. The stream lists the directory page by page
// after the last name it holds, so names added or removed meanwhile neither
// repeat nor shift what follows.
struct DirHandle {
  std::mutex mu;
  std::vector<meta::DirEntry> entries;  // guarded by mu
  std::vector<meta::Attr> attrs;        // guarded by mu; parallel, when fetched with attributes
  bool with_attrs = false;              // guarded by mu
  bool more = true;                     // guarded by mu
};

FileHandle* File(fuse_file_info* fi) { return reinterpret_cast<FileHandle*>(fi->fh); }
DirHandle* Dir(fuse_file_info* fi) { return reinterpret_cast<DirHandle*>(fi->fh); }

}  // namespace

class Mount::Impl {
 public:
  Impl(fs::Filesystem* fs, MountOptions options)
      : fs_(fs), md_(fs->metadata()), options_(std::move(options)) {
    at_.snapshot = options_.snapshot;
    read_only_ = options_.read_only || !options_.snapshot.empty();
  }

  ~Impl() {
    if (se_ != nullptr) {
      Stop();
      fuse_session_unmount(se_);
      fuse_session_destroy(se_);
    }
  }

  Status Start();
  Status Run();
  void Stop();
  const MountOptions& options() const { return options_; }

  // --- Operations (the fuse_lowlevel_ops table points here) ---------------
  void Init(fuse_conn_info* conn);
  void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name);
  void Forget(fuse_ino_t ino, uint64_t n);
  void GetAttr(fuse_req_t req, fuse_ino_t ino);
  void SetAttr(fuse_req_t req, fuse_ino_t ino, const struct stat* attr, int to_set,
               fuse_file_info* fi);
  void ReadLink(fuse_req_t req, fuse_ino_t ino);
  void MakeNode(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode);
  void MakeDir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode);
  void Unlink(fuse_req_t req, fuse_ino_t parent, const char* name);
  void RemoveDir(fuse_req_t req, fuse_ino_t parent, const char* name);
  void Symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name);
  void Rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
              const char* new_name, unsigned int flags);
  void Link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent, const char* new_name);
  void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void Create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi);
  void Read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi);
  void Write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off,
             fuse_file_info* fi);
  void Flush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void Release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  // Undoes one counted open of `ino` (a writer's when `write`); the last
  // writer's takes the spool with it.
  void DropOpen(fuse_ino_t ino, bool write);
  void Fsync(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void OpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi,
               bool plus);
  void ReleaseDir(fuse_req_t req, fuse_file_info* fi);
  void StatFs(fuse_req_t req);
  void SetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
                int flags);
  void GetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size);
  void ListXattr(fuse_req_t req, fuse_ino_t ino, size_t size);
  void RemoveXattr(fuse_req_t req, fuse_ino_t ino, const char* name);
  void Access(fuse_req_t req, fuse_ino_t ino, int mask);
  void Fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                 fuse_file_info* fi);
  void Lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, fuse_file_info* fi);
  void CopyRange(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, fuse_file_info* fi_in,
                 fuse_ino_t ino_out, off_t off_out, fuse_file_info* fi_out, size_t len);

 private:
  // What the mount keeps per inode the kernel knows or has open.
  struct Node {
    uint64_t lookups = 0;  // the kernel's references (lookup count)
    uint32_t opens = 0;    // open file handles
    uint32_t writers = 0;  // open handles that may write
    // The entry the kernel last reached it through, to drop that entry
    // when a change elsewhere removes or renames it.
    fuse_ino_t parent = 0;
    std::string name;
    // The generation whose pages the kernel may hold (keep_cache on open).
    uint64_t cached_generation = 0;
    // The newest generation this mount published (readers move to it).
    uint64_t published_generation = 0;
    // The pending body: made by the first change after an open for writing
    // (or at once by an O_TRUNC open), dropped when the last writer closes.
    std::shared_ptr<Spool> spool;
    // Created by this mount and not changed since: a spool made for it
    // starts empty instead of reading the (empty) stored body.
    bool created = false;
    std::optional<int64_t> pending_mtime;  // set while the spool is dirty
    // The attributes last read while the file was open: what fstat reports
    // once the file is unlinked and the store no longer has them.
    std::optional<meta::Attr> open_attr;
  };

  meta::InodeId ToInode(fuse_ino_t ino) const { return ino == FUSE_ROOT_ID ? root_ : ino; }
  fuse_ino_t ToIno(meta::InodeId inode) const { return inode == root_ ? FUSE_ROOT_ID : inode; }

  void FillStat(const meta::Attr& attr, struct stat* st) const;
  // The attributes with what a spool holds (size, mtime) laid over them.
  meta::Attr Overlay(meta::Attr attr);
  // Replies an entry for `attr` reached as parent/name, counting the lookup.
  void ReplyEntry(fuse_req_t req, fuse_ino_t parent, std::string_view name, const meta::Attr& attr);
  void FillEntry(const meta::Attr& attr, fuse_entry_param* e) const;
  void Remember(fuse_ino_t ino, fuse_ino_t parent, std::string_view name, uint64_t lookups);
  // Replies EROFS and returns false on a read-only mount.
  bool CheckWritable(fuse_req_t req);
  meta::NodeOptions Owner(fuse_req_t req, mode_t mode) const;
  std::shared_ptr<Spool> SpoolOf(fuse_ino_t ino);
  // Whether a handle of this mount has the file open for writing.
  bool HasWriters(fuse_ino_t ino);
  Result<std::shared_ptr<Spool>> OpenSpool(fuse_ino_t ino, bool empty);
  // Publishes the node's spool if it holds changes.
  Status PublishNode(fuse_ino_t ino);
  // Reads through the handle: the spool when the body is spooled, else the
  // handle's reader (re-opened once this mount published a newer body).
  Status ReadFile(FileHandle* h, uint64_t off, uint64_t size, std::string* out);
  Result<meta::Attr> AttrOf(fuse_ino_t ino);
  Status FetchDirPage(fuse_ino_t ino, DirHandle* d, bool with_attrs);
  // Adds the stream's entries from `off` to *buf while they fit.
  Status FillDirBuffer(fuse_req_t req, fuse_ino_t ino, off_t off, DirHandle* d, bool plus,
                       std::string* buf, size_t* used);

  void Follow();
  void Invalidate(const meta::Event& event);
  void Log(std::string_view line) const {
    if (options_.log) options_.log(line);
  }

  fs::Filesystem* const fs_;
  fs::Metadata* const md_;
  MountOptions options_;
  fs::ReadAt at_;
  bool read_only_ = false;
  meta::InodeId root_ = meta::kRootInode;
  std::string root_path_ = "/";
  fuse_session* se_ = nullptr;
  bool mounted_ = false;

  std::mutex mu_;
  std::unordered_map<fuse_ino_t, Node> nodes_;  // guarded by mu_

  std::thread follower_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
};

namespace {

Mount::Impl* Self(fuse_req_t req) { return static_cast<Mount::Impl*>(fuse_req_userdata(req)); }

const fuse_lowlevel_ops kOps = [] {
  fuse_lowlevel_ops ops{};
  ops.init = [](void* data, fuse_conn_info* conn) { static_cast<Mount::Impl*>(data)->Init(conn); };
  ops.lookup = [](fuse_req_t req, fuse_ino_t parent, const char* name) {
    Self(req)->Lookup(req, parent, name);
  };
  ops.forget = [](fuse_req_t req, fuse_ino_t ino, uint64_t n) {
    Self(req)->Forget(ino, n);
    fuse_reply_none(req);
  };
  ops.forget_multi = [](fuse_req_t req, size_t count, fuse_forget_data* forgets) {
    for (size_t i = 0; i < count; ++i) Self(req)->Forget(forgets[i].ino, forgets[i].nlookup);
    fuse_reply_none(req);
  };
  ops.getattr = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
    Self(req)->GetAttr(req, ino);
  };
  ops.setattr = [](fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
                   fuse_file_info* fi) { Self(req)->SetAttr(req, ino, attr, to_set, fi); };
  ops.readlink = [](fuse_req_t req, fuse_ino_t ino) { Self(req)->ReadLink(req, ino); };
  ops.mknod = [](fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t) {
    Self(req)->MakeNode(req, parent, name, mode);
  };
  ops.mkdir = [](fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
    Self(req)->MakeDir(req, parent, name, mode);
  };
  ops.unlink = [](fuse_req_t req, fuse_ino_t parent, const char* name) {
    Self(req)->Unlink(req, parent, name);
  };
  ops.rmdir = [](fuse_req_t req, fuse_ino_t parent, const char* name) {
    Self(req)->RemoveDir(req, parent, name);
  };
  ops.symlink = [](fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
    Self(req)->Symlink(req, target, parent, name);
  };
  ops.rename = [](fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
                  const char* new_name, unsigned int flags) {
    Self(req)->Rename(req, parent, name, new_parent, new_name, flags);
  };
  ops.link = [](fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent, const char* new_name) {
    Self(req)->Link(req, ino, new_parent, new_name);
  };
  ops.open = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    Self(req)->Open(req, ino, fi);
  };
  ops.create = [](fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
                  fuse_file_info* fi) { Self(req)->Create(req, parent, name, mode, fi); };
  ops.read = [](fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
    Self(req)->Read(req, ino, size, off, fi);
  };
  ops.write = [](fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off,
                 fuse_file_info* fi) { Self(req)->Write(req, ino, buf, size, off, fi); };
  ops.flush = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    Self(req)->Flush(req, ino, fi);
  };
  ops.release = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    Self(req)->Release(req, ino, fi);
  };
  ops.fsync = [](fuse_req_t req, fuse_ino_t ino, int, fuse_file_info* fi) {
    Self(req)->Fsync(req, ino, fi);
  };
  ops.opendir = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    Self(req)->OpenDir(req, ino, fi);
  };
  ops.readdir = [](fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
    Self(req)->ReadDir(req, ino, size, off, fi, false);
  };
  ops.readdirplus = [](fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
    Self(req)->ReadDir(req, ino, size, off, fi, true);
  };
  ops.releasedir = [](fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    Self(req)->ReleaseDir(req, fi);
  };
  ops.fsyncdir = [](fuse_req_t req, fuse_ino_t, int, fuse_file_info*) {
    fuse_reply_err(req, 0);  // every namespace change is committed when answered
  };
  ops.statfs = [](fuse_req_t req, fuse_ino_t) { Self(req)->StatFs(req); };
  ops.setxattr = [](fuse_req_t req, fuse_ino_t ino, const char* name, const char* value,
                    size_t size,
                    int flags) { Self(req)->SetXattr(req, ino, name, value, size, flags); };
  ops.getxattr = [](fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
    Self(req)->GetXattr(req, ino, name, size);
  };
  ops.listxattr = [](fuse_req_t req, fuse_ino_t ino, size_t size) {
    Self(req)->ListXattr(req, ino, size);
  };
  ops.removexattr = [](fuse_req_t req, fuse_ino_t ino, const char* name) {
    Self(req)->RemoveXattr(req, ino, name);
  };
  ops.access = [](fuse_req_t req, fuse_ino_t ino, int mask) { Self(req)->Access(req, ino, mask); };
  ops.fallocate = [](fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                     fuse_file_info* fi) {
    Self(req)->Fallocate(req, ino, mode, offset, length, fi);
  };
  ops.lseek = [](fuse_req_t req, fuse_ino_t ino, off_t off, int whence, fuse_file_info* fi) {
    Self(req)->Lseek(req, ino, off, whence, fi);
  };
  ops.copy_file_range = [](fuse_req_t req, fuse_ino_t ino_in, off_t off_in, fuse_file_info* fi_in,
                           fuse_ino_t ino_out, off_t off_out, fuse_file_info* fi_out, size_t len,
                           int) {
    Self(req)->CopyRange(req, ino_in, off_in, fi_in, ino_out, off_out, fi_out, len);
  };
  // No getlk/setlk/flock: the kernel then keeps POSIX and BSD locks itself,
  // which holds them among the processes using this mount (docs/fuse.md).
  return ops;
}();

void Reply(fuse_req_t req, const Status& status) { fuse_reply_err(req, ToErrno(status)); }

}  // namespace

// --- Session --------------------------------------------------------------

Status Mount::Impl::Start() {
  NOKV_ASSIGN_OR_RETURN(meta::Attr root, md_->Stat(options_.root, at_));
  if (root.type != meta::FileType::kDirectory) {
    return Status::NotADirectory(options_.root + " is not a directory");
  }
  root_ = root.inode;
  root_path_ = options_.root;
  std::vector<std::string> argv = {"nokv", "-o", "fsname=nokv,subtype=nokv"};
  if (read_only_) argv.insert(argv.end(), {"-o", "ro"});
  for (const auto& o : options_.fuse_options) argv.insert(argv.end(), {"-o", o});
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(raw.size()), raw.data());
  se_ = fuse_session_new(&args, &kOps, sizeof(kOps), this);
  fuse_opt_free_args(&args);
  if (se_ == nullptr) {
    return Status::InvalidArgument("libfuse refused the mount options (see the message above)");
  }
  if (fuse_session_mount(se_, options_.mountpoint.c_str()) != 0) {
    fuse_session_destroy(se_);
    se_ = nullptr;
    return Status::IOError("cannot mount on " + options_.mountpoint +
                           " (is it an empty directory? is /dev/fuse usable?)");
  }
  mounted_ = true;
  return Status::Ok();
}

Status Mount::Impl::Run() {
  if (options_.follow_changes && options_.snapshot.empty()) {
    follower_ = std::thread([this] { Follow(); });
  }
  fuse_loop_config* config = fuse_loop_cfg_create();
  fuse_loop_cfg_set_max_threads(config, options_.max_threads);
  fuse_loop_cfg_set_clone_fd(config, 0);
  int rc = fuse_session_loop_mt(se_, config);
  fuse_loop_cfg_destroy(config);
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (follower_.joinable()) follower_.join();
  fuse_session_unmount(se_);
  mounted_ = false;
  // Files still open had not been closed: their spools are dropped
  // unpublished, as a crash would (close-to-open).
  size_t dropped = 0;
  {
    std::lock_guard lock(mu_);
    for (auto& [ino, node] : nodes_) {
      if (node.spool && node.spool->dirty()) ++dropped;
    }
  }
  if (dropped > 0) {
    Log(std::to_string(dropped) + " file(s) open for writing at unmount were not published");
  }
  if (rc != 0) return Status::IOError("the FUSE session ended with error " + std::to_string(rc));
  return Status::Ok();
}

void Mount::Impl::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (!mounted_) return;
  fuse_session_exit(se_);
  // Unmounting ends the session loop (its reads fail with ENODEV). A mount
  // with files open refuses a plain unmount: force aborts the connection
  // (their unclosed writes are lost, as in a crash), detach removes it.
  const char* mp = options_.mountpoint.c_str();
  if (::geteuid() == 0) {
    if (::umount2(mp, 0) == 0) return;
    ::umount2(mp, MNT_FORCE);
    ::umount2(mp, MNT_DETACH);
    return;
  }
  for (const char* lazy : {"-u", "-uz"}) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::execlp("fusermount3", "fusermount3", lazy, "-q", mp, static_cast<char*>(nullptr));
      ::_exit(127);
    }
    int status = 0;
    if (pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
        WEXITSTATUS(status) == 0) {
      return;
    }
  }
}

void Mount::Impl::Init(fuse_conn_info* conn) {
  // O_TRUNC arrives with open (not as a separate setattr): one publish.
  if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
  if (conn->capable & FUSE_CAP_READDIRPLUS) conn->want |= FUSE_CAP_READDIRPLUS;
  if (conn->capable & FUSE_CAP_READDIRPLUS_AUTO) conn->want |= FUSE_CAP_READDIRPLUS_AUTO;
  if (conn->capable & FUSE_CAP_PARALLEL_DIROPS) conn->want |= FUSE_CAP_PARALLEL_DIROPS;
  // Stale pages go when a getattr shows a new size or mtime.
  if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA) conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;  // writes reach the spool as they happen
  // One read at a time per open file, in offset order: a handle's reads are
  // served one by one anyway, and the block reader's read-ahead (which keeps
  // whole blocks coming ahead of a sequential reader) only recognizes a
  // sequential reader whose reads arrive in order. Read-ahead requests sent
  // in parallel reach it shuffled, and each out-of-order one then fetches and
  // verifies its whole block again.
  conn->want &= ~FUSE_CAP_ASYNC_READ;
  conn->time_gran = 1;
}

// --- Attributes and entries -------------------------------------------------

void Mount::Impl::FillStat(const meta::Attr& attr, struct stat* st) const {
  *st = {};
  st->st_ino = ToIno(attr.inode);
  st->st_mode = TypeBits(attr.type) | (attr.mode & 07777);
  st->st_nlink = attr.nlink;
  st->st_uid = attr.uid;
  st->st_gid = attr.gid;
  st->st_size = static_cast<off_t>(
      attr.type == meta::FileType::kSymlink ? attr.symlink_target.size() : attr.size);
  st->st_blksize = 128 * 1024;
  st->st_blocks = static_cast<blkcnt_t>((attr.size + 511) / 512);
  st->st_mtim = ToTimespec(attr.mtime_ns);
  st->st_ctim = ToTimespec(attr.ctime_ns);
  st->st_atim = st->st_mtim;
}

meta::Attr Mount::Impl::Overlay(meta::Attr attr) {
  if (auto spool = SpoolOf(ToIno(attr.inode))) {
    uint64_t size = 0;
    int64_t mtime = 0;
    if (spool->Override(&size, &mtime)) {
      attr.size = size;
      attr.mtime_ns = mtime;
    }
  }
  return attr;
}

void Mount::Impl::FillEntry(const meta::Attr& attr, fuse_entry_param* e) const {
  *e = {};
  e->ino = ToIno(attr.inode);
  e->generation = 1;
  FillStat(attr, &e->attr);
  e->attr_timeout = options_.attr_timeout.count();
  e->entry_timeout = options_.entry_timeout.count();
}

void Mount::Impl::Remember(fuse_ino_t ino, fuse_ino_t parent, std::string_view name,
                           uint64_t lookups) {
  std::lock_guard lock(mu_);
  Node& node = nodes_[ino];
  node.lookups += lookups;
  node.parent = parent;
  node.name = name;
}

void Mount::Impl::ReplyEntry(fuse_req_t req, fuse_ino_t parent, std::string_view name,
                             const meta::Attr& attr) {
  fuse_entry_param e;
  FillEntry(Overlay(attr), &e);
  Remember(e.ino, parent, name, 1);
  // A request interrupted meanwhile never reaches the kernel: no reference.
  if (fuse_reply_entry(req, &e) != 0) Forget(e.ino, 1);
}

void Mount::Impl::Forget(fuse_ino_t ino, uint64_t n) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return;
  Node& node = it->second;
  node.lookups -= std::min(node.lookups, n);
  if (node.lookups == 0 && node.opens == 0 && !node.spool) nodes_.erase(it);
}

Result<meta::Attr> Mount::Impl::AttrOf(fuse_ino_t ino) {
  auto attr = md_->GetAttr(ToInode(ino), at_);
  {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(ino);
    if (it != nodes_.end() && it->second.opens > 0) {
      if (attr.ok()) {
        it->second.open_attr = *attr;
      } else if (attr.status().Is(Code::kNotFound) && it->second.open_attr) {
        // Unlinked while open: it lives on, with no links, until closed.
        attr = *it->second.open_attr;
        attr->nlink = 0;
      }
    }
  }
  if (!attr.ok()) return attr.status();
  return Overlay(std::move(attr).value());
}

bool Mount::Impl::CheckWritable(fuse_req_t req) {
  if (!read_only_) return true;
  fuse_reply_err(req, EROFS);
  return false;
}

meta::NodeOptions Mount::Impl::Owner(fuse_req_t req, mode_t mode) const {
  const fuse_ctx* ctx = fuse_req_ctx(req);
  meta::NodeOptions node;
  node.mode = mode & 07777;
  node.uid = ctx->uid;
  node.gid = ctx->gid;
  return node;
}

void Mount::Impl::Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (std::strlen(name) > meta::kMaxNameBytes) {
    fuse_reply_err(req, ENAMETOOLONG);
    return;
  }
  auto entry = md_->Lookup(ToInode(parent), name, at_);
  if (!entry.ok()) return Reply(req, entry.status());
  auto attr = md_->GetAttr(entry->inode, at_);
  if (!attr.ok()) return Reply(req, attr.status());
  ReplyEntry(req, parent, name, *attr);
}

void Mount::Impl::GetAttr(fuse_req_t req, fuse_ino_t ino) {
  auto attr = AttrOf(ino);
  if (!attr.ok()) return Reply(req, attr.status());
  struct stat st;
  FillStat(*attr, &st);
  fuse_reply_attr(req, &st, options_.attr_timeout.count());
}

void Mount::Impl::SetAttr(fuse_req_t req, fuse_ino_t ino, const struct stat* in, int to_set,
                          fuse_file_info* fi) {
  if (!CheckWritable(req)) return;
  meta::InodeId inode = ToInode(ino);
  if (to_set & FUSE_SET_ATTR_SIZE) {
    auto size = static_cast<uint64_t>(in->st_size);
    std::shared_ptr<Spool> spool = SpoolOf(ino);
    if (!spool && ((fi != nullptr && File(fi)->write) || HasWriters(ino))) {
      auto opened = OpenSpool(ino, false);
      if (!opened.ok()) return Reply(req, opened.status());
      spool = *opened;
    }
    // An open writer's spool takes the new size (published with the rest of
    // its writes); otherwise the file is rewritten to it now.
    meta::SetAttrRequest resize;
    resize.size = size;
    Status s = spool ? spool->Truncate(size) : fs_->SetAttrAt(inode, resize).status();
    if (!s.ok()) return Reply(req, s);
  }
  meta::SetAttrRequest change;
  if (to_set & FUSE_SET_ATTR_MODE) change.mode = in->st_mode & 07777;
  if (to_set & FUSE_SET_ATTR_UID) change.uid = in->st_uid;
  if (to_set & FUSE_SET_ATTR_GID) change.gid = in->st_gid;
  if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
    change.mtime_ns = NowNs();
  } else if (to_set & FUSE_SET_ATTR_MTIME) {
    change.mtime_ns = FromTimespec(in->st_mtim);
  }
  // atime is not kept (reported as mtime); ctime follows every change.
  if (change.mode || change.uid || change.gid || change.mtime_ns) {
    auto changed = md_->SetAttrAt(inode, change);
    if (!changed.ok()) return Reply(req, changed.status());
    if (change.mtime_ns) {
      // The spool reports the new time until the next write, and a publish
      // stamps its own mtime: one set while writes are pending (cp -p, tar)
      // is applied again after it.
      std::shared_ptr<Spool> spool = SpoolOf(ino);
      if (spool) spool->SetMtime(*change.mtime_ns);
      std::lock_guard lock(mu_);
      auto it = nodes_.find(ino);
      if (it != nodes_.end() && it->second.spool && it->second.spool->dirty()) {
        it->second.pending_mtime = change.mtime_ns;
      }
    }
  }
  GetAttr(req, ino);
}

void Mount::Impl::ReadLink(fuse_req_t req, fuse_ino_t ino) {
  auto attr = md_->GetAttr(ToInode(ino), at_);
  if (!attr.ok()) return Reply(req, attr.status());
  if (attr->type != meta::FileType::kSymlink) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  fuse_reply_readlink(req, attr->symlink_target.c_str());
}

// --- Namespace changes --------------------------------------------------------

void Mount::Impl::MakeNode(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  if (!CheckWritable(req)) return;
  // Only regular files: devices, FIFOs and sockets have no place here.
  if (!S_ISREG(mode)) {
    fuse_reply_err(req, EPERM);
    return;
  }
  auto attr = md_->CreateAt(ToInode(parent), name, Owner(req, mode));
  if (!attr.ok()) return Reply(req, attr.status());
  ReplyEntry(req, parent, name, *attr);
}

void Mount::Impl::MakeDir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  if (!CheckWritable(req)) return;
  auto attr = md_->MkdirAt(ToInode(parent), name, Owner(req, mode));
  if (!attr.ok()) return Reply(req, attr.status());
  ReplyEntry(req, parent, name, *attr);
}

void Mount::Impl::Unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (!CheckWritable(req)) return;
  Reply(req, md_->UnlinkAt(ToInode(parent), name));
}

void Mount::Impl::RemoveDir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (!CheckWritable(req)) return;
  Reply(req, md_->RmdirAt(ToInode(parent), name));
}

void Mount::Impl::Symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
  if (!CheckWritable(req)) return;
  auto attr = md_->SymlinkAt(ToInode(parent), name, target, Owner(req, 0777));
  if (!attr.ok()) return Reply(req, attr.status());
  ReplyEntry(req, parent, name, *attr);
}

void Mount::Impl::Rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
                         const char* new_name, unsigned int flags) {
  if (!CheckWritable(req)) return;
  meta::RenameMode mode = meta::RenameMode::kReplace;
  if (flags == RENAME_NOREPLACE) {
    mode = meta::RenameMode::kNoReplace;
  } else if (flags == RENAME_EXCHANGE) {
    mode = meta::RenameMode::kExchange;
  } else if (flags != 0) {
    fuse_reply_err(req, EINVAL);  // RENAME_WHITEOUT and combinations
    return;
  }
  Reply(req, md_->RenameAt(ToInode(parent), name, ToInode(new_parent), new_name, mode));
}

void Mount::Impl::Link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent,
                       const char* new_name) {
  if (!CheckWritable(req)) return;
  auto attr = md_->LinkAt(ToInode(ino), ToInode(new_parent), new_name);
  if (!attr.ok()) return Reply(req, attr.status());
  ReplyEntry(req, new_parent, new_name, *attr);
}

// --- Files ----------------------------------------------------------------------

std::shared_ptr<Spool> Mount::Impl::SpoolOf(fuse_ino_t ino) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(ino);
  return it == nodes_.end() ? nullptr : it->second.spool;
}

bool Mount::Impl::HasWriters(fuse_ino_t ino) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(ino);
  return it != nodes_.end() && it->second.writers > 0;
}

Result<std::shared_ptr<Spool>> Mount::Impl::OpenSpool(fuse_ino_t ino, bool empty) {
  {
    std::lock_guard lock(mu_);
    Node& node = nodes_[ino];
    if (node.spool) return node.spool;
    empty = empty || node.created;
  }
  NOKV_ASSIGN_OR_RETURN(auto made, Spool::Create(options_.spool_dir, fs_, ToInode(ino), empty));
  std::lock_guard lock(mu_);
  auto& spool = nodes_[ino].spool;
  if (!spool) spool = std::move(made);  // else another open made one first
  return spool;
}

Status Mount::Impl::PublishNode(fuse_ino_t ino) {
  std::shared_ptr<Spool> spool;
  std::string content_type;
  {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(ino);
    if (it == nodes_.end() || !it->second.spool) return Status::Ok();
    spool = it->second.spool;
    content_type = fs::GuessContentType(it->second.name);
  }
  auto generation = spool->Publish(content_type);
  // A file unlinked while open has nowhere to go: its bytes go with it.
  if (!generation.ok() && generation.status().Is(Code::kNotFound)) return Status::Ok();
  if (!generation.ok()) return generation.status();
  if (*generation == 0) return Status::Ok();
  std::optional<int64_t> mtime;
  {
    std::lock_guard lock(mu_);
    Node& node = nodes_[ino];
    // The kernel's pages are what was written through it: they match.
    node.cached_generation = node.published_generation = *generation;
    mtime = std::exchange(node.pending_mtime, std::nullopt);
  }
  if (mtime) {
    meta::SetAttrRequest change;
    change.mtime_ns = *mtime;
    NOKV_RETURN_IF_ERROR(md_->SetAttrAt(ToInode(ino), change).status());
  }
  return Status::Ok();
}

void Mount::Impl::Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  int access = fi->flags & O_ACCMODE;
  bool write = access != O_RDONLY;
  if (write && !CheckWritable(req)) return;
  auto handle = std::make_unique<FileHandle>();
  handle->ino = ino;
  handle->write = write;
  handle->append = (fi->flags & O_APPEND) != 0;
  {
    // Counted before the spool is touched: the release of an earlier
    // writer reaches the mount after its close(2) returned and may run
    // beside this open; it must not find itself the last writer and drop
    // the spool this open is about to change.
    std::lock_guard lock(mu_);
    Node& node = nodes_[ino];
    ++node.opens;
    if (write) ++node.writers;
  }
  auto fail = [&](const Status& s) {
    DropOpen(ino, write);
    Reply(req, s);
  };
  if (write && (fi->flags & O_TRUNC)) {
    // The cut is a change: the spool holds it until the close publishes it.
    // Other writing opens make their spool at their first change.
    auto spool = OpenSpool(ino, true);
    if (!spool.ok()) return fail(spool.status());
    if (Status s = (*spool)->Truncate(0); !s.ok()) return fail(s);
  } else if (!write) {
    // A reader reads one generation from open to close, pinned now: the
    // file may be unlinked before the first read. A spool left by a writer
    // whose release has not arrived yet is no reason to skip the pin; reads
    // still go to the spool while it holds a newer body.
    auto reader = fs_->OpenReaderAt(ToInode(ino), at_);
    if (reader.ok()) {
      handle->reader = std::move(reader).value();
    } else if (!SpoolOf(ino)) {
      return fail(reader.status());
    }
  }
  if (handle->reader) {
    // The kernel may keep the pages it holds when they are of this very
    // generation; otherwise it drops them on open.
    std::lock_guard lock(mu_);
    Node& node = nodes_[ino];
    node.open_attr = handle->reader->attr();
    uint64_t generation = handle->reader->attr().generation;
    fi->keep_cache = generation == node.cached_generation;
    node.cached_generation = generation;
  }
  fi->fh = reinterpret_cast<uint64_t>(handle.release());
  if (fuse_reply_open(req, fi) != 0) Release(nullptr, ino, fi);
}

void Mount::Impl::Create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
                         fuse_file_info* fi) {
  if (!CheckWritable(req)) return;
  auto attr = md_->CreateAt(ToInode(parent), name, Owner(req, mode));
  if (!attr.ok()) return Reply(req, attr.status());
  fuse_ino_t ino = ToIno(attr->inode);
  Remember(ino, parent, name, 1);
  auto handle = std::make_unique<FileHandle>();
  handle->ino = ino;
  handle->write = true;
  handle->append = (fi->flags & O_APPEND) != 0;
  {
    std::lock_guard lock(mu_);
    Node& node = nodes_[ino];
    ++node.opens;
    ++node.writers;
    node.open_attr = *attr;
    node.created = true;  // its spool, made at the first write, starts empty
  }
  fi->fh = reinterpret_cast<uint64_t>(handle.release());
  fuse_entry_param e;
  FillEntry(*attr, &e);
  if (fuse_reply_create(req, &e, fi) != 0) {
    Release(nullptr, ino, fi);
    Forget(ino, 1);
  }
}

Status Mount::Impl::ReadFile(FileHandle* h, uint64_t off, uint64_t size, std::string* out) {
  std::shared_ptr<Spool> spool = SpoolOf(h->ino);
  uint64_t ignored_size = 0;
  int64_t ignored_mtime = 0;
  if (spool && (h->write || spool->Override(&ignored_size, &ignored_mtime))) {
    return spool->Read(off, size, out);
  }
  uint64_t published = 0;
  {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(h->ino);
    if (it != nodes_.end()) published = it->second.published_generation;
  }
  std::lock_guard lock(h->mu);
  // Opened while the file was being written here, or before this mount
  // published a newer body: read the newest.
  if (!h->reader || h->reader->attr().generation < published) {
    NOKV_ASSIGN_OR_RETURN(h->reader, fs_->OpenReaderAt(ToInode(h->ino), at_));
  }
  return h->reader->Read(off, size, out);
}

void Mount::Impl::Read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  std::string out;
  if (Status s = ReadFile(File(fi), static_cast<uint64_t>(off), size, &out); !s.ok()) {
    return Reply(req, s);
  }
  fuse_reply_buf(req, out.data(), out.size());
}

void Mount::Impl::Write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off,
                        fuse_file_info* fi) {
  FileHandle* h = File(fi);
  if (!h->write) {
    fuse_reply_err(req, EBADF);
    return;
  }
  auto spool = OpenSpool(ino, false);
  if (!spool.ok()) return Reply(req, spool.status());
  std::string_view data(buf, size);
  // O_APPEND writes go to the spool's end, which may be past what the
  // kernel believes the size is.
  Status s = h->append ? (*spool)->Append(data).status()
                       : (*spool)->Write(static_cast<uint64_t>(off), data);
  if (!s.ok()) return Reply(req, s);
  fuse_reply_write(req, size);
}

void Mount::Impl::Flush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  // close(2) of a descriptor that wrote publishes what it wrote.
  Reply(req, File(fi)->write ? PublishNode(ino) : Status::Ok());
}

void Mount::Impl::Fsync(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  Reply(req, PublishNode(ino));
}

void Mount::Impl::Release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  std::unique_ptr<FileHandle> handle(File(fi));
  bool last_writer = false;
  if (handle->write) {
    std::lock_guard lock(mu_);
    last_writer = nodes_[ino].writers == 1;
  }
  // Flush publishes on every close; this catches a writer whose flush
  // failed or never came (the kernel sends none for some closes).
  if (last_writer) {
    if (Status s = PublishNode(ino); !s.ok()) {
      Log("publishing inode " + std::to_string(ToInode(ino)) + " on close failed: " + s.ToString() +
          "; its unpublished writes are dropped");
    }
  }
  DropOpen(ino, handle->write);
  if (req != nullptr) fuse_reply_err(req, 0);
}

void Mount::Impl::DropOpen(fuse_ino_t ino, bool write) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return;
  Node& node = it->second;
  --node.opens;
  if (write && --node.writers == 0) {
    node.spool.reset();
    node.pending_mtime.reset();
    node.created = false;
  }
  if (node.lookups == 0 && node.opens == 0 && !node.spool) nodes_.erase(it);
}

void Mount::Impl::Fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                            fuse_file_info* fi) {
  if (!CheckWritable(req)) return;
  constexpr int kSupported = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE;
  if ((mode & ~kSupported) != 0 || !File(fi)->write) {
    fuse_reply_err(req, (mode & ~kSupported) != 0 ? EOPNOTSUPP : EBADF);
    return;
  }
  auto spool = OpenSpool(ino, false);
  if (!spool.ok()) return Reply(req, spool.status());
  Reply(req,
        (*spool)->Allocate(mode, static_cast<uint64_t>(offset), static_cast<uint64_t>(length)));
}

void Mount::Impl::Lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, fuse_file_info* fi) {
  if (whence != SEEK_DATA && whence != SEEK_HOLE) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  std::shared_ptr<Spool> spool = SpoolOf(ino);
  uint64_t size = 0;
  int64_t mtime = 0;
  if (spool && spool->Override(&size, &mtime)) {
    auto at = spool->Seek(static_cast<uint64_t>(off), whence);
    if (!at.ok()) return Reply(req, at.status());
    fuse_reply_lseek(req, static_cast<off_t>(*at));
    return;
  }
  // A stored body has no holes: data from 0 to its size.
  FileHandle* h = File(fi);
  std::optional<uint64_t> read_size;
  {
    std::lock_guard lock(h->mu);
    if (h->reader) read_size = h->reader->size();
  }
  if (read_size) {
    size = *read_size;
  } else {
    auto attr = AttrOf(ino);
    if (!attr.ok()) return Reply(req, attr.status());
    size = attr->size;
  }
  if (static_cast<uint64_t>(off) >= size) {
    fuse_reply_err(req, ENXIO);
    return;
  }
  fuse_reply_lseek(req, whence == SEEK_DATA ? off : static_cast<off_t>(size));
}

void Mount::Impl::CopyRange(fuse_req_t req, fuse_ino_t, off_t off_in, fuse_file_info* fi_in,
                            fuse_ino_t ino_out, off_t off_out, fuse_file_info* fi_out, size_t len) {
  if (!CheckWritable(req)) return;
  if (!File(fi_out)->write) {
    fuse_reply_err(req, EBADF);
    return;
  }
  auto spool = OpenSpool(ino_out, false);
  if (!spool.ok()) return Reply(req, spool.status());
  size_t copied = 0;
  std::string chunk;
  while (copied < len) {
    Status s = ReadFile(File(fi_in), static_cast<uint64_t>(off_in) + copied,
                        std::min(kCopyChunk, len - copied), &chunk);
    if (s.ok() && !chunk.empty()) {
      s = (*spool)->Write(static_cast<uint64_t>(off_out) + copied, chunk);
    }
    if (!s.ok()) {
      if (copied == 0) return Reply(req, s);
      break;  // report what was copied; the caller retries the rest
    }
    if (chunk.empty()) break;  // the source ended
    copied += chunk.size();
  }
  fuse_reply_write(req, copied);
}

// --- Directories --------------------------------------------------------------

void Mount::Impl::OpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto attr = md_->GetAttr(ToInode(ino), at_);
  if (!attr.ok()) return Reply(req, attr.status());
  if (attr->type != meta::FileType::kDirectory) {
    fuse_reply_err(req, ENOTDIR);
    return;
  }
  fi->fh = reinterpret_cast<uint64_t>(new DirHandle());
  if (fuse_reply_open(req, fi) != 0) delete Dir(fi);
}

Status Mount::Impl::FetchDirPage(fuse_ino_t ino, DirHandle* d, bool with_attrs) {
  std::string after = d->entries.empty() ? std::string() : d->entries.back().name;
  NOKV_ASSIGN_OR_RETURN(meta::DirPage page,
                        md_->ReadDir(ToInode(ino), after, kDirPage, with_attrs, at_));
  if (with_attrs && page.attrs.size() != page.entries.size()) {
    return Status::Corruption("a directory page came without the attributes asked for");
  }
  for (size_t i = 0; i < page.entries.size(); ++i) {
    d->entries.push_back(std::move(page.entries[i]));
    if (with_attrs) d->attrs.push_back(std::move(page.attrs[i]));
  }
  d->more = page.more;
  return Status::Ok();
}

void Mount::Impl::ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                          fuse_file_info* fi, bool plus) {
  std::string buf(size, '\0');
  size_t used = 0;
  // Replied once the handle's lock is released: the reply lets the kernel
  // release the directory, which frees the handle.
  Status status = FillDirBuffer(req, ino, off, Dir(fi), plus, &buf, &used);
  if (!status.ok() && used == 0) return Reply(req, status);
  fuse_reply_buf(req, buf.data(), used);
}

Status Mount::Impl::FillDirBuffer(fuse_req_t req, fuse_ino_t ino, off_t off, DirHandle* d,
                                  bool plus, std::string* buf, size_t* used) {
  std::lock_guard lock(d->mu);
  if (off == 0) {
    // A rewind starts the stream again.
    d->entries.clear();
    d->attrs.clear();
    d->more = true;
    d->with_attrs = plus;
  }
  size_t size = buf->size();
  for (auto index = static_cast<size_t>(off);; ++index) {
    struct stat st = {};
    fuse_entry_param e = {};
    std::string name;
    bool counted = false;
    if (index < 2) {
      name = index == 0 ? "." : "..";
      st.st_mode = S_IFDIR;
      st.st_ino = index == 0 ? ino : FUSE_ROOT_ID;  // ".." is the kernel's to resolve
      e.attr = st;
    } else {
      size_t i = index - 2;
      while (i >= d->entries.size() && d->more) {
        NOKV_RETURN_IF_ERROR(FetchDirPage(ino, d, d->with_attrs));
      }
      if (i >= d->entries.size()) break;
      const meta::DirEntry& entry = d->entries[i];
      name = entry.name;
      if (plus && d->with_attrs) {
        FillEntry(Overlay(d->attrs[i]), &e);
        counted = true;
      } else {
        st.st_ino = ToIno(entry.inode);
        st.st_mode = TypeBits(entry.type);
        e.attr = st;
      }
    }
    char* at = buf->data() + *used;
    size_t room = size - *used;
    auto next = static_cast<off_t>(index + 1);
    size_t need = plus ? fuse_add_direntry_plus(req, at, room, name.c_str(), &e, next)
                       : fuse_add_direntry(req, at, room, name.c_str(), &e.attr, next);
    if (need > room) break;  // did not fit: the next call starts here
    *used += need;
    // readdirplus gives the kernel a reference to every entry it returns.
    if (counted) Remember(e.ino, ino, name, 1);
  }
  return Status::Ok();
}

void Mount::Impl::ReleaseDir(fuse_req_t req, fuse_file_info* fi) {
  delete Dir(fi);
  fuse_reply_err(req, 0);
}

// --- Everything else --------------------------------------------------------------

void Mount::Impl::StatFs(fuse_req_t req) {
  auto totals = md_->Totals();
  if (!totals.ok()) return Reply(req, totals.status());
  // Object storage has no fixed size: report what is used plus a petabyte
  // free, and room for four billion more inodes.
  constexpr uint64_t kBlock = 4096;
  constexpr uint64_t kFreeBlocks = (1ull << 50) / kBlock;
  constexpr uint64_t kFreeInodes = 1ull << 32;
  uint64_t used = (totals->bytes + kBlock - 1) / kBlock;
  uint64_t inodes = totals->files + totals->directories + totals->symlinks;
  struct statvfs st = {};
  st.f_bsize = kBlock;
  st.f_frsize = kBlock;
  st.f_blocks = used + kFreeBlocks;
  st.f_bfree = kFreeBlocks;
  st.f_bavail = kFreeBlocks;
  st.f_files = inodes + kFreeInodes;
  st.f_ffree = kFreeInodes;
  st.f_favail = kFreeInodes;
  st.f_namemax = meta::kMaxNameBytes;
  fuse_reply_statfs(req, &st);
}

void Mount::Impl::SetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value,
                           size_t size, int flags) {
  if (!CheckWritable(req)) return;
  meta::XattrMode mode = meta::XattrMode::kEither;
  if (flags == XATTR_CREATE) {
    mode = meta::XattrMode::kCreate;
  } else if (flags == XATTR_REPLACE) {
    mode = meta::XattrMode::kReplace;
  } else if (flags != 0) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  if (std::strlen(name) > meta::kMaxXattrName) {
    fuse_reply_err(req, ERANGE);
    return;
  }
  if (size > meta::kMaxXattrValue) {
    fuse_reply_err(req, E2BIG);
    return;
  }
  Status s = md_->SetXattr(ToInode(ino), name, std::string_view(value, size), mode);
  // XATTR_REPLACE of a name that is not there.
  if (s.Is(Code::kNotFound) && mode == meta::XattrMode::kReplace) {
    fuse_reply_err(req, ENODATA);
    return;
  }
  Reply(req, s);
}

void Mount::Impl::GetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  auto value = md_->GetXattr(ToInode(ino), name, at_);
  if (!value.ok()) {
    fuse_reply_err(req, value.status().Is(Code::kNotFound) ? ENODATA : ToErrno(value.status()));
    return;
  }
  if (size == 0) {
    fuse_reply_xattr(req, value->size());  // the caller asks how big a buffer to pass
  } else if (size < value->size()) {
    fuse_reply_err(req, ERANGE);
  } else {
    fuse_reply_buf(req, value->data(), value->size());
  }
}

void Mount::Impl::ListXattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  auto names = md_->ListXattrs(ToInode(ino), at_);
  if (!names.ok()) return Reply(req, names.status());
  std::string list;
  for (const auto& name : *names) list.append(name).push_back('\0');
  if (size == 0) {
    fuse_reply_xattr(req, list.size());
  } else if (size < list.size()) {
    fuse_reply_err(req, ERANGE);
  } else {
    fuse_reply_buf(req, list.data(), list.size());
  }
}

void Mount::Impl::RemoveXattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  if (!CheckWritable(req)) return;
  Status s = md_->RemoveXattr(ToInode(ino), name);
  fuse_reply_err(req, s.Is(Code::kNotFound) ? ENODATA : ToErrno(s));
}

void Mount::Impl::Access(fuse_req_t req, fuse_ino_t ino, int mask) {
  auto attr = md_->GetAttr(ToInode(ino), at_);
  if (!attr.ok()) return Reply(req, attr.status());
  if (mask == F_OK) {
    fuse_reply_err(req, 0);
    return;
  }
  if ((mask & W_OK) && read_only_) {
    fuse_reply_err(req, EROFS);
    return;
  }
  const fuse_ctx* ctx = fuse_req_ctx(req);
  uint32_t mode = attr->mode;
  if (ctx->uid == 0) {
    // root may read and write anything, and execute what anyone may.
    bool exec_ok = attr->type == meta::FileType::kDirectory || (mode & 0111) != 0;
    fuse_reply_err(req, (mask & X_OK) && !exec_ok ? EACCES : 0);
    return;
  }
  uint32_t granted = ctx->uid == attr->uid   ? (mode >> 6) & 7
                     : ctx->gid == attr->gid ? (mode >> 3) & 7
                                             : mode & 7;
  auto wanted = static_cast<uint32_t>(mask & (R_OK | W_OK | X_OK));
  fuse_reply_err(req, (granted & wanted) == wanted ? 0 : EACCES);
}

// --- Changes made elsewhere -----------------------------------------------------------

void Mount::Impl::Follow() {
  auto cursor = md_->LatestCursor();
  std::string from = cursor.ok() ? *cursor : std::string();
  for (;;) {
    {
      std::lock_guard lock(stop_mu_);
      if (stopping_) return;
    }
    // Short polls: an unmount waits for the one in flight.
    auto page = fs_->Watch(root_path_, from, 256, std::chrono::milliseconds(200));
    if (!page.ok()) {
      if (page.status().Is(Code::kExpired)) {
        // Fell behind retention: what the kernel holds expires on its own.
        auto latest = md_->LatestCursor();
        from = latest.ok() ? *latest : std::string();
        continue;
      }
      Log("following changes: " + page.status().ToString());
      std::unique_lock lock(stop_mu_);
      stop_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
      continue;
    }
    for (const auto& event : page->events) Invalidate(event);
    if (!page->next_cursor.empty()) from = page->next_cursor;
    if (!page->events.empty()) {
      std::unique_lock lock(stop_mu_);
      stop_cv_.wait_for(lock, kFollowCoalesce, [&] { return stopping_; });
    }
  }
}

void Mount::Impl::Invalidate(const meta::Event& event) {
  fuse_ino_t ino = ToIno(event.inode);
  fuse_ino_t parent = 0;
  std::string name;
  bool known = false;
  {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(ino);
    if (it != nodes_.end()) {
      known = true;
      parent = it->second.parent;
      name = it->second.name;
      // Our own publish: the kernel already has these pages.
      if (event.type == meta::EventType::kPublish && event.seq == it->second.published_generation) {
        return;
      }
    }
  }
  switch (event.type) {
    case meta::EventType::kPublish:
    case meta::EventType::kSetattr:
    case meta::EventType::kXattr:
    case meta::EventType::kLink:
      if (known) fuse_lowlevel_notify_inval_inode(se_, ino, 0, 0);
      break;
    case meta::EventType::kRemove:
    case meta::EventType::kRename: {
      std::string_view old_path =
          event.type == meta::EventType::kRename ? event.old_path : event.path;
      if (known && parent != 0 && BaseName(old_path) == name) {
        fuse_lowlevel_notify_inval_entry(se_, parent, name.data(), name.size());
        fuse_lowlevel_notify_inval_inode(se_, ino, 0, 0);
      }
      if (event.type == meta::EventType::kRename) {
        // The new name may hide an entry the kernel holds (a replaced file).
        auto dir = md_->Stat(DirName(event.path), {});
        if (dir.ok()) {
          std::string target(BaseName(event.path));
          fuse_lowlevel_notify_inval_entry(se_, ToIno(dir->inode), target.data(), target.size());
        }
      }
      break;
    }
    case meta::EventType::kCreate:
    case meta::EventType::kMkdir:
    case meta::EventType::kSymlink:
    case meta::EventType::kSnapshot:
      // New names: the kernel caches no negative entries (a zero negative
      // timeout), so nothing it holds is wrong.
      break;
  }
}

// --- Mount ------------------------------------------------------------------------

Result<std::unique_ptr<Mount>> Mount::Start(fs::Filesystem* fs, MountOptions options) {
  auto impl = std::make_unique<Impl>(fs, std::move(options));
  NOKV_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<Mount>(new Mount(std::move(impl)));
}

Mount::Mount(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Mount::~Mount() = default;
Status Mount::Run() { return impl_->Run(); }
void Mount::Stop() { impl_->Stop(); }
const MountOptions& Mount::options() const { return impl_->options(); }

}  // namespace nokv::fuse
