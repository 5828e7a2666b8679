#!/usr/bin/env bash
# Profiles one side of one scenario of the benchmark jar under JDK Flight Recorder (the JDK's profile settings, sampling
# every SAMPLE_MS) and draws the flame graph of the recording (java -jar courier-bench.jar flame; docs/benchmarks.md, "Flame graphs").
#   bash benchmarks/flame.sh SCENARIO SIDE OUT.svg [-- scenario options]
#   bash benchmarks/flame.sh memory-throughput sdk docs/images/bench/flame-memory-sdk.svg -- --messages 1000000 --rounds 1
# SIDE: sdk or raw (the scenario runs with --only SIDE; it must offer --only, see `list`), or both (the whole run).
# Settings: JAR (benchmarks/target/courier-bench.jar), JFR (the recording; default benchmarks/target/flame/<OUT name>.jfr,
# kept to re-draw with other options), EVENT (jdk.ExecutionSample; jdk.ObjectAllocationSample for allocations),
# TITLE, FLAME_ARGS (more options for the flame subcommand, e.g. "--thread courier --include dev\.courier"),
# STACKDEPTH (JFR's frames per stack, 128; deeper stacks are cut and drawn on a [truncated] root), SAMPLE_MS (the
# execution-sample period, 2; profile.jfc's is 10 ms), ALLOC_THROTTLE (allocation samples per second, profile's 300/s).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$#" -ge 3 ] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
SCENARIO="$1"; SIDE="$2"; OUT="$3"; shift 3
if [ "$#" -gt 0 ]; then
  [ "$1" = "--" ] || { echo "expected -- before the scenario options, got '$1'" >&2; exit 2; }
  shift
fi
JAR="${JAR:-benchmarks/target/courier-bench.jar}"
EVENT="${EVENT:-jdk.ExecutionSample}"
STACKDEPTH="${STACKDEPTH:-128}"
SAMPLE_MS="${SAMPLE_MS:-2}"
ALLOC_THROTTLE="${ALLOC_THROTTLE:-300/s}"
name="$(basename "$OUT" .svg)"
JFR="${JFR:-benchmarks/target/flame/$name.jfr}"
mkdir -p "$(dirname "$JFR")" "$(dirname "$OUT")"
[ -f "$JAR" ] || mvn -B -q -DskipTests package -pl benchmarks -am

only=()
case "$SIDE" in
  sdk|raw)
    if ! java -jar "$JAR" list 2>&1 | grep -E "^  $SCENARIO " | grep -q -- "--only"; then
      echo "scenario '$SCENARIO' has no --only option (java -jar $JAR list); use SIDE both" >&2
      exit 2
    fi
    only=(--only "$SIDE") ;;
  both) ;;
  *) echo "SIDE must be sdk, raw or both, was '$SIDE'" >&2; exit 2 ;;
esac

# the JDK's profile settings, with the sampling period and allocation throttle above
java_home="$(java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/^ *java.home/{print $2}')"
jfc="$(dirname "$JFR")/$name.jfc"
sed -e "/<event name=\"jdk.ExecutionSample\">/,/<\/event>/s|<setting name=\"period\"\([^>]*\)>[^<]*<|<setting name=\"period\"\1>$SAMPLE_MS ms<|" \
    -e "/<event name=\"jdk.ObjectAllocationSample\">/,/<\/event>/s|<setting name=\"throttle\"\([^>]*\)>[^<]*<|<setting name=\"throttle\"\1>$ALLOC_THROTTLE<|" \
    "$java_home/lib/jfr/profile.jfc" > "$jfc"

echo "== $SCENARIO ($SIDE) under JFR -> $JFR   (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
rm -f "$JFR"
java "-XX:FlightRecorderOptions=stackdepth=$STACKDEPTH" \
  "-XX:StartFlightRecording=filename=$JFR,settings=$jfc,dumponexit=true" \
  -jar "$JAR" "$SCENARIO" "${only[@]}" "$@"
echo "== flame graph of $EVENT -> $OUT   (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
# shellcheck disable=SC2086
java -jar "$JAR" flame --event "$EVENT" --title "${TITLE:-$SCENARIO, $SIDE side}" --out "$OUT" ${FLAME_ARGS:-} "$JFR"
