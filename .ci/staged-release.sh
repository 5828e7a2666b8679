#!/usr/bin/env bash
# A staged release, as a user would meet it:
#  1. `mvn deploy -Prelease` (tests skipped: .ci/run has run them) into a file repository under
#     target/staged/repo — every published module with its sources and Javadoc jars (Javadoc built
#     with doclint on, so a broken {@link} fails here), the parent POM and courier-bom; never
#     samples or benchmarks, and nothing installed into ~/.m2.
#  2. A consumer project OUTSIDE the reactor (target/staged/consumer-*) whose dependencies are the
#     README's own `quickstart-pom` block (the staged BOM + courier-api + an SLF4J binding) and whose
#     sources are the README's `quickstart` and `quickstart-service` Java blocks, extracted from
#     README.md. It resolves Courier only from the staging repository, with a local repository of
#     its own (target/staged/m2); third-party artifacts come from ~/.m2 read as a file repository
#     (offline-friendly; nothing is written there), else from Maven Central.
#  3. Runs the quick start on memory: — it must print its reply and its JVM must exit by itself — and
#     the service snippet, which must close and exit on SIGTERM. Then the quick start again on
#     RabbitMQ and Mosquitto (the README's "add courier-amqp and change the URI"), where they run;
#     under CI=true a missing broker fails.
#  4. Prints each published artifact's size and how many jars a user pulls in with it alone.
# If someone edits the README's code so that it no longer compiles or runs, this fails.
#   bash .ci/staged-release.sh   (never offline: Maven refuses file:// repositories under -o; with the
#   seed, nothing is downloaded when the machine has built the project before)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
CI="${CI:-false}"
T="$ROOT/target/staged"
STAGING="$T/repo"
LOCAL="$T/m2"
SEED="${COURIER_SEED_REPO:-$HOME/.m2/repository}"

fail() { echo "ERROR: $*" >&2; exit 1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && exec 3>&- 3<&-; }
# the first <version> after the given artifactId in a POM
pom_version() { sed -n "/<artifactId>$2<\/artifactId>/,/<version>/{s/.*<version>\(.*\)<\/version>.*/\1/p}" "$1" | head -1; }

VERSION="$(pom_version pom.xml courier-parent)"
BOM_VERSION="$(pom_version bom/pom.xml courier-bom)"
[ -n "$VERSION" ] || fail "cannot read the project version from pom.xml"
[ "$VERSION" = "$BOM_VERSION" ] || fail "bom/pom.xml has version $BOM_VERSION, the reactor $VERSION: they must move together"

rm -rf "$T"
mkdir -p "$STAGING" "$LOCAL"

# Every Maven run here uses a local repository of its own ($LOCAL), so nothing — not even the
# deploy plugin's cached metadata — lands in ~/.m2. Its settings add ~/.m2 as a file repository
# (read only; snapshots off, so never Courier's own) before Maven Central: what the machine already
# has is copied instead of downloaded.
SETTINGS="$T/settings.xml"
cat > "$SETTINGS" <<EOF
<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">
  <profiles>
    <profile>
      <id>seed</id>
      <repositories>
        <repository><id>seed</id><url>file://$SEED</url><snapshots><enabled>false</enabled></snapshots></repository>
      </repositories>
      <pluginRepositories>
        <pluginRepository><id>seed</id><url>file://$SEED</url><snapshots><enabled>false</enabled></snapshots></pluginRepository>
      </pluginRepositories>
    </profile>
  </profiles>
  <activeProfiles><activeProfile>seed</activeProfile></activeProfiles>
</settings>
EOF
mvn_staged() { mvn -B -q -Dstyle.color=never -s "$SETTINGS" -Dmaven.repo.local="$LOCAL" "$@"; }

echo "staged release: deploying $VERSION into $STAGING"
# Never offline (-o): maven-deploy-plugin refuses to deploy in offline mode, even to a file:// URL.
# Only the published modules, the parent and the BOM are built (samples and benchmarks also skip
# deploy in their POMs; the check below makes sure).
mvn_staged -DskipTests -Prelease -Dmaven.install.skip=true -pl '!samples,!benchmarks' \
    -DaltDeploymentRepository="courier-staging::file://$STAGING" deploy

