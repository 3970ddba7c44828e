// MetadataCommand building blocks.
#include "meta/command.h"

#include <algorithm>

#include "meta/index_edits.h"

namespace nokv::meta {

MetaService::Command::Command(MetaService* service, int64_t now_ns)
    : service_(service), now_(now_ns) {}

MetaService::Command::~Command() = default;

IndexEdits& MetaService::Command::index() {
  if (!index_) {
    uint64_t version = 0;
    auto rules = service_->ActiveRules(&version);
    batch_.RequireVersion(kIndexRulesKey, version);
    index_ = std::make_unique<IndexEdits>(service_->engine_.get(), &batch_, std::move(rules));
  }
  return *index_;
}

void MetaService::Command::Event(EventType type, std::string_view path, InodeId inode,
                                 FileType file_type, std::string_view old_path,
                                 std::string_view detail) {
  meta::Event e;
  e.type = type;
  e.path = path;
  e.old_path = old_path;
  e.inode = inode;
  e.file_type = file_type;
  e.detail = detail;
  Event(std::move(e));
}

void MetaService::Command::Event(meta::Event e) {
  bool creates = e.type == EventType::kMkdir || e.type == EventType::kCreate ||
                 e.type == EventType::kSymlink || e.type == EventType::kPublish;
  if (creates) {
    e.count += created_parents_;
    created_parents_ = 0;
  }
  e.time_ns = now_;
  batch_.Put(WatchKey(0, ordinal_++), EncodeEvent(e, last_event_path_),
             holt::Stamp{kWatchKeySeqOffset, holt::kNoStamp});
  last_event_path_ = std::move(e.path);
}

void MetaService::Command::TouchDir(InodeId dir, int64_t child_delta, int64_t nlink_delta) {
  batch_.Merge(InodeKey(dir), DirUpdateOperand(child_delta, nlink_delta, now_));
}

void MetaService::Command::MoveDir(InodeId dir, InodeId new_parent, std::string_view new_name) {
  batch_.Merge(InodeKey(dir), DirMoveOperand(0, 0, now_, new_parent, new_name));
}

void MetaService::Command::NoteNewInode(InodeId inode) {
  max_new_inode_ = std::max(max_new_inode_, inode);
}

void MetaService::Command::PutAttr(const Attr& attr, bool stamp_generation) {
  holt::Stamp stamp;
  if (stamp_generation) stamp.value_offset = kAttrGenerationOffset;
  batch_.Put(InodeKey(attr.inode), EncodeAttr(attr), stamp);
}

void MetaService::Command::PutManifestStamped(InodeId inode, const Manifest& manifest) {
  batch_.Put(ManifestKey(inode, 0), EncodeManifest(manifest),
             holt::Stamp{kManifestKeySeqOffset, holt::kNoStamp});
}

void MetaService::Command::BlockDeltas(InodeId inode, const Manifest& manifest, int64_t sign) {
  for (const auto& block : manifest.layout.blocks) {
    block_deltas_[block.digest] += sign;
    if (sign < 0) released_by_[block.digest].insert(inode);
  }
}

void MetaService::Command::Totals(int64_t files, int64_t dirs, int64_t symlinks, int64_t bytes) {
  totals_[0] += files;
  totals_[1] += dirs;
  totals_[2] += symlinks;
  totals_[3] += bytes;
}

void MetaService::Command::Guard(std::string_view key, uint64_t version) {
  batch_.RequireVersion(key, version);
}

std::vector<Digest> MetaService::Command::RaisedBlocks() const {
  std::vector<Digest> raised;
  for (const auto& [digest, delta] : block_deltas_) {
    if (delta > 0) raised.push_back(digest);
  }
  return raised;
}

void MetaService::Command::Finish() {
  if (index_) index_->Flush();
  for (const auto& [digest, delta] : block_deltas_) {
    if (delta == 0) continue;
    batch_.Merge(BlockRefKey(digest),
                 BlockDeltaOperand(delta, delta > 0 && revive_.contains(digest)));
    if (delta < 0) {
      batch_.Put(GcKey(0, digest), EncodeGcHint(released_by_[digest]),
                 holt::Stamp{kGcKeySeqOffset, holt::kNoStamp});
    }
  }
  if (totals_[0] || totals_[1] || totals_[2] || totals_[3]) {
    batch_.Merge(kTotalsKey, TotalsOperand(totals_[0], totals_[1], totals_[2], totals_[3]));
  }
  if (max_new_inode_ != 0) {
    batch_.Merge(kInodeHighWaterKey, HighWaterOperand(max_new_inode_));
    max_new_inode_ = 0;
  }
  block_deltas_.clear();
  revive_.clear();
  released_by_.clear();
  for (auto& t : totals_) t = 0;
}

}  // namespace nokv::meta
