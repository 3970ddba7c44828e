// The FUSE suite (`nokv-bench fuse`, BENCHMARKS.md rows F1 and F2, issue
// 12): the mdtest clone and the `juicefs bench` clone, one task, on these
// targets, all mounted for the whole run and taking turns repeat by repeat
// (each repeat starts at the next target), so a shared machine's changing
// load falls on all of them alike:
//   noop        the no-op FUSE filesystem (the ceiling probe, noop_fs.h)
//   tmpfs       the kernel's tmpfs (the upper bound; no FUSE)
//   nokv-local  `nokv mount` of a data directory with the local object store,
//               the default WAL durability (sync: every change fdatasynced)
//   nokv-local-none  the same with --durability none (WAL written, not
//               synced): what the mount costs beyond the disk's flushes
//   nokv-s3     `nokv mount` of a data directory whose blocks go to S3
//   s3fs        s3fs-fuse on a bucket of the same S3 service
//   rclone      `rclone mount` on a bucket of the same S3 service
// The S3 targets need the env file of scripts/start-s3.sh (a Ceph RGW).
// For the nokv targets, the big file of the last F2 repeat is also read
// with `nokv cat` (embedded, after the unmount, caches dropped) to set the
// mount's sequential read against it.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "bench/common/report.h"
#include "jfs_bench.h"
#include "mdtest.h"

namespace nokv::bench {

inline const std::vector<std::string> kFuseTargets = {
    "noop", "tmpfs", "nokv-local", "nokv-local-none", "nokv-s3", "s3fs", "rclone"};

struct FuseBenchConfig {
  std::string nokv;    // the nokv binary
  std::string self;    // this binary: serves the no-op filesystem (`noopfs`)
  std::string s3_env;  // env file of scripts/start-s3.sh; "" = no S3 targets
  std::vector<std::string> targets = kFuseTargets;  // in run order
  std::set<std::string> rows = {"F1", "F2"};
  int repeats = 3;
  // F1 repeats on s3fs and rclone, which make tens of changes a second:
  // one pass of the full tree takes them many minutes.
  int peer_f1_repeats = 1;
  // mdtest -W: each F1 item phase stops after this many seconds (0 = never).
  double stonewall_s = 20;
  MdtestShape md;
  JfsShape jfs;
  std::string data_root;  // scratch: mount points, data dirs, logs

  static FuseBenchConfig Quick() {
    FuseBenchConfig c;
    c.repeats = 1;
    c.stonewall_s = 5;
    c.md = {3, 4, 2};  // 13 tree directories, 52 items
    c.jfs.big = 64ull << 20;
    c.jfs.small_count = 20;
    return c;
  }
};

// Rows: F1 (each mdtest phase, ops/s) and F2 (each bench phase, MiB/s or
// files/s) per target, and F2 `nokv cat` of the big file per nokv target.
Status RunFuseSuite(const FuseBenchConfig& config, std::vector<Row>* rows);

// F1: nokv file creation >= 50% of the no-op ceiling; F1 and F2: nokv on S3
// ahead of both s3fs and rclone on every phase; F2: the mount's big-file
// read >= 70% of `nokv cat` of the same file.
std::vector<Verdict> ComputeFuseVerdicts(const std::vector<Row>& rows);

}  // namespace nokv::bench
