// Namespace commands: init, ls, stat, mkdir, rm, mv, ln, du.
#include <iomanip>
#include <ostream>

#include "cli/commands.h"
#include "cli/sync.h"
#include "meta/path.h"
#include "query/text_codec.h"

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

// One entry of `ls --json`: the MCP ls entry's fields plus its full path.
nlohmann::json EntryJson(const std::string& path, const std::string& name, const meta::Attr& a) {
  nlohmann::json j = {{"path", path},
                      {"name", name},
                      {"kind", meta::FileTypeName(a.type)},
                      {"size_bytes", a.size},
                      {"generation", a.generation}};
  AddTime(j, "mtime", a.mtime_ns);
  if (a.type == meta::FileType::kDirectory) j["entry_count"] = a.child_count;
  if (a.type == meta::FileType::kSymlink) j["target"] = a.symlink_target;
  return j;
}

// One line of `ls -l`: mode, size, mtime, name; a directory's entry count
// stands where a file's link count would.
void PrintLong(Context& ctx, const Args& args, const std::string& name, const meta::Attr& a) {
  std::string size = args.Has("-h") ? HumanSize(a.size) : std::to_string(a.size);
  std::string count = a.type == meta::FileType::kDirectory ? std::to_string(a.child_count)
                                                           : std::to_string(a.nlink);
  *ctx.out << ModeString(a) << " " << std::setw(5) << count << " " << std::setw(10) << size << "  "
           << FormatTime(a.mtime_ns) << "  " << name;
  if (a.type == meta::FileType::kSymlink) *ctx.out << " -> " << a.symlink_target;
  *ctx.out << "\n";
}

// Lists one directory page by page, printing each page as it arrives, so
// memory follows the page and not the directory; recurses with -R (text:
// after the directory, keeping only its subdirectories' names). With
// `json_out`, each entry (deeper ones too) is appended to it instead.
int ListDir(Context& ctx, fs::Filesystem& fs, const std::string& path, const Args& args,
            nlohmann::json* json_out) {
  const bool text_recursive = json_out == nullptr && args.Has("-R");
  if (text_recursive) *ctx.out << path << ":\n";
  std::vector<std::string> subdirs;
  std::string after;
  for (;;) {
    auto page = fs.List(path, after, 1000, At(args));
    if (!page.ok()) return ctx.Fail("ls " + path, page.status());
    for (size_t i = 0; i < page->entries.size(); ++i) {
      const meta::DirEntry& e = page->entries[i];
      const meta::Attr& a = page->attrs[i];
      const bool dir = a.type == meta::FileType::kDirectory;
      std::string child = meta::ChildPath(path, e.name);
      if (json_out != nullptr) {
        json_out->push_back(EntryJson(child, e.name, a));
      } else if (args.Has("-l")) {
        PrintLong(ctx, args, e.name + (dir ? "/" : ""), a);
      } else {
        *ctx.out << e.name << (dir ? "/" : "") << "\n";
      }
      if (!dir || !args.Has("-R")) continue;
      if (text_recursive) {
        subdirs.push_back(e.name);
      } else if (int rc = ListDir(ctx, fs, child, args, json_out); rc != kExitOk) {
        return rc;  // -R in JSON: depth first, so every entry follows its directory
      }
    }
    if (!page->more || page->entries.empty()) break;
    after = page->entries.back().name;
  }
  for (const std::string& name : subdirs) {
    *ctx.out << "\n";
    if (int rc = ListDir(ctx, fs, meta::ChildPath(path, name), args, json_out); rc != kExitOk) {
      return rc;
    }
  }
  return kExitOk;
}

