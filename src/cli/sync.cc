// Tree transfers with sync semantics (cli/sync.h): both sides are walked
// into maps keyed by relative path, a plan is made by comparing them, and
// the plan is printed (--dry-run) or carried out.
#include "cli/sync.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>

#include "cli/transfer.h"
#include "meta/path.h"

namespace nokv::cli {
namespace {

namespace stdfs = std::filesystem;

enum class Links { kSkip, kFollow, kKeep };

struct SyncOptions {
  bool dry_run = false;
  bool delete_extra = false;
  bool keep_mtime = true;
  Links links = Links::kKeep;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
};

// One side's entry at a relative path.
struct Entry {
  meta::FileType type = meta::FileType::kFile;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  std::string target;  // symlinks
  std::string where;   // the full local or remote path
};
using Tree = std::map<std::string, Entry>;  // by relative path, "" excluded

enum class Action { kUpload, kReplace, kSkip, kTouch, kMkdir, kSymlink, kDelete };

std::string_view ActionName(Action a) {
  switch (a) {
    case Action::kUpload:
      return "new";
    case Action::kReplace:
      return "changed";
    case Action::kSkip:
      return "unchanged";
    case Action::kTouch:
      return "mtime";
    case Action::kMkdir:
      return "mkdir";
    case Action::kSymlink:
      return "symlink";
    case Action::kDelete:
      return "delete";
  }
  return "";
}

struct Step {
  Action action;
  std::string rel;
  const Entry* from = nullptr;  // the source side's entry (null for kDelete)
};

bool Matches(const std::string& pattern, const std::string& rel) {
  if (fnmatch(pattern.c_str(), rel.c_str(), FNM_PATHNAME) == 0) return true;
  if (pattern.find('/') != std::string::npos) return false;
  std::string base = rel.substr(rel.rfind('/') + 1);
  return fnmatch(pattern.c_str(), base.c_str(), 0) == 0;
}

// Whether a file (or symlink) at `rel` takes part: matches an --include (when
// any is given) and no --exclude. An excluded directory is not entered.
bool Selected(const SyncOptions& o, const std::string& rel, bool directory) {
  for (const auto& p : o.exclude) {
    if (Matches(p, rel)) return false;
  }
  if (directory || o.include.empty()) return true;
  for (const auto& p : o.include) {
    if (Matches(p, rel)) return true;
  }
  return false;
}

Result<SyncOptions> OptionsFrom(const Args& args) {
  SyncOptions o;
  o.dry_run = args.Has("-n");
  o.delete_extra = args.Has("--delete");
  o.keep_mtime = !args.Has("--no-mtime");
  o.include = args.GetAll("--include");
  o.exclude = args.GetAll("--exclude");
  std::string links = args.Get("--symlinks").value_or("keep");
  o.links = links == "skip" ? Links::kSkip : links == "follow" ? Links::kFollow : Links::kKeep;
  return o;
}

int64_t MtimeNs(const struct stat& st) {
  return int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// The local tree under `root` (not following symlinks unless --symlinks follow).
Status WalkLocal(const std::string& root, const std::string& rel, const SyncOptions& o,
                 std::set<std::pair<dev_t, ino_t>>* visiting, Tree* tree) {
  std::string dir = rel.empty() ? root : root + "/" + rel;
  std::error_code ec;
  for (const auto& item : stdfs::directory_iterator(dir, ec)) {
    std::string name = item.path().filename().string();
    std::string child = rel.empty() ? name : rel + "/" + name;
    std::string path = item.path().string();
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return Status::FromErrno(errno, path);
    Entry e;
    e.where = path;
    if (S_ISLNK(st.st_mode)) {
      if (o.links == Links::kSkip) continue;
      if (o.links == Links::kKeep) {
        if (!Selected(o, child, false)) continue;
        e.type = meta::FileType::kSymlink;
        e.target = stdfs::read_symlink(path, ec).string();
        if (ec) return Status::IOError(path + ": " + ec.message());
        (*tree)[child] = e;
        continue;
      }
      if (::stat(path.c_str(), &st) != 0) continue;  // follow: a dangling link has nothing
    }
    if (S_ISDIR(st.st_mode)) {
      if (!Selected(o, child, true)) continue;
      // Following links can meet a directory again: a loop is not entered twice.
      if (!visiting->insert({st.st_dev, st.st_ino}).second) {
        return Status::InvalidArgument(path + ": symbolic link loop (use --symlinks keep or skip)");
      }
      e.type = meta::FileType::kDirectory;
      (*tree)[child] = e;
      NOKV_RETURN_IF_ERROR(WalkLocal(root, child, o, visiting, tree));
      visiting->erase({st.st_dev, st.st_ino});
    } else if (S_ISREG(st.st_mode)) {
      if (!Selected(o, child, false)) continue;
      e.size = static_cast<uint64_t>(st.st_size);
      e.mtime_ns = MtimeNs(st);
      (*tree)[child] = e;
    }
  }
  if (ec) return Status::IOError(dir + ": " + ec.message());
  return Status::Ok();
}

// The remote tree under `root` (NotFound root: an empty tree).
Status WalkRemote(fs::Filesystem& fs, const std::string& root, const std::string& rel,
                  const SyncOptions& o, const fs::ReadAt& at, Tree* tree) {
  std::string dir = rel.empty() ? root : meta::ChildPath(root, rel);
  std::string after;
  for (;;) {
    auto page = fs.List(dir, after, 1000, at);
    if (!page.ok()) return page.status();
    for (size_t i = 0; i < page->entries.size(); ++i) {
      const auto& name = page->entries[i].name;
      const meta::Attr& a = page->attrs[i];
      std::string child = rel.empty() ? name : rel + "/" + name;
      bool directory = a.type == meta::FileType::kDirectory;
      if (a.type == meta::FileType::kSymlink && o.links == Links::kSkip) continue;
      if (!Selected(o, child, directory)) continue;
      Entry e{a.type, a.size, a.mtime_ns, a.symlink_target, meta::ChildPath(dir, name)};
      (*tree)[child] = e;
      if (directory) NOKV_RETURN_IF_ERROR(WalkRemote(fs, root, child, o, at, tree));
    }
    if (!page->more || page->entries.empty()) break;
    after = page->entries.back().name;
  }
  return Status::Ok();
}

// Whether the file `from` still has the content of `to`: same size, and the
// same mtime or the same digest.
Result<Action> CompareFile(fs::Filesystem& fs, const Entry& from, const Entry& to, bool upload,
                           const SyncOptions& o, const fs::ReadAt& at) {
  if (from.size != to.size) return Action::kReplace;
  if (from.mtime_ns == to.mtime_ns) return Action::kSkip;
  const std::string& local = upload ? from.where : to.where;
  const std::string& remote = upload ? to.where : from.where;
  NOKV_ASSIGN_OR_RETURN(bool same, fs.SameContent(remote, local, at));
  if (!same) return Action::kReplace;
  return o.keep_mtime ? Action::kTouch : Action::kSkip;
}

// The steps that make `to` a copy of `from`. Conflicts (a file where a
// directory is, or the reverse) are replaced only with --delete.
Result<std::vector<Step>> Plan(fs::Filesystem& fs, const Tree& from, const Tree& to, bool upload,
                               const SyncOptions& o, const fs::ReadAt& at) {
  std::vector<Step> steps;
  std::set<std::string> removed;  // relative paths deleted, whose children go with them
  auto under_removed = [&](const std::string& rel) {
    for (size_t slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1))
      if (removed.contains(rel.substr(0, slash))) return true;
    return removed.contains(rel);
  };
  if (o.delete_extra) {
    for (const auto& [rel, entry] : to) {
      auto it = from.find(rel);
      bool kind_differs = it != from.end() && it->second.type != entry.type;
      if ((it == from.end() || kind_differs) && !under_removed(rel)) {
        steps.push_back({Action::kDelete, rel, nullptr});
        removed.insert(rel);
      }
    }
  }
  for (const auto& [rel, entry] : from) {
    auto it = to.find(rel);
    bool present = it != to.end() && !removed.contains(rel) && !under_removed(rel);
    if (present && it->second.type != entry.type) {
      return Status::AlreadyExists(
          (upload ? it->second.where : it->second.where) + " is a " +
          std::string(meta::FileTypeName(it->second.type)) + ", the source has a " +
          std::string(meta::FileTypeName(entry.type)) + " (use --delete to replace it)");
    }
    switch (entry.type) {
      case meta::FileType::kDirectory:
        if (!present) steps.push_back({Action::kMkdir, rel, &entry});
        break;
      case meta::FileType::kSymlink:
        if (!present || it->second.target != entry.target) {
          if (present) steps.push_back({Action::kDelete, rel, nullptr});
          steps.push_back({Action::kSymlink, rel, &entry});
        }
        break;
      case meta::FileType::kFile: {
        Action a = Action::kUpload;
        if (present) {
          NOKV_ASSIGN_OR_RETURN(a, CompareFile(fs, entry, it->second, upload, o, at));
        }
        steps.push_back({a, rel, &entry});
        break;
      }
    }
  }
  return steps;
}

struct Totals {
  uint64_t files = 0, bytes = 0, unchanged = 0, deleted = 0, dirs = 0, links = 0;
};

Totals Count(const std::vector<Step>& steps) {
  Totals t;
  for (const auto& s : steps) {
    switch (s.action) {
      case Action::kUpload:
      case Action::kReplace:
        t.files++;
        t.bytes += s.from->size;
        break;
      case Action::kSkip:
      case Action::kTouch:
        t.unchanged++;
        break;
      case Action::kMkdir:
        t.dirs++;
        break;
      case Action::kSymlink:
        t.links++;
        break;
      case Action::kDelete:
        t.deleted++;
        break;
    }
  }
  return t;
}

// Prints the plan (--dry-run) or the summary, as text or one JSON document.
void Report(Context& ctx, std::string_view verb, const std::string& root,
            const std::vector<Step>& steps, const SyncOptions& o, nlohmann::json files) {
  Totals t = Count(steps);
  if (ctx.json) {
    nlohmann::json actions = nlohmann::json::array();
    for (const auto& s : steps) {
      nlohmann::json a = {{"action", ActionName(s.action)}, {"path", s.rel}};
      if (s.from != nullptr && s.from->type == meta::FileType::kFile) {
        a["size_bytes"] = s.from->size;
      }
      actions.push_back(std::move(a));
    }
    nlohmann::json doc = {{"root", root},        {"dry_run", o.dry_run}, {"actions", actions},
                          {"files", t.files},    {"bytes", t.bytes},     {"unchanged", t.unchanged},
                          {"deleted", t.deleted}};
    if (!o.dry_run) doc["published"] = std::move(files);
    ctx.PrintJson(doc);
    return;
  }
  if (o.dry_run) {
    for (const auto& s : steps) {
      if (s.action == Action::kSkip) continue;
      *ctx.out << ActionName(s.action) << "\t" << s.rel;
      if (s.from != nullptr && s.from->type == meta::FileType::kFile) {
        *ctx.out << "\t" << HumanSize(s.from->size);
      }
      *ctx.out << "\n";
    }
  }
  if (ctx.quiet) return;
  *ctx.err << verb << " " << root << ": " << (o.dry_run ? "would copy " : "copied ") << t.files
           << " files (" << HumanSize(t.bytes) << "), " << t.unchanged << " unchanged";
  if (t.deleted) *ctx.err << ", " << (o.dry_run ? "would delete " : "deleted ") << t.deleted;
  if (t.dirs) *ctx.err << ", " << t.dirs << " directories made";
  if (t.links) *ctx.err << ", " << t.links << " symlinks";
  if (verb == "put" && t.files > 1 && !o.dry_run) *ctx.err << ", in one commit";
  *ctx.err << "\n";
}

Status SetLocalMtime(const std::string& path, int64_t ns) {
  struct timespec times[2] = {{0, UTIME_OMIT}, {ns / 1'000'000'000, ns % 1'000'000'000}};
  if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return Status::FromErrno(errno, path);
  }
  return Status::Ok();
}

}  // namespace

