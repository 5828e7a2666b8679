#!/usr/bin/env bash
# Takes the figures docs/benchmarks.md shows: every scenario of the benchmark jar with the options the page
# names, one JSON line per result in $OUT/<name>.jsonl (each round's detail in <name>.err), then the SVG charts
# (java -jar courier-bench.jar chart). Needs the brokers the scenarios use (RabbitMQ, Mosquitto, PostgreSQL,
# MariaDB; Kafka from .ci/kafka.sh) and a quiet machine: run nothing else meanwhile. About 35 minutes.
#   bash benchmarks/figures.sh                 # all of them
#   bash benchmarks/figures.sh memory amqp     # only those named (names below)
# Settings: OUT (benchmarks/target/figures), JAR (benchmarks/target/courier-bench.jar).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-benchmarks/target/figures}"
JAR="${JAR:-benchmarks/target/courier-bench.jar}"
mkdir -p "$OUT"
[ -f "$JAR" ] || mvn -B -q -DskipTests package -pl benchmarks -am

declare -A CMD=(
  [memory]="memory-throughput --messages 1000000 --rounds 5"
  [amqp]="amqp-throughput --messages 20000 --rounds 5"
  [mqtt]="mqtt-throughput --messages 50000 --rounds 5"
  [ws]="ws-throughput --messages 100000 --rounds 5 --warmup 50000"
  [kafka]="kafka-throughput --messages 50000 --warmup 10000 --rounds 5"
  [outbox-postgres]="jdbc-outbox --db postgres --messages 10000 --rounds 5"
  [outbox-mariadb]="jdbc-outbox --db mariadb --messages 10000 --rounds 5"
  [latency]="latency-under-load --transport amqp,mqtt,ws --levels 25,50,75 --seconds 10 --rounds 3"
  [topology]="amqp-topology --services 1,10,100"
  [request-reply]="request-reply-scale --requesters 1,10,100,1000"
  [message-size]="message-size --sizes 1k,16k,256k,1m --transports memory,amqp,mqtt"
  [dedup]="dedup-memory --steps 10k,1m,10m"
)
ORDER=(memory amqp mqtt ws kafka outbox-postgres outbox-mariadb latency topology request-reply message-size dedup)
[ "$#" -gt 0 ] && ORDER=("$@")
if [ -z "${COURIER_KAFKA_BOOTSTRAP:-}" ] && [ -x .ci/kafka.sh ]; then eval "$(bash .ci/kafka.sh env)"; fi
for name in "${ORDER[@]}"; do
  cmd="${CMD[$name]:?unknown figure '$name' (known: ${ORDER[*]})}"
  heap=(); [ "$name" = dedup ] && heap=(-Xmx1g)
  echo "== $name: java ${heap[*]} -jar $JAR $cmd   (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  # shellcheck disable=SC2086
  java "${heap[@]}" -jar "$JAR" $cmd > "$OUT/$name.jsonl" 2> "$OUT/$name.err" || echo "   FAILED (see $OUT/$name.err)"
  cat "$OUT/$name.jsonl"
done
# the charts: one directory per picture (chart writes ratios.svg, latency.svg, growth.svg as the lines allow)
chart() { local dir="$OUT/charts/$1"; shift; local files=(); for f in "$@"; do [ -s "$f" ] && files+=("$f"); done
  [ "${#files[@]}" -gt 0 ] && java -jar "$JAR" chart --out "$dir" "${CHART_OPTS[@]}" "${files[@]}" || true; }
CHART_OPTS=(--goal 0.8); chart throughput "$OUT"/{memory,amqp,mqtt,ws,kafka,outbox-postgres,outbox-mariadb}.jsonl
CHART_OPTS=(); chart latency "$OUT/latency.jsonl"
CHART_OPTS=(--step services --metric start_ms_p50); chart topology-start "$OUT/topology.jsonl"
CHART_OPTS=(--step services --metric heap_kib_per_bus); chart topology-heap "$OUT/topology.jsonl"
CHART_OPTS=(--step requesters --metric p99_us); chart request-reply-p99 "$OUT/request-reply.jsonl"
CHART_OPTS=(--step payload_bytes --metric sdk_mb_per_s); chart message-size "$OUT/message-size.jsonl"
CHART_OPTS=(--step ids --metric bytes_per_id); chart dedup "$OUT/dedup.jsonl"
echo "figures in $OUT, charts in $OUT/charts"
