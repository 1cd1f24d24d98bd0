#!/usr/bin/env bash
# Stop the broker that start.sh started for this data dir: SIGTERM, wait up to 20 s, then SIGKILL.
# Not running (no pid file, stale pid, pid reused by another process) is fine: exit 0.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ -d "$KAFKA_DATA_DIR" ] || { klog "not running ($KAFKA_DATA_DIR does not exist)"; exit 0; }
# the same lock as start.sh: a start waits until this stop is over instead of reusing a dying broker
exec 9>"$KAFKA_DATA_DIR/.start.lock"
flock -w 60 9 || klog "a start.sh holds $KAFKA_DATA_DIR/.start.lock; stopping anyway"

if ! pid=$(kafka_running_pid); then
  rm -f "$KAFKA_PID_FILE" "$KAFKA_STOPPING_FILE"
  klog "not running ($KAFKA_DATA_DIR)"
  exit 0
fi

klog "stopping pid $pid (SIGTERM) ..."
# if this script dies half-way (its terminal closed), the marker still tells the next start.sh to wait
echo "$pid $(date -Is)" >"$KAFKA_STOPPING_FILE"
kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 200); do           # 200 x 0.1 s = 20 s
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
  klog "still running after 20 s, sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
fi
rm -f "$KAFKA_PID_FILE" "$KAFKA_STOPPING_FILE"
klog "stopped"
