// `nokv completion bash|zsh|fish` and `nokv man`: shell completions and the
// man page, generated from the same declarations the parser is made from
// (Commands() and GlobalFlags()), so none of them can drift from the parser.
#include <ostream>
#include <sstream>

#include "cli/commands.h"

namespace nokv::cli {
namespace {

// The names of a flag: "-r,--recursive" -> {"-r", "--recursive"}.
std::vector<std::string> NamesOf(const Flag& flag) {
  std::vector<std::string> names;
  std::istringstream in(flag.names);
  for (std::string name; std::getline(in, name, ',');) names.push_back(name);
  return names;
}

std::string Join(const std::vector<std::string>& words, std::string_view sep = " ") {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : std::string(sep)) + w;
  return out;
}

// Every name of every flag in `flags`, space-separated.
std::string AllNames(const std::vector<Flag>& flags) {
  std::vector<std::string> names;
  for (const Flag& f : flags) {
    for (auto& n : NamesOf(f)) names.push_back(n);
  }
  return Join(names);
}

// Flags whose value is a local path (completed as files).
bool TakesLocalPath(const Flag& flag) {
  return flag.value == "DIR" || flag.value == "FILE" || flag.value == "RULE.json";
}

// A case arm for the flags in `flags` that take a value: "--a|--b) ...;;".
void BashValueArms(std::ostream& out, const std::vector<Flag>& flags) {
  for (const Flag& f : flags) {
    if (f.value.empty()) continue;
    out << "    " << Join(NamesOf(f), "|") << ")\n";
    if (!f.choices.empty()) {
      out << "      COMPREPLY=($(compgen -W \"" << Join(f.choices)
          << "\" -- \"$cur\")); return;;\n";
    } else if (TakesLocalPath(f)) {
      out << "      COMPREPLY=($(compgen -f -- \"$cur\")); return;;\n";
    } else {
      out << "      COMPREPLY=(); return;;\n";
    }
  }
}

void Bash(std::ostream& out) {
  std::vector<std::string> names;
  for (const auto& c : Commands()) names.push_back(c.name);
  std::vector<std::string> global_values;
  for (const Flag& f : GlobalFlags()) {
    if (!f.value.empty()) global_values.push_back(Join(NamesOf(f), "|"));
  }
  out << "# bash completion for nokv (made by `nokv completion bash`).\n"
         "# Load it with: source <(nokv completion bash)\n"
         "_nokv() {\n"
         "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
         "  local i cmd=\"\" cmd_at=0 w\n"
         "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "    w=\"${COMP_WORDS[i]}\"\n"
         "    case \"$w\" in\n"
         "      "
      << Join(global_values, "|")
      << ") ((i++));;\n"
         "      -*) ;;\n"
         "      *) cmd=\"$w\"; cmd_at=$i; break;;\n"
         "    esac\n"
         "  done\n"
         "  case \"$prev\" in\n";
  BashValueArms(out, GlobalFlags());
  out << "  esac\n"
         "  local globals=\""
      << AllNames(GlobalFlags())
      << " --help\"\n"
         "  if [[ -z \"$cmd\" ]]; then\n"
         "    if [[ \"$cur\" == -* ]]; then\n"
         "      COMPREPLY=($(compgen -W \"$globals\" -- \"$cur\"))\n"
         "    else\n"
         "      COMPREPLY=($(compgen -W \""
      << Join(names)
      << "\" -- \"$cur\"))\n"
         "    fi\n"
         "    return\n"
         "  fi\n"
         "  local flags=\"\" verbs=\"\"\n"
         "  case \"$cmd\" in\n";
  for (const auto& c : Commands()) {
    out << "    " << c.name << ")\n      flags=\"" << AllNames(c.flags) << " --help\"\n";
    if (!c.verbs.empty()) out << "      verbs=\"" << Join(c.verbs) << "\"\n";
    out << "      case \"$prev\" in\n";
    std::ostringstream arms;
    BashValueArms(arms, c.flags);
    std::string text = arms.str();
    // Indent the arms one level deeper inside the command's case.
    for (size_t pos = 0; (pos = text.find("\n    ", pos)) != std::string::npos; pos += 5) {
      text.insert(pos + 1, "    ");
    }
    out << (text.empty() ? "" : "    " + text) << "      esac;;\n";
  }
  out << "  esac\n"
         "  if [[ \"$cur\" == -* ]]; then\n"
         "    COMPREPLY=($(compgen -W \"$flags $globals\" -- \"$cur\"))\n"
         "  elif [[ -n \"$verbs\" && $((cmd_at + 1)) -eq $COMP_CWORD ]]; then\n"
         "    COMPREPLY=($(compgen -W \"$verbs\" -- \"$cur\"))\n"
         "  else\n"
         "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
         "  fi\n"
         "}\n"
         "complete -o filenames -F _nokv nokv\n";
}

// Text inside a single-quoted zsh _arguments spec: [ ] : and ' escaped.
std::string ZshText(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      if (c == '[' || c == ']' || c == ':') out += '\\';
      out += c;
    }
  }
  return out;
}

