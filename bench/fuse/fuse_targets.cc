// The targets of the FUSE suite (see fuse_targets.h).
#include "fuse_targets.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "bench/cli/process.h"

namespace nokv::bench {
namespace {

constexpr const char* kRcloneRemote = "bench";

// A name unique to this run, for buckets and key prefixes.
std::string RunTag() { return "nokv-fb-" + std::to_string(::getpid()); }

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Status WritePrivateFile(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno(errno, "open " + path);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok ? Status::Ok() : Status::IOError("cannot write " + path);
}

// A nokv mount of a fresh data directory under `dir` with WAL durability
// `durability`; blocks in S3 when `s3` is set.
Result<Target> NokvTarget(const FuseBenchConfig& c, const S3Service* s3,
                          const std::string& durability, const std::string& dir, Target t) {
  t.nokv_argv = {c.nokv, "--data-dir", dir + "/data"};
  std::string store = "local store";
  if (s3 != nullptr) {
    std::string prefix = RunTag() + "/";
    t.nokv_argv =
        Concat(t.nokv_argv, {"--object-store", "s3", "--s3-endpoint", s3->endpoint, "--s3-bucket",
                             s3->bucket, "--s3-region", s3->region, "--s3-prefix", prefix});
    t.cleanup_argv = {"rclone", "purge",
                      std::string(kRcloneRemote) + ":" + s3->bucket + "/" + RunTag()};
    store = "S3 store (RGW)";
  }
  t.nokv_argv = Concat(t.nokv_argv, {"--durability", durability, "-q"});
  NOKV_RETURN_IF_ERROR(RunChild(Concat(t.nokv_argv, {"init"}), "/dev/null").status());
  t.mount.argv = Concat(t.nokv_argv, {"mount", t.mountpoint});
  t.config = "nokv mount, " + store + ", 4 MiB blocks, spool in $TMPDIR, 1 s entry/attr timeouts";
  t.durability = "WAL " + durability + "; publish on close";
  return t;
}

}  // namespace

bool TargetNeedsS3(const std::string& name) {
  return name == "nokv-s3" || name == "s3fs" || name == "rclone";
}

Result<S3Service> ReadS3Env(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("no S3 env file " + path + " (run scripts/start-s3.sh)");
  std::map<std::string, std::string> vars;
  for (std::string line; std::getline(in, line);) {
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    vars[line.substr(0, eq)] = value;
  }
  S3Service s3{vars["NOKV_S3_ENDPOINT"], vars["NOKV_S3_BUCKET"], vars["AWS_REGION"],
               vars["AWS_ACCESS_KEY_ID"], vars["AWS_SECRET_ACCESS_KEY"]};
  if (s3.endpoint.empty() || s3.bucket.empty() || s3.access_key.empty() || s3.secret_key.empty()) {
    return Status::InvalidArgument(path + " lacks the endpoint, bucket or credentials");
  }
  if (s3.region.empty()) s3.region = "us-east-1";
  return s3;
}

void ConfigureRclone(const S3Service& s3) {
  const std::string prefix = "RCLONE_CONFIG_BENCH_";
  const std::pair<const char*, std::string> vars[] = {{"TYPE", "s3"},
                                                      {"PROVIDER", "Ceph"},
                                                      {"ENDPOINT", s3.endpoint},
                                                      {"REGION", s3.region},
                                                      {"ACCESS_KEY_ID", s3.access_key},
                                                      {"SECRET_ACCESS_KEY", s3.secret_key}};
  for (const auto& [key, value] : vars) ::setenv((prefix + key).c_str(), value.c_str(), 1);
  // No config file: everything comes from the environment.
  ::setenv("RCLONE_CONFIG", "/dev/null", 1);
  // The endpoint is plain HTTP; rclone's S3 client fails outright when a CA
  // bundle is named ("unsupported transport").
  ::unsetenv("AWS_CA_BUNDLE");
  // `nokv` reads its credentials from the same variables as the AWS tools.
  ::setenv("AWS_ACCESS_KEY_ID", s3.access_key.c_str(), 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", s3.secret_key.c_str(), 1);
  ::setenv("AWS_REGION", s3.region.c_str(), 1);
}

Result<Target> PrepareTarget(const FuseBenchConfig& c, const std::string& name, const S3Service* s3,
                             const std::string& dir) {
  Target t;
  t.name = name;
  t.layer = "L2";
  t.mountpoint = dir + "/mnt";
  std::error_code ec;
  std::filesystem::create_directories(t.mountpoint, ec);
  if (ec) return Status::IOError("mkdir " + t.mountpoint + ": " + ec.message());
  if (TargetNeedsS3(name) && s3 == nullptr) {
    return Status::InvalidArgument(name + " needs the S3 service (--s3-env)");
  }
  if (name == "noop") {
    t.mount.argv = {c.self, "noopfs", t.mountpoint};
    t.config = "no-op low-level FUSE fs, replies at once, reads zeros, 1 s entry/attr timeouts";
    t.durability = "-";
    return t;
  }
  if (name == "tmpfs") {
    t.layer = "kernel";
    t.config = "tmpfs (no FUSE): the upper bound";
    t.durability = "-";
    return t;
  }
  if (name == "nokv-local") return NokvTarget(c, nullptr, "sync", dir, std::move(t));
  if (name == "nokv-local-none") return NokvTarget(c, nullptr, "none", dir, std::move(t));
  if (name == "nokv-s3") return NokvTarget(c, s3, "sync", dir, std::move(t));
  std::string bucket = RunTag() + "-" + name;
  std::string remote = std::string(kRcloneRemote) + ":" + bucket;
  NOKV_RETURN_IF_ERROR(RunChild({"rclone", "mkdir", remote}, "/dev/null").status());
  t.cleanup_argv = {"rclone", "purge", remote};
  t.durability = "in S3 when close returns";
  if (name == "s3fs") {
    std::string passwd = dir + "/passwd-s3fs";
    NOKV_RETURN_IF_ERROR(WritePrivateFile(passwd, s3->access_key + ":" + s3->secret_key + "\n"));
    t.mount.argv = {"s3fs",
                    bucket,
                    t.mountpoint,
                    "-f",
                    "-o",
                    "url=" + s3->endpoint + ",use_path_request_style,endpoint=" + s3->region +
                        ",passwd_file=" + passwd};
    t.config = "s3fs-fuse defaults (no local data cache), path-style requests";
    return t;
  }
  if (name == "rclone") {
    t.mount.argv = {"rclone", "mount", remote, t.mountpoint};
    t.config = "rclone mount defaults (--vfs-cache-mode off: writes stream to S3)";
    return t;
  }
  return Status::InvalidArgument("unknown target '" + name + "'");
}

}  // namespace nokv::bench
