// The no-op FUSE filesystem (see noop_fs.h): a table of names and
// attributes behind libfuse3's low-level operations.
#define FUSE_USE_VERSION 312

#include "noop_fs.h"

#include <fuse_lowlevel.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <unordered_map>

namespace nokv::bench {
namespace {

// The `nokv mount` defaults (fuse/mount.h), so both hand the kernel the same caching.
constexpr double kTimeout = 1.0;
constexpr unsigned kMaxThreads = 16;

struct NoopNode {
  mode_t mode = 0;
  uint64_t size = 0;
  uint32_t nlink = 1;
};

// The filesystem's state. Thread-safety: every method may run on any
// session worker; one mutex guards the tables, and no reply is sent while
// it is held.
class NoopFs {
 public:
  NoopFs() { nodes_[FUSE_ROOT_ID] = {S_IFDIR | 0755, 0, 2}; }

  void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    fuse_entry_param e{};
    {
      std::lock_guard lock(mu_);
      auto it = names_.find({parent, name});
      if (it != names_.end()) FillEntry(it->second, nodes_[it->second], &e);
    }
    if (e.ino == 0) {
      fuse_reply_err(req, ENOENT);
    } else {
      fuse_reply_entry(req, &e);
    }
  }

  void GetAttr(fuse_req_t req, fuse_ino_t ino) {
    struct stat st {};
    {
      std::lock_guard lock(mu_);
      auto it = nodes_.find(ino);
      if (it != nodes_.end()) FillStat(ino, it->second, &st);
    }
    ReplyAttr(req, st);
  }

  void SetAttr(fuse_req_t req, fuse_ino_t ino, const struct stat* in, int to_set) {
    struct stat st {};
    {
      std::lock_guard lock(mu_);
      auto it = nodes_.find(ino);
      if (it != nodes_.end()) {
        if (to_set & FUSE_SET_ATTR_SIZE) it->second.size = static_cast<uint64_t>(in->st_size);
        if (to_set & FUSE_SET_ATTR_MODE) {
          it->second.mode = (it->second.mode & S_IFMT) | (in->st_mode & 07777);
        }
        FillStat(ino, it->second, &st);
      }
    }
    ReplyAttr(req, st);
  }

  // Adds a node under parent/name; replies an entry (and opens it when fi is set).
  void Make(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
    fuse_entry_param e{};
    {
      std::lock_guard lock(mu_);
      auto [it, added] = names_.try_emplace({parent, name}, next_);
      if (added) {
        NoopNode& node = nodes_[next_++];
        node = {mode, 0, S_ISDIR(mode) ? 2u : 1u};
        FillEntry(it->second, node, &e);
      }
    }
    if (e.ino == 0) {
      fuse_reply_err(req, EEXIST);
    } else if (fi == nullptr) {
      fuse_reply_entry(req, &e);
    } else {
      fuse_reply_create(req, &e, fi);
    }
  }

  void Remove(fuse_req_t req, fuse_ino_t parent, const char* name, bool dir) {
    int err = 0;
    {
      std::lock_guard lock(mu_);
      auto it = names_.find({parent, name});
      if (it == names_.end()) {
        err = ENOENT;
      } else if (S_ISDIR(nodes_[it->second].mode) != dir) {
        err = dir ? ENOTDIR : EISDIR;
      } else if (dir && HasChildren(it->second)) {
        err = ENOTEMPTY;
      } else {
        nodes_.erase(it->second);
        names_.erase(it);
      }
    }
    fuse_reply_err(req, err);
  }

  void Open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    bool found = false;
    {
      std::lock_guard lock(mu_);
      auto it = nodes_.find(ino);
      found = it != nodes_.end();
      if (found && (fi->flags & O_TRUNC) != 0) it->second.size = 0;
    }
    if (!found) {
      fuse_reply_err(req, ENOENT);
    } else {
      fuse_reply_open(req, fi);
    }
  }

