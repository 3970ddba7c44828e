// The loader: checks each dump line and applies it at once (directories,
// files over existing blocks, symlinks, hard links, xattrs, index rules);
// directory times are set when the walk leaves them (docs/formats/dump.md).
#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include "common/sha256.h"
#include "fs/dump.h"
#include "meta/path.h"
#include "object/block.h"
#include "query/text_codec.h"
#include "records/rule.h"

namespace nokv::fs {
namespace {

using nlohmann::json;

// Typed access to the fields of one parsed line; errors name the field.
class Fields {
 public:
  explicit Fields(const json& line) : line_(line) {}

  bool Has(const char* key) const { return line_.contains(key); }

  Result<std::string> Text(const char* key) const {
    auto it = line_.find(key);
    if (it == line_.end() || !it->is_string()) return Missing(key, "a string");
    return query::UnescapeBytes(it->get<std::string>());
  }
  Result<std::string> OptionalText(const char* key) const {
    if (!Has(key)) return std::string();
    return Text(key);
  }
  Result<uint64_t> Unsigned(const char* key) const {
    auto it = line_.find(key);
    if (it == line_.end() || !it->is_number_unsigned()) return Missing(key, "a whole number");
    return it->get<uint64_t>();
  }
  Result<int64_t> Signed(const char* key) const {
    auto it = line_.find(key);
    if (it == line_.end() || !it->is_number_integer()) return Missing(key, "an integer");
    return it->get<int64_t>();
  }
  Result<uint32_t> Uint32(const char* key) const {
    NOKV_ASSIGN_OR_RETURN(uint64_t value, Unsigned(key));
    if (value > UINT32_MAX) return Missing(key, "a 32-bit number");
    return static_cast<uint32_t>(value);
  }
  Result<uint32_t> Mode(const char* key) const {
    NOKV_ASSIGN_OR_RETURN(std::string text, Text(key));
    char* end = nullptr;
    unsigned long mode = std::strtoul(text.c_str(), &end, 8);
    if (text.empty() || *end != '\0' || mode > 07777) return Missing(key, "octal permission bits");
    return static_cast<uint32_t>(mode);
  }
  Result<Digest> DigestField(const char* key) const {
    auto it = line_.find(key);
    Digest digest{};
    if (it == line_.end() || !it->is_string() || !ParseDigestHex(it->get<std::string>(), &digest)) {
      return Missing(key, "64 hex digits");
    }
    return digest;
  }
  Result<const json*> Array(const char* key) const {
    auto it = line_.find(key);
    if (it == line_.end() || !it->is_array()) return Missing(key, "an array");
    return &*it;
  }

 private:
  static Status Missing(const char* key, const char* what) {
    return Status::InvalidArgument(std::string("field '") + key + "' must be " + what);
  }
  const json& line_;
};

// A directory the load created, whose time is set once its entries are in.
struct OpenDir {
  std::string rel;
  meta::InodeId inode = 0;  // 0: an existing root, left as it was
  uint32_t mode = 0;
  int64_t mtime_ns = 0;
};

}  // namespace

class DumpLoader::Impl {
 public:
  Impl(Filesystem* fs, LoadOptions options)
      : fs_(fs), metadata_(*fs->metadata()), options_(std::move(options)) {}

  Status Line(std::string_view text) {
    line_number_++;
    Status status = Apply(text);
    if (status.ok()) return status;
    return status.WithContext("line " + std::to_string(line_number_));
  }

  Result<DumpCounts> Finish() {
    if (!header_) return Status::Corruption("empty dump: no header line");
    if (!trailer_) {
      return Status::Corruption("truncated dump: no trailer after line " +
                                std::to_string(line_number_));
    }
    return counts_;
  }

 private:
  Status Apply(std::string_view text) {
    if (trailer_) return Status::Corruption("a line after the trailer");
    json line = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (line.is_discarded() || !line.is_object()) {
      return Status::InvalidArgument("not a JSON object");
    }
    Fields fields(line);
    NOKV_ASSIGN_OR_RETURN(std::string type, fields.Text("type"));
    if (!header_) {
      if (type != "header") return Status::InvalidArgument("not a nokv dump: no header line");
      return Header(fields);
    }
    if (type == "index_rule") return Rule(line);
    if (type == "trailer") return Trailer(fields);
    NOKV_ASSIGN_OR_RETURN(std::string rel, fields.Text("path"));
    if (rel == "/" && type != "directory") {
      return Status::InvalidArgument("the root entry is not a directory");
    }
    NOKV_RETURN_IF_ERROR(EnterEntry(rel));
    counts_.entries++;
    if (type == "hardlink") return HardLink(fields, rel);
    if (type == "directory") return Directory(fields, rel);
    if (type == "file") return File(fields, rel);
    if (type == "symlink") return Symlink(fields, rel);
    return Status::InvalidArgument("unknown line type '" + type + "'");
  }

