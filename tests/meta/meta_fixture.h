// A MetaService on a fresh directory with an in-memory object store, plus
// helpers to upload bodies and publish them.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/thread_pool.h"
#include "meta/meta_service.h"
#include "object/block_writer.h"
#include "object/memory_store.h"
#include "test_dir.h"

namespace nokv::meta::testing {

class MetaTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    meta_.reset();
    MetaOptions options;
    options.engine.background_work = false;
    options.engine.checkpoint_wal_bytes = 0;
    options.store = meta_store_ != nullptr ? meta_store_ : &store_;
    options.now_ns = [this] { return now_ns_; };
    auto opened = MetaService::Open(dir_.path(), std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    meta_ = std::move(opened).value();
  }

  // Uploads `body` as blocks of `block_size` bytes and returns its manifest.
  Manifest Upload(std::string_view body, uint64_t block_size = 4) {
    object::BlockWriterOptions options;
    options.block_size = block_size;
    auto layout = object::BlockWriter::WriteBody(&store_, &pool_, body, options);
    EXPECT_TRUE(layout.ok()) << layout.status().ToString();
    Manifest m;
    m.layout = layout.value_or(object::BodyLayout{});
    m.content_type = "application/octet-stream";
    return m;
  }

  Result<Attr> Publish(std::string_view path, std::string_view body,
                       PublishMode mode = PublishMode::kCreate, uint64_t expected = 0) {
    PublishRequest request;
    request.path = path;
    request.manifest = Upload(body);
    request.mode = mode;
    request.expected_generation = expected;
    request.node.parents = true;
    return meta_->Publish(request);
  }

  // The body of `path` at `at`, read back through its manifest.
  std::string ReadBody(std::string_view path, const ReadContext* at = nullptr) {
    auto attr = meta_->Stat(path, at);
    if (!attr.ok()) return "<" + attr.status().ToString() + ">";
    auto manifest = meta_->GetManifest(attr->inode, attr->generation, at);
    if (!manifest.ok()) return "<" + manifest.status().ToString() + ">";
    std::string out;
    for (const auto& block : manifest->layout.blocks) {
      auto bytes = store_.Get(object::BlockKey(block.digest));
      if (!bytes.ok()) return "<" + bytes.status().ToString() + ">";
      out += *bytes;
    }
    return out;
  }

  std::vector<std::string> List(std::string_view path) {
    std::vector<std::string> names;
    auto inode = meta_->Resolve(path);
    if (!inode.ok()) return {"<" + inode.status().ToString() + ">"};
    auto page = meta_->ReadDir(*inode, "", 1000, false);
    if (!page.ok()) return {"<" + page.status().ToString() + ">"};
    for (auto& e : page->entries) names.push_back(e.name);
    return names;
  }

  size_t BlockObjects() {
    auto listed = store_.List(object::ListOptions{"blocks/", "", 0});
    return listed.ok() ? listed->objects.size() : 0;
  }

  nokv::testing::TempDir dir_{nokv::testing::TempDir::InMemoryBase()};
  object::MemoryStore store_;
  object::ObjectStore* meta_store_ = nullptr;  // what the service deletes through (default store_)
  ThreadPool pool_{2};
  int64_t now_ns_ = 1'700'000'000'000'000'000;
  std::unique_ptr<MetaService> meta_;
};

}  // namespace nokv::meta::testing