# What was staged: every published artifact with sources and javadoc, nothing else of ours.
# What is published is what the BOM lists; each must be staged with its sources and Javadoc.
PUBLISHED="$(sed -n '/<dependencyManagement>/,/<\/dependencyManagement>/{s/.*<artifactId>\(courier-[a-z0-9-]*\)<\/artifactId>.*/\1/p}' bom/pom.xml | awk '!seen[$0]++' | tr '\n' ' ')"
[ -n "$PUBLISHED" ] || fail "bom/pom.xml lists no courier-* artifact"
echo "staged release: the BOM lists $PUBLISHED"
G="$STAGING/dev/courier"
for a in courier-parent courier-bom $PUBLISHED; do
  [ -d "$G/$a/$VERSION" ] || fail "$a $VERSION was not staged"
done
for a in $PUBLISHED; do
  for c in "" -sources -javadoc; do
    ls "$G/$a/$VERSION/"$a-*"$c".jar >/dev/null 2>&1 || fail "$a has no ${c:-main} jar in the staging repository"
  done
done
ls "$G/courier-api/$VERSION/"courier-api-*-tests.jar >/dev/null 2>&1 || fail "courier-api's test-jar (the conformance kit) was not staged"
for pom in */pom.xml; do
  case "$pom" in bom/*|samples/*|benchmarks/*) continue ;; esac
  a="$(sed -n '/<\/parent>/,$ {s/^  <artifactId>\(.*\)<\/artifactId>.*/\1/p}' "$pom" | head -1)"
  [[ " $PUBLISHED " == *" $a "* ]] || fail "$a ($pom) is built and deployed but courier-bom does not list it"
done
for a in courier-samples courier-benchmarks; do
  [ ! -e "$G/$a" ] || fail "$a must not be deployed"
done
echo "staged release: $(find "$G" -name '*.jar' | wc -l) jars staged; samples and benchmarks not deployed"

# ---- the consumer project, from README.md --------------------------------------------------------
# prints the fenced block that follows the first line starting with "<!-- $1"
readme_block() {
  awk -v marker="<!-- $1" '
    index($0, marker) == 1 { found = 1; next }
    found && !inside && /^```/ { inside = 1; next }
    inside && /^```/ { exit }
    inside { print }
  ' README.md
}

POM_BLOCK="$(readme_block 'quickstart-pom')"
QUICKSTART="$(readme_block 'quickstart:')"
SERVICE="$(readme_block 'quickstart-service')"
[ -n "$POM_BLOCK" ] || fail "README.md has no <!-- quickstart-pom --> block followed by an xml block"
[ -n "$QUICKSTART" ] || fail "README.md has no <!-- quickstart: --> block followed by a java block"
[ -n "$SERVICE" ] || fail "README.md has no <!-- quickstart-service --> block followed by a java block"
grep -q "<version>$VERSION</version>" <<<"$POM_BLOCK" \
  || fail "the README's dependency block does not name the current version $VERSION"
QS_CLASS="$(sed -n 's/^public class \([A-Za-z0-9_]*\).*/\1/p' <<<"$QUICKSTART" | head -1)"
SV_CLASS="$(sed -n 's/^public class \([A-Za-z0-9_]*\).*/\1/p' <<<"$SERVICE" | head -1)"
[ -n "$QS_CLASS" ] && [ -n "$SV_CLASS" ] || fail "the README's Java blocks must each declare one public class"