std::vector<Flag> SyncFlags() {
  return {{"-n,--dry-run", "print what a tree transfer would do, and do nothing"},
          {"--delete", "remove what the source tree no longer has"},
          {"--include", "only files matching this glob (repeatable)", "GLOB", true},
          {"--exclude", "leave out files and directories matching this glob (repeatable)", "GLOB",
           true},
          {"--symlinks",
           "symbolic links in a tree (default keep)",
           "MODE",
           false,
           {"skip", "follow", "keep"}},
          {"--no-mtime", "stamp copied files now instead of keeping the source mtime"}};
}

int PutTreeSync(Context& ctx, fs::Filesystem& fs, const Args& args, const std::string& local,
                const std::string& remote, const fs::WriteOptions& write_options) {
  auto o = OptionsFrom(args);
  std::string what = "put " + remote;
  Tree from, to;
  std::set<std::pair<dev_t, ino_t>> visiting;
  if (Status s = WalkLocal(local, "", *o, &visiting, &from); !s.ok()) return ctx.Fail(what, s);
  auto root = fs.Stat(remote);
  if (root.ok() && root->type != meta::FileType::kDirectory) {
    return ctx.Fail(what, Status::AlreadyExists(remote + " exists and is not a directory"));
  }
  if (root.ok()) {
    if (Status s = WalkRemote(fs, remote, "", *o, {}, &to); !s.ok()) return ctx.Fail(what, s);
  }
  auto steps = Plan(fs, from, to, /*upload=*/true, *o, {});
  if (!steps.ok()) return ctx.Fail(what, steps.status());
  nlohmann::json published = nlohmann::json::array();
  if (o->dry_run) {
    Report(ctx, "put", remote, *steps, *o, published);
    return kExitOk;
  }
  auto path_of = [&](const std::string& rel) { return meta::ChildPath(remote, rel); };
  // Deletions first (a file may replace a directory), then directories.
  for (const auto& s : *steps) {
    if (s.action != Action::kDelete) continue;
    Status removed = fs.Remove(path_of(s.rel), /*recursive=*/true);
    if (!removed.ok() && removed.code() != Code::kNotFound) return ctx.Fail(what, removed);
  }
  if (!root.ok()) {
    if (auto made = fs.Mkdir(remote, true); !made.ok()) return ctx.Fail(what, made.status());
  }
  for (const auto& s : *steps) {
    if (s.action != Action::kMkdir) continue;
    if (auto made = fs.Mkdir(path_of(s.rel), true); !made.ok()) {
      return ctx.Fail(what, made.status());
    }
  }
  // Every new or changed file in one commit.
  std::vector<fs::TreeFile> files;
  for (const auto& s : *steps) {
    if (s.action == Action::kUpload || s.action == Action::kReplace) {
      files.push_back({path_of(s.rel), s.from->where});
    }
  }
  fs::WriteOptions options = write_options;
  options.mode = meta::PublishMode::kReplace;
  if (!files.empty()) {
    ProgressLine progress(ctx, what);
    auto attrs = fs.PutTree(files, options, [&](const fs::Progress& p) { progress.Update(p); });
    if (!attrs.ok()) return ctx.Fail(what, attrs.status());
    for (size_t i = 0; i < attrs->size(); ++i) {
      published.push_back(AttrJson((*attrs)[i], files[i].path));
    }
  }
  for (const auto& s : *steps) {
    bool stamp = (s.action == Action::kUpload || s.action == Action::kReplace) && o->keep_mtime;
    if (stamp || s.action == Action::kTouch) {
      meta::SetAttrRequest req;
      req.mtime_ns = s.from->mtime_ns;
      auto set = fs.SetAttr(path_of(s.rel), req);
      if (!set.ok()) return ctx.Fail(what, set.status());
      for (auto& doc : published) {
        if (doc["path"] == path_of(s.rel)) doc = AttrJson(*set, path_of(s.rel));
      }
    } else if (s.action == Action::kSymlink) {
      if (auto made = fs.Symlink(path_of(s.rel), s.from->target); !made.ok()) {
        return ctx.Fail(what, made.status());
      }
    }
  }
  Report(ctx, "put", remote, *steps, *o, std::move(published));
  return kExitOk;
}

