#!/usr/bin/env bash
# The README's live ordering page command, on free ports (WebDemo 0 0): it starts, prints the page URL,
# and serves the page, courier.js and the favicon. The demo is stopped by its own pid.
set -euo pipefail
cd "$(dirname "$0")/.."
coproc DEMO { exec java -cp samples/target/courier-demo.jar dev.courier.samples.web.WebDemo 0 0 2>&1; }
demo_pid=$DEMO_PID
trap 'kill "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true' EXIT
page=""
while IFS= read -r -t 60 line <&"${DEMO[0]}"; do
  echo "  | $line"
  case "$line" in
    *"page:"*) page="$(echo "$line" | sed -E 's/.*page: +//')"; break ;;
  esac
done
[ -n "$page" ] || { echo "web-demo: no page URL within 60 s"; exit 1; }
base="${page%%#*}"
base="${base%/}"
for path in / /courier.js /favicon.ico; do
  code="$(curl -s -o /dev/null -w '%{http_code}' "$base$path")"
  echo "web-demo: GET $path -> $code"
  [ "$code" = 200 ] || { echo "web-demo: $base$path answered $code"; exit 1; }
done
echo "web-demo: the README's command serves the page at $base (free ports)"
