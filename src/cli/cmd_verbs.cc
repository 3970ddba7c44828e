// The agent verbs as commands: `nokv find`, `grep`, `catalog`, `aggregate`
// and `read` run the same engine as the MCP tools. Their flags are made
// from the verb's input schema (schemas/<verb>.input.json): a property
// `max_per_file` is `--max-per-file`; a boolean is a switch; an array is
// repeated values or one JSON array; an object is JSON. By default every
// page is printed for people (next_cursor followed); with --json the
// verb's own result, one page (pass its next_cursor back with --cursor).
#include <map>
#include <ostream>

#include "agent/schemas.h"
#include "cli/commands.h"
#include "query/text_codec.h"
#include "query/verb_error.h"

namespace nokv::cli {
namespace {

using nlohmann::json;

// The input schema of `verb`, from the schemas compiled into the binary.
const json& InputSchema(std::string_view verb) {
  static const std::map<std::string, json, std::less<>> schemas = [] {
    std::map<std::string, json, std::less<>> out;
    for (const auto& file : agent::EmbeddedSchemas()) {
      constexpr std::string_view kSuffix = ".input.json";
      if (!file.name.ends_with(kSuffix)) continue;
      out[std::string(file.name.substr(0, file.name.size() - kSuffix.size()))] =
          json::parse(file.text);
    }
    return out;
  }();
  return schemas.find(verb)->second;  // the five verbs below all have one
}

std::string FlagOf(const std::string& property) {
  std::string flag = "--" + property;
  for (char& c : flag) c = c == '_' ? '-' : c;
  return flag;
}

// The first sentence of a schema description, for --help.
std::string Summary(const json& property) {
  std::string text = property.value("description", "");
  size_t end = text.find(". ");
  return end == std::string::npos ? text : text.substr(0, end + 1);
}

// The properties given as positionals, not flags.
bool Positional(std::string_view verb, const std::string& property) {
  return property == "path" || property == "paths" || (verb == "grep" && property == "pattern");
}

std::vector<Flag> SchemaFlags(std::string_view verb) {
  std::vector<Flag> flags;
  for (const auto& [name, p] : InputSchema(verb)["properties"].items()) {
    if (Positional(verb, name)) continue;
    std::string type = p.value("type", "");
    if (type == "boolean") {
      flags.push_back({FlagOf(name), Summary(p)});
    } else if (type == "integer") {
      flags.push_back({FlagOf(name), Summary(p), "N"});
    } else if (type == "array") {
      flags.push_back({FlagOf(name), Summary(p), "VALUE|JSON", /*repeat=*/true});
    } else if (type == "object") {
      flags.push_back({FlagOf(name), Summary(p), "JSON"});
    } else {
      std::vector<std::string> choices;
      if (p.contains("enum")) choices = p["enum"].get<std::vector<std::string>>();
      flags.push_back({FlagOf(name), Summary(p), "TEXT", false, choices});
    }
  }
  return flags;
}

// A flag value that must be JSON.
Result<json> JsonValue(const std::string& flag, const std::string& text) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return Status::InvalidArgument(flag + ": not valid JSON: " + text);
  return value;
}

// The verb's arguments from the command line.
Result<json> VerbArgs(std::string_view verb, const Args& args) {
  json out = json::object();
  const auto& positional = args.positional();
  size_t next = 0;
  if (verb == "grep") {
    if (positional.empty()) return Status::InvalidArgument("grep needs a PATTERN");
    out["pattern"] = positional[next++];
  }
  std::vector<std::string> paths;
  // Verbs take names with the byte escape, as they print them: given as is.
  for (; next < positional.size(); ++next) paths.push_back(positional[next]);
  if (paths.size() == 1 || (verb != "grep" && !paths.empty())) {
    if (paths.size() > 1) return Status::InvalidArgument(std::string(verb) + " takes one PATH");
    out["path"] = paths.front();
  } else if (paths.size() > 1) {
    out["paths"] = paths;
  } else if (verb != "read") {
    out["path"] = "/";
  }
  for (const auto& [name, p] : InputSchema(verb)["properties"].items()) {
    const std::string flag = FlagOf(name);
    if (Positional(verb, name) || !args.Has(flag)) continue;
    std::string type = p.value("type", "");
    std::string value = args.Get(flag).value_or("");
    if (type == "boolean") {
      out[name] = true;
    } else if (type == "integer") {
      NOKV_ASSIGN_OR_RETURN(uint64_t n, ParseCount(value, flag));
      out[name] = n;
    } else if (type == "object") {
      NOKV_ASSIGN_OR_RETURN(out[name], JsonValue(flag, value));
    } else if (type == "array") {
      std::vector<std::string> all = args.GetAll(flag);
      json list = json::array();
      for (const std::string& item : all) {
        // One JSON array is the whole list; a JSON object is one element
        // (a predicate); anything else is a string element (a field id).
        json parsed = json::parse(item, nullptr, false);
        if (all.size() == 1 && parsed.is_array()) {
          list = parsed;
        } else if (parsed.is_object()) {
          list.push_back(parsed);
        } else {
          list.push_back(item);
        }
      }
      out[name] = list;
    } else {
      out[name] = value;
    }
  }
  if (verb == "read" && !out.contains("path") && !out.contains("evidence")) {
    return Status::InvalidArgument("read needs a PATH or --evidence URI");
  }
  return out;
}

// page[key] when present, else an empty array or object: references, so
// range-for loops need no temporaries.
const json& Member(const json& page, const char* key, bool object = false) {
  static const json kArray = json::array(), kObject = json::object();
  auto it = page.find(key);
  if (it != page.end()) return *it;
  return object ? kObject : kArray;
}

std::string Text(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// obj[key] as text, "" when absent.
std::string Field(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() ? std::string() : Text(*it);
}

// One page for people.
void PrintPage(Context& ctx, std::string_view verb, const json& page) {
  std::ostream& out = *ctx.out;
  if (verb == "find") {
    for (const auto& m : Member(page, "matches")) {
      out << Text(m["path"]);
      for (const auto& [field, value] : Member(m, "values", true).items()) {
        out << "\t" << field << "=" << Text(value);
      }
      out << "\n";
    }
  } else if (verb == "grep") {
    for (const auto& m : Member(page, "matches")) {
      for (const auto& line : Member(m, "before")) {
        out << Text(m["path"]) << "-" << Field(line, "line") << "-" << Field(line, "text") << "\n";
      }
      out << Text(m["path"]) << ":" << Field(m, "line") << ":" << Field(m, "text") << "\n";
      for (const auto& line : Member(m, "after")) {
        out << Text(m["path"]) << "-" << Field(line, "line") << "-" << Field(line, "text") << "\n";
      }
    }
    for (const auto& c : Member(page, "counts")) {
      out << Field(c, "path") << ":" << Field(c, "count") << "\n";
    }
  } else if (verb == "catalog") {
    for (const auto& f : Member(page, "fields")) {
      out << Text(f["id"]) << "\t" << Field(f, "type") << "\t"
          << (f.value("builtin", false) ? std::string("builtin")
                                        : std::to_string(f.value("rows", 0)) + " rows")
          << "\n";
    }
  } else if (verb == "aggregate") {
    const json& names = Member(page, "group_by");
    for (const auto& g : Member(page, "groups")) {
      bool first = true;
      const json& key = Member(g, "key");
      for (size_t i = 0; i < key.size() && i < names.size(); ++i) {
        out << (first ? "" : "\t") << Text(names[i]) << "=" << Text(key[i]);
        first = false;
      }
      for (const auto& [measure, value] : Member(g, "values", true).items()) {
        out << (first ? "" : "\t") << measure << "=" << Text(value);
        first = false;
      }
      out << "\n";
    }
  } else if (page.contains("records")) {  // read, structured
    for (const auto& record : page["records"]) out << query::DumpEscaped(record) << "\n";
  } else if (page.contains("lines")) {  // read, text
    for (const auto& line : page["lines"]) out << Field(line, "text") << "\n";
  } else if (page.contains("data")) {  // read, bytes or an image: the bytes themselves
    std::string data = Text(page["data"]);
    if (page.value("encoding", "") == "base64") {
      out << query::Base64Decode(data).value_or(std::string());
    } else {
      out << data;
    }
  }
}

int RunVerb(Context& ctx, std::string_view verb, const Args& args) {
  auto verb_args = VerbArgs(verb, args);
  if (!verb_args.ok()) return ctx.Usage(std::string(verb_args.status().message()));
  return WithReadOnlyFs(ctx, verb, [&](fs::Filesystem& fs) {
    json call = *verb_args;
    for (;;) {
      json page = fs.CallVerb(verb, call);
      if (page.contains("error")) return ctx.Fail(verb, query::ToStatus(page["error"]));
      if (ctx.json) {
        ctx.PrintJson(page);
        return int{kExitOk};
      }
      PrintPage(ctx, verb, page);
      // Only what the caller did not cap: a --limit is one page, as asked.
      if (!page.contains("next_cursor") || args.Has("--limit")) return int{kExitOk};
      call["cursor"] = page["next_cursor"];
    }
  });
}

Command VerbCommand(std::string name, std::string summary, std::string synopsis,
                    std::string description) {
  std::string verb = name;
  return {std::move(name),
          std::move(summary),
          {std::move(synopsis)},
          std::move(description) +
              "\nFlags are the MCP verb's arguments (docs/mcp.md): an array is repeated\n"
              "values or one JSON array, an object JSON. --json prints the verb's result\n"
              "(one page: pass next_cursor back with --cursor).",
          SchemaFlags(verb),
          {},
          [verb](Context& ctx, const Args& args) { return RunVerb(ctx, verb, args); }};
}

}  // namespace

Command FindCommand() {
  return VerbCommand("find", "find indexed rows by predicates (the MCP find verb)",
                     "[PATH] [--predicates JSON]... [--sort JSON]... [--fields ID]... [--limit N]",
                     "Prints each matching path with the fields asked for, e.g.\n"
                     "  nokv find /runs --predicates '{\"field\":\"run.status\",\"op\":\"eq\","
                     "\"value\":\"failed\"}' --fields run.status");
}

Command GrepCommand() {
  return VerbCommand("grep", "search file lines (the MCP grep verb)",
                     "PATTERN [PATH...] [--regex] [--glob GLOB] [--context N] ...",
                     "Prints PATH:LINE:TEXT per match (context lines with '-'), like grep -n.");
}

Command CatalogCommand() {
  return VerbCommand("catalog", "list the fields find and aggregate can use (the MCP verb)",
                     "[PATH] [--field-prefix P] [--include-facets]",
                     "Prints each field's id, type and how many rows hold it.");
}

Command AggregateCommand() {
  return VerbCommand("aggregate", "count, sum and average per group (the MCP aggregate verb)",
                     "[PATH] --measures JSON... [--group-by ID]... [--predicates JSON]...",
                     "Prints one line per group: its key fields, then its measures, e.g.\n"
                     "  nokv aggregate /runs --group-by run.status --measures "
                     "'{\"op\":\"count\"}'");
}

Command ReadCommand() {
  return VerbCommand("read", "read records, numbered lines or bytes (the MCP read verb)",
                     "PATH | --evidence URI [--format F] [--lines A-B] [--tail N]",
                     "Prints records as JSON lines, text lines, or the bytes themselves.");
}

}  // namespace nokv::cli
