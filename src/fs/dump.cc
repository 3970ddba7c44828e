// The dumper: one pinned read point, a depth-first walk that pages each
// directory, one JSON line per entry (docs/formats/dump.md).
#include "fs/dump.h"

#include <chrono>
#include <cstdio>
#include <unordered_map>
#include <utility>

#include "common/sha256.h"
#include "meta/path.h"
#include "object/block.h"
#include "query/text_codec.h"

namespace nokv::fs {
namespace {

// A directory being walked: one page of its entries at a time.
struct Frame {
  std::string path;  // in the namespace
  meta::DirPage page;
  size_t next = 0;
};

std::string OctalMode(uint32_t mode) {
  char text[16];
  std::snprintf(text, sizeof(text), "%04o", mode);
  return text;
}

// `path` (at or under `root`) as a dump path: "/" for the root itself.
std::string RelativePath(std::string_view path, std::string_view root) {
  if (root == "/") return std::string(path);
  if (path.size() == root.size()) return "/";
  return std::string(path.substr(root.size()));
}

class Dumper {
 public:
  Dumper(Filesystem& fs, const DumpOptions& options,
         const std::function<Status(std::string_view)>& sink)
      : metadata_(*fs.metadata()), options_(options), sink_(sink) {}

  ~Dumper() {
    if (pin_.id != 0) metadata_.Unpin(pin_.id);
  }

  Result<DumpSummary> Run() {
    NOKV_ASSIGN_OR_RETURN(root_, meta::NormalizePath(options_.root));
    NOKV_ASSIGN_OR_RETURN(pin_, metadata_.PinRead({}));
    at_.pin = pin_.id;
    NOKV_ASSIGN_OR_RETURN(meta::Attr root, metadata_.Stat(root_, at_));
    if (root.type != meta::FileType::kDirectory) {
      return Status::NotADirectory("cannot dump " + root_ + ": not a directory");
    }
    NOKV_RETURN_IF_ERROR(Header());
    NOKV_RETURN_IF_ERROR(Rules());
    NOKV_RETURN_IF_ERROR(Entry(root, "/"));
    NOKV_RETURN_IF_ERROR(Walk(root_));
    nlohmann::json trailer = {{"type", "trailer"},
                              {"entries", counts_.entries},
                              {"files", counts_.files},
                              {"bytes", counts_.bytes},
                              {"rules", counts_.rules}};
    NOKV_RETURN_IF_ERROR(Emit(trailer));
    return DumpSummary{pin_.seq, counts_};
  }

 private:
  Status Emit(const nlohmann::json& line) {
    std::string text = query::DumpEscaped(line);
    text.push_back('\n');
    return sink_(text);
  }

  Status Header() {
    int64_t now = options_.now_ns;
    if (now == 0) {
      now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
    }
    // Snapshots pin history a dump cannot carry: named, never loaded.
    NOKV_ASSIGN_OR_RETURN(auto snapshots, metadata_.ListSnapshots());
    nlohmann::json names = nlohmann::json::array();
    for (const auto& snapshot : snapshots) names.push_back(snapshot.name);
    return Emit({{"type", "header"},
                 {"format", kDumpFormat},
                 {"version", kDumpVersion},
                 {"seq", pin_.seq},
                 {"root", root_},
                 {"created_ns", now},
                 {"snapshots", names}});
  }

  // The rules rooted at or below the dump's root, their roots made relative.
  Status Rules() {
    NOKV_ASSIGN_OR_RETURN(auto records, metadata_.IndexRuleRecords());
    for (const auto& record : records) {
      if (!meta::PathIsUnder(record.rule.root, root_)) continue;
      nlohmann::json rule = records::RuleToJson(record.rule);
      rule["root"] = RelativePath(record.rule.root, root_);
      NOKV_RETURN_IF_ERROR(Emit({{"type", "index_rule"}, {"rule", rule}}));
      counts_.rules++;
    }
    return Status::Ok();
  }

  Status Walk(const std::string& root) {
    std::vector<Frame> stack;
    NOKV_RETURN_IF_ERROR(Push(root, &stack));
    while (!stack.empty()) {
      Frame& top = stack.back();
      if (top.next == top.page.entries.size()) {
        if (!top.page.more) {
          stack.pop_back();
          continue;
        }
        std::string after = top.page.entries.back().name;
        NOKV_ASSIGN_OR_RETURN(top.page, metadata_.List(top.path, after, options_.page, at_));
        top.next = 0;
        continue;
      }
      size_t i = top.next++;
      const meta::Attr& attr = top.page.attrs[i];
      std::string path = meta::ChildPath(top.path, top.page.entries[i].name);
      NOKV_RETURN_IF_ERROR(Entry(attr, RelativePath(path, root_)));
      // `top` may move when the stack grows: nothing of it is used after.
      if (attr.type == meta::FileType::kDirectory) NOKV_RETURN_IF_ERROR(Push(path, &stack));
    }
    return Status::Ok();
  }