// One _arguments spec per name of each flag.
void ZshSpecs(std::ostream& out, const std::vector<Flag>& flags, std::string_view indent) {
  for (const Flag& f : flags) {
    auto names = NamesOf(f);
    for (const auto& n : names) {
      out << indent << "'" << (f.repeat ? "*" : "");
      if (names.size() > 1 && !f.repeat) out << "(" << Join(names) << ")";
      out << n << "[" << ZshText(f.help) << "]";
      if (!f.value.empty()) {
        out << ":" << ZshText(f.value) << ":";
        if (!f.choices.empty()) {
          out << "(" << Join(f.choices) << ")";
        } else if (TakesLocalPath(f)) {
          out << "_files";
        } else {
          out << " ";
        }
      }
      out << "' \\\n";
    }
  }
}

void Zsh(std::ostream& out) {
  out << "#compdef nokv\n"
         "# zsh completion for nokv (made by `nokv completion zsh`).\n"
         "# Load it with: source <(nokv completion zsh)  (after compinit)\n"
         "_nokv() {\n"
         "  local -a commands\n"
         "  commands=(\n";
  for (const auto& c : Commands()) out << "    '" << c.name << ":" << ZshText(c.summary) << "'\n";
  out << "  )\n"
         "  local curcontext=\"$curcontext\" state line\n"
         "  _arguments -C \\\n";
  ZshSpecs(out, GlobalFlags(), "    ");
  out << "    '(- *)'{-h,--help}'[show help]' \\\n"
         "    '1: :->command' \\\n"
         "    '*:: :->args'\n"
         "  case $state in\n"
         "    command) _describe 'nokv command' commands ;;\n"
         "    args)\n"
         "      case $words[1] in\n";
  for (const auto& c : Commands()) {
    out << "        " << c.name << ")\n          _arguments \\\n";
    ZshSpecs(out, c.flags, "            ");
    out << "            '--help[show help]' \\\n";
    if (!c.verbs.empty()) out << "            '1:verb:(" << Join(c.verbs) << ")' \\\n";
    out << "            '*:path:_files' ;;\n";
  }
  out << "      esac ;;\n"
         "  esac\n"
         "}\n"
         "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n"
         "  _nokv \"$@\"\n"
         "else\n"
         "  compdef _nokv nokv\n"
         "fi\n";
}

