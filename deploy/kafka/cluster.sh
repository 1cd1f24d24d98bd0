#!/usr/bin/env bash
# A 3-broker KRaft cluster on loopback, from the same jars and template as the single broker: every node
# is broker + controller (a 3-voter quorum survives one node down), topics default to replication 3 with
# min.insync.replicas=2, unclean leader election off. Each node has its own ports and data dir.
#
#   bash deploy/kafka/cluster.sh start            # start (or reuse) all nodes; last stdout line KAFKA_BROKERS=…
#   bash deploy/kafka/cluster.sh stop             # stop all nodes (SIGTERM, then SIGKILL after 20 s)
#   bash deploy/kafka/cluster.sh status           # one line per node
#   bash deploy/kafka/cluster.sh kill [n]         # kill -9 node n (1..3), as a crashed machine; every node without n
#   bash deploy/kafka/cluster.sh stop <n>         # stop node n cleanly
#   bash deploy/kafka/cluster.sh start <n>        # start node n again and wait until it is registered
#   bash deploy/kafka/cluster.sh brokers          # print KAFKA_BROKERS=… only
#
# Env: KAFKA_CLUSTER_DIR (<root>/.data/kafka-cluster), KAFKA_CLUSTER_PORT_BASE (9192: node n listens on
#      base+100(n-1), its controller on that +1), KAFKA_CLUSTER_SIZE (3), KAFKA_HEAP_OPTS (-Xms256m -Xmx384m
#      per node), KAFKA_READY_TIMEOUT (120 s).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$HERE/../.." && pwd -P)
SIZE=${KAFKA_CLUSTER_SIZE:-3}
BASE=${KAFKA_CLUSTER_PORT_BASE:-9192}
DIR=${KAFKA_CLUSTER_DIR:-$ROOT/.data/kafka-cluster}
case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac
export KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx384m}
READY_TIMEOUT=${KAFKA_READY_TIMEOUT:-120}
klog() { printf 'kafka-cluster: %s\n' "$*" >&2; }

port_of() { echo $((BASE + 100 * ($1 - 1))); }
controller_of() { echo $(( $(port_of "$1") + 1 )); }
nodes() { seq 1 "$SIZE"; }
brokers() { local n out=""; for n in $(nodes); do out="$out${out:+,}127.0.0.1:$(port_of "$n")"; done; echo "$out"; }
voters() { local n out=""; for n in $(nodes); do out="$out${out:+,}$n@127.0.0.1:$(controller_of "$n")"; done; echo "$out"; }
rf() { [ "$SIZE" -ge 3 ] && echo 3 || echo "$SIZE"; }
min_isr() { [ "$SIZE" -ge 3 ] && echo 2 || echo 1; }

mkdir -p "$DIR"
# one cluster id for all nodes, kept beside them
[ -s "$DIR/cluster.id" ] || node "$HERE/new-cluster-id.mjs" >"$DIR/cluster.id"
CLUSTER_ID=$(cat "$DIR/cluster.id")

# runs deploy/kafka/<script> as node $1
as_node() {
  local n=$1 script=$2
  KAFKA_NODE_ID=$n KAFKA_PORT=$(port_of "$n") KAFKA_CONTROLLER_PORT=$(controller_of "$n") \
  KAFKA_DATA_DIR="$DIR/broker-$n" KAFKA_QUORUM_VOTERS=$(voters) KAFKA_CLUSTER_ID=$CLUSTER_ID \
  KAFKA_REPLICATION_DEFAULT=$(rf) KAFKA_MIN_ISR=$(min_isr) KAFKA_NO_WAIT=1 \
    bash "$HERE/$script"
}

pid_of() { { tr -dc '0-9' <"$DIR/broker-$1/kafka.pid"; } 2>/dev/null || true; }
alive() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
# the warnings and errors a node logged, newest last: what a failed start is diagnosed from
node_errors() {
  local f
  for f in "$DIR/broker-$1/logs/server.log" "$DIR/broker-$1/logs/broker.out"; do
    if [ -s "$f" ]; then grep -E 'ERROR|FATAL|Exception|Address already in use' "$f" | tail -n 12 | sed "s|^|  node $1: |" >&2 || true; fi
  done
  return 0
}

wait_all() {
  node "$HERE/wait-ready.mjs" --brokers "$(brokers)" --min-brokers "$SIZE" \
    --cluster-id "$CLUSTER_ID" --timeout "$READY_TIMEOUT" --quiet
}

check_node() { [[ "${1:-}" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$SIZE" ] || { klog "node must be 1..$SIZE"; exit 2; }; }

cmd=${1:-}
node_arg=${2:-}
case "$cmd" in
  start)
    if [ -n "$node_arg" ]; then check_node "$node_arg"; targets=$node_arg; else targets=$(nodes); fi
    # the first start resolves the jars once (start.sh serialises on the pom lock); the others reuse them
    for n in $targets; do as_node "$n" start.sh >/dev/null; done
    T0=$(date +%s)
    if ! wait_all 2>"$DIR/wait.err"; then
      cat "$DIR/wait.err" >&2
      # A node that died while the others formed the quorum, or that runs but never registered (a JVM
      # starved on a loaded machine), is restarted once, after its own log lines are shown; the nodes that
      # did register are left alone.
      registered=$(sed -n 's/.*node ids: \([0-9,]*\).*/\1/p' "$DIR/wait.err" | tail -n 1)
      retry=""
      for n in $targets; do
        if ! alive "$n"; then klog "node $n exited while starting:"; node_errors "$n"; retry="$retry $n"
        elif ! [[ ",$registered," == *",$n,"* ]]; then klog "node $n runs but never registered:"; node_errors "$n"; retry="$retry $n"; fi
      done
      ok=0
      if [ -n "$retry" ]; then
        for n in $retry; do as_node "$n" stop.sh >/dev/null 2>&1 || true; as_node "$n" start.sh >/dev/null; done
        wait_all && ok=1
      fi
      if [ "$ok" != 1 ]; then
        for n in $(nodes); do
          if alive "$n"; then klog "node $n: running (pid $(pid_of "$n"))"; else klog "node $n: not running"; fi
          node_errors "$n"
        done
        klog "the cluster did not become ready within ${READY_TIMEOUT} s (logs: $DIR/broker-*/logs)"; exit 1
      fi
    fi
    klog "ready: $SIZE brokers registered after $(( $(date +%s) - T0 )) s (replication $(rf), min.insync.replicas $(min_isr))"
    echo "KAFKA_BROKERS=$(brokers)"
    ;;
  stop)
    if [ -n "$node_arg" ]; then check_node "$node_arg"; targets=$node_arg; else targets=$(nodes); fi
    for n in $targets; do as_node "$n" stop.sh; done
    ;;
  kill)
    # without a node: every node, for a cluster whose folder is deleted next (no controlled shutdown to wait for)
    if [ -n "$node_arg" ]; then check_node "$node_arg"; targets=$node_arg; else targets=$(nodes); fi
    for n in $targets; do
      pid=$(pid_of "$n")
      if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; klog "node $n (pid $pid) killed"; else klog "node $n is not running"; fi
    done
    ;;
  status)
    for n in $(nodes); do
      pid=$(pid_of "$n")
      if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "node $n: running (pid $pid) on 127.0.0.1:$(port_of "$n")"; else echo "node $n: stopped (127.0.0.1:$(port_of "$n"))"; fi
    done
    ;;
  brokers)
    echo "KAFKA_BROKERS=$(brokers)"
    ;;
  *)
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    [ "$cmd" = "-h" ] || [ "$cmd" = "--help" ] || [ "$cmd" = "help" ]
    ;;
esac
