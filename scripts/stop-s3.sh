#!/usr/bin/env bash
# Stops the RGW cluster started by scripts/start-s3.sh (by the PIDs it
# recorded, never by name) and removes its state directory.
#
#   scripts/stop-s3.sh [STATE_DIR] [--keep-logs]
set -euo pipefail

dir=${1:-${TMPDIR:-/tmp}/nokv-s3}
keep_logs=${2:-}
[ -d "$dir" ] || exit 0

pids=""
[ -f "$dir/pids" ] && pids=$(cat "$dir/pids")
# Daemons started before the pid list was written (a failed start).
for f in "$dir"/run/*.pid; do
  [ -f "$f" ] && pids="$pids $(cat "$f")"
done

alive() { kill -0 "$1" 2>/dev/null; }
for pid in $pids; do
  alive "$pid" && kill -TERM "$pid" 2>/dev/null || true
done
# The state is thrown away, so there is no point waiting long for a clean
# shutdown (the memstore OSD would dump its whole store to disk).
for _ in $(seq 1 10); do
  left=""
  for pid in $pids; do alive "$pid" && left="$left $pid"; done
  [ -z "$left" ] && break
  sleep 0.1
done
for pid in $pids; do
  alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
done

if [ "$keep_logs" = "--keep-logs" ]; then
  rm -rf "$dir"/{mon,osd,run,pids,s3.env}
else
  rm -rf "$dir"
fi
echo "stop-s3: stopped"