  void Read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off) {
    uint64_t file_size = 0;
    {
      std::lock_guard lock(mu_);
      auto it = nodes_.find(ino);
      if (it != nodes_.end()) file_size = it->second.size;
    }
    auto offset = static_cast<uint64_t>(off);
    uint64_t n = offset >= file_size ? 0 : std::min<uint64_t>(size, file_size - offset);
    fuse_reply_buf(req, zeros_.data(), static_cast<size_t>(std::min<uint64_t>(n, zeros_.size())));
  }

  void Write(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off) {
    {
      std::lock_guard lock(mu_);
      auto it = nodes_.find(ino);
      if (it != nodes_.end()) {
        it->second.size = std::max<uint64_t>(it->second.size, static_cast<uint64_t>(off) + size);
      }
    }
    fuse_reply_write(req, size);
  }

  void ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off) {
    std::string buf(size, '\0');
    size_t used = 0;
    {
      std::lock_guard lock(mu_);
      off_t index = 0;
      for (auto it = names_.lower_bound({ino, std::string()});
           it != names_.end() && it->first.first == ino; ++it, ++index) {
        if (index < off) continue;
        struct stat st {};
        FillStat(it->second, nodes_[it->second], &st);
        size_t need = fuse_add_direntry(req, buf.data() + used, size - used,
                                        it->first.second.c_str(), &st, index + 1);
        if (need > size - used) break;
        used += need;
      }
    }
    fuse_reply_buf(req, buf.data(), used);
  }

 private:
  // An attribute reply, or ENOENT when `st` was not filled.
  static void ReplyAttr(fuse_req_t req, const struct stat& st) {
    if (st.st_ino == 0) {
      fuse_reply_err(req, ENOENT);
    } else {
      fuse_reply_attr(req, &st, kTimeout);
    }
  }

  static void FillStat(fuse_ino_t ino, const NoopNode& node, struct stat* st) {
    *st = {};
    st->st_ino = ino;
    st->st_mode = node.mode;
    st->st_nlink = node.nlink;
    st->st_size = static_cast<off_t>(node.size);
    st->st_blksize = 128 * 1024;
    st->st_blocks = static_cast<blkcnt_t>((node.size + 511) / 512);
  }

  static void FillEntry(fuse_ino_t ino, const NoopNode& node, fuse_entry_param* e) {
    *e = {};
    e->ino = ino;
    e->generation = 1;
    e->attr_timeout = kTimeout;
    e->entry_timeout = kTimeout;
    FillStat(ino, node, &e->attr);
  }

  bool HasChildren(fuse_ino_t dir) const {
    auto it = names_.lower_bound({dir, std::string()});
    return it != names_.end() && it->first.first == dir;
  }

  std::mutex mu_;
  std::map<std::pair<fuse_ino_t, std::string>, fuse_ino_t> names_;  // guarded by mu_
  std::unordered_map<fuse_ino_t, NoopNode> nodes_;                  // guarded by mu_
  fuse_ino_t next_ = FUSE_ROOT_ID + 1;                              // guarded by mu_
  // Zeros for read replies, larger than any read the kernel sends (at most
  // max_pages, 1 MiB by default limits).
  const std::string zeros_ = std::string(size_t{4} << 20, '\0');
};

NoopFs* Fs(fuse_req_t req) { return static_cast<NoopFs*>(fuse_req_userdata(req)); }

