// The Filesystem contract, one suite for every backend: embedded on a local
// store and on an in-memory store, and remote (the metadata seam over RPC to
// a server on the same data directory) over a Unix socket and over TCP, and
// over TCP with block bytes through the server too (ProxyStore).
#include "fs/filesystem.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "fs/embedded.h"
#include "object/block.h"
#include "object/local_store.h"
#include "rpc/server.h"
#include "server/block_methods.h"
#include "server/methods.h"
#include "server/remote_fs.h"
#include "server/remote_metadata.h"
#include "test_dir.h"

namespace nokv::fs {
namespace {

// What a backend keeps alive besides the Filesystem under test (a server).
using Keepalive = std::shared_ptr<void>;

struct Backend {
  std::string name;
  std::function<Result<std::unique_ptr<Filesystem>>(const std::string& dir, Keepalive* keep)> open;
};

// Test names show the backend, not its bytes.
void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

EmbeddedOptions Options(const std::string& dir, StoreConfig::Kind kind) {
  EmbeddedOptions options;
  options.data_dir = dir;
  options.store.kind = kind;
  options.block_size = 64;  // many blocks from small bodies
  options.create_if_missing = true;
  return options;
}

// A metadata server on `dir` (embedded underneath) and a client Filesystem
// that reaches metadata over RPC and writes blocks straight into the same
// local object store, as clients of a shared store do.
struct RemoteServer {
  std::unique_ptr<Filesystem> local;
  std::unique_ptr<server::MetadataMethods> methods;
  std::unique_ptr<rpc::Server> rpc;
};

// How a remote client reaches block bytes.
enum class Blocks { kDirect, kThroughServer };

Result<std::unique_ptr<Filesystem>> OpenRemote(const std::string& dir, bool tcp, Blocks blocks,
                                               Keepalive* keep) {
  auto served = std::make_shared<RemoteServer>();
  EmbeddedOptions options = Options(dir, StoreConfig::Kind::kLocal);
  NOKV_ASSIGN_OR_RETURN(served->local, OpenEmbedded(options));
  server::MethodOptions method_options;
  method_options.store_info = server::StoreInfo(options);
  server::AddBlockMethods(served->local->store(), &method_options);
  served->methods =
      std::make_unique<server::MetadataMethods>(served->local->metadata(), method_options);
  rpc::ServerOptions rpc_options;  // dispatch as `nokv serve` does
  rpc_options.run_inline = server::MetadataInlinePredicate(served->methods.get());
  served->rpc =
      std::make_unique<rpc::Server>(rpc_options, server::MetadataHandler(served->methods.get()));
  NOKV_ASSIGN_OR_RETURN(rpc::Address address,
                        served->rpc->Listen(tcp ? "127.0.0.1:0" : "unix:" + dir + "/test.sock"));
  NOKV_RETURN_IF_ERROR(served->rpc->Start());
  *keep = served;

  if (blocks == Blocks::kThroughServer) {
    server::RemoteFsOptions remote;
    remote.address = address.ToString();
    remote.proxy_blocks = true;
    NOKV_ASSIGN_OR_RETURN(auto fs, server::OpenRemote(remote));
    if (!fs->store()->Describe().starts_with("proxy:")) {
      return Status::FailedPrecondition("blocks do not go through the server");
    }
    return fs;
  }
  FilesystemParts parts;
  NOKV_ASSIGN_OR_RETURN(auto store, object::LocalStore::Open(dir + "/objects"));
  parts.store = store.get();
  parts.stores.push_back(std::move(store));
  NOKV_ASSIGN_OR_RETURN(parts.metadata, server::RemoteMetadata::Connect(address.ToString()));
  parts.block_size = 64;
  return std::make_unique<Filesystem>(std::move(parts));
}

std::vector<Backend> Backends() {
  auto embedded = [](StoreConfig::Kind kind) {
    return [kind](const std::string& dir, Keepalive*) { return OpenEmbedded(Options(dir, kind)); };
  };
  return {
      {"EmbeddedLocal", embedded(StoreConfig::Kind::kLocal)},
      {"EmbeddedMemory", embedded(StoreConfig::Kind::kMemory)},
      {"RemoteUnix", [](const std::string& dir,
                        Keepalive* keep) { return OpenRemote(dir, false, Blocks::kDirect, keep); }},
      {"RemoteTcp", [](const std::string& dir,
                       Keepalive* keep) { return OpenRemote(dir, true, Blocks::kDirect, keep); }},
      {"RemoteTcpProxied", [](const std::string& dir, Keepalive* keep) {
         return OpenRemote(dir, true, Blocks::kThroughServer, keep);
       }}};
}

class FilesystemTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto opened = GetParam().open(dir_.path(), &keepalive_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    fs_ = std::move(opened).value();
  }