  Status Header(const Fields& fields) {
    NOKV_ASSIGN_OR_RETURN(std::string format, fields.Text("format"));
    if (format != kDumpFormat) return Status::InvalidArgument("not a nokv dump: format " + format);
    NOKV_ASSIGN_OR_RETURN(uint64_t version, fields.Unsigned("version"));
    if (version != kDumpVersion) {
      return Status::NotSupported("dump version " + std::to_string(version) +
                                  " is not supported (this nokv reads version " +
                                  std::to_string(kDumpVersion) + ")");
    }
    NOKV_ASSIGN_OR_RETURN(into_, meta::NormalizePath(options_.into));
    header_ = true;
    return Status::Ok();
  }

  Status Trailer(const Fields& fields) {
    DumpCounts said;
    NOKV_ASSIGN_OR_RETURN(said.entries, fields.Unsigned("entries"));
    NOKV_ASSIGN_OR_RETURN(said.files, fields.Unsigned("files"));
    NOKV_ASSIGN_OR_RETURN(said.bytes, fields.Unsigned("bytes"));
    NOKV_ASSIGN_OR_RETURN(said.rules, fields.Unsigned("rules"));
    if (said.entries != counts_.entries || said.files != counts_.files ||
        said.bytes != counts_.bytes || said.rules != counts_.rules) {
      return Status::Corruption("the trailer counts " + Describe(said) + " but the dump held " +
                                Describe(counts_));
    }
    NOKV_RETURN_IF_ERROR(LeaveDirs(""));
    trailer_ = true;
    return Status::Ok();
  }

  static std::string Describe(const DumpCounts& c) {
    return std::to_string(c.entries) + " entries, " + std::to_string(c.files) + " files, " +
           std::to_string(c.bytes) + " bytes, " + std::to_string(c.rules) + " rules";
  }

  // The namespace path of dump path `rel`.
  Result<std::string> Target(const std::string& rel) const {
    if (rel.empty() || rel.front() != '/') {
      return Status::InvalidArgument("path '" + rel + "' does not start with '/'");
    }
    NOKV_ASSIGN_OR_RETURN(std::string normal, meta::NormalizePath(rel));
    if (normal != rel) return Status::InvalidArgument("path '" + rel + "' is not normalized");
    if (into_ == "/") return rel;
    return rel == "/" ? into_ : into_ + rel;
  }

  // Entries come parents first: an entry that is not under the directories
  // still open closes them (and sets their times).
  Status EnterEntry(const std::string& rel) {
    if (!root_seen_ && rel != "/") return Status::InvalidArgument("the first entry is not '/'");
    if (root_seen_ && rel == "/") return Status::InvalidArgument("a second root entry");
    root_seen_ = true;
    NOKV_RETURN_IF_ERROR(LeaveDirs(rel));
    if (rel != "/" &&
        (open_dirs_.empty() || meta::ChildPath(open_dirs_.back().rel, BaseName(rel)) != rel)) {
      return Status::InvalidArgument("'" + rel + "' comes before its parent directory");
    }
    return Status::Ok();
  }

  static std::string_view BaseName(std::string_view rel) { return rel.substr(rel.rfind('/') + 1); }

  // Closes the open directories that `rel` is not under ("" closes all).
  Status LeaveDirs(const std::string& rel) {
    while (!open_dirs_.empty()) {
      const OpenDir& dir = open_dirs_.back();
      if (!rel.empty() && rel != dir.rel && meta::PathIsUnder(rel, dir.rel)) break;
      if (dir.inode != 0) {
        meta::SetAttrRequest last;
        last.mode = dir.mode;
        last.mtime_ns = dir.mtime_ns;
        NOKV_RETURN_IF_ERROR(metadata_.SetAttrAt(dir.inode, last).status());
      }
      open_dirs_.pop_back();
    }
    return Status::Ok();
  }

  static Result<meta::NodeOptions> Node(const Fields& fields) {
    meta::NodeOptions node;
    NOKV_ASSIGN_OR_RETURN(node.mode, fields.Mode("mode"));
    NOKV_ASSIGN_OR_RETURN(node.uid, fields.Uint32("uid"));
    NOKV_ASSIGN_OR_RETURN(node.gid, fields.Uint32("gid"));
    return node;
  }

