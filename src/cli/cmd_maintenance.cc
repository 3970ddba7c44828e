// Maintenance commands: index rules, garbage collection, fsck, doctor.
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>

#include "cli/commands.h"
#include "meta/index_keys.h"
#include "records/rule.h"
#include "server/codec.h"

namespace nokv::cli {
namespace {

// Builds a rule from --rule FILE.json or from --id/--root/--glob/--field flags.
Result<records::IndexRule> RuleFromArgs(const Args& args) {
  nlohmann::json json;
  if (auto file = args.Get("--rule")) {
    std::ifstream in(*file);
    if (!in) return Status::NotFound(*file + ": cannot open");
    std::stringstream text;
    text << in.rdbuf();
    json = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) return Status::InvalidArgument(*file + ": not valid JSON");
  } else {
    for (const char* flag : {"--id", "--root", "--glob"}) {
      if (!args.Has(flag)) return Status::InvalidArgument(std::string("index add needs ") + flag);
    }
    json["id"] = *args.Get("--id");
    json["root"] = *args.Get("--root");
    json["glob"] = *args.Get("--glob");
    if (auto target = args.Get("--target")) json["target"] = *target;
    json["fields"] = args.GetAll("--field");
  }
  return records::RuleFromJson(json);
}

constexpr size_t kProblemExamples = 3;

// The files a rule could not index or indexed with values skipped, with why.
void PrintProblems(Context& ctx, const meta::IndexProblems& problems) {
  auto list = [&](uint64_t n, std::string_view what,
                  const std::vector<meta::IndexProblems::Example>& examples) {
    if (n == 0) return;
    *ctx.out << "  " << n << (n == 1 ? " file " : " files ") << what << "\n";
    for (const auto& e : examples) *ctx.out << "    " << e.path << ": " << e.message << "\n";
    if (n > examples.size()) *ctx.out << "    ... and " << n - examples.size() << " more\n";
  };
  list(problems.not_indexed,
       "not indexed (unreadable, too large or malformed):", problems.not_indexed_examples);
  list(problems.values_skipped, "indexed with values skipped (missing or of the wrong type):",
       problems.values_skipped_examples);
}

// For people after `index add`: the rule's state, for each of its fields how
// many rows under its root hold a value (the catalog verb's count), then the
// files it could not index and those where values were skipped, with why.
void PrintRuleReport(Context& ctx, fs::Filesystem& fs, const records::IndexRule& rule,
                     const meta::IndexProblems& problems) {
  std::string state = "added";
  if (auto records = fs.IndexRules(); records.ok()) {
    for (const auto& record : *records) {
      if (record.rule.id == rule.id) state = std::string(meta::IndexRuleStateName(record.state));
    }
  }
  *ctx.out << "index " << rule.id << ": " << state << " (" << rule.root << ", " << rule.glob
           << ", rows are the "
           << (rule.target == records::IndexRule::Target::kParent ? "parent directories" : "files")
           << ")\n";
  nlohmann::json catalog = fs.CallVerb("catalog", {{"path", rule.root}});
  std::map<std::string, nlohmann::json> by_id;
  if (catalog.contains("fields")) {
    for (const auto& field : catalog["fields"]) by_id[field.value("id", "")] = field;
  }
  auto print = [&](const std::string& id, const nlohmann::json& field) {
    *ctx.out << "  " << id << "\t" << field.value("type", "") << "\t"
             << field.value("rows", uint64_t{0}) << " rows\n";
  };
  for (const auto& spec : rule.fields) {
    bool any = false;
    for (const auto& [id, field] : by_id) {
      // A flattened spec names the prefix of the fields it makes.
      if (spec.flatten ? id.starts_with(spec.id + ".") : id == spec.id) {
        print(id, field);
        any = true;
      }
    }
    if (!any) *ctx.out << "  " << spec.id << "\tno rows yet\n";
  }
  PrintProblems(ctx, problems);
  if (state == "backfilling") *ctx.out << "  (back-filling: counts grow until it is ready)\n";
}

int Index(Context& ctx, const Args& args) {
  const auto& p = args.positional();
  if (p.empty()) return ctx.Usage("index needs add, ls, rm or reindex");
  const std::string& verb = p[0];
  if (verb == "add") {
    auto rule = RuleFromArgs(args);
    if (!rule.ok()) return ctx.Fail("index add", rule.status());
    return WithFs(ctx, "index add", [&](fs::Filesystem& fs) {
      Status s = fs.AddIndexRule(*rule);
      if (!s.ok()) return ctx.Fail("index add " + rule->id, s);
      auto problems = fs.IndexRuleProblems(rule->id, kProblemExamples);
      if (!problems.ok()) return ctx.Fail("index add " + rule->id, problems.status());
      if (ctx.json) {
        nlohmann::json j = records::RuleToJson(*rule);
        j["problems"] = server::ToWire(*problems);
        ctx.PrintJson(j);
      } else {
        PrintRuleReport(ctx, fs, *rule, *problems);
      }
      return int{kExitOk};
    });
  }
  ctx.embedded.read_only = verb == "ls";
  return WithFs(ctx, "index " + verb, [&](fs::Filesystem& fs) {
    if (verb == "ls") {
      auto records = fs.IndexRules();
      if (!records.ok()) return ctx.Fail("index ls", records.status());
      nlohmann::json out = nlohmann::json::array();
      for (const auto& record : *records) {
        const records::IndexRule& rule = record.rule;
        std::string_view state = meta::IndexRuleStateName(record.state);
        auto problems = fs.IndexRuleProblems(rule.id, kProblemExamples);
        if (!problems.ok()) return ctx.Fail("index ls", problems.status());
        if (ctx.json) {
          nlohmann::json item = records::RuleToJson(rule);
          item["state"] = state;
          item["problems"] = server::ToWire(*problems);
          out.push_back(std::move(item));
          continue;
        }
        *ctx.out << rule.id << "\t" << state << "\t" << rule.root << "\t" << rule.glob << "\t"
                 << (rule.target == records::IndexRule::Target::kParent ? "parent" : "file");
        for (const auto& f : rule.fields) *ctx.out << "\t" << records::FieldSpecToString(f);
        *ctx.out << "\n";
        PrintProblems(ctx, *problems);
      }
      if (ctx.json) ctx.PrintJson(out);
      return int{kExitOk};
    }
    if (p.size() != 2) return ctx.Usage("index " + verb + " needs a rule id");
    Status s = verb == "rm"        ? fs.RemoveIndexRule(p[1])
               : verb == "reindex" ? fs.Reindex(p[1])
                                   : Status::InvalidArgument("unknown index command " + verb);
    if (!s.ok()) return ctx.Fail("index " + verb + " " + p[1], s);
    if (ctx.json) ctx.PrintJson({{verb == "rm" ? "removed" : "reindexed", p[1]}});
    return int{kExitOk};
  });
}

// "1h", "90s": a duration the way --orphan-grace takes it.
std::string ShortDuration(int64_t ns) {
  int64_t s = ns / 1'000'000'000;
  if (s != 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s != 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

void PrintGcPlan(Context& ctx, const meta::GcPlan& plan) {
  auto count = [](uint64_t n, std::string_view one, std::string_view many) {
    return std::to_string(n) + " " + std::string(n == 1 ? one : many);
  };
  *ctx.out << "would free " << HumanSize(plan.block_bytes + plan.orphan_bytes) << ": "
           << count(plan.blocks, "unreferenced block", "unreferenced blocks") << " ("
           << HumanSize(plan.block_bytes) << ") and "
           << count(plan.orphans, "orphaned upload", "orphaned uploads") << " ("
           << HumanSize(plan.orphan_bytes) << ")\n";
  if (plan.young_orphans != 0) {
    *ctx.out << "kept: " << count(plan.young_orphans, "unreferenced upload", "unreferenced uploads")
             << " (" << HumanSize(plan.young_orphan_bytes) << ") younger than the "
             << ShortDuration(plan.orphan_grace_ns)
             << " grace period (a writer may still publish them)\n";
  }
  for (const auto& name : plan.snapshots_expiring) {
    *ctx.out << "would retire expired snapshot " << name << "\n";
  }
  for (const auto& pin : plan.pins) {
    if (pin.kind == "readers") {
      if (pin.blocks == 0) continue;
      *ctx.out << "kept by open readers: ";
    } else {
      *ctx.out << "kept by " << pin.kind << " " << pin.name << " (sequence " << pin.seq << "): ";
    }
    *ctx.out << count(pin.blocks, "block", "blocks") << ", " << HumanSize(pin.bytes) << "\n";
  }
  if (plan.events != 0 || plan.dedupe != 0) {
    *ctx.out << "would prune " << count(plan.events, "watch event", "watch events") << " and "
             << count(plan.dedupe, "dedupe record", "dedupe records") << " past retention\n";
  }
}

int Gc(Context& ctx, const Args& args) {
  ctx.embedded.release_reserve = true;  // must work on a full disk
  if (args.Has("--dry-run")) {
    return WithFs(ctx, "gc --dry-run", [&](fs::Filesystem& fs) {
      auto plan = fs.PlanGarbage();
      if (!plan.ok()) return ctx.Fail("gc --dry-run", plan.status());
      if (ctx.json) {
        ctx.PrintJson(server::ToWire(*plan));  // the same object as over RPC
      } else {
        PrintGcPlan(ctx, *plan);
      }
      return int{kExitOk};
    });
  }
  return WithFs(ctx, "gc", [&](fs::Filesystem& fs) {
    auto report = fs.CollectGarbage();
    if (!report.ok()) return ctx.Fail("gc", report.status());
    nlohmann::json j = server::ToWire(*report);  // the same object as over RPC
    if (ctx.json) {
      ctx.PrintJson(j);
    } else {
      for (const auto& [key, value] : j.items()) *ctx.out << key << ": " << value << "\n";
    }
    return int{kExitOk};
  });
}

void PrintFsck(Context& ctx, const meta::FsckReport& r, bool verify) {
  *ctx.out << "checked at sequence " << r.seq << ": " << r.inodes << " inodes, " << r.dentries
           << " entries, " << r.manifests << " manifests, " << r.blocks << " blocks";
  if (verify) *ctx.out << " (" << r.blocks_verified << " read, " << r.bytes_verified << " bytes)";
  *ctx.out << ", " << r.index_rows << " index keys\n";
  for (const auto& f : r.findings) {
    *ctx.out << meta::FsckKindName(f.kind) << " " << f.subject << ": " << f.detail << "\n";
    for (const auto& file : f.files) *ctx.out << "  file: " << file << "\n";
    if (!f.repair.empty()) *ctx.out << "  repair: " << f.repair << "\n";
  }
  auto counts = r.Counts();
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] != 0) {
      *ctx.out << meta::FsckKindName(static_cast<meta::FsckKind>(i)) << ": " << counts[i] << "\n";
    }
  }
}