  Result<meta::Attr> Write(const std::string& path, std::string_view bytes,
                           WriteOptions options = {}) {
    NOKV_ASSIGN_OR_RETURN(auto writer, fs_->OpenWriter(path, options));
    for (size_t i = 0; i < bytes.size(); i += 100) {
      NOKV_RETURN_IF_ERROR(writer->Append(bytes.substr(i, 100)));
    }
    return writer->Commit();
  }

  std::string ReadAll(const std::string& path, const ReadAt& at = {}) {
    auto reader = fs_->OpenReader(path, at);
    if (!reader.ok()) return "<" + reader.status().ToString() + ">";
    std::string out;
    EXPECT_TRUE((*reader)->Read(0, (*reader)->size(), &out).ok());
    return out;
  }

  nokv::testing::TempDir dir_;
  nokv::testing::TempDir local_;
  Keepalive keepalive_;  // outlives fs_: a remote client goes before its server
  std::unique_ptr<Filesystem> fs_;
};

TEST_P(FilesystemTest, WriteThenReadWholeAndRanges) {
  std::string body;
  for (int i = 0; i < 1000; ++i) body += std::to_string(i) + ",";
  auto attr = Write("/d/data.csv", body);
  ASSERT_TRUE(attr.ok()) << attr.status().ToString();
  EXPECT_EQ(attr->size, body.size());
  EXPECT_EQ(ReadAll("/d/data.csv"), body);
  auto reader = fs_->OpenReader("/d/data.csv");
  ASSERT_TRUE(reader.ok());
  std::string part;
  ASSERT_TRUE((*reader)->Read(63, 130, &part).ok());  // crosses block boundaries
  EXPECT_EQ(part, body.substr(63, 130));
  ASSERT_TRUE((*reader)->Read(body.size() - 5, 100, &part).ok());
  EXPECT_EQ(part, body.substr(body.size() - 5));
  EXPECT_EQ(ReadAll("/d"), "<is_a_directory: /d is a directory>");
}

// A local file is compared with a stored body by digest, computed the way
// the body's digest is defined (64-byte blocks here: a block-list digest).
TEST_P(FilesystemTest, SameContentComparesALocalFileWithoutReadingTheBody) {
  std::string body;
  for (int i = 0; i < 1000; ++i) body += static_cast<char>('a' + (i * 7 + i / 26) % 26);
  ASSERT_TRUE(Write("/d/f", body).ok());
  ASSERT_TRUE(Write("/d/one", "short").ok());
  ASSERT_TRUE(Write("/d/empty", "").ok());
  auto local = [&](const std::string& name, std::string_view bytes) {
    std::string path = local_.Sub(name);
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  };
  EXPECT_TRUE(fs_->SameContent("/d/f", local("same", body)).value());
  std::string flipped = body;
  flipped[700] ^= 1;
  EXPECT_FALSE(fs_->SameContent("/d/f", local("flipped", flipped)).value());
  EXPECT_FALSE(fs_->SameContent("/d/f", local("longer", body + "x")).value());
  EXPECT_TRUE(fs_->SameContent("/d/one", local("one", "short")).value());
  EXPECT_FALSE(fs_->SameContent("/d/one", local("other", "shore")).value());
  EXPECT_TRUE(fs_->SameContent("/d/empty", local("empty", "")).value());
  EXPECT_EQ(fs_->SameContent("/d/missing", local("x", "x")).status().code(), Code::kNotFound);
  EXPECT_EQ(fs_->SameContent("/d/f", local_.Sub("absent")).status().code(), Code::kNotFound);
}

TEST_P(FilesystemTest, EmptyFilesAndContentTypes) {
  ASSERT_TRUE(Write("/empty.json", "").ok());
  EXPECT_EQ(ReadAll("/empty.json"), "");
  EXPECT_EQ(fs_->Stat("/empty.json")->size, 0u);
}

TEST_P(FilesystemTest, CreateOnlyWritersFailBeforeUploading) {
  ASSERT_TRUE(Write("/f", "one").ok());
  EXPECT_EQ(fs_->OpenWriter("/f", {}).status().code(), Code::kAlreadyExists);
  WriteOptions replace;
  replace.mode = meta::PublishMode::kReplace;
  ASSERT_TRUE(Write("/f", "two", replace).ok());
  EXPECT_EQ(ReadAll("/f"), "two");
}

TEST_P(FilesystemTest, AReaderKeepsItsGenerationWhileTheFileIsReplaced) {
  ASSERT_TRUE(Write("/model", std::string(500, 'a')).ok());
  auto reader = fs_->OpenReader("/model");
  ASSERT_TRUE(reader.ok());
  WriteOptions replace;
  replace.mode = meta::PublishMode::kReplace;
  ASSERT_TRUE(Write("/model", std::string(300, 'b'), replace).ok());
  ASSERT_TRUE(fs_->CollectGarbage().ok());
  std::string old;
  ASSERT_TRUE((*reader)->Read(0, 500, &old).ok());
  EXPECT_EQ(old, std::string(500, 'a'));
  EXPECT_EQ(ReadAll("/model"), std::string(300, 'b'));
}

TEST_P(FilesystemTest, PutTreePublishesAllFilesInOneCommitOrNone) {
  std::filesystem::create_directories(local_.Sub("src/sub"));
  std::ofstream(local_.Sub("src/a")) << "A";
  std::ofstream(local_.Sub("src/sub/b")) << std::string(1000, 'B');
  std::vector<TreeFile> files = {{"/ckpt/a", local_.Sub("src/a")},
                                 {"/ckpt/sub/b", local_.Sub("src/sub/b")}};
  auto attrs = fs_->PutTree(files, {});
  ASSERT_TRUE(attrs.ok()) << attrs.status().ToString();
  EXPECT_EQ((*attrs)[0].generation, (*attrs)[1].generation);
  EXPECT_EQ(ReadAll("/ckpt/sub/b"), std::string(1000, 'B'));
  files.push_back({"/ckpt2/missing", local_.Sub("nope")});
  files[0].path = "/ckpt2/a";
  files[1].path = "/ckpt2/b";
  EXPECT_EQ(fs_->PutTree(files, {}).status().code(), Code::kNotFound);
  EXPECT_EQ(fs_->Stat("/ckpt2").status().code(), Code::kNotFound);
}

TEST_P(FilesystemTest, CollectedBytesCanBeWrittenAgainAsAStream) {
  std::string body(300, 'q');
  ASSERT_TRUE(Write("/a", body).ok());
  ASSERT_TRUE(fs_->Remove("/a", false).ok());
  auto gc = fs_->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  ASSERT_GT(gc->blocks_deleted, 0u);
  for (const char* path : {"/b", "/c"}) {  // every later path, every time
    auto again = Write(path, body);
    ASSERT_TRUE(again.ok()) << path << ": " << again.status().ToString();
    EXPECT_EQ(ReadAll(path), body);
  }
  ASSERT_TRUE(fs_->CollectGarbage().ok());
  EXPECT_EQ(ReadAll("/b"), body);
}

TEST_P(FilesystemTest, ExpireAndPruneRetiresExpiredSnapshotsButCollectsNoBlocks) {
  ASSERT_TRUE(Write("/a", std::string(300, 'a')).ok());
  ASSERT_TRUE(fs_->CreateSnapshot("lapsed", "/", /*expires_ns=*/1).ok());
  ASSERT_TRUE(fs_->CreateSnapshot("kept", "/", /*expires_ns=*/0).ok());
  ASSERT_TRUE(fs_->Remove("/a", false).ok());
  auto pruned = fs_->metadata()->ExpireAndPrune();
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->snapshots_expired, 1u);
  EXPECT_EQ(pruned->blocks_deleted + pruned->orphans_deleted, 0u);
  auto snapshots = fs_->ListSnapshots();
  ASSERT_TRUE(snapshots.ok());
  ASSERT_EQ(snapshots->size(), 1u);
  EXPECT_EQ((*snapshots)[0].name, "kept");
  // The removed file's blocks were left for the full collection.
  ASSERT_TRUE(fs_->RetireSnapshot("kept").ok());
  auto gc = fs_->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  EXPECT_GT(gc->blocks_deleted, 0u);
}

