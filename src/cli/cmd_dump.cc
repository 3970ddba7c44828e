// `nokv dump` and `nokv load`: the namespace as JSON lines and back
// (docs/formats/dump.md). The work is fs/dump.h's; these only open streams,
// translate flags and print a summary.
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "fs/dump.h"

namespace nokv::cli {
namespace {

nlohmann::json CountsJson(const fs::DumpCounts& counts) {
  return {{"entries", counts.entries},
          {"files", counts.files},
          {"bytes", counts.bytes},
          {"rules", counts.rules}};
}

std::string CountsText(const fs::DumpCounts& counts) {
  return std::to_string(counts.entries) + " entries, " + std::to_string(counts.files) + " files (" +
         HumanSize(counts.bytes) + "), " + std::to_string(counts.rules) + " index rules";
}

int Dump(Context& ctx, const Args& args) {
  if (args.positional().size() > 1) return ctx.Usage("dump takes at most one PATH");
  fs::DumpOptions options;
  if (!args.positional().empty()) options.root = PathArg(args.positional()[0]);
  std::string out_path = args.Get("--out").value_or("-");
  return WithReadOnlyFs(ctx, "dump", [&](fs::Filesystem& fs) {
    std::ofstream file;
    std::ostream* out = ctx.out;
    if (out_path != "-") {
      file.open(out_path, std::ios::binary | std::ios::trunc);
      if (!file) return ctx.Fail("dump", Status::IOError("cannot write " + out_path));
      out = &file;
    }
    auto summary = fs::DumpNamespace(fs, options, [&](std::string_view line) {
      out->write(line.data(), static_cast<std::streamsize>(line.size()));
      return *out ? Status::Ok() : Status::IOError("cannot write " + out_path);
    });
    if (summary.ok()) out->flush();
    if (summary.ok() && !*out) summary = Status::IOError("cannot write " + out_path);
    if (!summary.ok()) return ctx.Fail("dump " + options.root, summary.status());
    // With the dump on stdout, the summary goes to stderr.
    std::ostream& report = out_path == "-" ? *ctx.err : *ctx.out;
    if (ctx.json && out_path != "-") {
      nlohmann::json j = CountsJson(summary->counts);
      j["seq"] = summary->seq;
      j["out"] = out_path;
      ctx.PrintJson(j);
    } else if (!ctx.quiet) {
      report << "dumped " << options.root << " at generation " << summary->seq << ": "
             << CountsText(summary->counts) << "\n";
    }
    return int{kExitOk};
  });
}

int Load(Context& ctx, const Args& args) {
  if (args.positional().size() != 1) return ctx.Usage("load takes one FILE (or - for stdin)");
  const std::string& in_path = args.positional()[0];
  fs::LoadOptions options;
  options.into = PathArg(args.Get("--into").value_or("/"));
  options.rule_prefix = args.Get("--rule-prefix").value_or("");
  std::ifstream file;
  std::istream* in = &std::cin;
  if (in_path != "-") {
    file.open(in_path, std::ios::binary);
    if (!file) return ctx.Fail("load", Status::NotFound("cannot read " + in_path));
    in = &file;
  }
  return WithFs(ctx, "load", [&](fs::Filesystem& fs) {
    fs::DumpLoader loader(&fs, options);
    std::string line;
    for (uint64_t number = 1;; ++number) {
      auto more = fs::ReadDumpLine(*in, &line);
      if (!more.ok()) {
        return ctx.Fail("load " + in_path,
                        Status(more.status().code(), "line " + std::to_string(number) + ": " +
                                                         std::string(more.status().message())));
      }
      if (!*more) break;
      Status applied = loader.Line(line);
      if (!applied.ok()) return ctx.Fail("load " + in_path, applied);
    }
    auto counts = loader.Finish();
    if (!counts.ok()) return ctx.Fail("load " + in_path, counts.status());
    if (ctx.json) {
      nlohmann::json j = CountsJson(*counts);
      j["into"] = options.into;
      ctx.PrintJson(j);
    } else if (!ctx.quiet) {
      *ctx.out << "loaded into " << options.into << ": " << CountsText(*counts) << "\n";
    }
    return int{kExitOk};
  });
}

}  // namespace

Command DumpCommand() {
  return {"dump",
          "export the namespace as JSON lines (no bytes: block references)",
          {"[PATH] [--out FILE|-]"},
          "Writes PATH (default /) at one consistent generation as JSON lines\n"
          "(docs/formats/dump.md): a header, the index rules rooted in PATH, one\n"
          "line per entry, parents first, and a trailer with counts. Files are\n"
          "listed by their blocks, not copied. Snapshots are named in the header\n"
          "but not dumped.",
          {{"--out", "where the dump goes (default -: stdout)", "FILE"}},
          {},
          Dump};
}

Command LoadCommand() {
  return {"load",
          "recreate a dump's namespace over blocks already in the object store",
          {"FILE|- [--into PATH] [--rule-prefix P]"},
          "Recreates the dump under PATH (default /). Never overwrites: an existing\n"
          "entry stops the load naming it (an existing PATH directory is used as\n"
          "it is). Every block a file lists must already be in this data\n"
          "directory's object store; a file with a missing block is not published\n"
          "and the load stops naming both. A load is not atomic.",
          {{"--into", "where the dump's root lands", "PATH"},
           {"--rule-prefix", "prepended to the id of every loaded index rule", "P"}},
          {},
          Load};
}

}  // namespace nokv::cli
