#!/usr/bin/env bash
# Start (or reuse) S3Proxy, an S3-compatible object store with a filesystem backend, from Maven Central
# (org.gaul:s3proxy, see pom.xml): the payload store for BLOB_STORE=s3 in tests and local runs.
# Idempotent per data dir. Progress on stderr; stdout ends with S3_ENDPOINT=http://127.0.0.1:<port>.
#
# Env: S3PROXY_PORT (9000), S3PROXY_DATA_DIR (<root>/.data/s3proxy), S3PROXY_IDENTITY (local-identity),
#      S3PROXY_CREDENTIAL (local-credential), S3PROXY_JVM_EXTRA_OPTS (none; the test suite passes
#      -XX:TieredStopAtLevel=1, see scripts/test.mjs), JAVA (java), MVN (mvn).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$HERE/../.." && pwd -P)
PORT=${S3PROXY_PORT:-9000}
DATA=${S3PROXY_DATA_DIR:-$ROOT/.data/s3proxy}
case "$DATA" in /*) ;; *) DATA="$PWD/$DATA" ;; esac
LIBS="$HERE/libs"
JAVA=${JAVA:-java}
MVN=${MVN:-mvn}
log() { printf 's3proxy: %s\n' "$*" >&2; }
mkdir -p "$DATA/objects"
exec 9>"$DATA/.start.lock"
flock -w 300 9

running_pid() {
  local pid; pid=$(tr -dc "0-9" 2>/dev/null <"$DATA/s3proxy.pid" || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--properties $DATA/s3proxy.conf" && echo "$pid"
}
answers() { curl -s -o /dev/null -m 2 "http://127.0.0.1:$PORT/" ; }

if pid=$(running_pid); then
  log "already running (pid $pid)"
  echo "S3_ENDPOINT=http://127.0.0.1:$PORT"
  exit 0
fi

pom_hash=$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)
if [ "$(cat "$LIBS/.pom.sha256" 2>/dev/null || true)" != "$pom_hash" ]; then
  exec 8<"$HERE/pom.xml"; flock -w 600 8
  if [ "$(cat "$LIBS/.pom.sha256" 2>/dev/null || true)" != "$pom_hash" ]; then
    log "resolving S3Proxy jars from Maven ..."
    tmp="$HERE/libs.tmp.$$"; rm -rf "$tmp"
    if ! "$MVN" -q -B -Dstyle.color=never -f "$HERE/pom.xml" dependency:copy-dependencies -DoutputDirectory="$tmp" -DincludeScope=runtime 9<&- 8<&- >"$DATA/mvn.log" 2>&1; then
      rm -rf "$tmp"; log "mvn failed; last lines of $DATA/mvn.log:"; tail -n 30 "$DATA/mvn.log" >&2; exit 1
    fi
    echo "$pom_hash" >"$tmp/.pom.sha256"; rm -rf "$LIBS"; mv "$tmp" "$LIBS"
  fi
  exec 8<&-
fi

cat >"$DATA/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:$PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=${S3PROXY_IDENTITY:-local-identity}
s3proxy.credential=${S3PROXY_CREDENTIAL:-local-credential}
jclouds.provider=filesystem
jclouds.filesystem.basedir=$DATA/objects
CONF
setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$DATA/s3proxy.pid" \
  "$JAVA" -Xms64m -Xmx256m ${S3PROXY_JVM_EXTRA_OPTS:-} -DLOG_LEVEL=warn -cp "$LIBS/*" org.gaul.s3proxy.Main --properties "$DATA/s3proxy.conf" \
  </dev/null >>"$DATA/s3proxy.out" 2>&1 9<&- &
for _ in $(seq 1 50); do [ -s "$DATA/s3proxy.pid" ] && break; sleep 0.1; done
pid=$(cat "$DATA/s3proxy.pid")
for _ in $(seq 1 600); do
  answers && { log "ready (pid $pid) on 127.0.0.1:$PORT"; echo "S3_ENDPOINT=http://127.0.0.1:$PORT"; exit 0; }
  kill -0 "$pid" 2>/dev/null || { log "exited while starting; last lines of $DATA/s3proxy.out:"; tail -n 30 "$DATA/s3proxy.out" >&2; exit 1; }
  sleep 0.1
done
log "not answering after 60 s"; exit 1