TEST_P(FilesystemTest, PutTreeRevivesCollectedBytesAndRefusesATakenName) {
  std::ofstream(local_.Sub("x")) << std::string(200, 'x');
  ASSERT_TRUE(fs_->PutTree({{"/x1", local_.Sub("x")}}, {}).ok());
  ASSERT_TRUE(fs_->Remove("/x1", false).ok());
  ASSERT_TRUE(fs_->CollectGarbage().ok());
  ASSERT_TRUE(fs_->PutTree({{"/x2", local_.Sub("x")}}, {}).ok());
  EXPECT_EQ(ReadAll("/x2"), std::string(200, 'x'));
  auto taken = fs_->PutTree({{"/x2", local_.Sub("x")}}, {});
  EXPECT_EQ(taken.status().code(), Code::kAlreadyExists);
}

TEST_P(FilesystemTest, RecursiveRemoveAndListPaging) {
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(Write("/t/f" + std::to_string(100 + i), "x").ok());
  ASSERT_TRUE(Write("/t/sub/deep/z", "z").ok());
  std::vector<std::string> names;
  std::string after;
  for (;;) {
    auto page = fs_->List("/t", after, 7);
    ASSERT_TRUE(page.ok());
    for (auto& e : page->entries) names.push_back(e.name);
    if (!page->more) break;
    after = page->entries.back().name;
  }
  EXPECT_EQ(names.size(), 31u);
  EXPECT_EQ(fs_->Remove("/t", false).code(), Code::kNotEmpty);
  ASSERT_TRUE(fs_->Remove("/t", true).ok());
  EXPECT_EQ(fs_->Stat("/t").status().code(), Code::kNotFound);
  EXPECT_EQ(fs_->Totals()->files, 0u);
}

