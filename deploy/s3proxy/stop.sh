#!/usr/bin/env bash
# Stop the S3Proxy that start.sh started for this data dir (SIGTERM, then SIGKILL after 10 s).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$HERE/../.." && pwd -P)
DATA=${S3PROXY_DATA_DIR:-$ROOT/.data/s3proxy}
case "$DATA" in /*) ;; *) DATA="$PWD/$DATA" ;; esac
pid=$(tr -dc "0-9" 2>/dev/null <"$DATA/s3proxy.pid" || true)
if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then rm -f "$DATA/s3proxy.pid"; echo "s3proxy: not running" >&2; exit 0; fi
kill -TERM "$pid"; for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
rm -f "$DATA/s3proxy.pid"; echo "s3proxy: stopped" >&2
