// Namespace commands: init, ls, stat, mkdir, rm, mv, ln, du.
#include <iomanip>
#include <ostream>

#include "cli/commands.h"
#include "meta/path.h"

namespace nokv::cli {
namespace {

fs::ReadAt At(const Args& args) { return ReadAtFlag(args); }

std::string ModeString(const meta::Attr& a) {
  std::string s = a.type == meta::FileType::kDirectory ? "d"
                  : a.type == meta::FileType::kSymlink ? "l"
                                                       : "-";
  const char* bits = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) s.push_back((a.mode >> (8 - i)) & 1 ? bits[i] : '-');
  return s;
}

nlohmann::json EntryJson(const meta::DirEntry& e, const meta::Attr& a) {
  nlohmann::json j = {{"name", e.name},
                      {"kind", meta::FileTypeName(a.type)},
                      {"size_bytes", a.size},
                      {"mtime_ns", a.mtime_ns},
                      {"generation", a.generation}};
  if (a.type == meta::FileType::kDirectory) j["entry_count"] = a.child_count;
  if (a.type == meta::FileType::kSymlink) j["target"] = a.symlink_target;
  return j;
}

// Lists one directory (all pages); recurses with -R.
int ListDir(Context& ctx, fs::Filesystem& fs, const std::string& path, const Args& args,
            nlohmann::json* json_out) {
  bool long_format = args.Has("-l");
  std::string after;
  std::vector<std::pair<meta::DirEntry, meta::Attr>> entries;
  for (;;) {
    auto page = fs.List(path, after, 1000, At(args));
    if (!page.ok()) return ctx.Fail("ls " + path, page.status());
    for (size_t i = 0; i < page->entries.size(); ++i) {
      entries.emplace_back(page->entries[i], page->attrs[i]);
    }
    if (!page->more || page->entries.empty()) break;
    after = page->entries.back().name;
  }
  if (json_out != nullptr) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [e, a] : entries) list.push_back(EntryJson(e, a));
    json_out->push_back({{"path", path}, {"entries", list}});
  } else {
    if (args.Has("-R")) *ctx.out << path << ":\n";
    for (const auto& [e, a] : entries) {
      std::string name = e.name + (a.type == meta::FileType::kDirectory ? "/" : "");
      if (long_format) {
        std::string size = args.Has("-h") ? HumanSize(a.size) : std::to_string(a.size);
        *ctx.out << ModeString(a) << " " << std::setw(10) << size << "  " << FormatTime(a.mtime_ns)
                 << "  " << name;
        if (a.type == meta::FileType::kSymlink) *ctx.out << " -> " << a.symlink_target;
        *ctx.out << "\n";
      } else {
        *ctx.out << name << "\n";
      }
    }
  }
  if (args.Has("-R")) {
    for (const auto& [e, a] : entries) {
      if (a.type != meta::FileType::kDirectory) continue;
      if (json_out == nullptr) *ctx.out << "\n";
      int rc = ListDir(ctx, fs, meta::ChildPath(path, e.name), args, json_out);
      if (rc != kExitOk) return rc;
    }
  }
  return kExitOk;
}

}  // namespace

Command LsCommand() {
  return {"ls",
          "list a directory",
          {"[-lhR] [--snapshot NAME] [PATH]"},
          "",
          {{"-l", "long format: mode, size, mtime, name"},
           {"-h,--human", "with -l: sizes as 1.5 MiB"},
           {"-R,--recursive", "recurse into subdirectories"},
           {"--snapshot", "read at this snapshot", "NAME"}},
          {},
          [](Context& ctx, const Args& args) -> int {
            if (args.positional().size() > 1) return ctx.Usage("ls takes one path");
            std::string path = args.positional().empty() ? "/" : PathArg(args.positional()[0]);
            return WithReadOnlyFs(ctx, "ls " + path, [&](fs::Filesystem& fs) {
              auto attr = fs.Stat(path, At(args));
              if (!attr.ok()) return ctx.Fail("ls " + path, attr.status());
              auto normalized = meta::NormalizePath(path);
              nlohmann::json listing = nlohmann::json::array();
              if (attr->type != meta::FileType::kDirectory) {
                if (ctx.json) {
                  ctx.PrintJson(AttrJson(*attr, *normalized));
                } else {
                  *ctx.out << *normalized << "\n";
                }
                return int{kExitOk};
              }
              int rc = ListDir(ctx, fs, *normalized, args, ctx.json ? &listing : nullptr);
              if (rc == kExitOk && ctx.json) {
                ctx.PrintJson(args.Has("-R") ? listing : listing[0]);
              }
              return rc;
            });
          }};
}

