#!/usr/bin/env bash
# Starts a throw-away single-node Ceph RGW (mon + memstore OSD + radosgw) for
# the S3 tests and benchmarks, and writes its endpoint and credentials to an
# env file that tests and scripts read:
#
#   scripts/start-s3.sh [STATE_DIR]     default ${TMPDIR:-/tmp}/nokv-s3
#   . STATE_DIR/s3.env                  AWS_* variables, NOKV_S3_ENDPOINT, NOKV_S3_BUCKET
#   scripts/stop-s3.sh [STATE_DIR]      stops the daemons by PID and removes the state
#
# Every port is picked free at start, so several clusters (one per build dir)
# can run side by side. Auth is "none" inside the cluster; RGW still checks
# SigV4 signatures against the user created here. Data lives in memory
# (memstore), so nothing outlives stop-s3.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-${TMPDIR:-/tmp}/nokv-s3}
dir=$(mkdir -p "$dir" && cd "$dir" && pwd)
timeout_s=${NOKV_S3_START_TIMEOUT:-90}
access_key=${NOKV_S3_ACCESS_KEY:-NOKVTESTACCESSKEY01}
secret_key=${NOKV_S3_SECRET_KEY:-nokvTestSecretKey/0123456789abcdefghijkl}
bucket=${NOKV_S3_BUCKET:-nokv-test}
region=${NOKV_S3_REGION:-us-east-1}

attempt=${NOKV_S3_ATTEMPT:-1}
max_attempts=3

die() {
  echo "start-s3: $*" >&2
  "$here/stop-s3.sh" "$dir" --keep-logs >/dev/null 2>&1 || true
  # Ceph Pacific with auth "none" now and then sends a monitor command before
  # its session knows the cluster fsid and fails it; a fresh start fixes that.
  if [ "$attempt" -lt "$max_attempts" ]; then
    echo "start-s3: retrying from scratch (attempt $((attempt + 1)) of $max_attempts)" >&2
    NOKV_S3_ATTEMPT=$((attempt + 1)) exec "$0" "$dir"
  fi
  # Keep the logs beside the state dir: the fixture cleanup removes the state dir.
  rm -rf "$dir.failed-logs"
  mv "$dir/log" "$dir.failed-logs" 2>/dev/null || true
  echo "start-s3: logs in $dir.failed-logs (mon.a.log, osd.0.log, client.rgw.log, *.out)" >&2
  exit 1
}

for tool in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph python3 curl uuidgen; do
  command -v "$tool" >/dev/null || { echo "start-s3: $tool not found (run scripts/install-deps.sh)" >&2; exit 1; }
done

# A cluster already running from this state dir is reused when it still answers.
if [ -f "$dir/s3.env" ]; then
  endpoint=$(sed -n 's/^NOKV_S3_ENDPOINT=//p' "$dir/s3.env")
  if curl -s -o /dev/null --max-time 2 "$endpoint"; then
    echo "start-s3: already running at $endpoint (env file $dir/s3.env)"
    exit 0
  fi
  "$here/stop-s3.sh" "$dir" >/dev/null 2>&1 || true
  dir=$(mkdir -p "$dir" && cd "$dir" && pwd)
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

rm -rf "$dir"/{mon,osd,run,log,ceph.conf,monmap,s3.env,pids}
mkdir -p "$dir"/{mon,osd,run,log}
mon_port=$(free_port)
rgw_port=$(free_port)
while [ "$rgw_port" = "$mon_port" ]; do rgw_port=$(free_port); done
fsid=$(uuidgen)
conf=$dir/ceph.conf

cat >"$conf" <<EOF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$mon_port
ms bind msgr2 = false
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
pid file = $dir/run/\$name.pid
keyring = /dev/null
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon data avail crit = 0
# memstore's used-bytes counter can underflow under RGW's write pattern (seen
# with Pacific), which reads as "full" and stops every write. Ratios above 1
# are taken as percentages: 1e12 means a fill ratio of 1e10, never reached.
mon osd nearfull ratio = 1000000000000
mon osd backfillfull ratio = 1000000000000
mon osd full ratio = 1000000000000
osd failsafe full ratio = 1000000000000
mon data avail warn = 0
mon max pg per osd = 1000
mon warn on pool no redundancy = false
# Commit monitor map changes at once: RGW creates its pools one by one at start.
paxos propose interval = 0.05
paxos min wait = 0.01
ms bind port min = 20000
ms bind port max = 40000

[mon]
mon data = $dir/mon/\$name
mon cluster log file = $dir/log/cluster.log

[osd]
osd data = $dir/osd/\$name
osd objectstore = memstore
osd crush update on start = false
osd class update on start = false
memstore device bytes = ${NOKV_S3_MEMSTORE_BYTES:-4294967296}
osd max object name len = 460
osd max object namespace len = 64

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port tcp_nodelay=1
rgw dns name = localhost
rgw data = $dir/run/rgw
rgw enable usage log = false
rgw thread pool size = 64
# Objects above 4 MiB keep tail objects that RGW frees through its garbage
# collector (default: after 2 hours); collect at once so deletes free memstore.
rgw gc obj min wait = 0
rgw gc processor period = 2
EOF

