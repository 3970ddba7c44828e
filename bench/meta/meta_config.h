// Sizes, repeats and durabilities of one `nokv-bench meta` run (full or --quick).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "holt/engine.h"

namespace nokv::bench {

struct MetaBenchConfig {
  int repeats = 3;
  // mdtest-easy: `easy_dirs` directories of `easy_files_per_dir` files each.
  uint64_t easy_dirs = 64;
  uint64_t easy_files_per_dir = 1024;
  // mdtest-hard: `hard_files` files in one shared directory.
  uint64_t hard_files = 65536;
  std::vector<int> batches = {1, 16, 128};  // creates per commit
  // Durabilities of the NoKV side (SQLite gets the matching synchronous level).
  std::vector<holt::Durability> easy_durabilities = {holt::Durability::kNone,
                                                     holt::Durability::kGroup};
  std::vector<holt::Durability> hard_durabilities = {holt::Durability::kNone};
  // M3: directory sizes; directories of at least `big_dir_entries` get
  // `big_dir_repeats` fills (lookups and listings still repeat `repeats` times).
  std::vector<uint64_t> dir_sizes = {1024, 65536, 1048576};
  uint64_t big_dir_entries = 1048576;
  int big_dir_repeats = 1;
  int dir_create_batch = 128;
  uint64_t lookups = 100'000;  // random lookups per round
  size_t list_page = 1000;     // ReadDir page size
  // E5: the footprint is taken from the fill of the directory of this size
  // (the first one run, in a freshly trimmed heap). 0: no E5 row.
  uint64_t footprint_entries = 1048576;
  std::string data_root;  // parent of every scratch store

  // A smoke configuration that finishes in a few seconds.
  static MetaBenchConfig Quick() {
    MetaBenchConfig c;
    c.repeats = 1;
    c.easy_dirs = 4;
    c.easy_files_per_dir = 256;
    c.hard_files = 1024;
    c.easy_durabilities = {holt::Durability::kNone};
    c.dir_sizes = {1024, 8192};
    c.big_dir_entries = 8192;
    c.lookups = 2000;
    c.footprint_entries = 8192;
    return c;
  }
};

}  // namespace nokv::bench