TEST_P(FilesystemTest, SnapshotsReadTheFrozenView) {
  ASSERT_TRUE(Write("/s/x", "v1").ok());
  ASSERT_TRUE(fs_->CreateSnapshot("snap", "/s", 0).ok());
  ASSERT_TRUE(fs_->Remove("/s/x", false).ok());
  EXPECT_EQ(ReadAll("/s/x", ReadAt{"snap"}), "v1");
  EXPECT_EQ(fs_->List("/s", "", 10, ReadAt{"snap"})->entries.size(), 1u);
  EXPECT_EQ(fs_->Stat("/s/x").status().code(), Code::kNotFound);
  EXPECT_EQ(fs_->Stat("/s", ReadAt{"nope"}).status().code(), Code::kNotFound);
}

TEST_P(FilesystemTest, TruncateShrinksAndGrowsWithZeros) {
  std::string body(300, 'x');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  auto before = Write("/t", body);
  ASSERT_TRUE(before.ok());
  meta::SetAttrRequest shrink;
  shrink.size = 100;
  shrink.mode = 0600;
  auto shrunk = fs_->SetAttr("/t", shrink);
  ASSERT_TRUE(shrunk.ok()) << shrunk.status().ToString();
  EXPECT_EQ(shrunk->size, 100u);
  EXPECT_EQ(shrunk->mode, 0600u);
  EXPECT_GT(shrunk->generation, before->generation);
  EXPECT_EQ(ReadAll("/t"), body.substr(0, 100));
  meta::SetAttrRequest grow;
  grow.size = 250;
  ASSERT_TRUE(fs_->SetAttr("/t", grow).ok());
  EXPECT_EQ(ReadAll("/t"), body.substr(0, 100) + std::string(150, '\0'));
  meta::SetAttrRequest zero;
  zero.size = 0;
  ASSERT_TRUE(fs_->SetAttr("/t", zero).ok());
  EXPECT_EQ(ReadAll("/t"), "");
  ASSERT_TRUE(fs_->Mkdir("/dir", false).ok());
  EXPECT_EQ(fs_->SetAttr("/dir", grow).status().code(), Code::kIsADirectory);
}

