// Human-readable sizes and times, and the JSON shape of an inode.
#include <cinttypes>
#include <cstdio>
#include <ctime>

#include "cli/cli.h"
#include "query/text_codec.h"

namespace nokv::cli {

std::string HumanSize(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1024 && unit < 5) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), v < 10 ? "%.1f %s" : "%.0f %s", v, kUnits[unit]);
  return buf;
}

std::string FormatTime(int64_t ns) {
  time_t secs = static_cast<time_t>(ns / 1'000'000'000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

void AddTime(nlohmann::json& j, std::string_view name, int64_t ns) {
  j[std::string(name)] = query::FormatTime(ns);
  j[std::string(name) + "_ns"] = std::to_string(ns);
}

nlohmann::json AttrJson(const meta::Attr& attr, std::string_view path) {
  size_t slash = path.rfind('/');
  nlohmann::json j = {
      {"path", path},
      {"name", slash == std::string_view::npos ? path : path.substr(slash + 1)},
      {"inode", attr.inode},
      {"kind", meta::FileTypeName(attr.type)},
      {"mode", attr.mode},
      {"uid", attr.uid},
      {"gid", attr.gid},
      {"nlink", attr.nlink},
      {"size_bytes", attr.size},
      {"generation", attr.generation},
  };
  AddTime(j, "mtime", attr.mtime_ns);
  AddTime(j, "ctime", attr.ctime_ns);
  if (attr.type == meta::FileType::kDirectory) j["entry_count"] = attr.child_count;
  if (attr.type == meta::FileType::kSymlink) j["target"] = attr.symlink_target;
  return j;
}

}  // namespace nokv::cli