  Status Push(const std::string& path, std::vector<Frame>* stack) {
    NOKV_ASSIGN_OR_RETURN(meta::DirPage page, metadata_.List(path, "", options_.page, at_));
    if (page.attrs.size() != page.entries.size()) {
      return Status::Corruption("listing of " + path + " came without attributes");
    }
    stack->push_back(Frame{path, std::move(page), 0});
    return Status::Ok();
  }

  Status Entry(const meta::Attr& attr, const std::string& rel) {
    counts_.entries++;
    nlohmann::json line;
    if (attr.type == meta::FileType::kFile && attr.nlink > 1) {
      auto [first, inserted] = first_links_.try_emplace(attr.inode, rel);
      if (!inserted) {
        return Emit({{"type", "hardlink"}, {"path", rel}, {"link_to", first->second}});
      }
    }
    line["type"] = meta::FileTypeName(attr.type);
    line["path"] = rel;
    line["mode"] = OctalMode(attr.mode);
    line["uid"] = attr.uid;
    line["gid"] = attr.gid;
    line["mtime_ns"] = attr.mtime_ns;
    line["ctime_ns"] = attr.ctime_ns;
    if (attr.type == meta::FileType::kSymlink) line["target"] = attr.symlink_target;
    if (attr.type == meta::FileType::kFile) NOKV_RETURN_IF_ERROR(Body(attr, &line));
    NOKV_RETURN_IF_ERROR(Xattrs(attr.inode, &line));
    return Emit(line);
  }

  Status Body(const meta::Attr& attr, nlohmann::json* line) {
    counts_.files++;
    counts_.bytes += attr.size;
    (*line)["size"] = attr.size;
    if (attr.nlink > 1) (*line)["nlink"] = attr.nlink;
    if (attr.size == 0) {
      // An empty file has no manifest: its digest is that of no bytes.
      (*line)["digest"] = DigestHex(Sha256::Of(""));
      (*line)["digest_kind"] = object::DigestKindName(object::DigestKind::kSha256);
      return Status::Ok();
    }
    NOKV_ASSIGN_OR_RETURN(meta::Manifest manifest,
                          metadata_.GetManifest(attr.inode, attr.generation, at_));
    const object::BodyLayout& layout = manifest.layout;
    (*line)["content_type"] = manifest.content_type;
    (*line)["producer"] = manifest.producer;
    (*line)["digest"] = DigestHex(layout.digest);
    (*line)["digest_kind"] = object::DigestKindName(layout.digest_kind);
    nlohmann::json blocks = nlohmann::json::array();
    for (const auto& block : layout.blocks) {
      blocks.push_back({{"digest", DigestHex(block.digest)}, {"length", block.length}});
    }
    (*line)["blocks"] = std::move(blocks);
    if (layout.has_chunk_crcs()) {
      (*line)["chunk_size"] = layout.chunk_size;
      (*line)["chunk_crcs"] = layout.chunk_crcs;
    }
    return Status::Ok();
  }

  Status Xattrs(meta::InodeId inode, nlohmann::json* line) {
    NOKV_ASSIGN_OR_RETURN(auto names, metadata_.ListXattrs(inode, at_));
    if (names.empty()) return Status::Ok();
    nlohmann::json xattrs = nlohmann::json::array();
    for (const auto& name : names) {
      NOKV_ASSIGN_OR_RETURN(std::string value, metadata_.GetXattr(inode, name, at_));
      xattrs.push_back({{"name", name}, {"value", query::Base64Encode(value)}});
    }
    (*line)["xattrs"] = std::move(xattrs);
    return Status::Ok();
  }

  Metadata& metadata_;
  const DumpOptions& options_;
  const std::function<Status(std::string_view)>& sink_;
  std::string root_;
  Pin pin_;
  ReadAt at_;
  DumpCounts counts_;
  // The first dumped path of every file with more than one link.
  std::unordered_map<meta::InodeId, std::string> first_links_;
};

}  // namespace

Result<DumpSummary> DumpNamespace(Filesystem& fs, const DumpOptions& options,
                                  const std::function<Status(std::string_view line)>& sink) {
  Dumper dumper(fs, options, sink);
  return dumper.Run();
}

}  // namespace nokv::fs