int Fsck(Context& ctx, const Args& args) {
  meta::FsckOptions options;
  options.repair = args.Has("--repair");
  options.verify = args.Has("--verify");
  if (auto rate = args.Get("--rate")) {
    auto bytes = ParseRate(*rate, "--rate");
    if (!bytes.ok()) return ctx.Usage(std::string(bytes.status().message()));
    options.rate_bytes_per_sec = *bytes;
  }
  return WithFs(ctx, "fsck", [&](fs::Filesystem& fs) {
    auto report = fs.Fsck(options);
    if (!report.ok()) return ctx.Fail("fsck", report.status());
    // Damage found, or with --repair damage left after it: exit 6 (damaged).
    bool clean = options.repair ? report->remaining == 0 : report->findings.empty();
    if (ctx.json) {
      nlohmann::json j = server::ToWire(*report);  // the same object as over RPC
      j["clean"] = clean;
      ctx.PrintJson(j);
    } else {
      PrintFsck(ctx, *report, options.verify);
      if (options.repair && !report->findings.empty()) {
        *ctx.out << report->remaining << " findings remain after the repair\n";
      }
      *ctx.out << (clean ? "clean\n" : "DAMAGE FOUND\n");
    }
    return clean ? int{kExitOk} : int{kExitCorrupt};
  });
}

