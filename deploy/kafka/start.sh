#!/usr/bin/env bash
# Start (or reuse) a single-node KRaft Kafka broker resolved from Maven Central.
# Idempotent: if our broker for this data dir is already running and ready, exits 0 at once.
# Progress goes to stderr; stdout says KAFKA_LAUNCHED=<pid> or KAFKA_REUSED=<pid>, and its last line is
# KAFKA_BROKERS=127.0.0.1:<port>. A broker that stop.sh is stopping is waited for, never reused.
#
# Env: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_DATA_DIR (<root>/.data/kafka),
#      KAFKA_READY_TIMEOUT (90 s), KAFKA_HEAP_OPTS (-Xms512m -Xmx512m), KAFKA_JVM_EXTRA_OPTS (none),
#      JAVA (java), MVN (mvn).
#      As one node of a cluster (cluster.sh sets these): KAFKA_NODE_ID (1), KAFKA_QUORUM_VOTERS
#      (1@127.0.0.1:<controller port>), KAFKA_CLUSTER_ID (a new one), KAFKA_REPLICATION_DEFAULT (1),
#      KAFKA_MIN_ISR (1), KAFKA_NO_WAIT (1 = launch and return; the quorum needs the other nodes first).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

JAVA=${JAVA:-java}
MVN=${MVN:-mvn}
READY_TIMEOUT=${KAFKA_READY_TIMEOUT:-90}
HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms512m -Xmx512m}
T0=$(date +%s%N)
elapsed() { echo "$(( ($(date +%s%N) - T0) / 1000000 ))" | awk '{printf "%.1f", $1/1000}'; }

mkdir -p "$KAFKA_DATA_DIR" "$KAFKA_LOG_DIR" "$KAFKA_LOG_DIRS"

# One start at a time per data dir. fd 9 is closed for the broker (9<&-) so it never holds the lock.
exec 9>"$KAFKA_DATA_DIR/.start.lock"
flock -w 300 9 || { klog "another start.sh holds $KAFKA_DATA_DIR/.start.lock"; exit 1; }

cluster_id_of_data_dir() {
  sed -n 's/^cluster.id=//p' "$KAFKA_LOG_DIRS/meta.properties" 2>/dev/null || true
}

wait_ready() { # $1 = pid to watch; ready = that pid alive and a broker with our cluster id answers
  node "$KAFKA_SCRIPT_DIR/wait-ready.mjs" --brokers "127.0.0.1:$KAFKA_PORT" \
    --timeout "$READY_TIMEOUT" --pid "$1" --cluster-id "$(cluster_id_of_data_dir)" --quiet 9<&-
}

port_in_use() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

show_logs() {
  local f
  for f in "$KAFKA_LOG_DIR/server.log" "$KAFKA_LOG_DIR/broker.out"; do
    if [ -s "$f" ]; then
      echo "----- last 40 lines of $f -----" >&2
      tail -n 40 "$f" >&2
    fi
  done
}

# ---- 1. already running? ---------------------------------------------------------------
# A broker that was told to stop (stop.sh writes $KAFKA_STOPPING_FILE first) may still answer for a few
# seconds: reusing it would hand the gateway a broker about to vanish. Wait for it to go, then start anew.
if [ -f "$KAFKA_STOPPING_FILE" ]; then
  if pid=$(kafka_running_pid); then
    klog "broker pid $pid is shutting down (stop requested $(cat "$KAFKA_STOPPING_FILE" | cut -d' ' -f2)); waiting for it to exit ..."
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then klog "still running after 30 s, sending SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; fi
    klog "the old broker has exited after $(elapsed) s"
  fi
  rm -f "$KAFKA_STOPPING_FILE" "$KAFKA_PID_FILE"