TEST_P(FilesystemTest, DoctorReportsAHealthyStore) {
  ASSERT_TRUE(Write("/a", "abc").ok());
  ASSERT_TRUE(Write("/b", std::string(300, 'x') + "y").ok());  // 5 blocks, 4 of them alike
  auto findings = fs_->Doctor();
  ASSERT_TRUE(findings.ok());
  for (const auto& line : *findings) EXPECT_FALSE(line.starts_with("MISSING")) << line;
  EXPECT_NE(findings->back().find("0 missing"), std::string::npos);
  DoctorOptions verify;
  verify.verify = true;
  auto scrub = fs_->Doctor(verify);
  ASSERT_TRUE(scrub.ok());
  EXPECT_EQ(scrub->back(),
            "blocks: 6 checked, 0 missing, 3 verified (112 bytes read), 0 damaged; bodies: 2 "
            "verified");
}

TEST_P(FilesystemTest, InPlaceWritesAndStreamingReadsCarryChunkChecksums) {
  std::string body;
  for (int i = 0; i < 500; ++i) body += std::to_string(i * 7919) + ";";
  auto writer = fs_->OpenWriter("/s", {});
  ASSERT_TRUE(writer.ok());
  for (size_t pos = 0; pos < body.size();) {
    auto space = (*writer)->Space();
    ASSERT_TRUE(space.ok()) << space.status().ToString();
    size_t n = std::min<size_t>({space->size(), body.size() - pos, 37});
    std::copy_n(body.data() + pos, n, space->data());
    ASSERT_TRUE((*writer)->Advance(n).ok());
    pos += n;
  }
  EXPECT_EQ((*writer)->bytes_written(), body.size());
  auto attr = (*writer)->Commit();
  ASSERT_TRUE(attr.ok()) << attr.status().ToString();
  // The manifest read back (over RPC for the remote backends) has the
  // block-list digest and a CRC per 64-byte block.
  auto manifest = fs_->metadata()->GetManifest(attr->inode, attr->generation, {});
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  const object::BodyLayout& layout = manifest->layout;
  EXPECT_EQ(layout.digest_kind, object::DigestKind::kBlockList);
  EXPECT_EQ(layout.digest, object::BlockListDigest(body.size(), layout.blocks));
  EXPECT_EQ(layout.chunk_size, object::kDefaultChunkSize);
  EXPECT_EQ(layout.chunk_crcs.size(), layout.blocks.size());
  EXPECT_TRUE(object::ValidateLayout(layout).ok());
  auto reader = fs_->OpenReader("/s");
  ASSERT_TRUE(reader.ok());
  std::string streamed;
  ASSERT_TRUE((*reader)
                  ->ReadTo(10, body.size(),
                           [&](std::string_view bytes) {
                             streamed.append(bytes);
                             return Status::Ok();
                           })
                  .ok());
  EXPECT_EQ(streamed, body.substr(10));
}