# The ceph CLI may hit the same fsid race as the daemons: retry it a little.
ceph_cli() {
  local try
  for try in 1 2 3 4 5; do
    timeout 30 ceph -c "$conf" "$@" && return 0
    sleep 0.2
  done
  return 1
}

monmaptool --create --fsid "$fsid" --addv a "[v1:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null ||
  die "monmaptool failed"
ceph-mon -c "$conf" -i a --mkfs --monmap "$dir/monmap" >"$dir/log/mkfs-mon.out" 2>&1 ||
  die "ceph-mon --mkfs failed: $(tail -3 "$dir/log/mkfs-mon.out")"
ceph-mon -c "$conf" -i a >>"$dir/log/start.out" 2>&1 || die "ceph-mon did not start"

deadline=$((SECONDS + timeout_s))
until ceph_cli -s >/dev/null 2>&1; do
  [ $SECONDS -lt $deadline ] || die "monitor not answering after ${timeout_s}s"
  sleep 0.5
done

osd_uuid=$(uuidgen)
osd_id=$(ceph_cli osd new "$osd_uuid") || die "ceph osd new failed"
mkdir -p "$dir/osd/osd.$osd_id"
ceph-osd -c "$conf" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >"$dir/log/mkfs-osd.out" 2>&1 ||
  die "ceph-osd --mkfs failed: $(tail -3 "$dir/log/mkfs-osd.out")"
# The OSD's own crush update at start races its monitor session (now and then
# it sends the command with an all-zero fsid and gives up), so place it here.
ceph_cli osd crush add "osd.$osd_id" 1.0 root=default >>"$dir/log/start.out" 2>&1 ||
  die "ceph osd crush add failed"
ceph-osd -c "$conf" -i "$osd_id" >>"$dir/log/start.out" 2>&1 || die "ceph-osd did not start"

until ceph_cli osd stat 2>/dev/null | grep -q "1 up"; do
  [ $SECONDS -lt $deadline ] || die "osd.$osd_id not up after ${timeout_s}s"
  sleep 0.5
done

radosgw -c "$conf" -n client.rgw >>"$dir/log/start.out" 2>&1 || die "radosgw did not start"
endpoint=http://127.0.0.1:$rgw_port
until curl -s -o /dev/null --max-time 2 "$endpoint"; do
  [ $SECONDS -lt $deadline ] || die "radosgw not answering at $endpoint after ${timeout_s}s"
  sleep 0.5
done

radosgw-admin -c "$conf" user create --uid nokv --display-name "NoKV tests" \
  --access-key "$access_key" --secret-key "$secret_key" >"$dir/log/user.out" 2>&1 ||
  die "radosgw-admin user create failed: $(tail -3 "$dir/log/user.out")"

pids=""
for name in mon.a "osd.$osd_id" client.rgw; do
  pid=$(cat "$dir/run/$name.pid" 2>/dev/null) || die "no pid file for $name"
  pids="$pids $pid"
done
echo "${pids# }" >"$dir/pids"

cat >"$dir/s3.env" <<EOF
NOKV_S3_ENDPOINT=$endpoint
NOKV_S3_BUCKET=$bucket
NOKV_S3_DIR=$dir
NOKV_S3_RGW_PID=$(cat "$dir/run/client.rgw.pid")
NOKV_S3_SERVER_PIDS="${pids# }"
AWS_ACCESS_KEY_ID=$access_key
AWS_SECRET_ACCESS_KEY=$secret_key
AWS_REGION=$region
AWS_ENDPOINT_URL=$endpoint
EOF

# Create the test bucket and warm up the data pool (the first write creates
# it). curl signs with SigV4 itself; x-amz-content-sha256 must be sent by hand.
s3_curl() {
  local method=$1 path=$2 data=${3:-}
  local sha
  sha=$(printf '%s' "$data" | sha256sum | cut -d' ' -f1)
  curl -sS -f -o /dev/null --max-time 30 -X "$method" --aws-sigv4 "aws:amz:$region:s3" \
    --user "$access_key:$secret_key" -H "x-amz-content-sha256: $sha" \
    ${data:+--data-binary "$data"} "$endpoint/$path"
}
s3_curl PUT "$bucket" >"$dir/log/warmup.out" 2>&1 ||
  die "create-bucket failed: $(tail -3 "$dir/log/warmup.out")"
until s3_curl PUT "$bucket/warmup" warm >>"$dir/log/warmup.out" 2>&1; do
  [ $SECONDS -lt $deadline ] || die "warm-up write failed: $(tail -3 "$dir/log/warmup.out")"
  sleep 0.5
done
s3_curl DELETE "$bucket/warmup" >>"$dir/log/warmup.out" 2>&1 || true

echo "start-s3: RGW at $endpoint bucket $bucket (env file $dir/s3.env, ${SECONDS}s)"