fi
if pid=$(kafka_running_pid); then
  running_port=$(sed -n 's/^advertised.listeners=PLAINTEXT:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$KAFKA_CONFIG" 2>/dev/null || true)
  if [ -n "$running_port" ] && [ "$running_port" != "$KAFKA_PORT" ]; then
    klog "a broker for $KAFKA_DATA_DIR is already running (pid $pid) on port $running_port, not $KAFKA_PORT; run stop.sh first"
    exit 1
  fi
  if [ "${KAFKA_NO_WAIT:-}" = 1 ]; then
    klog "already running (pid $pid); not waiting (KAFKA_NO_WAIT=1)"
    echo "KAFKA_REUSED=$pid"
    echo "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
    exit 0
  fi
  if wait_ready "$pid"; then
    klog "already running (pid $pid), ready"
    echo "KAFKA_REUSED=$pid"
    echo "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
    exit 0
  fi
  klog "broker pid $pid is running but not ready within ${READY_TIMEOUT} s"
  show_logs
  exit 1
fi
rm -f "$KAFKA_PID_FILE"

for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
  if port_in_use "$port"; then
    klog "127.0.0.1:$port is already in use by another process (not a broker started for $KAFKA_DATA_DIR);"
    klog "stop it, or choose other ports with KAFKA_PORT / KAFKA_CONTROLLER_PORT"
    exit 1
  fi
done

# ---- 2. jars: resolve when libs/ is missing or was made from another pom.xml -----------------
pom_hash=$(sha256sum "$KAFKA_SCRIPT_DIR/pom.xml" | cut -d' ' -f1)
if [ "$(cat "$KAFKA_LIBS/.pom.sha256" 2>/dev/null || true)" != "$pom_hash" ] \
   || ! compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null; then
  klog "resolving broker jars from Maven (pom sha256 ${pom_hash:0:12}) ..."
  # serialise with other data dirs' starts that share libs/
  exec 8<"$KAFKA_SCRIPT_DIR/pom.xml"
  flock -w 600 8
  if [ "$(cat "$KAFKA_LIBS/.pom.sha256" 2>/dev/null || true)" != "$pom_hash" ] \
     || ! compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null; then
    tmp="$KAFKA_SCRIPT_DIR/libs.tmp.$$"
    rm -rf "$tmp"
    if ! "$MVN" -q -B -Dstyle.color=never -f "$KAFKA_SCRIPT_DIR/pom.xml" dependency:copy-dependencies \
         -DoutputDirectory="$tmp" -DincludeScope=runtime 9<&- 8<&- >"$KAFKA_LOG_DIR/mvn.log" 2>&1; then
      rm -rf "$tmp"
      klog "mvn dependency:copy-dependencies failed; last 40 lines of $KAFKA_LOG_DIR/mvn.log:"
      tail -n 40 "$KAFKA_LOG_DIR/mvn.log" >&2
      exit 1
    fi
    echo "$pom_hash" >"$tmp/.pom.sha256"
    rm -rf "$KAFKA_LIBS"
    mv "$tmp" "$KAFKA_LIBS"
    klog "resolved $(ls "$KAFKA_LIBS"/*.jar | wc -l) jars in $(elapsed) s"
  fi
  exec 8<&-
fi

# ---- 3. config ----------------------------------------------------------------------------
NODE_ID=${KAFKA_NODE_ID:-1}
sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
    -e "s|@NODE_ID@|$NODE_ID|g" \
    -e "s|@VOTERS@|${KAFKA_QUORUM_VOTERS:-$NODE_ID@127.0.0.1:$KAFKA_CONTROLLER_PORT}|g" \
    -e "s|@RF@|${KAFKA_REPLICATION_DEFAULT:-1}|g" \
    -e "s|@MIN_ISR@|${KAFKA_MIN_ISR:-1}|g" \
    -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
    -e "s|@LOG_DIRS@|$KAFKA_LOG_DIRS|g" \
    "$KAFKA_SCRIPT_DIR/server.properties" >"$KAFKA_CONFIG.tmp"
mv "$KAFKA_CONFIG.tmp" "$KAFKA_CONFIG"

LOG_OPTS=(-Dlog4j2.configurationFile="$KAFKA_SCRIPT_DIR/log4j2.properties" -Dkafka.logs.dir="$KAFKA_LOG_DIR")
CP="$KAFKA_LIBS/*"

# ---- 4. format storage once -----------------------------------------------------------------
# `kafka-storage format` writes two files: meta.properties (cluster id, node id, a random directory id)
# and bootstrap.checkpoint (the feature levels the cluster starts at: the same for every data directory
# formatted by these jars from this config template — two formats differ only in timestamps and CRCs).
# The first format runs the real StorageTool and keeps its checkpoint beside the jars; later formats
# write the same two files without a JVM (≈ 1.3 CPU-s each: the test suite formats a dozen data
# directories). The kept copy is named by the template's hash and goes with libs/ when the pom changes.
if [ ! -f "$KAFKA_LOG_DIRS/meta.properties" ]; then
  cluster_id=${KAFKA_CLUSTER_ID:-$(node "$KAFKA_SCRIPT_DIR/new-cluster-id.mjs")}
  kept="$KAFKA_LIBS/.bootstrap.checkpoint.$(sha256sum "$KAFKA_SCRIPT_DIR/server.properties" | cut -c1-12)"
  klog "formatting $KAFKA_LOG_DIRS (cluster id $cluster_id)"
  if [ -s "$kept" ]; then
    cp "$kept" "$KAFKA_LOG_DIRS/bootstrap.checkpoint"
    printf 'node.id=%s\ndirectory.id=%s\nversion=1\ncluster.id=%s\n' \
      "$NODE_ID" "$(node "$KAFKA_SCRIPT_DIR/new-cluster-id.mjs")" "$cluster_id" >"$KAFKA_LOG_DIRS/meta.properties.tmp"
    mv "$KAFKA_LOG_DIRS/meta.properties.tmp" "$KAFKA_LOG_DIRS/meta.properties"
  else
    TOOL=("$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -Xshare:auto "${LOG_OPTS[@]}" -cp "$CP" kafka.tools.StorageTool)
    if ! "${TOOL[@]}" format -t "$cluster_id" -c "$KAFKA_CONFIG" 9<&- >>"$KAFKA_LOG_DIR/broker.out" 2>&1; then
      klog "storage format failed"
      show_logs
      exit 1
    fi
    cp "$KAFKA_LOG_DIRS/bootstrap.checkpoint" "$kept.$$" && mv "$kept.$$" "$kept"
  fi
fi

# ---- 5. launch, detached --------------------------------------------------------------------
JVM_OPTS=(-server ${KAFKA_JVM_EXTRA_OPTS:-} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
          -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true)
echo "===== $(date -Is) start.sh launching kafka.Kafka =====" >>"$KAFKA_LOG_DIR/broker.out"
# setsid: own session, so the broker outlives this script and its terminal; the inner shell
# writes its own pid and execs java, so the pid file holds the JVM's pid.
# shellcheck disable=SC2086
setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$KAFKA_PID_FILE" \
  "$JAVA" $HEAP_OPTS "${JVM_OPTS[@]}" "${LOG_OPTS[@]}" -cp "$CP" kafka.Kafka "$KAFKA_CONFIG" \
  </dev/null >>"$KAFKA_LOG_DIR/broker.out" 2>&1 9<&- &
launcher=$!
for _ in $(seq 1 50); do [ -s "$KAFKA_PID_FILE" ] && break; sleep 0.1; done
pid=$(cat "$KAFKA_PID_FILE" 2>/dev/null || echo "$launcher")
klog "started kafka.Kafka (pid $pid), waiting up to ${READY_TIMEOUT} s for 127.0.0.1:$KAFKA_PORT ..."

# ---- 6. readiness ---------------------------------------------------------------------------
if [ "${KAFKA_NO_WAIT:-}" = 1 ]; then
  klog "launched (pid $pid); not waiting (KAFKA_NO_WAIT=1)"
  echo "KAFKA_LAUNCHED=$pid"
  echo "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
  exit 0
fi
if ! wait_ready "$pid"; then
  klog "broker did not become ready"
  show_logs
  if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  rm -f "$KAFKA_PID_FILE"
  exit 1
fi
klog "ready in $(elapsed) s (pid $pid, data $KAFKA_DATA_DIR)"
echo "KAFKA_LAUNCHED=$pid"
echo "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