TEST_P(FilesystemTest, APinHoldsOneReadPointUntilReleased) {
  Metadata* meta = fs_->metadata();
  ASSERT_TRUE(Write("/p", "first").ok());
  auto pin = meta->PinRead({});
  ASSERT_TRUE(pin.ok()) << pin.status().ToString();
  WriteOptions replace;
  replace.mode = meta::PublishMode::kReplace;
  ASSERT_TRUE(Write("/p", "second!", replace).ok());
  ASSERT_TRUE(fs_->Mkdir("/later", false).ok());
  ASSERT_TRUE(fs_->CollectGarbage().ok());

  ReadAt pinned{"", pin->id};
  auto then = meta->Stat("/p", pinned);
  ASSERT_TRUE(then.ok());
  EXPECT_EQ(then->size, 5u);
  EXPECT_EQ(meta->Stat("/later", pinned).status().code(), Code::kNotFound);
  EXPECT_EQ(ReadAll("/p", pinned), "first");  // its blocks were kept from the collector
  EXPECT_EQ(ReadAll("/p"), "second!");

  meta->Unpin(pin->id);
  EXPECT_EQ(meta->Stat("/p", pinned).status().code(), Code::kExpired);
  meta->Unpin(pin->id);  // releasing twice is harmless
}

// Checked in the commit that removes it, here and through a server.
TEST_P(FilesystemTest, ARemoveWithAnExpectedGenerationKeepsANewerFile) {
  WriteOptions replace;
  replace.mode = meta::PublishMode::kReplace;
  ASSERT_TRUE(Write("/g", "old").ok());
  uint64_t old_generation = fs_->Stat("/g")->generation;
  ASSERT_TRUE(Write("/g", "new", replace).ok());
  uint64_t now = fs_->Stat("/g")->generation;
  EXPECT_EQ(fs_->Remove("/g", false, old_generation).code(), Code::kFailedPrecondition);
  EXPECT_EQ(ReadAll("/g"), "new");
  ASSERT_TRUE(fs_->Mkdir("/gd", false).ok());
  EXPECT_EQ(fs_->Remove("/gd", true, now).code(), Code::kInvalidArgument);
  ASSERT_TRUE(fs_->Remove("/g", false, now).ok());
  EXPECT_EQ(fs_->Stat("/g").status().code(), Code::kNotFound);
}

