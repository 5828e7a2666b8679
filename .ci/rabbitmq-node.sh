#!/usr/bin/env bash
# Starts or stops an extra RabbitMQ node on this machine, beside (never touching) the machine's own
# node on 5672: its own node name, ports and data directory under $COURIER_RABBIT_BASE (default
# /tmp/courier-rabbit). It is stopped by the pid it started, never by name.
#   .ci/rabbitmq-node.sh start NAME AMQP_PORT     e.g. start courier-a 5681  (dist port = AMQP_PORT + 20000)
#   .ci/rabbitmq-node.sh stop NAME
#   .ci/rabbitmq-node.sh env NAME                 prints the exports that point rabbitmqctl and the tests at it
set -euo pipefail
base="${COURIER_RABBIT_BASE:-/tmp/courier-rabbit}"
cmd="${1:?start|stop|env}"; name="${2:?node name}"; dir="$base/$name"; node="$name@localhost"

case "$cmd" in
start)
  port="${3:?amqp port}"
  mkdir -p "$dir/log" "$dir/mnesia"
  echo '[].' > "$dir/enabled_plugins"
  cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.local = 127.0.0.1:$port
loopback_users = none
CONF
  id rabbitmq >/dev/null 2>&1 && chown -R rabbitmq:rabbitmq "$dir"
  RABBITMQ_NODENAME="$node" RABBITMQ_NODE_PORT="$port" RABBITMQ_DIST_PORT="$((port + 20000))" \
  RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/pid" \
  RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
    rabbitmq-server -detached
  for _ in $(seq 1 120); do [ -s "$dir/pid" ] && break; sleep 0.5; done
  rabbitmqctl -n "$node" wait "$dir/pid" --timeout 120 >/dev/null
  rabbitmqctl -n "$node" await_startup --timeout 120 >/dev/null
  echo "$port" > "$dir/port"
  echo "rabbitmq-node: $node serves amqp://guest:guest@127.0.0.1:$port/ (pid $(cat "$dir/pid"))"
  ;;
stop)
  pid="$(cat "$dir/pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$dir/pid"
  echo "rabbitmq-node: $node stopped"
  ;;
env)
  port="$(cat "$dir/port")"
  echo "export COURIER_AMQP_URI=amqp://guest:guest@127.0.0.1:$port/ RABBITMQ_NODENAME=$node"
  ;;
*) echo "usage: $0 start NAME PORT | stop NAME | env NAME" >&2; exit 2 ;;
esac