# consumer DIR [EXTRA_DEPENDENCY_ARTIFACT] [URI]: writes and compiles a consumer project
consumer() {
  local dir="$1" extra="${2:-}" uri="${3:-}" deps="$POM_BLOCK" qs="$QUICKSTART"
  mkdir -p "$dir/src/main/java"
  if [ -n "$extra" ]; then
    # the project's own <dependencies> (at the start of a line; the BOM's is indented)
    deps="$(sed "s|^<dependencies>\$|<dependencies>\\n  <dependency><groupId>dev.courier</groupId><artifactId>$extra</artifactId></dependency>|" <<<"$deps")"
    grep -q "<artifactId>$extra</artifactId>" <<<"$deps" || fail "could not add $extra to the README's dependency block"
    qs="${qs//\"memory:\"/\"$uri\"}"
  fi
  cat > "$dir/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>courier-consumer</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <repositories>
    <repository>
      <id>courier-staging</id>
      <url>file://$STAGING</url>
      <releases><enabled>true</enabled></releases>
      <snapshots><enabled>true</enabled><updatePolicy>always</updatePolicy></snapshots>
    </repository>
  </repositories>

$deps

  <build>
    <pluginManagement>
      <plugins>
        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.14.0</version></plugin>
        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
      </plugins>
    </pluginManagement>
  </build>
</project>
EOF
  printf '%s\n' "$qs" > "$dir/src/main/java/$QS_CLASS.java"
  printf '%s\n' "$SERVICE" > "$dir/src/main/java/$SV_CLASS.java"
  mvn_staged -f "$dir/pom.xml" compile \
    || fail "the README's quick start does not compile against the staged artifacts ($dir)"
  mvn_staged -f "$dir/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.9.0:build-classpath -Dmdep.outputFile="$dir/classpath.txt" >/dev/null
  echo "$dir/target/classes:$(cat "$dir/classpath.txt")" > "$dir/run-classpath.txt"
}

# run_to_exit DIR NAME TIMEOUT: runs the quick start; it must succeed and its JVM exit by itself
run_to_exit() {
  local dir="$1" name="$2" limit="$3" out="$1/quickstart.out" pid
  java -cp "$(cat "$dir/run-classpath.txt")" "$QS_CLASS" > "$out" 2>&1 &
  pid=$!
  for _ in $(seq 1 "$limit"); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  if kill -0 "$pid" 2>/dev/null; then
    jstack "$pid" > "$dir/quickstart.jstack" 2>&1 || true
    kill -9 "$pid" 2>/dev/null || true
    cat "$out" >&2
    fail "the README's quick start on $name did not exit within $limit s: a thread keeps its JVM alive (threads: $dir/quickstart.jstack)"
  fi
  local code=0; wait "$pid" || code=$?
  cat "$out"
  [ "$code" -eq 0 ] || fail "the README's quick start on $name exited with $code"
  grep -q '^accepted order-' "$out" || fail "the README's quick start on $name printed no 'accepted order-...' line"
  if grep -q 'No SLF4J providers' "$out"; then
    fail "the README's dependency block leaves SLF4J without a binding"
  fi
  if grep -Eq '(^|[] ])(ERROR|Exception)' "$out"; then
    fail "the README's quick start on $name logged errors (above)"
  fi
  echo "staged release: the README's quick start ran on $name and its JVM exited"
}

echo "staged release: the README's quick start as an outside consumer (BOM + courier-api)"
C="$T/consumer-memory"
consumer "$C"
run_to_exit "$C" memory: 60

echo "staged release: the README's service snippet closes on SIGTERM"
out="$C/service.out"
COURIER_URI=memory: java -cp "$(cat "$C/run-classpath.txt")" "$SV_CLASS" > "$out" 2>&1 &
pid=$!
for _ in $(seq 1 60); do grep -q 'started' "$out" 2>/dev/null && break; kill -0 "$pid" 2>/dev/null || break; sleep 1; done
grep -q 'started' "$out" || { kill -9 "$pid" 2>/dev/null || true; cat "$out" >&2; fail "the README's service did not start"; }
kill -TERM "$pid"
for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
if kill -0 "$pid" 2>/dev/null; then
  jstack "$pid" >&2 || true; kill -9 "$pid" 2>/dev/null || true
  fail "the README's service did not exit within 60 s of SIGTERM"
