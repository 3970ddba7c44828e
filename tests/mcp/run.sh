#!/usr/bin/env bash
# Runs one MCP client suite against a `nokv` binary:
#   run.sh sdk|malformed|inspector|conformance|cancel|write|startup|roots|http|era2026 /path/to/nokv
# Installs the Node package first when node_modules is missing or older than
# package-lock.json (npm ci), and puts the packaged Node 22 first on PATH
# (the inspector needs Node >= 22.19).
set -euo pipefail
suite=$1
export NOKV_BIN=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ ! -x node_modules/node/bin/node ]; then
  echo "run.sh: npm ci in $here" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
export PATH="$here/node_modules/node/bin:$here/node_modules/.bin:$PATH"
node --version >&2
case "$suite" in
  sdk|malformed|inspector|conformance|cancel|write|startup|roots|http|era2026) exec node --test --test-reporter=spec "$suite.test.mjs" ;;
  *) echo "run.sh: unknown suite '$suite'" >&2; exit 2 ;;
esac
