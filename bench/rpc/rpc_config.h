// Sizes, windows and durabilities of one `nokv-bench rpc` run (full or --quick).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "fs/embedded.h"

namespace nokv::bench {

struct RpcBenchConfig {
  int repeats = 3;
  std::chrono::milliseconds window{2000};  // M2 rows and the ceiling probes
  // The durability of the server for M1, M2, M3 and D1/D2. Group: a commit
  // is acknowledged once its WAL record is written (synced in the background
  // within milliseconds), at least as strong as Redis's default (RDB
  // snapshots, no AOF). M2 create also runs at kSync as context.
  fs::Durability durability = fs::Durability::kGroup;
  // M1 mdtest-easy over RPC: dirs x files, one client, calls per request.
  uint64_t easy_dirs = 64;
  uint64_t easy_files_per_dir = 1024;
  std::vector<int> batches = {1, 16, 128};
  // M2: client threads (each with its own connection); files stat'ed.
  std::vector<int> clients = {1, 8};
  uint64_t stat_files = 1024;
  // M3: directory sizes, random lookups per repeat, listing page size.
  std::vector<uint64_t> dir_sizes = {1024, 65536};
  uint64_t lookups = 20'000;
  size_t list_page = 1000;
  // D1: files x bytes published with `data_threads` writers; D2: files x bytes read.
  uint64_t publish_files = 1024;
  uint64_t publish_bytes = 1 << 20;
  uint64_t read_files = 4096;
  uint64_t read_bytes = 16 << 10;
  int data_threads = 16;
  std::string data_root;  // parent of the scratch directories

  static RpcBenchConfig Quick() {
    RpcBenchConfig c;
    c.repeats = 1;
    c.window = std::chrono::milliseconds(200);
    c.easy_dirs = 4;
    c.easy_files_per_dir = 256;
    c.stat_files = 64;
    c.dir_sizes = {1024};
    c.lookups = 500;
    c.publish_files = 32;
    c.read_files = 128;
    return c;
  }
};

}  // namespace nokv::bench
