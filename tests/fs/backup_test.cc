// Metadata backups and restores on real data directories with local
// stores: a restored directory reads back every file by SHA-256, a backup
// taken beside writers is one consistent state, GC keeps what a retained
// backup names and lets it go after retention, and damaged or missing
// images are refused.
#include "fs/backup.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "fs/embedded.h"
#include "fs/restore.h"
#include "object/block.h"
#include "object/local_store.h"
#include "test_dir.h"

namespace nokv::fs {
namespace {

namespace stdfs = std::filesystem;

EmbeddedOptions Options(const std::string& dir) {
  EmbeddedOptions options;
  options.data_dir = dir;
  options.store.kind = StoreConfig::Kind::kLocal;
  options.block_size = 4096;  // several blocks per file
  options.durability = Durability::kNone;
  options.create_if_missing = true;
  return options;
}

std::string Body(int i, size_t size) {
  std::string s(size, '\0');
  for (size_t k = 0; k < size; ++k) s[k] = static_cast<char>('a' + (i * 7 + k * 13) % 26);
  return s;
}

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    fs_.reset();
    auto opened = OpenEmbedded(Options(src_));
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    fs_ = std::move(opened).value();
  }

  Status Write(Filesystem& fs, const std::string& path, std::string_view bytes) {
    NOKV_ASSIGN_OR_RETURN(auto writer, fs.OpenWriter(path, {}));
    NOKV_RETURN_IF_ERROR(writer->Append(bytes));
    return writer->Commit().status();
  }

  static std::string ReadAll(Filesystem& fs, const std::string& path) {
    auto reader = fs.OpenReader(path);
    if (!reader.ok()) return "<" + reader.status().ToString() + ">";
    std::string out;
    Status s = (*reader)->Read(0, (*reader)->size(), &out);
    return s.ok() ? out : "<" + s.ToString() + ">";
  }

  // Path -> SHA-256 hex of every file under `dir` (recursive).
  static std::map<std::string, std::string> Digests(Filesystem& fs, const std::string& dir = "/") {
    std::map<std::string, std::string> out;
    std::string after;
    for (;;) {
      auto page = fs.List(dir, after, 100);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) return out;
      for (const auto& e : page->entries) {
        std::string path = (dir == "/" ? "" : dir) + "/" + e.name;
        if (e.type == meta::FileType::kDirectory) {
          out.merge(Digests(fs, path));
        } else if (e.type == meta::FileType::kFile) {
          out[path] = DigestHex(Sha256::Of(ReadAll(fs, path)));
        }
      }
      if (!page->more || page->entries.empty()) return out;
      after = page->entries.back().name;
    }
  }

  Result<BackupReport> Backup(BackupOptions options = {}) {
    return fs_->metadata()->Backup(options);
  }

  // The source directory is lost; its objects survive elsewhere (the disk
  // they were copied to).
  std::string LoseSourceKeepingObjects() {
    fs_.reset();
    std::string kept = JoinPath(scratch_.path(), "kept-objects");
    stdfs::rename(JoinPath(src_, "objects"), kept);
    stdfs::remove_all(src_);
    return kept;
  }

  Result<RestoreReport> Restore(const std::string& from_dir, std::string at = "",
                                const std::string& dir = "") {
    NOKV_ASSIGN_OR_RETURN(auto from, OpenBackupDirectory(from_dir));
    RestoreOptions options;
    options.target = Options(dir.empty() ? restored_ : dir);
    options.target.create_if_missing = false;
    options.from = from.get();
    options.at = std::move(at);
    return RestoreDataDir(options);
  }

  std::unique_ptr<Filesystem> OpenRestored(const std::string& dir = "") {
    auto opened = OpenEmbedded(Options(dir.empty() ? restored_ : dir));
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  size_t BlockObjects(const std::string& objects_dir) {
    auto store = object::LocalStore::Open(objects_dir);
    EXPECT_TRUE(store.ok());
    object::ListOptions list;
    list.prefix = "blocks/";
    auto listed = (*store)->List(list);
    EXPECT_TRUE(listed.ok());
    return listed.ok() ? listed->objects.size() : 0;
  }

  nokv::testing::TempDir scratch_;
  std::string src_ = JoinPath(scratch_.path(), "src");
  std::string restored_ = JoinPath(scratch_.path(), "restored");
  std::unique_ptr<Filesystem> fs_;
};