const fuse_lowlevel_ops kNoopOps = [] {
  fuse_lowlevel_ops ops{};
  ops.init = [](void*, fuse_conn_info* conn) {
    // The capabilities `nokv mount` asks for that matter to these rows.
    if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
    if (conn->capable & FUSE_CAP_PARALLEL_DIROPS) conn->want |= FUSE_CAP_PARALLEL_DIROPS;
    conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  };
  ops.lookup = [](fuse_req_t req, fuse_ino_t parent, const char* name) {
    Fs(req)->Lookup(req, parent, name);
  };
  ops.forget = [](fuse_req_t req, fuse_ino_t, uint64_t) { fuse_reply_none(req); };
  ops.forget_multi = [](fuse_req_t req, size_t, fuse_forget_data*) { fuse_reply_none(req); };
  ops.getattr = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info*) { Fs(req)->GetAttr(req, ino); };
  ops.setattr = [](fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info*) {
    Fs(req)->SetAttr(req, ino, attr, to_set);
  };
  ops.mknod = [](fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t) {
    Fs(req)->Make(req, parent, name, mode, nullptr);
  };
  ops.mkdir = [](fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
    Fs(req)->Make(req, parent, name, S_IFDIR | (mode & 07777), nullptr);
  };
  ops.create = [](fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
                  fuse_file_info* fi) { Fs(req)->Make(req, parent, name, mode, fi); };
  ops.unlink = [](fuse_req_t req, fuse_ino_t parent, const char* name) {
    Fs(req)->Remove(req, parent, name, false);
  };
  ops.rmdir = [](fuse_req_t req, fuse_ino_t parent, const char* name) {
    Fs(req)->Remove(req, parent, name, true);
  };
  ops.open = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    Fs(req)->Open(req, ino, fi);
  };
  ops.read = [](fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
    Fs(req)->Read(req, ino, size, off);
  };
  ops.write = [](fuse_req_t req, fuse_ino_t ino, const char*, size_t size, off_t off,
                 fuse_file_info*) { Fs(req)->Write(req, ino, size, off); };
  ops.flush = [](fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, 0); };
  ops.release = [](fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, 0); };
  ops.fsync = [](fuse_req_t req, fuse_ino_t, int, fuse_file_info*) { fuse_reply_err(req, 0); };
  ops.opendir = [](fuse_req_t req, fuse_ino_t, fuse_file_info* fi) { fuse_reply_open(req, fi); };
  ops.readdir = [](fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
    Fs(req)->ReadDir(req, ino, size, off);
  };
  ops.releasedir = [](fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, 0); };
  ops.statfs = [](fuse_req_t req, fuse_ino_t) {
    struct statvfs st {};
    st.f_bsize = st.f_frsize = 4096;
    st.f_namemax = 255;
    fuse_reply_statfs(req, &st);
  };
  return ops;
}();

}  // namespace

int RunNoopFsCommand(const std::vector<std::string>& argv, const std::string&) {
  if (argv.size() != 1) {
    std::cerr << kNoopFsUsage;
    return 2;
  }
  NoopFs fs;
  std::vector<std::string> args = {"nokv-bench-noopfs", "-o", "fsname=noop,subtype=noop"};
  std::vector<char*> raw;
  for (auto& a : args) raw.push_back(a.data());
  fuse_args fargs = FUSE_ARGS_INIT(static_cast<int>(raw.size()), raw.data());
  fuse_session* se = fuse_session_new(&fargs, &kNoopOps, sizeof(kNoopOps), &fs);
  fuse_opt_free_args(&fargs);
  if (se == nullptr) return 1;
  int rc = 1;
  if (fuse_set_signal_handlers(se) == 0) {
    if (fuse_session_mount(se, argv[0].c_str()) == 0) {
      fuse_loop_config* config = fuse_loop_cfg_create();
      fuse_loop_cfg_set_max_threads(config, kMaxThreads);
      fuse_loop_cfg_set_clone_fd(config, 0);
      rc = fuse_session_loop_mt(se, config) == 0 ? 0 : 1;
      fuse_loop_cfg_destroy(config);
      fuse_session_unmount(se);
    } else {
      std::cerr << "nokv-bench noopfs: cannot mount on " << argv[0] << "\n";
    }
    fuse_remove_signal_handlers(se);
  }
  fuse_session_destroy(se);
  return rc;
}

}  // namespace nokv::bench
