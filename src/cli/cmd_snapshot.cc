// Snapshot and watch commands.
#include <chrono>
#include <map>
#include <ostream>

#include "cli/commands.h"
#include "meta/path.h"

namespace nokv::cli {
namespace {

nlohmann::json SnapshotJson(const meta::Snapshot& s) {
  nlohmann::json j = {{"name", s.name}, {"root", s.root}, {"seq", s.seq}};
  AddTime(j, "created", s.created_ns);
  if (s.expires_ns != 0) AddTime(j, "expires", s.expires_ns);
  return j;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int Snapshot(Context& ctx, const Args& args) {
  const auto& p = args.positional();
  if (p.empty()) return ctx.Usage("snapshot needs create, ls, rm or renew");
  const std::string& verb = p[0];
  int64_t expires = 0;
  if (auto e = args.Get("--expires")) {
    auto d = ParseDuration(*e);
    if (!d.ok()) return ctx.Usage(d.status().message());
    expires = NowNs() + *d;
  }
  ctx.embedded.read_only = verb == "ls";
  // Retiring a snapshot is what lets gc free its blocks on a full disk.
  ctx.embedded.release_reserve = verb == "rm";
  return WithFs(ctx, "snapshot " + verb, [&](fs::Filesystem& fs) {
    if (verb == "ls") {
      auto list = fs.ListSnapshots();
      if (!list.ok()) return ctx.Fail("snapshot ls", list.status());
      nlohmann::json out = nlohmann::json::array();
      for (const auto& s : *list) {
        if (ctx.json) {
          out.push_back(SnapshotJson(s));
        } else {
          *ctx.out << s.name << "\t" << s.root << "\tseq " << s.seq << "\t"
                   << FormatTime(s.created_ns)
                   << (s.expires_ns ? "\texpires " + FormatTime(s.expires_ns) : "") << "\n";
        }
      }
      if (ctx.json) ctx.PrintJson(out);
      return int{kExitOk};
    }
    if (p.size() != 2) return ctx.Usage("snapshot " + verb + " needs a NAME");
    const std::string& name = p[1];
    Result<meta::Snapshot> result = Status::InvalidArgument("unknown snapshot command " + verb);
    if (verb == "create") {
      result = fs.CreateSnapshot(name, PathArg(args.Get("--root").value_or("/")), expires);
    } else if (verb == "renew") {
      if (!args.Has("--expires")) return ctx.Usage("snapshot renew needs --expires");
      result = fs.RenewSnapshot(name, expires);
    } else if (verb == "rm") {
      Status s = fs.RetireSnapshot(name);
      if (!s.ok()) return ctx.Fail("snapshot rm " + name, s);
      if (ctx.json) ctx.PrintJson({{"retired", name}});
      return int{kExitOk};
    } else {
      return ctx.Usage("unknown snapshot command '" + verb + "'");
    }
    if (!result.ok()) return ctx.Fail("snapshot " + verb + " " + name, result.status());
    if (ctx.json) {
      ctx.PrintJson(SnapshotJson(*result));
    } else if (!ctx.quiet) {
      *ctx.out << "snapshot " << result->name << " of " << result->root << " at seq " << result->seq
               << "\n";
    }
    return int{kExitOk};
  });
}

nlohmann::json EventJson(const meta::Event& e) {
  nlohmann::json j = {{"cursor", e.cursor()},
                      {"seq", e.seq},
                      {"type", meta::EventTypeName(e.type)},
                      {"path", e.path},
                      {"kind", meta::FileTypeName(e.file_type)}};
  AddTime(j, "time", e.time_ns);
  if (!e.old_path.empty()) j["old_path"] = e.old_path;
  if (!e.detail.empty()) j["detail"] = e.detail;
  if (e.inode != 0) j["inode"] = e.inode;
  if (e.count != 1) j["count"] = e.count;
  return j;
}

int Watch(Context& ctx, const Args& args) {
  std::string path = args.positional().empty() ? "/" : PathArg(args.positional()[0]);
  std::string cursor = args.Get("--from").value_or("");
  bool follow = args.Has("-f");
  // Following runs for long: it serves the data directory meanwhile.
  ctx.serve_dir = follow;
  auto with_fs = follow ? WithFs : WithReadOnlyFs;
  return with_fs(ctx, "watch " + path, [&](fs::Filesystem& fs) {
    for (;;) {
      auto page = fs.Watch(path, cursor, 1000,
                           follow ? std::chrono::milliseconds(1000) : std::chrono::milliseconds(0));
      if (!page.ok()) return ctx.Fail("watch " + path, page.status());
      for (const auto& e : page->events) {
        if (ctx.json) {
          ctx.PrintJson(EventJson(e));
        } else {
          *ctx.out << e.cursor() << "\t" << meta::EventTypeName(e.type) << "\t" << e.path;
          if (!e.old_path.empty()) *ctx.out << " <- " << e.old_path;
          if (!e.detail.empty()) *ctx.out << " [" << e.detail << "]";
          if (e.count != 1) *ctx.out << " (" << e.count << " entries)";
          *ctx.out << "\n";
        }
      }
      ctx.out->flush();
      if (!page->next_cursor.empty()) cursor = page->next_cursor;
      if (!follow && page->events.size() < 1000) break;
    }
    if (!ctx.json && !ctx.quiet && !cursor.empty()) *ctx.err << "next cursor: " << cursor << "\n";
    return int{kExitOk};
  });
}

// What changed under a path between two read points.
struct TreeDiff {
  struct Change {
    std::string path;
    std::string what;  // "added", "removed" or "changed"
    uint64_t old_generation = 0, new_generation = 0;
  };
  std::vector<Change> changes;  // depth first, names in order
};

// Every entry of directory `path` at `at`, by name.
Result<std::map<std::string, meta::Attr>> Entries(fs::Filesystem& fs, const std::string& path,
                                                  const fs::ReadAt& at) {
  std::map<std::string, meta::Attr> out;
  std::string after;
  for (;;) {
    NOKV_ASSIGN_OR_RETURN(meta::DirPage page, fs.List(path, after, 1000, at));
    for (size_t i = 0; i < page.entries.size(); ++i) {
      out.emplace(page.entries[i].name, page.attrs[i]);
    }
    if (!page.more || page.entries.empty()) return out;
    after = page.entries.back().name;
  }
}

// Merges the listings of directory `path` before and after, recursing into
// directories both sides have; an added or removed directory is one change.
Status DiffTree(fs::Filesystem& fs, const std::string& path, const fs::ReadAt& before,
                const fs::ReadAt& after, TreeDiff* out) {
  NOKV_ASSIGN_OR_RETURN(auto old_entries, Entries(fs, path, before));
  NOKV_ASSIGN_OR_RETURN(auto new_entries, Entries(fs, path, after));
  std::map<std::string, int> names;  // name -> 1 old, 2 new, 3 both
  for (const auto& [name, attr] : old_entries) names[name] |= 1;
  for (const auto& [name, attr] : new_entries) names[name] |= 2;
  for (const auto& [name, sides] : names) {
    std::string child = path == "/" ? "/" + name : path + "/" + name;
    if (sides == 1) {
      out->changes.push_back({child, "removed", old_entries[name].generation, 0});
      continue;
    }
    if (sides == 2) {
      out->changes.push_back({child, "added", 0, new_entries[name].generation});
      continue;
    }
    const meta::Attr& was = old_entries[name];
    const meta::Attr& now = new_entries[name];
    if (was.type == meta::FileType::kDirectory && now.type == meta::FileType::kDirectory) {
      NOKV_RETURN_IF_ERROR(DiffTree(fs, child, before, after, out));
    } else if (was.type != now.type || was.inode != now.inode || was.generation != now.generation) {
      out->changes.push_back({child, "changed", was.generation, now.generation});
    }
  }
  return Status::Ok();
}

int Diff(Context& ctx, const Args& args) {
  const auto& p = args.positional();
  if (p.empty() || p.size() > 2) return ctx.Usage("diff needs SNAPSHOT [PATH]");
  const std::string& snapshot = p[0];
  return WithReadOnlyFs(ctx, "diff", [&](fs::Filesystem& fs) {
    auto snapshots = fs.ListSnapshots();
    if (!snapshots.ok()) return ctx.Fail("diff", snapshots.status());
    std::string root;
    for (const auto& s : *snapshots) {
      if (s.name == snapshot) root = s.root;
    }
    if (root.empty()) return ctx.Fail("diff", Status::NotFound("no snapshot " + snapshot));
    auto path = meta::NormalizePath(p.size() == 2 ? PathArg(p[1]) : root);
    if (!path.ok()) return ctx.Fail("diff", path.status());
    // The live side at one sequence, so a change made during the walk is
    // either wholly in or wholly out.
    auto pin = fs.metadata()->PinRead({});
    if (!pin.ok()) return ctx.Fail("diff", pin.status());
    TreeDiff diff;
    Status walked = DiffTree(fs, *path, fs::ReadAt{snapshot, 0}, fs::ReadAt{"", pin->id}, &diff);
    fs.metadata()->Unpin(pin->id);
    if (!walked.ok()) return ctx.Fail("diff " + snapshot + " " + *path, walked);
    if (ctx.json) {
      nlohmann::json changes = nlohmann::json::array();
      for (const auto& c : diff.changes) {
        nlohmann::json j{{"path", c.path}, {"change", c.what}};
        if (c.what != "added") j["old_generation"] = c.old_generation;
        if (c.what != "removed") j["new_generation"] = c.new_generation;
        changes.push_back(std::move(j));
      }
      ctx.PrintJson({{"snapshot", snapshot}, {"path", *path}, {"changes", std::move(changes)}});
      return int{kExitOk};
    }
    for (const auto& c : diff.changes) {
      char mark = c.what == "added" ? 'A' : c.what == "removed" ? 'D' : 'M';
      *ctx.out << mark << "\t" << c.path;
      if (mark == 'M') {
        *ctx.out << "\t(generation " << c.old_generation << " -> " << c.new_generation << ")";
      }
      *ctx.out << "\n";
    }
    return int{kExitOk};
  });
}

}  // namespace

Command DiffCommand() {
  return {"diff",
          "what changed under a path since a snapshot",
          {"SNAPSHOT [PATH]"},
          "Compares PATH (default: the snapshot's root) at SNAPSHOT with now and prints\n"
          "one line per change: A (added), D (removed; a directory once, for all it\n"
          "held), M (replaced, with its generations). The live side is read at one\n"
          "sequence.",
          {},
          {},
          Diff};
}

Command SnapshotCommand() {
  return {"snapshot",
          "create, list, retire or renew snapshots",
          {"create NAME [--root PATH] [--expires DURATION]", "ls", "rm NAME",
           "renew NAME --expires DURATION"},
          "DURATION: 30s, 15m, 2h, 7d. Read a snapshot with --snapshot NAME on ls/stat/cat/get.",
          {{"--root", "the subtree to snapshot (default /)", "PATH"},
           {"--expires", "retire it after this long", "DURATION"}},
          {"create", "ls", "rm", "renew"},
          Snapshot};
}

Command WatchCommand() {
  return {"watch",
          "print change events under a path",
          {"[PATH] [--from CURSOR] [--follow]"},
          "Prints events after CURSOR (default: the oldest retained); --follow keeps waiting\n"
          "for new ones. Each line: CURSOR TYPE PATH [<- OLD_PATH].",
          {{"--from", "start after this cursor", "CURSOR"},
           {"-f,--follow", "keep waiting for new events"}},
          {},
          Watch};
}

}  // namespace nokv::cli
