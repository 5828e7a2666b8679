#!/usr/bin/env bash
# A 3-node RabbitMQ cluster on this one machine, beside (never touching) the machine's own node on 5672.
# Each node is started by .ci/rabbitmq-node.sh: node courier-cN@localhost, AMQP port $PORT+N-1 (default
# 5691-5693), dist port AMQP+20000, data and logs under $COURIER_CLUSTER_BASE/courier-cN (default
# /tmp/courier-cluster). Nodes 2 and 3 join node 1 (stop_app, reset, join_cluster, start_app); they share
# the Erlang cookie of the user rabbitmq-server runs as. Everything is stopped by the pids it started.
#   .ci/rabbitmq-cluster.sh start        stops a leftover cluster (by its pid files), starts 3 fresh nodes, joins them
#   .ci/rabbitmq-cluster.sh stop         stops the 3 nodes (SIGTERM, then SIGKILL after 60 s) by their pids
#   .ci/rabbitmq-cluster.sh env          prints the exports (COURIER_CLUSTER_URI, COURIER_CLUSTER_NODES)
#   .ci/rabbitmq-cluster.sh status       the cluster as node 1 sees it (rabbitmqctl cluster_status)
#   .ci/rabbitmq-cluster.sh leader Q     the node leading quorum queue Q (e.g. courier-c2@localhost)
#   .ci/rabbitmq-cluster.sh kill N       SIGKILL node N (1-3) by its pid: a crash
#   .ci/rabbitmq-cluster.sh pause N      SIGSTOP node N: it stops answering, its sockets stay open (a partition)
#   .ci/rabbitmq-cluster.sh resume N     SIGCONT node N
#   .ci/rabbitmq-cluster.sh restart N    stops node N if it runs (or resumes and stops it), starts it again, waits
#                                        until it is back in the cluster
# Exit status 0 on success. Environment: COURIER_CLUSTER_BASE, COURIER_CLUSTER_PORT (node 1's AMQP port).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export COURIER_RABBIT_BASE="${COURIER_CLUSTER_BASE:-/tmp/courier-cluster}"
base="$COURIER_RABBIT_BASE"
port1="${COURIER_CLUSTER_PORT:-5691}"
N=3
name() { echo "courier-c$1"; }
node() { echo "courier-c$1@localhost"; }
port() { echo $((port1 + $1 - 1)); }
pidof_node() { cat "$base/$(name "$1")/pid" 2>/dev/null || true; }
alive() { local p; p="$(pidof_node "$1")"; [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
ctl() { rabbitmqctl -q -n "$@"; }
log() { echo "rabbitmq-cluster: $*" >&2; }
check_n() { case "${1:-}" in 1|2|3) ;; *) echo "node number 1-3 expected, was '${1:-}'" >&2; exit 2 ;; esac; }

# the number of running nodes node 1 (or any live node) reports
running_count() {
  local i out
  for i in 1 2 3; do
    alive "$i" || continue
    # the running_nodes list of cluster_status's JSON, counted without a JSON tool
    out="$(ctl "$(node "$i")" cluster_status --formatter json 2>/dev/null)" || continue
    echo "$out" | tr -d ' \n' | grep -o '"running_nodes":\[[^]]*\]' | grep -o '@' | wc -l | tr -d ' '
    return 0
  done
  echo 0
}

wait_running() { # count seconds
  local _
  for _ in $(seq 1 "$2"); do
    [ "$(running_count)" -ge "$1" ] && return 0
    sleep 1
  done
  log "the cluster did not reach $1 running nodes within $2 s"; return 1
}

stop_one() {
  local i="$1" p
  p="$(pidof_node "$i")"
  [ -n "$p" ] && kill -CONT "$p" 2>/dev/null || true   # a paused node cannot handle SIGTERM
  bash "$here/rabbitmq-node.sh" stop "$(name "$i")" >/dev/null
}

start_one() {
  local i="$1"
  rm -f "$base/$(name "$i")/pid"
  bash "$here/rabbitmq-node.sh" start "$(name "$i")" "$(port "$i")" >/dev/null
}

cmd="${1:?start|stop|env|status|leader Q|kill N|pause N|resume N|restart N}"
case "$cmd" in
start)
  t0=$(date +%s)
  for i in 1 2 3; do stop_one "$i" & done; wait
  for i in 1 2 3; do rm -rf "${base:?}/$(name "$i")"; done
  mkdir -p "$base"; : > "$base/join.log"
  pids=()
  for i in 1 2 3; do start_one "$i" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || { log "a node did not start (logs under $base/*/log)"; exit 1; }; done
  for i in 2 3; do   # the CLI's warnings while a node joins go to join.log, shown when a step fails
    for step in stop_app reset "join_cluster $(node 1)" start_app; do
      # shellcheck disable=SC2086
      ctl "$(node "$i")" $step >>"$base/join.log" 2>&1 || { cat "$base/join.log" >&2; log "$(node "$i"): $step failed"; exit 1; }
    done
  done
  wait_running 3 120
  for i in 1 2 3; do ctl "$(node "$i")" await_startup --timeout 120; done
  log "3 nodes running in $(( $(date +%s) - t0 )) s: amqp://guest:guest@127.0.0.1:$(port 1),127.0.0.1:$(port 2),127.0.0.1:$(port 3)/"
  ;;
stop)
  for i in 1 2 3; do stop_one "$i" & done; wait
  log "stopped"
  ;;
env)
  echo "export COURIER_CLUSTER_URI=amqp://guest:guest@127.0.0.1:$(port 1),127.0.0.1:$(port 2),127.0.0.1:$(port 3)/" \
       "COURIER_CLUSTER_NODES=$(node 1),$(node 2),$(node 3)"
  ;;
status)
  ctl "$(node 1)" cluster_status
  ;;
leader)
  q="${2:?queue name}"
  for i in 1 2 3; do
    alive "$i" || continue
    l="$(ctl "$(node "$i")" list_queues name leader --no-table-headers 2>/dev/null | awk -v q="$q" '$1 == q { print $2 }')" || true
    [ -n "$l" ] && { echo "$l"; exit 0; }
  done
  log "no live node knows a leader for $q"; exit 1
  ;;
kill)
  check_n "${2:-}"; p="$(pidof_node "$2")"
  [ -n "$p" ] || { log "node $2 has no pid file"; exit 1; }
  kill -KILL "$p"
  for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  rm -f "$base/$(name "$2")/pid"
  log "$(node "$2") killed (pid $p)"
  ;;
pause|resume)
  check_n "${2:-}"; p="$(pidof_node "$2")"
  [ -n "$p" ] || { log "node $2 has no pid file"; exit 1; }
  if [ "$cmd" = pause ]; then kill -STOP "$p"; else kill -CONT "$p"; fi
  log "$(node "$2") ${cmd}d (pid $p)"
  ;;
restart)
  check_n "${2:-}"
  stop_one "$2"
  start_one "$2"
  wait_running 3 120
  log "$(node "$2") restarted (pid $(pidof_node "$2"))"
  ;;
*) echo "usage: $0 start|stop|env|status|leader Q|kill N|pause N|resume N|restart N" >&2; exit 2 ;;
esac
