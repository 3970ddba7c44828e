// The doctor: checks the metadata, the object store (a probe block), that
// every block of every file is present and, with `verify`, that every stored
// byte matches the SHA-256, chunk checksums and body digest that name it.
#include <unistd.h>

#include <chrono>
#include <random>
#include <set>

#include "common/sha256.h"
#include "fs/filesystem.h"
#include "meta/path.h"
#include "object/block_check.h"

namespace nokv::fs {
namespace {

// What the block walk found.
struct BlockTally {
  uint64_t checked = 0;
  uint64_t missing = 0;
  uint64_t verified = 0;  // distinct blocks read and found intact
  uint64_t damaged = 0;
  uint64_t bytes_read = 0;
  uint64_t bodies_verified = 0;
};

// Checks the blocks of one file's body; appends findings for problems.
void CheckBody(object::ObjectStore* store, const object::BodyLayout& layout,
               const std::string& path, bool verify, std::set<Digest>* intact, BlockTally* tally,
               std::vector<std::string>* findings) {
  // Only a whole-body SHA-256 over several blocks needs the bytes in order;
  // a block-list digest was checked against the block digests when the
  // manifest was decoded, and a one-block body's digest is its block's.
  bool body_hash =
      verify && layout.digest_kind == object::DigestKind::kSha256 && layout.blocks.size() > 1;
  Sha256 hasher;
  bool body_ok = true;
  size_t chunk_index = 0;
  for (size_t i = 0; i < layout.blocks.size(); ++i) {
    const object::BlockRef& ref = layout.blocks[i];
    size_t first_crc = chunk_index;
    if (layout.has_chunk_crcs()) chunk_index += object::ChunkCount(ref.length, layout.chunk_size);
    ++tally->checked;
    std::string hex = DigestHex(ref.digest);
    if (!verify || (intact->contains(ref.digest) && !body_hash)) {
      if (verify || store->Head(object::BlockKey(ref.digest)).ok()) continue;
      ++tally->missing;
      findings->push_back("MISSING block " + hex + " of " + path);
      continue;
    }
    auto bytes = object::ReadVerifiedBlock(store, layout, i, first_crc);
    if (!bytes.ok()) {
      body_ok = false;
      if (bytes.status().Is(Code::kNotFound)) {
        ++tally->missing;
        findings->push_back("MISSING block " + hex + " of " + path);
      } else {
        ++tally->damaged;
        findings->push_back("FAILED block " + hex + " of " + path + ": " +
                            std::string(bytes.status().message()));
      }
      continue;
    }
    tally->bytes_read += bytes->size();
    if (intact->insert(ref.digest).second) ++tally->verified;
    if (body_hash) hasher.Update(*bytes);
  }
  if (!verify || !body_ok) return;
  if (body_hash && hasher.Finish() != layout.digest) {
    findings->push_back("FAILED body of " + path + ": its blocks do not hash to its digest " +
                        object::BodyDigestString(layout));
    return;
  }
  ++tally->bodies_verified;
}

}  // namespace

Result<std::vector<std::string>> Filesystem::Doctor(const DoctorOptions& options) {
  std::vector<std::string> findings;
  NOKV_ASSIGN_OR_RETURN(MetadataStats stats, parts_.metadata->Stats());
  findings.push_back("metadata: " + std::to_string(stats.keys) + " keys, sequence " +
                     std::to_string(stats.visible_seq) + ", WAL " +
                     std::to_string(stats.wal_bytes) + " bytes, checkpoint at " +
                     std::to_string(stats.checkpoint_seq));
  NOKV_ASSIGN_OR_RETURN(meta::FsTotals totals, parts_.metadata->Totals());
  findings.push_back("namespace: " + std::to_string(totals.files) + " files, " +
                     std::to_string(totals.directories) + " directories, " +
                     std::to_string(totals.bytes) + " bytes");
  // The object store answers a write, a read and a delete of a probe block.
  // A block, because a store reached through a server takes nothing else;
  // its bytes are unique to this run, so deleting it cannot touch a file's
  // block. A store that lets clients delete nothing (PermissionDenied: the
  // server's collector removes blocks) leaves the probe to the collector.
  std::string body = "nokv doctor probe " + std::to_string(::getpid()) + " " +
                     std::to_string(std::random_device{}()) + " " +
                     std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  std::string probe = object::BlockKey(Sha256::Of(body));
  Status s = parts_.store->Put(probe, body);
  auto back = s.ok() ? parts_.store->Get(probe) : Result<std::string>(s);
  if (back.ok() && *back == body) {
    s = parts_.store->Delete(probe);
    if (s.Is(Code::kPermissionDenied)) s = Status::Ok();
  } else if (back.ok()) {
    s = Status::Corruption("the probe block read back different bytes");
  }
  if (!back.ok()) s = back.status();
  findings.push_back("object store " + parts_.store->Describe() + ": " +
                     (s.ok() ? std::string("ok") : "FAILED " + s.ToString()));
  if (!s.ok()) return findings;
  // Every block of every file (a bounded walk, unless verifying everything).
  constexpr uint64_t kWalkLimit = 100000;
  BlockTally tally;
  std::set<Digest> intact;
  std::vector<std::pair<meta::InodeId, std::string>> dirs = {{meta::kRootInode, "/"}};
  while (!dirs.empty() && (options.verify || tally.checked < kWalkLimit)) {
    auto [dir, path] = dirs.back();
    dirs.pop_back();
    std::string after;
    for (;;) {
      NOKV_ASSIGN_OR_RETURN(auto page, parts_.metadata->ReadDir(dir, after, 1024, true, {}));
      for (size_t i = 0; i < page.entries.size(); ++i) {
        const auto& attr = page.attrs[i];
        std::string child = meta::ChildPath(path, page.entries[i].name);
        if (attr.type == meta::FileType::kDirectory) dirs.emplace_back(attr.inode, child);
        if (attr.type != meta::FileType::kFile) continue;
        auto manifest = parts_.metadata->GetManifest(attr.inode, attr.generation, {});
        if (!manifest.ok()) {
          // An empty file has no manifest; a damaged one is a finding.
          if (manifest.status().Is(Code::kCorruption)) {
            findings.push_back("FAILED manifest of " + child + ": " +
                               std::string(manifest.status().message()));
          }
          continue;
        }
        CheckBody(parts_.store, manifest->layout, child, options.verify, &intact, &tally,
                  &findings);
      }
      if (!page.more) break;
      after = page.entries.back().name;
    }
  }
  std::string summary = "blocks: " + std::to_string(tally.checked) + " checked, " +
                        std::to_string(tally.missing) + " missing";
  if (options.verify) {
    summary += ", " + std::to_string(tally.verified) + " verified (" +
               std::to_string(tally.bytes_read) + " bytes read), " + std::to_string(tally.damaged) +
               " damaged; bodies: " + std::to_string(tally.bodies_verified) + " verified";
  }
  findings.push_back(summary);
  return findings;
}

}  // namespace nokv::fs