  Status Directory(const Fields& fields, const std::string& rel) {
    NOKV_ASSIGN_OR_RETURN(meta::NodeOptions node, Node(fields));
    NOKV_ASSIGN_OR_RETURN(int64_t mtime, fields.Signed("mtime_ns"));
    NOKV_ASSIGN_OR_RETURN(std::string path, Target(rel));
    if (rel == "/") {
      // An existing root is kept as it is (attributes and xattrs included).
      auto existing = metadata_.Stat(path, {});
      if (existing.ok()) {
        if (existing->type != meta::FileType::kDirectory) {
          return Status::AlreadyExists(path + " exists and is not a directory");
        }
        open_dirs_.push_back(OpenDir{rel, 0, 0, 0});
        return Status::Ok();
      }
      if (!existing.status().Is(Code::kNotFound)) return existing.status();
      node.parents = true;
    }
    auto made = metadata_.Mkdir(path, node);
    if (!made.ok()) return Refused(made.status(), path);
    NOKV_RETURN_IF_ERROR(Xattrs(fields, made->inode, path));
    open_dirs_.push_back(OpenDir{rel, made->inode, node.mode, mtime});
    return Status::Ok();
  }

  Status File(const Fields& fields, const std::string& rel) {
    NOKV_ASSIGN_OR_RETURN(meta::NodeOptions node, Node(fields));
    NOKV_ASSIGN_OR_RETURN(std::string path, Target(rel));
    NOKV_ASSIGN_OR_RETURN(meta::Manifest manifest, ManifestOf(fields));
    counts_.files++;
    counts_.bytes += manifest.layout.size;
    auto published = fs_->PublishStored(path, manifest, node);
    if (!published.ok()) return Refused(published.status(), path);
    return Finish(fields, *published, path);
  }

  Result<meta::Manifest> ManifestOf(const Fields& fields) const {
    meta::Manifest manifest;
    object::BodyLayout& layout = manifest.layout;
    NOKV_ASSIGN_OR_RETURN(layout.size, fields.Unsigned("size"));
    NOKV_ASSIGN_OR_RETURN(manifest.content_type, fields.OptionalText("content_type"));
    NOKV_ASSIGN_OR_RETURN(manifest.producer, fields.OptionalText("producer"));
    NOKV_ASSIGN_OR_RETURN(std::string kind, fields.Text("digest_kind"));
    auto digest_kind = object::DigestKindFromName(kind);
    if (!digest_kind) return Status::InvalidArgument("unknown digest kind '" + kind + "'");
    layout.digest_kind = *digest_kind;
    NOKV_ASSIGN_OR_RETURN(layout.digest, fields.DigestField("digest"));
    if (layout.size == 0) return manifest;
    NOKV_ASSIGN_OR_RETURN(const json* blocks, fields.Array("blocks"));
    for (const json& block : *blocks) {
      if (!block.is_object()) return Status::InvalidArgument("a block is not an object");
      Fields block_fields(block);
      object::BlockRef ref;
      NOKV_ASSIGN_OR_RETURN(ref.digest, block_fields.DigestField("digest"));
      NOKV_ASSIGN_OR_RETURN(ref.length, block_fields.Unsigned("length"));
      layout.blocks.push_back(ref);
    }
    if (fields.Has("chunk_size")) {
      NOKV_ASSIGN_OR_RETURN(layout.chunk_size, fields.Uint32("chunk_size"));
      NOKV_ASSIGN_OR_RETURN(const json* crcs, fields.Array("chunk_crcs"));
      for (const json& crc : *crcs) {
        if (!crc.is_number_unsigned() || crc.get<uint64_t>() > UINT32_MAX) {
          return Status::InvalidArgument("field 'chunk_crcs' must hold 32-bit numbers");
        }
        layout.chunk_crcs.push_back(crc.get<uint32_t>());
      }
    }
    return manifest;
  }

  Status Symlink(const Fields& fields, const std::string& rel) {
    NOKV_ASSIGN_OR_RETURN(meta::NodeOptions node, Node(fields));
    NOKV_ASSIGN_OR_RETURN(std::string target, fields.Text("target"));
    NOKV_ASSIGN_OR_RETURN(std::string path, Target(rel));
    auto made = metadata_.Symlink(path, target, node);
    if (!made.ok()) return Refused(made.status(), path);
    return Finish(fields, *made, path);
  }

  Status HardLink(const Fields& fields, const std::string& rel) {
    NOKV_ASSIGN_OR_RETURN(std::string link_to, fields.Text("link_to"));
    NOKV_ASSIGN_OR_RETURN(std::string existing, Target(link_to));
    NOKV_ASSIGN_OR_RETURN(std::string path, Target(rel));
    auto made = metadata_.Link(existing, path);
    if (!made.ok()) return Refused(made.status(), path);
    return Status::Ok();
  }