fi
code=0; wait "$pid" || code=$?
cat "$out"
[ "$code" -eq 143 ] || [ "$code" -eq 0 ] || fail "the README's service exited with $code after SIGTERM (expected 143)"
echo "staged release: the README's service closed its bus and exited on SIGTERM (exit $code)"

STAGED_BROKERS="${STAGED_BROKERS-amqp mqtt}"   # which brokers the quick start also runs on (CI: both)
for pair in "amqp courier-amqp amqp://guest:guest@localhost:5672/ 5672 RabbitMQ" "mqtt courier-mqtt mqtt://localhost:1883 1883 Mosquitto"; do
  read -r key artifact uri port broker <<<"$pair"
  if [[ " $STAGED_BROKERS " != *" $key "* ]]; then
    echo "staged release: the quick start on $broker is left out (STAGED_BROKERS='$STAGED_BROKERS')"
    continue
  fi
  if ! port_open "$port"; then
    [ "$CI" = true ] && fail "$broker is not on port $port: under CI=true the quick start must run on it"
    echo "staged release: no $broker on port $port; the quick start on it is skipped (it fails under CI=true)"
    continue
  fi
  echo "staged release: the README's quick start on $broker (+ $artifact, URI $uri)"
  C="$T/consumer-$artifact"
  consumer "$C" "$artifact" "$uri"
  run_to_exit "$C" "$broker" 90
done

# ---- what a user pulls in ------------------------------------------------------------------------
echo
echo "staged release: artifact sizes and the jars a user pulls in by adding only that artifact"
printf '  %-20s %9s %9s %9s  %s\n' artifact "jar (B)" "sources" "javadoc" "runtime class path: jars (itself included), KiB"
for a in $PUBLISHED; do
  d="$T/size-$a"; mkdir -p "$d"
  cat > "$d/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId><artifactId>size-$a</artifactId><version>1</version>
  <repositories>
    <repository><id>courier-staging</id><url>file://$STAGING</url><snapshots><enabled>true</enabled></snapshots></repository>
  </repositories>
  <dependencyManagement><dependencies><dependency>
    <groupId>dev.courier</groupId><artifactId>courier-bom</artifactId><version>$VERSION</version><type>pom</type><scope>import</scope>
  </dependency></dependencies></dependencyManagement>
  <dependencies><dependency><groupId>dev.courier</groupId><artifactId>$a</artifactId></dependency></dependencies>
</project>
EOF
  mvn_staged -f "$d/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.9.0:build-classpath -Dmdep.outputFile="$d/cp.txt" >/dev/null
  n="$(tr ':' '\n' < "$d/cp.txt" | grep -c '\.jar$')"  # the artifact itself included
  size() { # the newest staged jar of $a whose name ends in $1.jar (a timestamped snapshot ends in a digit)
    local f; f="$(ls "$G/$a/$VERSION/" | grep -E "^$a-.*$1\.jar\$" | grep -v -- '-tests\.jar' | sort | tail -1)"
    stat -c %s "$G/$a/$VERSION/$f"
  }
  kib="$(( $(tr ':' '\n' < "$d/cp.txt" | grep '\.jar$' | xargs stat -c %s | awk '{s += $1} END {print s}') / 1024 ))"
  printf '  %-20s %9s %9s %9s  %s jars, %s KiB\n' "$a" "$(size '[0-9]')" "$(size -sources)" "$(size -javadoc)" "$n" "$kib"
done
# courier-api alone, as a tree: what the README's quick start adds to a user's class path
echo
echo "staged release: mvn dependency:tree of a project with only courier-api:"
mvn -B -s "$SETTINGS" -Dmaven.repo.local="$LOCAL" -f "$T/size-courier-api/pom.xml" \
  org.apache.maven.plugins:maven-dependency-plugin:3.9.0:tree 2>&1 | sed -n '/^\[INFO\] ---/d; s/^\[INFO\] \(.*[-+\\] .*\)/  \1/p; s/^\[INFO\] \(example:size.*\)/  \1/p'

echo "staged release: OK"
