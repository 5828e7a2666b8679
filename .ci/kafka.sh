#!/usr/bin/env bash
# Starts or stops a single-node KRaft Kafka broker (broker and controller in one JVM) for sdk-kafka's
# tests, the demo on kafka:// and the benchmark: no Docker, the broker's jars come from Maven Central
# through .ci/kafka/pom.xml (`mvn dependency:build-classpath`). It listens on 127.0.0.1 only, keeps its
# data under $COURIER_KAFKA_DIR, and is stopped by the pid it started, never by name.
#   .ci/kafka.sh start      formats the storage (first time), starts the broker, waits until it answers
#   .ci/kafka.sh stop       SIGTERM to the pid it started (SIGKILL after 60 s); `kill` sends SIGKILL at once
#   .ci/kafka.sh env        prints `export COURIER_KAFKA_BOOTSTRAP=127.0.0.1:<port>`
#   .ci/kafka.sh pid        prints the broker's pid (tests restart it with stop/start)
# Settings (environment): COURIER_KAFKA_PORT (9092; the controller listens on PORT+1),
# COURIER_KAFKA_DIR (/tmp/courier-kafka, or /tmp/courier-kafka-PORT for another port),
# COURIER_KAFKA_HEAP (512m).
# An SSL listener besides the plaintext one (sdk-kafka's KafkaTlsTest starts a broker of its own with it):
# COURIER_KAFKA_SSL_PORT (the listener's port) with COURIER_KAFKA_SSL_KEYSTORE (a PKCS12 key store holding
# the broker's key and certificate) and COURIER_KAFKA_SSL_PASSWORD (its password, default changeit).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
port="${COURIER_KAFKA_PORT:-9092}"
cport="$((port + 1))"
if [ "$port" = 9092 ]; then dflt=/tmp/courier-kafka; else dflt="/tmp/courier-kafka-$port"; fi
dir="${COURIER_KAFKA_DIR:-$dflt}"
heap="${COURIER_KAFKA_HEAP:-512m}"
cmd="${1:?start|stop|kill|env|pid}"
sslport="${COURIER_KAFKA_SSL_PORT:-}"
listeners="PLAINTEXT://127.0.0.1:$port"
advertised="PLAINTEXT://127.0.0.1:$port"
protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
ssl_props=""
if [ -n "$sslport" ]; then
  keystore="${COURIER_KAFKA_SSL_KEYSTORE:?COURIER_KAFKA_SSL_PORT needs COURIER_KAFKA_SSL_KEYSTORE (PKCS12)}"
  sslpass="${COURIER_KAFKA_SSL_PASSWORD:-changeit}"
  listeners="$listeners,SSL://127.0.0.1:$sslport"
  advertised="$advertised,SSL://127.0.0.1:$sslport"
  protocols="$protocols,SSL:SSL"
  ssl_props="ssl.keystore.type=PKCS12
ssl.keystore.location=$keystore
ssl.keystore.password=$sslpass
ssl.key.password=$sslpass
ssl.client.auth=none"
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && exec 3>&- 3<&-; }
running() { local p; p="$(cat "$dir/pid" 2>/dev/null || true)"; [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

classpath() {
  local cp=/tmp/courier-kafka-classpath.txt
  if [ ! -s "$cp" ] || [ "$here/kafka/pom.xml" -nt "$cp" ]; then
    ( cd "$here/kafka" && { mvn -B -q -o dependency:build-classpath -Dmdep.outputFile="$cp.tmp" >/dev/null 2>&1 \
        || mvn -B -q dependency:build-classpath -Dmdep.outputFile="$cp.tmp"; } ) && mv "$cp.tmp" "$cp"
  fi
  cat "$cp"
}

case "$cmd" in
start)
  if running; then echo "kafka: already running on 127.0.0.1:$port (pid $(cat "$dir/pid"))"; exit 0; fi
  if port_open "$port"; then echo "ERROR: port $port is taken by another process" >&2; exit 1; fi
  if [ -n "$sslport" ] && port_open "$sslport"; then echo "ERROR: port $sslport is taken by another process" >&2; exit 1; fi
  cp="$(classpath)"
  mkdir -p "$dir/data"
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=$listeners,CONTROLLER://127.0.0.1:$cport
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
$ssl_props
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
group.consumer.heartbeat.interval.ms=500
group.consumer.min.heartbeat.interval.ms=500
group.consumer.session.timeout.ms=6000
group.consumer.min.session.timeout.ms=6000
log.retention.hours=24
delete.topic.enable=true
PROPS
  java_opts=(-Xms128m "-Xmx$heap" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
             -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dlog4j2.level=warn)
  if [ ! -f "$dir/data/meta.properties" ]; then
    java "${java_opts[@]}" -cp "$cp" kafka.tools.StorageTool format -t MkU3OEVBNTcwNTJENDM2Qg \
      -c "$dir/server.properties" --ignore-formatted > "$dir/format.log" 2>&1 \
      || { cat "$dir/format.log" >&2; exit 1; }
  fi
  nohup java "${java_opts[@]}" -cp "$cp" kafka.Kafka "$dir/server.properties" > "$dir/broker.log" 2>&1 &
  echo $! > "$dir/pid"
  for _ in $(seq 1 240); do
    if ! running; then echo "ERROR: the Kafka broker exited; its log:" >&2; tail -40 "$dir/broker.log" >&2; exit 1; fi
    if port_open "$port" && { [ -z "$sslport" ] || port_open "$sslport"; }; then
      echo "kafka: broker on 127.0.0.1:$port${sslport:+ (SSL on $sslport)} (pid $(cat "$dir/pid"), data $dir)"; exit 0
    fi
    sleep 0.5
  done
  echo "ERROR: the Kafka broker did not answer on 127.0.0.1:$port within 120 s" >&2; tail -40 "$dir/broker.log" >&2; exit 1
  ;;
stop|kill)
  pid="$(cat "$dir/pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    if [ "$cmd" = kill ]; then kill -KILL "$pid"; else kill -TERM "$pid"; fi
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$dir/pid"
  echo "kafka: broker on 127.0.0.1:$port stopped"
  ;;
env) echo "export COURIER_KAFKA_BOOTSTRAP=127.0.0.1:$port" ;;
pid) cat "$dir/pid" ;;
*) echo "usage: $0 start|stop|kill|env|pid" >&2; exit 2 ;;
esac