int Ls(Context& ctx, const Args& args) {
  if (args.positional().size() > 1) return ctx.Usage("ls takes one path");
  std::string path = args.positional().empty() ? "/" : PathArg(args.positional()[0]);
  return WithReadOnlyFs(ctx, "ls " + path, [&](fs::Filesystem& fs) {
    if (HasGlob(path)) {  // the matching paths themselves, as ls FILE lists a file
      auto matches = ExpandGlob(fs, path, At(args));
      if (!matches.ok()) return ctx.Fail("ls " + path, matches.status());
      nlohmann::json doc = {{"path", path}, {"entries", nlohmann::json::array()}};
      for (const auto& match : *matches) {
        auto attr = fs.Stat(match, At(args));
        if (!attr.ok()) return ctx.Fail("ls " + match, attr.status());
        auto parts = meta::SplitPath(match);
        if (ctx.json) {
          doc["entries"].push_back(EntryJson(match, parts.ok() ? parts->back() : match, *attr));
        } else if (args.Has("-l")) {
          PrintLong(ctx, args, match, *attr);
        } else {
          *ctx.out << match << (attr->type == meta::FileType::kDirectory ? "/" : "") << "\n";
        }
      }
      if (ctx.json) ctx.PrintJson(doc);
      return int{kExitOk};
    }
    auto attr = fs.Stat(path, At(args));
    if (!attr.ok()) return ctx.Fail("ls " + path, attr.status());
    std::string normalized = *meta::NormalizePath(path);
    if (attr->type == meta::FileType::kSymlink && !args.Has("-l")) {  // ls LINK lists its target
      auto followed = fs.FollowLinks(normalized, At(args));
      if (!followed.ok()) return ctx.Fail("ls " + path, followed.status());
      attr = fs.Stat(*followed, At(args));
      if (!attr.ok()) return ctx.Fail("ls " + path, attr.status());
      if (attr->type == meta::FileType::kDirectory) normalized = *followed;
    }
    nlohmann::json doc = {{"path", normalized}, {"entries", nlohmann::json::array()}};
    if (attr->type != meta::FileType::kDirectory) {  // ls FILE lists the file itself
      auto parts = meta::SplitPath(normalized);
      std::string name = parts.ok() && !parts->empty() ? parts->back() : normalized;
      if (ctx.json) {
        doc["entries"].push_back(EntryJson(normalized, name, *attr));
        ctx.PrintJson(doc);
      } else if (args.Has("-l")) {
        PrintLong(ctx, args, normalized, *attr);
      } else {
        *ctx.out << normalized << "\n";
      }
      return int{kExitOk};
    }
    doc["entry_count"] = attr->child_count;
    int rc = ListDir(ctx, fs, normalized, args, ctx.json ? &doc["entries"] : nullptr);
    if (rc == kExitOk && ctx.json) ctx.PrintJson(doc);
    return rc;
  });
}

// What MCP's stat adds for a file: its body (digest, content type,
// producer), its records (type, count, field names), the values its index
// rows hold and its evidence URI, under the verb's own field names.
constexpr const char* kStatExtras[] = {"body",        "record_type",    "record_count", "schema",
                                       "parse_error", "indexed_values", "evidence"};

void AddVerbStat(fs::Filesystem& fs, const Args& args, const std::string& path, nlohmann::json* j) {
  nlohmann::json call{{"path", query::EscapeBytes(path)}};
  if (auto snapshot = args.Get("--snapshot")) call["snapshot"] = *snapshot;
  nlohmann::json card = fs.CallVerb("stat", call);
  for (const char* key : kStatExtras) {
    if (card.contains(key)) (*j)[key] = card[key];
  }
}

// The lines `nokv stat` prints for what AddVerbStat added.
void PrintVerbStat(Context& ctx, const nlohmann::json& j) {
  auto text = [](const nlohmann::json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
  };
  if (j.contains("body")) {
    const auto& body = j["body"];
    *ctx.out << "digest:     " << text(body.value("digest", nlohmann::json(""))) << "\n"
             << "type:       " << text(body.value("content_type", nlohmann::json(""))) << "\n";
    if (body.contains("producer")) *ctx.out << "producer:   " << text(body["producer"]) << "\n";
  }
  if (j.contains("record_type")) {
    *ctx.out << "records:    " << text(j["record_type"]);
    if (j.contains("record_count")) *ctx.out << ", " << text(j["record_count"]);
    if (j.contains("schema") && j["schema"].is_array() && !j["schema"].empty()) {
      *ctx.out << " (fields:";
      for (const auto& field : j["schema"]) *ctx.out << " " << text(field);
      *ctx.out << ")";
    }
    *ctx.out << "\n";
  }
  if (j.contains("parse_error")) *ctx.out << "parse:      " << text(j["parse_error"]) << "\n";
  if (j.contains("indexed_values") && j["indexed_values"].contains("values")) {
    *ctx.out << "indexed:   ";
    for (const auto& [field, value] : j["indexed_values"]["values"].items()) {
      *ctx.out << " " << field << "=" << text(value);
    }
    *ctx.out << "\n";
  }
  if (j.contains("evidence")) *ctx.out << "evidence:   " << text(j["evidence"]) << "\n";
}