  // Xattrs, then the mode and time: last, since a create takes mode 0 for
  // "the default" and setting xattrs changes the ctime only.
  Status Finish(const Fields& fields, const meta::Attr& attr, const std::string& path) {
    NOKV_RETURN_IF_ERROR(Xattrs(fields, attr.inode, path));
    meta::SetAttrRequest last;
    NOKV_ASSIGN_OR_RETURN(last.mode, fields.Mode("mode"));
    NOKV_ASSIGN_OR_RETURN(last.mtime_ns, fields.Signed("mtime_ns"));
    return metadata_.SetAttrAt(attr.inode, last).status();
  }

  Status Xattrs(const Fields& fields, meta::InodeId inode, const std::string& path) {
    if (!fields.Has("xattrs")) return Status::Ok();
    NOKV_ASSIGN_OR_RETURN(const json* xattrs, fields.Array("xattrs"));
    for (const json& xattr : *xattrs) {
      if (!xattr.is_object()) return Status::InvalidArgument("an xattr is not an object");
      Fields xattr_fields(xattr);
      NOKV_ASSIGN_OR_RETURN(std::string name, xattr_fields.Text("name"));
      NOKV_ASSIGN_OR_RETURN(std::string encoded, xattr_fields.Text("value"));
      auto value = query::Base64Decode(encoded);
      if (!value) return Status::InvalidArgument("xattr '" + name + "' is not valid base64");
      Status set = metadata_.SetXattr(inode, name, *value, meta::XattrMode::kCreate);
      if (!set.ok()) return set.WithContext(path + ": xattr " + name);
    }
    return Status::Ok();
  }

  Status Rule(const json& line) {
    if (root_seen_) return Status::InvalidArgument("index rules come before the entries");
    auto it = line.find("rule");
    if (it == line.end() || !it->is_object()) {
      return Status::InvalidArgument("field 'rule' must be an object");
    }
    json rule_json = *it;
    if (!rule_json.contains("root") || !rule_json["root"].is_string()) {
      return Status::InvalidArgument("the rule has no root");
    }
    NOKV_ASSIGN_OR_RETURN(std::string root,
                          Target(query::UnescapeBytes(rule_json["root"].get<std::string>())));
    rule_json["root"] = root;
    if (rule_json.contains("id") && rule_json["id"].is_string()) {
      rule_json["id"] = options_.rule_prefix + rule_json["id"].get<std::string>();
    }
    NOKV_ASSIGN_OR_RETURN(records::IndexRule rule, records::RuleFromJson(rule_json));
    NOKV_ASSIGN_OR_RETURN(auto existing, metadata_.IndexRuleRecords());
    for (const auto& record : existing) {
      if (record.rule.id == rule.id) {
        return Status::AlreadyExists("index rule '" + rule.id +
                                     "' exists (load with a rule prefix to keep both)");
      }
    }
    counts_.rules++;
    return metadata_.AddIndexRule(rule);
  }

  // `status` of an entry at `path`, naming it.
  static Status Refused(const Status& status, const std::string& path) {
    if (status.Is(Code::kAlreadyExists)) {
      return Status::AlreadyExists(path + " exists; a load never overwrites");
    }
    return status.WithContext(path);
  }

  Filesystem* fs_;
  Metadata& metadata_;
  LoadOptions options_;
  std::string into_;
  uint64_t line_number_ = 0;
  bool header_ = false;
  bool root_seen_ = false;
  bool trailer_ = false;
  DumpCounts counts_;
  // The directories from the root down to the last entry's parent.
  std::vector<OpenDir> open_dirs_;
};

DumpLoader::DumpLoader(Filesystem* fs, LoadOptions options)
    : impl_(std::make_unique<Impl>(fs, std::move(options))) {}
DumpLoader::~DumpLoader() = default;
Status DumpLoader::Line(std::string_view line) { return impl_->Line(line); }
Result<DumpCounts> DumpLoader::Finish() { return impl_->Finish(); }

Result<bool> ReadDumpLine(std::istream& in, std::string* line, size_t limit) {
  line->clear();
  std::streambuf* buf = in.rdbuf();
  for (;;) {
    int c = buf->sbumpc();
    if (c == std::char_traits<char>::eof()) return !line->empty();
    if (c == '\n') return true;
    if (line->size() == limit) {
      std::string().swap(*line);
      return Status::TooLarge("a dump line is longer than " + std::to_string(limit) + " bytes");
    }
    line->push_back(static_cast<char>(c));
  }
}

}  // namespace nokv::fs
