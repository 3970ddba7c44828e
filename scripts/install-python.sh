#!/usr/bin/env bash
# Builds the Python binding and installs the `nokv` package (with its fsspec
# entry point for nokv:// URLs) into the site-packages of Debian's python3
# (docs/python.md). Re-run after pulling to update it.
#   scripts/install-python.sh                  # into /usr/local/lib/python3.X/dist-packages
#   NOKV_PYTHON_SITE=DIR scripts/install-python.sh   # somewhere else (add DIR to PYTHONPATH)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=1
build=${NOKV_BUILD_DIR:-build}
# Always passed, so a directory given once does not stick in the cache.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DNOKV_PYTHON_SITE="${NOKV_PYTHON_SITE:-}" >/dev/null
cmake --build "$build" -j"$(nproc)" --target nokv_python
cmake --install "$build" --component python
# Check what was installed, from outside the repository.
python=$(sed -n 's/^Python_EXECUTABLE:[A-Z]*=//p' "$build/CMakeCache.txt")
cd /
PYTHONPATH="${NOKV_PYTHON_SITE:-}" "$python" -c \
  'import fsspec, nokv; fsspec.get_filesystem_class("nokv"); print("installed nokv", nokv.__version__, "in", nokv.__path__[0])'