// Prints one JSON document for `docs` (one per path argument): the object
// itself for one path, an array for several.
void PrintPerPath(Context& ctx, nlohmann::json docs) {
  ctx.PrintJson(docs.size() == 1 ? docs[0] : docs);
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
          Ls};
}

Command StatCommand() {
  return {"stat",
          "show a file's or directory's attributes",
          {"[--snapshot NAME] PATH..."},
          "",
          {{"-L,--dereference", "follow a final symbolic link"},
           {"--snapshot", "read at this snapshot", "NAME"}},
          {},
          [](Context& ctx, const Args& args) -> int {
            if (args.positional().empty()) return ctx.Usage("stat needs a path");
            return WithReadOnlyFs(ctx, "stat", [&](fs::Filesystem& fs) {
              nlohmann::json docs = nlohmann::json::array();
              for (auto path : args.PathPositionals()) {
                if (args.Has("-L")) {
                  auto followed = fs.FollowLinks(path, At(args));
                  if (!followed.ok()) return ctx.Fail("stat " + path, followed.status());
                  path = *followed;
                }
                auto attr = fs.Stat(path, At(args));
                if (!attr.ok()) return ctx.Fail("stat " + path, attr.status());
                nlohmann::json j = AttrJson(*attr, meta::NormalizePath(path).value_or(path));
                if (attr->type == meta::FileType::kFile) AddVerbStat(fs, args, j["path"], &j);
                if (ctx.json) {
                  docs.push_back(std::move(j));
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
                PrintVerbStat(ctx, j);
              }
              if (ctx.json) PrintPerPath(ctx, std::move(docs));
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
              nlohmann::json docs = nlohmann::json::array();
              for (const auto& path : args.PathPositionals()) {
                auto made = fs.Mkdir(path, args.Has("-p"));
                if (!made.ok()) return ctx.Fail("mkdir " + path, made.status());
                docs.push_back(AttrJson(*made, *meta::NormalizePath(path)));
              }
              if (ctx.json) PrintPerPath(ctx, std::move(docs));
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
              nlohmann::json removed = nlohmann::json::array();
              std::vector<std::string> paths;
              for (const auto& arg : args.PathPositionals()) {
                if (!HasGlob(arg)) {
                  paths.push_back(arg);
                  continue;
                }
                auto matches = ExpandGlob(fs, arg, {});
                if (!matches.ok() && args.Has("-f")) continue;
                if (!matches.ok()) return ctx.Fail("rm " + arg, matches.status());
                paths.insert(paths.end(), matches->begin(), matches->end());
              }
              for (const auto& path : paths) {
                Status s = fs.Remove(path, args.Has("-r"));
                if (s.code() == Code::kNotFound && args.Has("-f")) continue;
                if (!s.ok()) return ctx.Fail("rm " + path, s);
                removed.push_back(meta::NormalizePath(path).value_or(path));
              }
              if (ctx.json) ctx.PrintJson({{"removed", removed}});
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
              if (!s.ok()) return ctx.Fail("mv " + p[0] + " " + dst, s);
              if (ctx.json) {
                ctx.PrintJson({{"from", meta::NormalizePath(p[0]).value_or(p[0])},
                               {"to", meta::NormalizePath(dst).value_or(dst)},
                               {"exchanged", mode == meta::RenameMode::kExchange}});
              }
              return int{kExitOk};
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
              if (!made.ok()) return ctx.Fail("ln " + p[1], made.status());
              if (ctx.json)
                ctx.PrintJson(AttrJson(*made, meta::NormalizePath(p[1]).value_or(p[1])));
              return int{kExitOk};
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
                ctx.PrintJson({{"path", meta::NormalizePath(root).value_or(root)},
                               {"size_bytes", bytes},
                               {"files", files},
                               {"directories", dirs}});
              } else {
                *ctx.out << (args.Has("-h") ? HumanSize(bytes) : std::to_string(bytes)) << "\t"
                         << files << " files\t" << dirs << " directories\t" << root << "\n";
              }
              return int{kExitOk};
            });
          }};
}

}  // namespace nokv::cli