TEST_F(BackupTest, RestoredDirectoryReadsBackEveryFileBySha256) {
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(Write(*fs_, "/d" + std::to_string(i % 4) + "/f" + std::to_string(i),
                      Body(i, 1000 + i * 700))
                    .ok());
  }
  ASSERT_TRUE(fs_->Symlink("/link", "/d0/f0").ok());
  ASSERT_TRUE(fs_->CreateSnapshot("before", "/d1", 0).ok());
  auto expected = Digests(*fs_);
  auto report = Backup();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->backup.files, 40u);
  EXPECT_GE(report->backup.parts.size(), 1u);
  // Changes after the backup are not in it.
  ASSERT_TRUE(Write(*fs_, "/late", "late").ok());
  ASSERT_TRUE(fs_->Remove("/d2", true).ok());

  std::string kept = LoseSourceKeepingObjects();
  auto restored = Restore(kept);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->backup.id, report->backup.id);
  EXPECT_GT(restored->blocks_copied, 0u);
  auto fs = OpenRestored();
  ASSERT_NE(fs, nullptr);
  EXPECT_EQ(Digests(*fs), expected);
  EXPECT_EQ(fs->Stat("/late").status().code(), Code::kNotFound);
  EXPECT_EQ(ReadAll(*fs, "/link"), Body(0, 1000));
  // Snapshots come back with the history they pin.
  auto snapshots = fs->ListSnapshots();
  ASSERT_TRUE(snapshots.ok());
  ASSERT_EQ(snapshots->size(), 1u);
  EXPECT_EQ((*snapshots)[0].name, "before");
  // The restored directory is a normal one: it takes writes and a backup.
  ASSERT_TRUE(Write(*fs, "/after-restore", "new").ok());
  EXPECT_EQ(ReadAll(*fs, "/after-restore"), "new");
  EXPECT_TRUE(fs->metadata()->Backup({}).ok());
}

TEST_F(BackupTest, ABackupTakenBesideWritersIsOneConsistentState) {
  // Each round publishes two files in one commit; a torn image would hold
  // one without the other.
  std::atomic<bool> stop{false};
  std::atomic<int> rounds{0};
  std::atomic<bool> writer_done{false};
  nokv::testing::TempDir local;
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      std::vector<TreeFile> pair;
      for (const char* side : {"a", "b"}) {
        std::string local_path = JoinPath(local.path(), side + std::to_string(i));
        std::ofstream(local_path) << Body(i, 5000);
        pair.push_back({"/w/" + std::string(side) + std::to_string(i), local_path});
      }
      if (!fs_->PutTree(pair, {}).ok()) break;
      rounds.store(i + 1);
    }
    writer_done = true;
  });
  // Backups while the writer runs, each after it has moved on.
  std::vector<BackupDescriptor> backups;
  for (int n = 0; n < 3; ++n) {
    int seen = rounds.load();
    while (rounds.load() < seen + 3 && !writer_done.load()) std::this_thread::yield();
    ASSERT_FALSE(writer_done.load()) << "the writer stopped early";
    auto report = Backup();
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    backups.push_back(report->backup);
  }
  stop = true;
  writer.join();
  std::string kept = LoseSourceKeepingObjects();
  for (size_t n = 0; n < backups.size(); ++n) {
    std::string dir = JoinPath(scratch_.path(), "restored-" + std::to_string(n));
    auto restored = Restore(kept, backups[n].id, dir);
    ASSERT_TRUE(restored.ok()) << restored.status().ToString();
    auto fs = OpenRestored(dir);
    ASSERT_NE(fs, nullptr);
    auto files = Digests(*fs, "/w");
    EXPECT_EQ(files.size(), backups[n].files);
    EXPECT_EQ(files.size() % 2, 0u);
    for (const auto& [path, digest] : files) {
      std::string other = path;
      other[3] = path[3] == 'a' ? 'b' : 'a';
      EXPECT_TRUE(files.contains(other)) << path << " without " << other;
      EXPECT_EQ(digest, files[other]);
    }
  }
}

