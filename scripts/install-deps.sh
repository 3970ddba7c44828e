#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the benchmarks need.
# Idempotent and non-interactive; skips apt entirely when all are present.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang-format
  # scripts/fuzz.sh: clang with its libFuzzer and sanitizer runtimes
  clang libclang-rt-14-dev
  # libraries
  libgtest-dev libgmock-dev googletest libbenchmark-dev nlohmann-json3-dev libcpp-httplib-dev
  libfuse3-dev fuse3 libcurl4-openssl-dev libssl-dev libsqlite3-dev sqlite3 libre2-dev
  libyaml-cpp-dev libcli11-dev
  # the shells `nokv completion` scripts are tested in
  zsh fish
  # nokv-bench rpc: the Redis peer (JuiceFS key layout) and its C client
  redis-server libhiredis-dev
  # real S3 for tests (Ceph RGW) and an independent S3 client
  radosgw ceph-mon ceph-osd awscli curl uuid-runtime
  # MCP client tests (npm ships with the nodejs package)
  nodejs
  # real tools on the FUSE mount (tests/fuse) and the FUSE benchmark peers
  git rsync fio python3 s3fs rclone
  # the Python binding (python/): pybind11, and what its tests and the P1
  # benchmark drive it with
  python3-dev pybind11-dev python3-pytest python3-fsspec python3-pandas python3-torch
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