Command StatCommand() {
  return {"stat",
          "show a file's or directory's attributes",
          {"[--snapshot NAME] PATH..."},
          "",
          {{"--snapshot", "read at this snapshot", "NAME"}},
          {},
          [](Context& ctx, const Args& args) -> int {
            if (args.positional().empty()) return ctx.Usage("stat needs a path");
            return WithReadOnlyFs(ctx, "stat", [&](fs::Filesystem& fs) {
              for (const auto& path : args.PathPositionals()) {
                auto attr = fs.Stat(path, At(args));
                if (!attr.ok()) return ctx.Fail("stat " + path, attr.status());
                nlohmann::json j = AttrJson(*attr, meta::NormalizePath(path).value_or(path));
                if (ctx.json) {
                  ctx.PrintJson(j);
                  continue;
                }
                *ctx.out << "path:       " << j["path"].get<std::string>() << "\n"
                         << "kind:       " << meta::FileTypeName(attr->type) << "\n"
                         << "size:       " << attr->size << " (" << HumanSize(attr->size) << ")\n"
                         << "mode:       " << ModeString(*attr) << "\n"
                         << "inode:      " << attr->inode << "\n"
                         << "generation: " << attr->generation << "\n"
                         << "mtime:      " << FormatTime(attr->mtime_ns) << " UTC\n";
                if (attr->type == meta::FileType::kDirectory) {
                  *ctx.out << "entries:    " << attr->child_count << "\n";
                }
                if (attr->type == meta::FileType::kSymlink) {
                  *ctx.out << "target:     " << attr->symlink_target << "\n";
                }
              }
              return int{kExitOk};
            });
          }};
}

Command MkdirCommand() {
  return {"mkdir",
          "make directories",
          {"[-p] PATH..."},
          "",
          {{"-p,--parents", "make parents; no error if it exists"}},
          {},
          [](Context& ctx, const Args& args) -> int {
            if (args.positional().empty()) return ctx.Usage("mkdir needs a path");
            return WithFs(ctx, "mkdir", [&](fs::Filesystem& fs) {
              for (const auto& path : args.PathPositionals()) {
                auto made = fs.Mkdir(path, args.Has("-p"));
                if (!made.ok()) return ctx.Fail("mkdir " + path, made.status());
                if (ctx.json) ctx.PrintJson(AttrJson(*made, *meta::NormalizePath(path)));
              }
              return int{kExitOk};
            });
          }};
}

Command RmCommand() {
  return {"rm",
          "remove files and directories",
          {"[-rf] PATH..."},
          "",
          {{"-r,--recursive", "remove directories and their contents"},
           {"-f,--force", "no error for a path that does not exist"}},
          {},
          [](Context& ctx, const Args& args) -> int {
            if (args.positional().empty()) return ctx.Usage("rm needs a path");
            ctx.embedded.release_reserve = true;  // must work on a full disk
            return WithFs(ctx, "rm", [&](fs::Filesystem& fs) {
              for (const auto& path : args.PathPositionals()) {
                Status s = fs.Remove(path, args.Has("-r"));
                if (s.code() == Code::kNotFound && args.Has("-f")) continue;
                if (!s.ok()) return ctx.Fail("rm " + path, s);
              }
              return int{kExitOk};
            });
          }};
}