int Doctor(Context& ctx, const Args& args) {
  fs::DoctorOptions options;
  options.verify = args.Has("--verify");
  return WithFs(ctx, "doctor", [&](fs::Filesystem& fs) {
    auto findings = fs.Doctor(options);
    if (!findings.ok()) return ctx.Fail("doctor", findings.status());
    bool healthy = true;
    for (const auto& line : *findings) {
      healthy &= !line.starts_with("FAILED") && !line.starts_with("MISSING") &&
                 line.find(": FAILED") == std::string::npos;
    }
    if (ctx.json) {
      ctx.PrintJson({{"healthy", healthy}, {"findings", *findings}});
    } else {
      for (const auto& line : *findings) *ctx.out << line << "\n";
      *ctx.out << (healthy ? "healthy\n" : "PROBLEMS FOUND\n");
    }
    return healthy ? int{kExitOk} : int{kExitError};
  });
}

}  // namespace

Command IndexCommand() {
  return {"index",
          "manage index rules (the catalog behind find)",
          {"add --id ID --root PATH --glob GLOB [--target file|parent] --field SPEC...",
           "add --rule RULE.json", "ls", "rm ID", "reindex ID"},
          "SPEC examples (docs/index-rules.md):\n"
          "  run.status=$.status   run.epochs:number=$.epochs   param.*=flatten($)\n"
          "  metric.val_loss.min:number=min($.value where $.name == \"val_loss\")",
          {{"--id", "the rule's id", "ID"},
           {"--root", "the subtree the rule indexes", "PATH"},
           {"--glob", "which files under the root", "GLOB"},
           {"--target", "whose row the fields fill", "WHICH", false, {"file", "parent"}},
           {"--field", "a field to extract (repeatable)", "SPEC", true},
           {"--rule", "the whole rule as a JSON file", "FILE"}},
          {"add", "ls", "rm", "reindex"},
          Index};
}

