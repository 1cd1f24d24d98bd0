# Shared by start.sh and stop.sh (sourced, not run). Computes paths from this file's location,
# so the scripts work from any cwd.
KAFKA_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
KAFKA_PROJECT_ROOT=$(cd "$KAFKA_SCRIPT_DIR/../.." && pwd -P)

KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_DATA_DIR=${KAFKA_DATA_DIR:-$KAFKA_PROJECT_ROOT/.data/kafka}
case "$KAFKA_DATA_DIR" in /*) ;; *) KAFKA_DATA_DIR="$PWD/$KAFKA_DATA_DIR" ;; esac

KAFKA_PID_FILE="$KAFKA_DATA_DIR/kafka.pid"
KAFKA_LOG_DIR="$KAFKA_DATA_DIR/logs"          # broker.out (stdout/stderr) + server.log (log4j2, WARN)
KAFKA_LOG_DIRS="$KAFKA_DATA_DIR/data"         # Kafka log.dirs (partitions + KRaft metadata + meta.properties)
KAFKA_CONFIG="$KAFKA_DATA_DIR/server.properties"  # rendered from the template at each start
KAFKA_LIBS="$KAFKA_SCRIPT_DIR/libs"
KAFKA_STOPPING_FILE="$KAFKA_DATA_DIR/stopping"     # "<pid> <time>" while stop.sh stops that broker

klog() { printf 'kafka: %s\n' "$*" >&2; }

# Prints the pid of the broker we started for this data dir, if it is still running.
kafka_running_pid() {
  [ -f "$KAFKA_PID_FILE" ] || return 1
  local pid
  pid=$(tr -dc '0-9' <"$KAFKA_PID_FILE")
  [ -n "$pid" ] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # guard against pid reuse: it must be a kafka.Kafka JVM with our rendered config
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "kafka.Kafka $KAFKA_CONFIG" || return 1
  printf '%s\n' "$pid"
}
