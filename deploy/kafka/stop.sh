#!/usr/bin/env bash
# Stop the broker that start.sh started for this data dir: SIGTERM, wait up to 20 s, then SIGKILL.
# Not running (no pid file, stale pid, pid reused by another process) is fine: exit 0.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if ! pid=$(kafka_running_pid); then
  rm -f "$KAFKA_PID_FILE"
  klog "not running ($KAFKA_DATA_DIR)"
  exit 0
fi

klog "stopping pid $pid (SIGTERM) ..."
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
rm -f "$KAFKA_PID_FILE"
klog "stopped"
