#!/usr/bin/env bash
# A2 of shared/design/BENCHMARKS.md: tools/call latency p50/p99 of `nokv mcp`
# on a 100k-file workspace, through the MCP Inspector's `--cli --load` mode.
#   bench/agent/run-latency.sh /path/to/nokv [--runs 1000] [--files-per-run 100] [--calls 2000]
# The inspector (2.x, needs Node >= 22.19) comes from tests/mcp's Node package,
# installed there (npm ci) when missing or stale; its Node 22 goes first on PATH.
set -euo pipefail
nokv=$(realpath "$1")
shift
here=$(cd "$(dirname "$0")" && pwd)
mcp="$here/../../tests/mcp"
(
  cd "$mcp"
  stamp=node_modules/.package-lock.json
  if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ ! -x node_modules/node/bin/node ]; then
    npm ci --no-audit --no-fund --loglevel=error >&2
  fi
)
export PATH="$mcp/node_modules/node/bin:$PATH"
cd "$here"
exec node latency.mjs --nokv "$nokv" --inspector "$mcp/node_modules/.bin/mcp-inspector" "$@"
