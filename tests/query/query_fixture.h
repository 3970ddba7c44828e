// A fixed agent workspace for the verb tests: runs with metadata.json,
// params.yaml, metrics.jsonl and logs (one with a traceback), a CSV, a
// binary file, a malformed JSON file, a long line and a ~50k-line text file,
// under the index rules of AGENT_TOOLS.md. The clock is fixed and the
// operations run in a fixed order, so sequences (as_of, generations) are
// deterministic.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/thread_pool.h"
#include "meta/meta_service.h"
#include "object/block_writer.h"
#include "object/memory_store.h"
#include "query/service.h"
#include "records/rule.h"
#include "test_dir.h"

namespace nokv::query::testing {

using nlohmann::json;

class QueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    meta::MetaOptions options;
    options.engine.background_work = false;
    options.engine.checkpoint_wal_bytes = 0;
    options.store = &store_;
    options.now_ns = [this] { return now_ns_; };
    auto opened = meta::MetaService::Open(dir_.path(), std::move(options));
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    meta_ = std::move(opened).value();
    BuildWorkspace();
    service_ = std::make_unique<Service>(meta_.get(), &store_, &pool_);
  }

  void AddRule(const std::string& text) {
    auto rule = records::RuleFromJson(json::parse(text));
    ASSERT_TRUE(rule.ok()) << rule.status().ToString();
    ASSERT_TRUE(meta_->AddIndexRule(*rule).ok());
  }

  // Publishes `body` at `path` (replacing), blocks of `block_size` bytes.
  meta::Attr Put(const std::string& path, std::string_view body, uint64_t block_size = 4096) {
    now_ns_ += 1'000'000'000;
    object::BlockWriterOptions options;
    options.block_size = block_size;
    auto layout = object::BlockWriter::WriteBody(&store_, &pool_, body, options);
    EXPECT_TRUE(layout.ok());
    meta::PublishRequest request;
    request.path = path;
    request.manifest.layout = layout.value_or(object::BodyLayout{});
    request.manifest.content_type = "text/plain";
    request.manifest.producer = "fixture";
    request.mode = meta::PublishMode::kReplace;
    request.node.parents = true;
    auto attr = meta_->Publish(request);
    EXPECT_TRUE(attr.ok()) << attr.status().ToString();
    return attr.value_or(meta::Attr{});
  }

  json Call(std::string_view verb, const json& args, const CallControl& control = {}) {
    return service_->Call(verb, args, control);
  }
  static std::string Code(const json& result) {
    return result.contains("error") ? result["error"].value("code", "?") : "";
  }

  static std::string BigLine(int i) {
    return "line " + std::to_string(i) + (i % 1000 == 0 ? " checkpoint saved" : " step ok");
  }

  void BuildWorkspace() {
    AddRule(R"({"id": "runs-meta", "root": "/runs", "glob": "*/metadata.json",
        "target": "parent", "fields": ["run.status=$.status", "run.script=$.script",
        "run.epochs:number=$.epochs"]})");
    AddRule(R"J({"id": "runs-params", "root": "/runs", "glob": "*/params.yaml",
        "target": "parent", "fields": ["param.*=flatten($)"]})J");
    AddRule(R"J({"id": "runs-metrics", "root": "/runs", "glob": "*/metrics.jsonl",
        "target": "parent", "fields": [
          "metric.val_loss.min:number=min($.value where $.name == \"val_loss\")",
          "metric.steps=count($.step)"]})J");
    struct Run {
      const char* id;
      const char* status;
      const char* script;
      int epochs;
      const char* lr;
      double loss;
    };
    const Run runs[] = {{"r1", "\"completed\"", "train.py", 10, "0.001", 0.25},
                        {"r2", "\"failed\"", "train.py", 3, "0.01", 0.9},
                        {"r3", "\"completed\"", "finetune.py", 20, "0.0005", 0.18},
                        {"r4", "\"running\"", "train.py", 5, "0.001", -1},
                        {"r5", "3", "eval.py", 1, "0.1", 0.5}};
    for (const auto& r : runs) {
      std::string dir = std::string("/runs/") + r.id;
      Put(dir + "/metadata.json", std::string("{\"status\": ") + r.status + ", \"script\": \"" +
                                      r.script + "\", \"epochs\": " + std::to_string(r.epochs) +
                                      "}");
      Put(dir + "/params.yaml",
          std::string("lr: ") + r.lr + "\nbatch_size: 32\noptimizer:\n  name: adam\n");
      if (r.loss >= 0) {
        std::string metrics;
        for (int step = 1; step <= 3; ++step) {
          metrics +=
              "{\"step\": " + std::to_string(step) +
              ", \"name\": \"val_loss\", \"value\": " + std::to_string(r.loss + 0.1 * (3 - step)) +
              "}\n";
        }
        Put(dir + "/metrics.jsonl", metrics);
      }
      Put(dir + "/stdout.log", std::string("starting ") + r.script + "\nepoch 1 done\nfinished\n");
    }
    Put("/runs/r2/stderr.log",
        "Traceback (most recent call last):\n  File \"train.py\", line 42, in <module>\n"
        "    main()\nRuntimeError: CUDA out of memory\n");
    Put("/data/table.csv",
        "name,score,ok\nalpha,1.5,true\nbeta,2,false\n\"gamma, the third\",,TRUE\n");
    Put("/data/blob.bin", std::string("\x7f"
                                      "ELF\0\0\x01 error inside binary",
                                      27));
    Put("/data/bad.json", "{\"unterminated\": ");
    Put("/data/long.txt", std::string(3000, 'a') + " NEEDLE " + std::string(3000, 'b') + "\n");
    std::string big;
    for (int i = 1; i <= kBigLines; ++i) big += BigLine(i) + "\n";
    Put("/data/big.txt", big, 64 * 1024);
  }

  static constexpr int kBigLines = 50'000;

  nokv::testing::TempDir dir_{nokv::testing::TempDir::InMemoryBase()};
  object::MemoryStore store_;
  ThreadPool pool_{2};
  int64_t now_ns_ = 1'700'000'000'000'000'000;
  std::unique_ptr<meta::MetaService> meta_;
  std::unique_ptr<Service> service_;
};

}  // namespace nokv::query::testing