TEST_F(BackupTest, GcKeepsABackupsBlocksUntilRetentionDeletesIt) {
  std::string body = Body(3, 20000);
  ASSERT_TRUE(Write(*fs_, "/precious", body).ok());
  size_t blocks = BlockObjects(JoinPath(src_, "objects"));
  ASSERT_GT(blocks, 1u);
  auto first = Backup();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(fs_->Remove("/precious", false).ok());
  ASSERT_TRUE(fs_->CollectGarbage().ok());
  EXPECT_EQ(BlockObjects(JoinPath(src_, "objects")), blocks);

  // A restore of the first backup finds every byte GC kept.
  {
    std::string kept_copy = JoinPath(scratch_.path(), "copy-objects");
    stdfs::copy(JoinPath(src_, "objects"), kept_copy, stdfs::copy_options::recursive);
    auto restored = Restore(kept_copy, first->backup.id);
    ASSERT_TRUE(restored.ok()) << restored.status().ToString();
    auto fs = OpenRestored();
    ASSERT_NE(fs, nullptr);
    EXPECT_EQ(ReadAll(*fs, "/precious"), body);
  }

  // Two more backups with keep 1: the first image goes, then its blocks.
  BackupOptions keep_one;
  keep_one.keep = 1;
  ASSERT_TRUE(Backup().ok());
  auto third = Backup(keep_one);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(third->deleted.size(), 2u);
  auto listed = fs_->metadata()->ListBackups("");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, third->backup.id);
  ASSERT_TRUE(fs_->CollectGarbage().ok());
  EXPECT_EQ(BlockObjects(JoinPath(src_, "objects")), 0u);
}

TEST_F(BackupTest, ABackupWhoseImageVanishedIsReleased) {
  ASSERT_TRUE(Write(*fs_, "/f", Body(1, 9000)).ok());
  auto first = Backup();
  ASSERT_TRUE(first.ok());
  // Someone deleted the image by hand: its pin would hold blocks forever.
  auto store = object::LocalStore::Open(JoinPath(src_, "objects"));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Delete("backups/" + first->backup.id + "/BACKUP").ok());
  auto second = Backup();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->released, std::vector<std::string>{first->backup.id});
  ASSERT_TRUE(fs_->Remove("/f", false).ok());
  ASSERT_TRUE(fs_->CollectGarbage().ok());
  // The second backup still holds the blocks.
  EXPECT_GT(BlockObjects(JoinPath(src_, "objects")), 0u);
}