Command GcCommand() {
  return {"gc",
          "collect unreferenced blocks and old history",
          {"[--dry-run]"},
          "Retires expired snapshots, deletes blocks no file, snapshot, backup or open\n"
          "reader can reach and uploads no publish referenced once older than the\n"
          "grace period (--orphan-grace), and prunes watch events and dedupe records\n"
          "past retention. Runs in the server when one holds the data directory.\n"
          "--dry-run changes nothing and says what a run would free, and how many\n"
          "blocks and bytes each snapshot and backup keeps.",
          {{"--dry-run", "say what would be collected and what keeps the rest; change nothing"}},
          {},
          Gc};
}

Command FsckCommand() {
  return {"fsck",
          "check the metadata and its blocks for damage, and repair it",
          {"[--repair] [--verify [--rate BYTES/s]]"},
          "Checks at one point in time that every entry names a live inode and back,\n"
          "link and child counts and the totals match what is counted, every file's\n"
          "blocks are in the object store with the right size, reference counts match\n"
          "the manifests, no block is left unreferenced past the grace period, index\n"
          "rows match a rebuild, and watch, snapshot and rule records decode\n"
          "(docs/fsck.md). --verify also reads every block and checks its SHA-256 and\n"
          "chunk checksums (the scrub), naming the files of a bad block. --repair fixes\n"
          "what can be fixed without losing data and says what it did. Runs in the\n"
          "server when one holds the data directory. Exits 6 when it finds damage\n"
          "(with --repair: when damage remains), 0 when clean.",
          {{"--repair", "fix what can be fixed without losing data"},
           {"--verify", "read every block and check its digest and checksums"},
           {"--rate", "with --verify: read at most this many bytes per second", "BYTES/s"}},
          {},
          Fsck};
}

Command DoctorCommand() {
  return {"doctor",
          "check the data directory and the object store",
          {"[--verify]"},
          "Checks the metadata, the object store and that every block of every file\n"
          "is present. --verify also reads every block and checks it against its\n"
          "SHA-256 and chunk checksums, and every body against its digest.\n"
          "The quick, client-side form of fsck (which checks everything else too).\n"
          "Exits 1 when it finds a problem.",
          {{"--verify", "read every block and check its digest and checksums"}},
          {},
          Doctor};
}

}  // namespace nokv::cli