TEST_P(FilesystemTest, OpenFileNamesWhatIsNotARegularFile) {
  ASSERT_TRUE(fs_->Mkdir("/d", false).ok());
  ASSERT_TRUE(fs_->Symlink("/s", "/d").ok());
  EXPECT_EQ(fs_->OpenReader("/d").status().code(), Code::kIsADirectory);
  // OpenReader follows a final link (cat LINK), to the directory here; the
  // seam's OpenFile does not follow it and names the symlink.
  EXPECT_EQ(fs_->OpenReader("/s").status().code(), Code::kIsADirectory);
  EXPECT_EQ(fs_->metadata()->OpenFile("/s", {}).status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(fs_->Symlink("/dangling", "/nowhere").ok());
  EXPECT_EQ(fs_->OpenReader("/dangling").status().code(), Code::kNotFound);
  EXPECT_EQ(fs_->OpenReader("/none").status().code(), Code::kNotFound);
  auto empty = fs_->metadata()->OpenFile("/d", {});
  EXPECT_FALSE(empty.ok());
}

// A loop is typed (every frontend maps it to ELOOP), here and across the wire.
TEST_P(FilesystemTest, ASymlinkLoopIsTypedWhereverItIsMet) {
  ASSERT_TRUE(fs_->Symlink("/a", "b").ok());
  ASSERT_TRUE(fs_->Symlink("/b", "a").ok());
  auto through = fs_->Stat("/a/x");  // resolved by the metadata service
  EXPECT_EQ(through.status().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(through.status().Is(Reason::kSymlinkLoop)) << through.status().ToString();
  auto last = fs_->FollowLinks("/a");  // followed link by link by the filesystem
  EXPECT_TRUE(last.status().Is(Reason::kSymlinkLoop)) << last.status().ToString();
  EXPECT_NE(last.status().message().find("too many levels of symbolic links"), std::string::npos);
  ASSERT_TRUE(fs_->Symlink("/c", "/c").ok());  // a link to itself
  EXPECT_TRUE(fs_->OpenReader("/c").status().Is(Reason::kSymlinkLoop));
}

TEST_P(FilesystemTest, InodeAddressedCallsMatchPathAddressedOnes) {
  Metadata* meta = fs_->metadata();
  auto dir = meta->Mkdir("/inodes", {});
  ASSERT_TRUE(dir.ok());
  auto file = meta->CreateAt(dir->inode, "f", {});
  ASSERT_TRUE(file.ok());
  auto entry = meta->Lookup(dir->inode, "f", {});
  ASSERT_TRUE(entry.ok());
  EXPECT_EQ(entry->inode, file->inode);
  EXPECT_EQ(meta->PathOf(file->inode, {}).value_or(""), "/inodes/f");
  ASSERT_TRUE(
      meta->RenameAt(dir->inode, "f", meta::kRootInode, "g", meta::RenameMode::kNoReplace).ok());
  EXPECT_EQ(fs_->Stat("/g")->inode, file->inode);
  auto page = meta->ReadDir(meta::kRootInode, "", 10, true, {});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 2u);
  EXPECT_EQ(page->entries[0].name, "g");
  EXPECT_EQ(page->attrs[1].inode, dir->inode);
  ASSERT_TRUE(meta->UnlinkAt(meta::kRootInode, "g").ok());
  ASSERT_TRUE(meta->RmdirAt(meta::kRootInode, "inodes").ok());
  EXPECT_EQ(fs_->Totals()->files, 0u);
}

TEST_P(FilesystemTest, FilesAddressedByInodeFollowRenamesAndLinks) {
  auto made = Write("/by-inode", "first body");
  ASSERT_TRUE(made.ok());
  ASSERT_TRUE(fs_->Rename("/by-inode", "/renamed", meta::RenameMode::kNoReplace).ok());
  ASSERT_TRUE(fs_->Link("/renamed", "/second-name").ok());

  auto reader = fs_->OpenReaderAt(made->inode);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::string out;
  ASSERT_TRUE((*reader)->Read(0, 100, &out).ok());
  EXPECT_EQ(out, "first body");

  WriteOptions replace;
  replace.mode = meta::PublishMode::kReplace;
  auto writer = fs_->OpenWriterAt(made->inode, replace);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE((*writer)->Append(std::string(150, 'n')).ok());
  auto published = (*writer)->Commit();
  ASSERT_TRUE(published.ok()) << published.status().ToString();
  EXPECT_EQ(published->inode, made->inode);
  EXPECT_EQ(ReadAll("/renamed"), std::string(150, 'n'));
  EXPECT_EQ(ReadAll("/second-name"), std::string(150, 'n'));
  // The open reader keeps the generation it opened.
  ASSERT_TRUE((*reader)->Read(0, 100, &out).ok());
  EXPECT_EQ(out, "first body");

  // Conditional replace by inode, and no creation through an inode.
  replace.mode = meta::PublishMode::kReplaceIfGeneration;
  replace.expected_generation = made->generation;  // stale now
  auto stale = fs_->OpenWriterAt(made->inode, replace);
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ((*stale)->Commit().status().code(), Code::kFailedPrecondition);
  WriteOptions create;
  EXPECT_EQ(fs_->OpenWriterAt(made->inode, create).status().code(), Code::kInvalidArgument);

  meta::SetAttrRequest resize;
  resize.size = 10;
  auto resized = fs_->SetAttrAt(made->inode, resize);
  ASSERT_TRUE(resized.ok()) << resized.status().ToString();
  EXPECT_EQ(resized->size, 10u);
  EXPECT_EQ(ReadAll("/second-name"), std::string(10, 'n'));

  ASSERT_TRUE(fs_->Mkdir("/a-dir", false).ok());
  auto dir = fs_->Stat("/a-dir");
  EXPECT_EQ(fs_->OpenReaderAt(dir->inode).status().code(), Code::kIsADirectory);
  EXPECT_EQ(fs_->SetAttrAt(dir->inode, resize).status().code(), Code::kIsADirectory);

  // Once no name is left, there is nothing to publish to.
  ASSERT_TRUE(fs_->Remove("/renamed", false).ok());
  ASSERT_TRUE(fs_->Remove("/second-name", false).ok());
  replace.mode = meta::PublishMode::kReplace;
  auto orphan = fs_->OpenWriterAt(made->inode, replace);
  ASSERT_TRUE(orphan.ok());
  EXPECT_EQ((*orphan)->Commit().status().code(), Code::kNotFound);
  EXPECT_EQ(fs_->OpenReaderAt(made->inode).status().code(), Code::kNotFound);
}

TEST_P(FilesystemTest, VerbsRunConfinedToTheirScope) {
  ASSERT_TRUE(Write("/runs/a/metrics.json", R"({"loss": 0.5})").ok());
  ASSERT_TRUE(Write("/other/secret.txt", "no").ok());
  query::ServiceOptions runs;
  runs.root = "/runs/";
  ASSERT_TRUE(fs_->CheckVerbScope(runs).ok());
  auto listed = fs_->CallVerb("ls", {{"path", "/runs"}}, runs);
  ASSERT_FALSE(listed.contains("error")) << listed.dump();
  auto outside = fs_->CallVerb("stat", {{"path", "/other/secret.txt"}}, runs);
  ASSERT_TRUE(outside.contains("error")) << outside.dump();

  query::ServiceOptions file_root;
  file_root.root = "/other/secret.txt";
  EXPECT_EQ(fs_->CheckVerbScope(file_root).code(), Code::kNotADirectory);
  query::ServiceOptions no_snapshot;
  no_snapshot.snapshot = "missing";
  EXPECT_EQ(fs_->CheckVerbScope(no_snapshot).code(), Code::kNotFound);
  auto refused = fs_->CallVerb("ls", {{"path", "/"}}, no_snapshot);
  ASSERT_TRUE(refused.contains("error")) << refused.dump();
  EXPECT_EQ(refused["error"]["code"], "not_found");
}

TEST_P(FilesystemTest, IndexRulesReportTheirState) {
  records::IndexRule rule;
  rule.id = "loss";
  rule.root = "/runs";
  rule.glob = "**/*.json";
  auto field = records::ParseFieldSpec("loss:number=$.loss");
  ASSERT_TRUE(field.ok()) << field.status().ToString();
  rule.fields.push_back(*field);
  ASSERT_TRUE(fs_->AddIndexRule(rule).ok());
  auto rules = fs_->IndexRules();
  ASSERT_TRUE(rules.ok());
  ASSERT_EQ(rules->size(), 1u);
  EXPECT_EQ((*rules)[0].rule.id, "loss");
  EXPECT_EQ((*rules)[0].state, meta::IndexRuleState::kReady);
}

TEST_P(FilesystemTest, NamesAreBytesNotText) {
  const std::string name = std::string("/bytes-\xff\xfe-") + "caf\xc3\xa9";
  ASSERT_TRUE(Write(name, "raw").ok());
  auto attr = fs_->Stat(name);
  ASSERT_TRUE(attr.ok()) << attr.status().ToString();
  EXPECT_EQ(attr->name, name.substr(1));
  auto page = fs_->List("/", "", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].name, name.substr(1));  // byte for byte, no replacement
  EXPECT_EQ(ReadAll(name), "raw");
}

INSTANTIATE_TEST_SUITE_P(Backends, FilesystemTest, ::testing::ValuesIn(Backends()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace nokv::fs