TEST_F(BackupTest, BackupsToAnotherDirectoryAndPickedByIdSequenceAndTime) {
  std::string elsewhere = JoinPath(scratch_.path(), "elsewhere");
  BackupOptions to;
  to.to = elsewhere;
  ASSERT_TRUE(Write(*fs_, "/one", "1").ok());
  auto a = Backup(to);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(Write(*fs_, "/two", "2").ok());
  auto b = Backup(to);
  ASSERT_TRUE(b.ok());
  auto listed = fs_->metadata()->ListBackups(elsewhere);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  auto own = fs_->metadata()->ListBackups("");
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  EXPECT_TRUE(own->empty());  // not in the store
  EXPECT_EQ(PickBackup(*listed, "")->id, b->backup.id);
  EXPECT_EQ(PickBackup(*listed, a->backup.id)->id, a->backup.id);
  EXPECT_EQ(PickBackup(*listed, std::to_string(b->backup.seq - 1))->id, a->backup.id);
  EXPECT_EQ(PickBackup(*listed, std::to_string(a->backup.seq - 1)).status().code(),
            Code::kNotFound);
  EXPECT_EQ(PickBackup(*listed, "2000-01-01T00:00:00Z").status().code(), Code::kNotFound);
  EXPECT_EQ(PickBackup(*listed, "2999-01-01T00:00:00Z")->id, b->backup.id);
  EXPECT_EQ(PickBackup(*listed, "no-such-id").status().code(), Code::kNotFound);
  EXPECT_EQ(PickBackup(*listed, "99999999999999999999999").status().code(), Code::kNotFound);
  EXPECT_EQ(PickBackup(*listed, "2026-13-99Tnonsense").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(BackupOptions{}.to, "");
  to.to = "relative/dir";
  EXPECT_EQ(Backup(to).status().code(), Code::kInvalidArgument);

  // The images elsewhere, the blocks from the source's store.
  auto from = OpenBackupDirectory(elsewhere);
  auto blocks = OpenBackupDirectory(JoinPath(src_, "objects"));
  ASSERT_TRUE(from.ok() && blocks.ok());
  RestoreOptions options;
  options.target = Options(restored_);
  options.from = from->get();
  options.blocks_from = blocks->get();
  options.at = a->backup.id;
  auto restored = RestoreDataDir(options);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  auto fs = OpenRestored();
  ASSERT_NE(fs, nullptr);
  EXPECT_EQ(ReadAll(*fs, "/one"), "1");
  EXPECT_EQ(fs->Stat("/two").status().code(), Code::kNotFound);
}

TEST_F(BackupTest, RestoreRefusesALiveDirectoryAndADamagedImage) {
  ASSERT_TRUE(Write(*fs_, "/f", Body(2, 3000)).ok());
  BackupOptions small_parts;
  small_parts.part_bytes = 200;  // many parts
  auto report = Backup(small_parts);
  ASSERT_TRUE(report.ok());
  ASSERT_GT(report->backup.parts.size(), 2u);
  std::string objects = JoinPath(src_, "objects");
  // Never over a directory that holds anything, the source least of all.
  EXPECT_EQ(Restore(objects, "", src_).status().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(stdfs::exists(JoinPath(src_, "NOKV")));
  // A flipped byte in one part: refused, naming the part, nothing left.
  auto store = object::LocalStore::Open(objects);
  ASSERT_TRUE(store.ok());
  const std::string& key = report->backup.parts[1].key;
  auto bytes = (*store)->Get(key);
  ASSERT_TRUE(bytes.ok());
  (*bytes)[10] ^= 1;
  ASSERT_TRUE((*store)->Put(key, *bytes).ok());
  auto damaged = Restore(objects);
  EXPECT_EQ(damaged.status().code(), Code::kCorruption);
  EXPECT_NE(damaged.status().ToString().find(key), std::string::npos)
      << damaged.status().ToString();
  EXPECT_FALSE(stdfs::exists(restored_));
  // A descriptor stored under another backup's key is refused, not trusted.
  auto descriptor = (*store)->Get("backups/" + report->backup.id + "/BACKUP");
  ASSERT_TRUE(descriptor.ok());
  ASSERT_TRUE((*store)->Put("backups/elsewhere/BACKUP", *descriptor).ok());
  EXPECT_EQ(ListBackupImages(**store).status().code(), Code::kCorruption);
  // No backup at all.
  std::string empty = JoinPath(scratch_.path(), "empty");
  stdfs::create_directories(empty);
  EXPECT_EQ(Restore(empty).status().code(), Code::kNotFound);
  EXPECT_FALSE(stdfs::exists(restored_));
}

TEST_F(BackupTest, ARestoreWhoseBlocksAreGoneIsRefusedNamingTheFiles) {
  ASSERT_TRUE(Write(*fs_, "/keep", Body(4, 9000)).ok());
  ASSERT_TRUE(Write(*fs_, "/lost", Body(5, 9000)).ok());
  ASSERT_TRUE(Backup().ok());
  std::string kept = LoseSourceKeepingObjects();
  // One block of /lost vanished from the store the blocks come from.
  auto store = object::LocalStore::Open(kept);
  ASSERT_TRUE(store.ok());
  std::string victim = object::BlockKey(Sha256::Of(Body(5, 9000).substr(0, 4096)));
  ASSERT_TRUE((*store)->Head(victim).ok());
  ASSERT_TRUE((*store)->Delete(victim).ok());
  auto restored = Restore(kept);
  EXPECT_EQ(restored.status().code(), Code::kCorruption);
  EXPECT_NE(restored.status().ToString().find("/lost"), std::string::npos)
      << restored.status().ToString();
  EXPECT_EQ(restored.status().ToString().find("/keep"), std::string::npos);
  EXPECT_FALSE(stdfs::exists(restored_));
}

TEST_F(BackupTest, DescriptorsOfANewerVersionOrWrongShapeAreRefused) {
  BackupDescriptor b;
  b.id = "x";
  b.seq = 7;
  b.image_bytes = 3;
  b.parts.push_back({"backups/x/image-000000", 3, Sha256::Of("abc")});
  auto j = DescriptorToJson(b);
  auto round = DescriptorFromJson(j, "t");
  ASSERT_TRUE(round.ok()) << round.status().ToString();
  EXPECT_EQ(round->seq, 7u);
  EXPECT_EQ(round->parts[0].sha256, Sha256::Of("abc"));
  auto newer = j;
  newer["version"] = kBackupVersion + 1;
  EXPECT_EQ(DescriptorFromJson(newer, "t").status().code(), Code::kNotSupported);
  auto short_parts = j;
  short_parts["image"]["bytes"] = 4;
  EXPECT_EQ(DescriptorFromJson(short_parts, "t").status().code(), Code::kCorruption);
  EXPECT_EQ(DescriptorFromJson(nlohmann::json::array(), "t").status().code(), Code::kCorruption);
  auto missing = j;
  missing.erase("seq");
  EXPECT_EQ(DescriptorFromJson(missing, "t").status().code(), Code::kCorruption);
}

}  // namespace
}  // namespace nokv::fs
