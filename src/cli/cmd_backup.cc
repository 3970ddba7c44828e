// Metadata backups: `nokv backup`, `nokv backup ls`, `nokv restore`.
#include <filesystem>
#include <ostream>

#include "cli/commands.h"
#include "common/env.h"
#include "fs/data_dir.h"
#include "fs/restore.h"

namespace nokv::cli {
namespace {

// "<id>  seq N  <time>  N files  N bytes  image N bytes"
void PrintBackup(Context& ctx, const fs::BackupDescriptor& b) {
  *ctx.out << b.id << "\tseq " << b.seq << "\t" << FormatTime(b.created_ns) << "\t" << b.files
           << " files\t" << b.bytes << " bytes\timage " << b.image_bytes << " bytes\n";
}

// A local directory named on the command line, made absolute (the process
// that holds the data directory may run elsewhere).
std::string AbsoluteDir(std::string_view dir) {
  if (dir.empty()) return "";
  std::error_code ec;
  auto absolute = std::filesystem::absolute(std::string(dir), ec);
  return ec ? std::string(dir) : absolute.lexically_normal().string();
}

int Backup(Context& ctx, const Args& args) {
  const auto& p = args.positional();
  if (!p.empty() && p[0] == "ls") {
    if (p.size() != 1) return ctx.Usage("backup ls takes no arguments");
    std::string from = AbsoluteDir(args.Get("--from").value_or(""));
    return WithFs(ctx, "backup ls", [&](fs::Filesystem& fs) {
      auto backups = fs.metadata()->ListBackups(from);
      if (!backups.ok()) return ctx.Fail("backup ls", backups.status());
      if (ctx.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& b : *backups) out.push_back(fs::DescriptorToJson(b));
        ctx.PrintJson(out);
      } else {
        for (const auto& b : *backups) PrintBackup(ctx, b);
      }
      return int{kExitOk};
    });
  }
  if (!p.empty()) return ctx.Usage("backup takes no arguments but `ls`");
  fs::BackupOptions options;
  options.to = AbsoluteDir(args.Get("--to").value_or(""));
  if (auto keep = args.Get("--keep")) {
    auto n = ParseCount(*keep, "--keep");
    if (!n.ok()) return ctx.Usage(n.status().message());
    options.keep = *n;
  }
  return WithFs(ctx, "backup", [&](fs::Filesystem& fs) {
    auto report = fs.metadata()->Backup(options);
    if (!report.ok()) return ctx.Fail("backup", report.status());
    if (ctx.json) {
      ctx.PrintJson(fs::BackupReportToJson(*report));
    } else if (!ctx.quiet) {
      *ctx.out << "backup ";
      PrintBackup(ctx, report->backup);
      for (const auto& id : report->deleted) *ctx.out << "deleted backup " << id << "\n";
      for (const auto& id : report->released) {
        *ctx.out << "released backup " << id << " (its image is gone)\n";
      }
    }
    return int{kExitOk};
  });
}

// A local store directory to read from: a data directory's objects, or the
// directory itself.
Result<std::unique_ptr<object::ObjectStore>> OpenLocalSource(std::string_view dir) {
  std::string path = AbsoluteDir(dir);
  if (fs::IsDataDir(path)) path = JoinPath(path, "objects");
  if (!std::filesystem::is_directory(path)) {
    return Status::NotFound(path + ": no such directory");
  }
  return fs::OpenBackupDirectory(path);
}

int Restore(Context& ctx, const Args& args) {
  if (!args.positional().empty()) return ctx.Usage("restore takes no arguments");
  if (ctx.origins["data_dir"] == "default") {
    return ctx.Usage("restore needs --data-dir NEW: the data directory to make");
  }
  const std::string& dir = ctx.embedded.data_dir;
  std::string what = "restore " + dir;
  if (Status s = ctx.ResolveSettings(); !s.ok()) return ctx.Fail(what, s);
  std::unique_ptr<object::ObjectStore> from, blocks_from;
  if (auto source = args.Get("--from")) {
    auto opened = OpenLocalSource(*source);
    if (!opened.ok()) return ctx.Fail(what, opened.status());
    from = std::move(opened).value();
  }
  if (auto source = args.Get("--blocks-from")) {
    auto opened = OpenLocalSource(*source);
    if (!opened.ok()) return ctx.Fail(what, opened.status());
    blocks_from = std::move(opened).value();
  }
  fs::RestoreOptions options;
  options.target = ctx.embedded;
  options.from = from.get();
  options.blocks_from = blocks_from.get();
  options.at = args.Get("--at").value_or("");
  auto report = fs::RestoreDataDir(options);
  if (!report.ok()) return ctx.Fail(what, report.status());
  if (ctx.json) {
    ctx.PrintJson({{"data_dir", dir},
                   {"backup", fs::DescriptorToJson(report->backup)},
                   {"blocks_copied", report->blocks_copied},
                   {"blocks_checked", report->blocks_checked}});
  } else if (!ctx.quiet) {
    *ctx.out << "restored " << dir << " from backup ";
    PrintBackup(ctx, report->backup);
    if (report->blocks_copied > 0) *ctx.out << "copied " << report->blocks_copied << " blocks\n";
    *ctx.out << "every file's blocks are in the store (" << report->blocks_checked << " blocks)\n";
  }
  return int{kExitOk};
}

}  // namespace

Command BackupCommand() {
  return {"backup",
          "back the metadata up to the object store",
          {"[--to DIR] [--keep N]", "ls [--from DIR]"},
          "Writes a consistent image of all metadata (taken while writers go on) to\n"
          "the object store under backups/<id>/, or to the local directory --to.\n"
          "GC keeps every block a retained backup names. --keep N deletes all but\n"
          "the newest N images in that place afterwards. Formats:\n"
          "docs/formats/backup.md.",
          {{"--to", "write the image to this local directory instead", "DIR"},
           {"--keep", "keep only the newest N images there", "N"},
           {"--from", "ls: list the backups in this local directory", "DIR"}},
          {"ls"},
          Backup};
}

Command RestoreCommand() {
  return {"restore",
          "make a data directory from a metadata backup",
          {"--data-dir NEW [--from DIR] [--blocks-from DIR] [--at ID|SEQ|TIME]"},
          "Makes the data directory NEW (absent or empty) from a backup: the newest,\n"
          "or the one --at names (an id, the newest at or before a metadata sequence,\n"
          "or at or before a UTC time like 2026-12-07T18:15:00Z). Every image part\n"
          "is checked against its size and SHA-256 first. The store is given as to\n"
          "init (settings flags); backups are read from it, or from the local\n"
          "directory --from (a backup directory or a data directory). A local store\n"
          "gets the blocks copied from --blocks-from (default: --from).",
          {{"--from", "read the backups from this local directory", "DIR"},
           {"--blocks-from", "copy blocks from this local directory", "DIR"},
           {"--at", "which backup: id, sequence or UTC time", "WHICH"}},
          {},
          Restore};
}

}  // namespace nokv::cli
