// JSON-lines and Markdown rendering of benchmark rows, the machine facts
// every report starts with, and the row sink and verdict helpers.
#include "bench/common/report.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace nokv::bench {

namespace {

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

std::string JsonSummary(const Summary& s) {
  return "{\"n\":" + std::to_string(s.n) + ",\"median\":" + JsonNumber(s.median) +
         ",\"p5\":" + JsonNumber(s.p5) + ",\"p95\":" + JsonNumber(s.p95) +
         ",\"p99\":" + JsonNumber(s.p99) + ",\"min\":" + JsonNumber(s.min) +
         ",\"max\":" + JsonNumber(s.max) + "}";
}

std::string JsonRow(const Row& r) {
  std::string out =
      "{\"id\":" + JsonString(r.id) + ",\"workload\":" + JsonString(r.workload) +
      ",\"system\":" + JsonString(r.system) + ",\"config\":" + JsonString(r.config) +
      ",\"layer\":" + JsonString(r.layer) + ",\"durability\":" + JsonString(r.durability) +
      ",\"cache\":" + JsonString(r.cache) + ",\"threads\":" + std::to_string(r.threads) +
      ",\"unit\":" + JsonString(r.unit) + ",\"value\":" + JsonSummary(r.value);
  if (!r.latency_unit.empty()) {
    out += ",\"latency_unit\":" + JsonString(r.latency_unit) +
           ",\"latency\":" + JsonSummary(r.latency);
  }
  out += ",\"repeats\":" + std::to_string(r.repeats) + ",\"load1\":" + JsonNumber(r.load1);
  for (const auto& [key, v] : r.extra) out += "," + JsonString(key) + ":" + JsonNumber(v);
  return out + "}";
}

std::string FirstMatch(const std::string& path, const std::string& prefix) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    size_t colon = line.find(':');
    return colon == std::string::npos ? line : line.substr(line.find_first_not_of(' ', colon + 1));
  }
  return "unknown";
}

// "/dev/vda ext4 on /" for the mount holding `dir` (longest mount-point prefix).
std::string DiskOf(const std::string& dir) {
  std::error_code ec;
  std::string path = std::filesystem::weakly_canonical(dir, ec).string();
  std::ifstream in("/proc/mounts");
  std::string device, mount, fstype, best;
  size_t best_len = 0;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    fields >> device >> mount >> fstype;
    bool under = path.rfind(mount, 0) == 0 &&
                 (mount == "/" || path.size() == mount.size() || path[mount.size()] == '/');
    if (under && mount.size() >= best_len) {
      best_len = mount.size();
      best = device + " " + fstype + " on " + mount;
    }
  }
  return best.empty() ? "unknown" : best;
}

std::string Spread(const Row& r) {
  if (r.value.n <= 1) return "-";
  return FormatCount(r.value.min) + " .. " + FormatCount(r.value.max);
}

std::string LatencyCell(const Row& r) {
  if (r.latency_unit.empty() || r.latency.n == 0) return "-";
  return FormatCount(r.latency.median) + " / " + FormatCount(r.latency.p95) + " " + r.latency_unit;
}

}  // namespace

std::string FormatCount(double v) {
  const char* suffix = "";
  double a = std::fabs(v);
  if (a >= 1e9) {
    v /= 1e9, suffix = "G";
  } else if (a >= 1e6) {
    v /= 1e6, suffix = "M";
  } else if (a >= 1e4) {
    v /= 1e3, suffix = "K";
  }
  a = std::fabs(v);
  int digits = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  return FormatFixed(v, digits) + suffix;
}

std::string FormatFixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

MachineFacts CollectMachineFacts(const std::string& data_dir) {
  MachineFacts m;
  m.nproc = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  m.cpu_model = FirstMatch("/proc/cpuinfo", "model name");
  utsname u{};
  m.kernel = uname(&u) == 0 ? std::string(u.sysname) + " " + u.release : "unknown";
  m.disk = DiskOf(data_dir);
  std::ifstream in("/proc/loadavg");
  in >> m.load_start[0] >> m.load_start[1] >> m.load_start[2];
  return m;
}

Status WriteJsonLines(const std::string& path, const std::vector<Row>& rows) {
  std::string text;
  for (const Row& r : rows) text += JsonRow(r) + "\n";
  return WriteFile(path, text);
}

std::string RenderMarkdown(const MachineFacts& machine, const std::string& command,
                           const std::vector<Verdict>& verdicts, const std::vector<Row>& rows,
                           const ReportLabels& labels) {
  std::ostringstream md;
  md << "Machine: " << machine.nproc << " cores, " << machine.cpu_model << ", " << machine.kernel
     << ", data dir on " << machine.disk
     << ". Load average at start: " << FormatFixed(machine.load_start[0], 2) << " "
     << FormatFixed(machine.load_start[1], 2) << " " << FormatFixed(machine.load_start[2], 2)
     << ".\n\n";
  md << "Command: `" << command << "`\n\n";
  md << "| id | workload | " << labels.nokv_column << " | " << labels.peer_column
     << " | ratio | target | met? |\n";
  md << "|---|---|---|---|---|---|---|\n";
  for (const Verdict& v : verdicts) {
    md << "| " << v.id << " | " << v.workload << " | " << v.nokv << " | " << v.peer << " | "
       << v.ratio << " | " << v.target << " | " << v.met << " |\n";
  }
  md << "\nAll rows. " << labels.rows_note << "\n\n";
  md << "| id | system | config | layer | durability | threads | cache | workload | value | "
        "spread | latency p50 / p95 | repeats | load1 |\n";
  md << "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Row& r : rows) {
    md << "| " << r.id << " | " << r.system << " | " << r.config << " | " << r.layer << " | "
       << r.durability << " | " << r.threads << " | " << r.cache << " | " << r.workload << " | "
       << FormatCount(r.value.median) << " " << r.unit << " | " << Spread(r) << " | "
       << LatencyCell(r) << " | " << r.repeats << " | " << FormatFixed(r.load1, 2) << " |\n";
  }
  return md.str();
}

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::IOError("cannot write " + path);
  return Status::Ok();
}

void RowSink::Add(std::string_view id, Result<Row> row) {
  if (!row.ok()) {
    std::cerr << "nokv-bench: " << id << " failed: " << row.status().ToString() << "\n";
    if (status_.ok()) status_ = row.status();
    return;
  }
  row->id = std::string(id);
  std::cerr << "nokv-bench: " << id << " " << row->system << " " << row->config << " x"
            << row->threads << ": " << FormatCount(row->value.median) << " " << row->unit << "\n";
  rows_->push_back(std::move(*row));
}

std::string Figure(const Row& r) { return FormatCount(r.value.median) + " " + r.unit; }
std::string RatioText(double x) { return FormatFixed(x, 2) + "x"; }
const char* Met(bool ok) { return ok ? "yes" : "no"; }

double Extra(const Row& r, std::string_view key) {
  for (const auto& [k, v] : r.extra) {
    if (k == key) return v;
  }
  return 0;
}

}  // namespace nokv::bench
