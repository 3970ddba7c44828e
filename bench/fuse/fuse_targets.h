// The targets of the FUSE suite: how each is prepared (data directory,
// bucket), which process serves its mount with which options, and what is
// cleaned up after it. Every S3 target uses the same RGW with the same
// credentials; each gets a bucket (or a key prefix) of its own.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "fuse_suite.h"
#include "mounted_target.h"

namespace nokv::bench {

// What scripts/start-s3.sh wrote to its env file.
struct S3Service {
  std::string endpoint;
  std::string bucket;
  std::string region;
  std::string access_key;
  std::string secret_key;
};
Result<S3Service> ReadS3Env(const std::string& path);

// Points the harness's own rclone calls (bucket creation and purges) and the
// rclone mount at `s3` through rclone's environment configuration (remote
// "bench"). Call before any thread starts.
void ConfigureRclone(const S3Service& s3);

struct Target {
  std::string name;        // row system: "noop", "tmpfs", "nokv-local", ...
  std::string config;      // row config: the options that matter
  std::string layer;       // "L2" (through FUSE) or "kernel" (tmpfs)
  std::string durability;  // what a close or a namespace change has made durable
  std::string mountpoint;
  MountSpec mount;
  // The nokv targets: `nokv` with the data directory and store flags, to
  // which a command is appended (`cat PATH`).
  std::vector<std::string> nokv_argv;
  // Runs after the unmount to free what the target stored (may be empty).
  std::vector<std::string> cleanup_argv;
};

// Prepares target `name` with its state under `dir` (created here). The S3
// targets need `s3`; the nokv ones an initialized data directory, made here.
Result<Target> PrepareTarget(const FuseBenchConfig& config, const std::string& name,
                             const S3Service* s3, const std::string& dir);

bool TargetNeedsS3(const std::string& name);

}  // namespace nokv::bench
