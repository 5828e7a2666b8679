#!/usr/bin/env bash
# Reproducible builds: two clean `package` builds must give byte-identical jars (every module's jar,
# test-jar and the two runnable jars). The second build also checks what each published jar carries:
# META-INF/LICENSE and META-INF/NOTICE, an Implementation-Version, and a valid Automatic-Module-Name
# that no other jar uses.
#   bash .ci/reproducible.sh            (MVN_FLAGS='-o' to stay offline)
set -euo pipefail
cd "$(dirname "$0")/.."
MVN_FLAGS="${MVN_FLAGS:-}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

# Courier's own jars: not the original-* of a shaded jar, not the third-party jars the benchmark copies beside its
# jar (benchmarks/target/perftest-lib: RabbitMQ PerfTest and its dependencies, run in a child JVM)
jars() { find . -path ./target -prune -o -path '*/target/perftest-lib' -prune -o -path '*/target/*.jar' \
  -not -name 'original-*' -print | sort; }

build() { # n
  echo "reproducible: clean build $1"
  # shellcheck disable=SC2086
  mvn -B -q $MVN_FLAGS -DskipTests clean package
  jars | while read -r j; do sha256sum "$j"; done > "$OUT/build$1.sha256"
}

build 1
build 2
n="$(wc -l < "$OUT/build1.sha256")"
if [ "$n" -eq 0 ]; then echo "ERROR: the build made no jars" >&2; exit 1; fi
if ! diff -u "$OUT/build1.sha256" "$OUT/build2.sha256"; then
  echo "ERROR: two clean builds gave different jars (above): the build is not reproducible" >&2
  exit 1
fi
echo "reproducible: $n jars byte-identical across two clean builds"

# What every jar carries (the runnable shaded jars courier-demo/courier-bench/courier-cli excepted: not published as such).
fail=0
seen=""
while read -r j; do
  case "$j" in */courier-demo.jar|*/courier-bench.jar|*/courier-cli.jar) continue ;; esac
  listing="$(unzip -Z1 "$j")"
  for f in META-INF/LICENSE META-INF/NOTICE; do
    grep -qx "$f" <<<"$listing" || { echo "ERROR: $j has no $f" >&2; fail=1; }
  done
  mf="$(unzip -p "$j" META-INF/MANIFEST.MF | tr -d '\r')"
  name="$(sed -n 's/^Automatic-Module-Name: //p' <<<"$mf")"
  version="$(sed -n 's/^Implementation-Version: //p' <<<"$mf")"
  [ -n "$version" ] || { echo "ERROR: $j has no Implementation-Version" >&2; fail=1; }
  if ! grep -Eq '^dev\.courier(\.[a-z][a-z0-9]*)*$' <<<"$name"; then
    echo "ERROR: $j: Automatic-Module-Name '$name' is not a module name under dev.courier" >&2; fail=1
  elif grep -qx "$name" <<<"$seen"; then
    echo "ERROR: $j: Automatic-Module-Name '$name' is used by another jar too" >&2; fail=1
  fi
  seen="$seen"$'\n'"$name"
  printf '  %-60s %-24s %s\n' "$j" "$name" "$version"
done < <(jars)
[ "$fail" -eq 0 ] || exit 1
echo "reproducible: every jar has LICENSE, NOTICE, Implementation-Version and its own Automatic-Module-Name"
