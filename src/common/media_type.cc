#include "common/media_type.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace nokv {
namespace {

struct Entry {
  std::string_view extension;  // lower case, with the dot
  std::string_view type;
};

// JSON Lines keeps application/x-ndjson: manifests published before this
// table record it, and the two must not disagree.
constexpr Entry kTable[] = {
    {".json", "application/json"},
    {".jsonl", "application/x-ndjson"},
    {".ndjson", "application/x-ndjson"},
    {".yaml", "application/yaml"},
    {".yml", "application/yaml"},
    {".toml", "application/toml"},
    {".xml", "application/xml"},
    {".ipynb", "application/x-ipynb+json"},
    {".csv", "text/csv"},
    {".tsv", "text/tab-separated-values"},
    {".txt", "text/plain"},
    {".log", "text/plain"},
    {".md", "text/markdown"},
    {".py", "text/x-python"},
    {".sh", "text/x-shellscript"},
    {".html", "text/html"},
    {".parquet", "application/vnd.apache.parquet"},
    {".pdf", "application/pdf"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
    {".svg", "image/svg+xml"},
};

}  // namespace

std::string_view MediaTypeOf(std::string_view name) {
  size_t slash = name.rfind('/');
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return "";
  std::string extension(name.substr(dot));
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const Entry& entry : kTable) {
    if (entry.extension == extension) return entry.type;
  }
  return "";
}

bool IsShowableImage(std::string_view media_type) {
  return media_type == "image/png" || media_type == "image/jpeg" || media_type == "image/gif" ||
         media_type == "image/webp";
}

}  // namespace nokv
