#!/usr/bin/env bash
# The agent (MCP) benchmark, A1 of shared/design/BENCHMARKS.md:
#   bench/agent/run.sh /path/to/nokv [--runs 300] [--seed 42] [--append docs/benchmarks.md]
# Installs the Node package (npm ci) when node_modules is missing or stale.
set -euo pipefail
nokv=$(realpath "$1")
shift
here=$(cd "$(dirname "$0")" && pwd)
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --append) args+=("$1" "$(realpath "$2")"); shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
cd "$here"
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
exec node run.mjs --nokv "$nokv" "${args[@]}"