int GetTreeSync(Context& ctx, fs::Filesystem& fs, const Args& args, const std::string& remote,
                const std::string& local) {
  auto o = OptionsFrom(args);
  std::string what = "get " + remote;
  fs::ReadAt at = ReadAtFlag(args);
  Tree from, to;
  if (Status s = WalkRemote(fs, remote, "", *o, at, &from); !s.ok()) return ctx.Fail(what, s);
  std::error_code ec;
  if (stdfs::is_directory(local)) {
    std::set<std::pair<dev_t, ino_t>> visiting;
    SyncOptions local_walk = *o;
    local_walk.links = o->links == Links::kFollow ? Links::kKeep : o->links;
    if (Status s = WalkLocal(local, "", local_walk, &visiting, &to); !s.ok()) {
      return ctx.Fail(what, s);
    }
  }
  auto steps = Plan(fs, from, to, /*upload=*/false, *o, at);
  if (!steps.ok()) return ctx.Fail(what, steps.status());
  nlohmann::json fetched = nlohmann::json::array();
  if (o->dry_run) {
    Report(ctx, "get", remote, *steps, *o, fetched);
    return kExitOk;
  }
  auto path_of = [&](const std::string& rel) { return (stdfs::path(local) / rel).string(); };
  for (const auto& s : *steps) {
    if (s.action != Action::kDelete) continue;
    stdfs::remove_all(path_of(s.rel), ec);
    if (ec) return ctx.Fail(what, Status::IOError(path_of(s.rel) + ": " + ec.message()));
  }
  stdfs::create_directories(local, ec);
  if (ec) return ctx.Fail(what, Status::IOError(local + ": " + ec.message()));
  uint64_t total = Count(*steps).bytes, done = 0;
  ProgressLine progress(ctx, what);
  for (const auto& s : *steps) {
    std::string path = path_of(s.rel);
    Status status;
    switch (s.action) {
      case Action::kMkdir:
        stdfs::create_directories(path, ec);
        if (ec) status = Status::IOError(path + ": " + ec.message());
        break;
      case Action::kSymlink:
        stdfs::create_symlink(s.from->target, path, ec);
        if (ec) status = Status::IOError(path + ": " + ec.message());
        break;
      case Action::kUpload:
      case Action::kReplace: {
        int rc = GetFile(ctx, fs, s.from->where, path, at, &fetched);
        if (rc != kExitOk) return rc;
        done += s.from->size;
        progress.Update({done, total, 0, 0});
        if (o->keep_mtime) status = SetLocalMtime(path, s.from->mtime_ns);
        break;
      }
      case Action::kTouch:
        status = SetLocalMtime(path, s.from->mtime_ns);
        break;
      case Action::kSkip:
      case Action::kDelete:
        break;
    }
    if (!status.ok()) return ctx.Fail(what, status);
  }
  Report(ctx, "get", remote, *steps, *o, std::move(fetched));
  return kExitOk;
}