std::string FishText(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

void FishFlags(std::ostream& out, const std::vector<Flag>& flags, const std::string& condition) {
  for (const Flag& f : flags) {
    out << "complete -c nokv" << condition;
    for (const auto& n : NamesOf(f)) {
      out << (n.starts_with("--") ? " -l " + n.substr(2) : " -s " + n.substr(1));
    }
    if (!f.value.empty()) out << (TakesLocalPath(f) ? " -r -F" : " -x");
    if (!f.choices.empty()) out << " -a " << FishText(Join(f.choices));
    out << " -d " << FishText(f.help) << "\n";
  }
}

void Fish(std::ostream& out) {
  std::vector<std::string> names;
  for (const auto& c : Commands()) names.push_back(c.name);
  out << "# fish completion for nokv (made by `nokv completion fish`).\n"
         "# Load it with: nokv completion fish | source\n"
         "complete -c nokv -e\n";
  FishFlags(out, GlobalFlags(), "");
  out << "complete -c nokv -s h -l help -d 'show help'\n";
  for (const auto& c : Commands()) {
    out << "complete -c nokv -f -n " << FishText("not __fish_seen_subcommand_from " + Join(names))
        << " -a " << c.name << " -d " << FishText(c.summary) << "\n";
    std::string condition = " -n " + FishText("__fish_seen_subcommand_from " + c.name);
    FishFlags(out, c.flags, condition);
    if (!c.verbs.empty()) {
      out << "complete -c nokv -f" << condition << " -a " << FishText(Join(c.verbs)) << "\n";
    }
  }
}

// Roff text: backslashes, hyphens and a leading dot or quote made literal.
std::string Roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

void ManFlags(std::ostream& out, const std::vector<Flag>& flags) {
  for (const Flag& f : flags) {
    out << ".TP\n";
    auto names = NamesOf(f);
    for (size_t i = 0; i < names.size(); ++i) {
      out << (i ? ", " : "") << "\\fB" << Roff(names[i]) << "\\fR";
      if (!f.value.empty()) out << " \\fI" << Roff(f.value) << "\\fR";
    }
    out << "\n" << Roff(f.help);
    if (!f.choices.empty()) out << ": " << Roff(Join(f.choices, ", "));
    if (f.repeat) out << " (may be repeated)";
    if (!f.env.empty()) out << " [env " << Roff(f.env) << "]";
    out << "\n";
  }
}

void Man(std::ostream& out) {
  out << ".TH NOKV 1 \"\" \"" << Roff(kVersion) << "\" \"User Commands\"\n"
      << ".SH NAME\nnokv \\- a filesystem for AI training and agent workspaces\n"
      << ".SH SYNOPSIS\n.B nokv\n[\\fIglobal flags\\fR] \\fIcommand\\fR [\\fIargs\\fR]\n"
      << ".SH DESCRIPTION\n"
      << Roff(
             "Every command runs embedded on a data directory, or on a metadata server with "
             "--server. The data directory is --data-dir, else $NOKV_DATA_DIR, else the "
             "nearest nokv-data found walking up from the working directory, else ./nokv-data. "
             "Global flags may come before or after the command name. The full manual is "
             "docs/cli.md.")
      << "\n.SH GLOBAL FLAGS\n";
  ManFlags(out, GlobalFlags());
  out << ".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nshow help (only --help for a command whose -h "
         "means human-readable sizes)\n"
         ".SH COMMANDS\n";
  for (const auto& c : Commands()) {
    out << ".SS \"" << Roff(c.name) << "\"\n";
    for (const auto& line : c.synopsis) {
      out << ".B nokv " << Roff(c.name) << "\n" << Roff(line) << "\n.br\n";
    }
    out << Roff(c.summary) << ".\n";
    if (!c.description.empty()) out << ".PP\n.nf\n" << Roff(c.description) << "\n.fi\n";
    if (!c.flags.empty()) ManFlags(out, c.flags);
  }
  out << ".SH EXIT STATUS\n"
         "0 ok, 1 error, 2 usage, 3 not found, 4 conflict (exists, generation mismatch, not "
         "empty), 5 busy (the data directory is held), 6 damaged (stored bytes failed a check).\n"
         ".SH ENVIRONMENT\n"
         "Each global flag has a NOKV_* variable (listed with the flag); a flag on the command "
         "line wins. S3 credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
         "AWS_SESSION_TOKEN, AWS_PROFILE and the AWS shared files; NOKV_TOKEN is the server "
         "token.\n"
         ".SH SEE ALSO\nmount.fuse3(8), docs/cli.md\n";
}

int Completion(Context& ctx, const Args& args) {
  if (args.positional().size() != 1) return ctx.Usage("completion needs bash, zsh or fish");
  const std::string& shell = args.positional()[0];
  if (shell == "bash") {
    Bash(*ctx.out);
  } else if (shell == "zsh") {
    Zsh(*ctx.out);
  } else if (shell == "fish") {
    Fish(*ctx.out);
  } else {
    return ctx.Usage("completion: unknown shell '" + shell + "' (bash, zsh or fish)");
  }
  return kExitOk;
}

}  // namespace

Command CompletionCommand() {
  return {"completion",
          "print a shell completion script",
          {"bash|zsh|fish"},
          "bash:  source <(nokv completion bash)     (or save it in\n"
          "       /usr/share/bash-completion/completions/nokv)\n"
          "zsh:   source <(nokv completion zsh)      (after compinit)\n"
          "fish:  nokv completion fish | source",
          {},
          {"bash", "zsh", "fish"},
          Completion};
}

Command ManCommand() {
  return {"man",
          "print the man page (roff)",
          {""},
          "View it with: nokv man | man -l -",
          {},
          {},
          [](Context& ctx, const Args& args) -> int {
            if (!args.positional().empty()) return ctx.Usage("man takes no arguments");
            Man(*ctx.out);
            return kExitOk;
          }};
}

}  // namespace nokv::cli