Command MvCommand() {
  return {"mv",
          "rename or move",
          {"[--no-replace | --exchange] SRC DST"},
          "Into an existing directory DST, the source keeps its name.",
          {{"--no-replace", "fail if DST exists"}, {"--exchange", "swap SRC and DST atomically"}},
          {},
          [](Context& ctx, const Args& args) -> int {
            if (args.positional().size() != 2) return ctx.Usage("mv needs SRC and DST");
            auto mode = args.Has("--exchange")     ? meta::RenameMode::kExchange
                        : args.Has("--no-replace") ? meta::RenameMode::kNoReplace
                                                   : meta::RenameMode::kReplace;
            const auto p = args.PathPositionals();
            return WithFs(ctx, "mv", [&](fs::Filesystem& fs) {
              // Moving into an existing directory keeps the source's name.
              std::string dst = p[1];
              if (auto to = fs.Stat(dst); to.ok() && to->type == meta::FileType::kDirectory &&
                                          mode != meta::RenameMode::kExchange) {
                auto parts = meta::SplitPath(p[0]);
                if (parts.ok() && !parts->empty()) dst = meta::ChildPath(dst, parts->back());
              }
              Status s = fs.Rename(p[0], dst, mode);
              return s.ok() ? int{kExitOk} : ctx.Fail("mv " + p[0] + " " + dst, s);
            });
          }};
}

Command LnCommand() {
  return {"ln",
          "make hard or symbolic links",
          {"[-s] TARGET LINK"},
          "",
          {{"-s,--symbolic", "make a symbolic link"}},
          {},
          [](Context& ctx, const Args& args) -> int {
            if (args.positional().size() != 2) return ctx.Usage("ln needs TARGET and LINK");
            const auto p = args.PathPositionals();
            return WithFs(ctx, "ln", [&](fs::Filesystem& fs) {
              auto made = args.Has("-s") ? fs.Symlink(p[1], p[0]) : fs.Link(p[0], p[1]);
              return made.ok() ? int{kExitOk} : ctx.Fail("ln " + p[1], made.status());
            });
          }};
}

Command DuCommand() {
  return {"du",
          "total size of a tree",
          {"[-h] [--snapshot NAME] [PATH]"},
          "Prints BYTES FILES DIRECTORIES PATH, tab-separated; -h prints sizes as 1.5 GiB.",
          {{"-h,--human", "sizes as 1.5 GiB"}, {"--snapshot", "read at this snapshot", "NAME"}},
          {},
          [](Context& ctx, const Args& args) -> int {
            std::string root = args.positional().empty() ? "/" : PathArg(args.positional()[0]);
            return WithReadOnlyFs(ctx, "du " + root, [&](fs::Filesystem& fs) {
              uint64_t bytes = 0, files = 0, dirs = 0;
              std::vector<std::string> stack = {root};
              while (!stack.empty()) {
                std::string dir = stack.back();
                stack.pop_back();
                auto attr = fs.Stat(dir, At(args));
                if (!attr.ok()) return ctx.Fail("du " + dir, attr.status());
                if (attr->type != meta::FileType::kDirectory) {
                  bytes += attr->size;
                  files++;
                  continue;
                }
                dirs++;
                std::string after;
                for (;;) {
                  auto page = fs.List(dir, after, 1000, At(args));
                  if (!page.ok()) return ctx.Fail("du " + dir, page.status());
                  for (size_t i = 0; i < page->entries.size(); ++i) {
                    const auto& a = page->attrs[i];
                    if (a.type == meta::FileType::kDirectory) {
                      stack.push_back(meta::ChildPath(dir, page->entries[i].name));
                    } else {
                      bytes += a.size;
                      files++;
                    }
                  }
                  if (!page->more || page->entries.empty()) break;
                  after = page->entries.back().name;
                }
              }
              if (ctx.json) {
                ctx.PrintJson(
                    {{"path", root}, {"bytes", bytes}, {"files", files}, {"directories", dirs}});
              } else {
                *ctx.out << (args.Has("-h") ? HumanSize(bytes) : std::to_string(bytes)) << "\t"
                         << files << " files\t" << dirs << " directories\t" << root << "\n";
              }
              return int{kExitOk};
            });
          }};
}

}  // namespace nokv::cli