bool HasGlob(std::string_view path) { return path.find_first_of("*?[") != std::string::npos; }

Result<std::vector<std::string>> ExpandGlob(fs::Filesystem& fs, const std::string& pattern,
                                            const fs::ReadAt& at) {
  NOKV_ASSIGN_OR_RETURN(auto parts, meta::SplitPath(pattern));
  std::vector<std::string> current = {"/"};
  for (const auto& part : parts) {
    std::vector<std::string> next;
    for (const auto& dir : current) {
      if (!HasGlob(part)) {
        std::string child = meta::ChildPath(dir, part);
        if (fs.Stat(child, at).ok()) next.push_back(child);
        continue;
      }
      std::string after;
      for (;;) {
        auto page = fs.List(dir, after, 1000, at);
        if (!page.ok()) break;  // not a directory: nothing below it matches
        for (const auto& e : page->entries) {
          if (fnmatch(part.c_str(), e.name.c_str(), FNM_PERIOD) == 0) {
            next.push_back(meta::ChildPath(dir, e.name));
          }
        }
        if (!page->more || page->entries.empty()) break;
        after = page->entries.back().name;
      }
    }
    current = std::move(next);
  }
  if (current.empty()) return Status::NotFound("no path matches " + pattern);
  std::sort(current.begin(), current.end());
  return current;
}

std::string GlobBase(const std::string& pattern) {
  auto parts = meta::SplitPath(pattern);
  std::string base = "/";
  if (!parts.ok()) return base;
  for (const auto& part : *parts) {
    if (HasGlob(part)) break;
    base = meta::ChildPath(base, part);
  }
  return base;
}

}  // namespace nokv::cli
