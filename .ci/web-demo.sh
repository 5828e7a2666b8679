#!/usr/bin/env bash
# The README's live ordering page command, on free ports (WebDemo 0 0): it starts, prints the page URL,
# and serves the page, courier.js and the favicon, and the operations page (/ops/: the operator's token
# reads, the customer's is refused). The demo is stopped by its own pid.
#   bash .ci/web-demo.sh                 on the embedded in-memory broker
#   bash .ci/web-demo.sh kafka://...     with that backbone (WebDemo <uri> 0 0): services, hub and ops page on it
set -euo pipefail
cd "$(dirname "$0")/.."
backbone=("$@")
coproc DEMO { exec java -cp samples/target/courier-demo.jar dev.courier.samples.web.WebDemo "${backbone[@]}" 0 0 2>&1; }
demo_pid=$DEMO_PID
trap 'kill "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true' EXIT
page=""
ops=""
customer_token=""
while IFS= read -r -t 90 line <&"${DEMO[0]}"; do
  case "$line" in
    *"token:"*) echo "  | ${line%%token:*}token: (hidden)" ;;
    *"ops:"*) echo "  | ${line%%#*}#token=(hidden)" ;;
    *) echo "  | $line" ;;
  esac
  case "$line" in
    *"page:"*) page="$(echo "$line" | sed -E 's/.*page: +//')" ;;
    *"ops:"*) ops="$(echo "$line" | sed -E 's/.*ops: +//')" ;;
    *"token:"*) customer_token="$(echo "$line" | sed -E 's/.*token: +([^ ]+).*/\1/')"; break ;;
  esac
done
[ -n "$page" ] || { echo "web-demo: no page URL within 90 s"; exit 1; }
base="${page%%#*}"
base="${base%/}"
for path in / /courier.js /favicon.ico; do
  code="$(curl -s -o /dev/null -w '%{http_code}' "$base$path")"
  echo "web-demo: GET $path -> $code"
  [ "$code" = 200 ] || { echo "web-demo: $base$path answered $code"; exit 1; }
done
# the operations page: served, the operator's token may read, the customer's is refused
[ -n "$ops" ] && [ -n "$customer_token" ] || { echo "web-demo: no ops: URL or token printed"; exit 1; }
ops_base="${ops%%#*}"
operator_token="${ops##*token=}"
code="$(curl -s -o /dev/null -w '%{http_code}' "$ops_base")"
echo "web-demo: GET /ops/ -> $code"
[ "$code" = 200 ] || exit 1
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $operator_token" "${ops_base}api/services")"
echo "web-demo: GET /ops/api/services as the operator -> $code"
[ "$code" = 200 ] || exit 1
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $customer_token" "${ops_base}api/services")"
echo "web-demo: GET /ops/api/services as the customer -> $code"
[ "$code" = 403 ] || exit 1
echo "web-demo: the README's command serves the page at $base (free ports)"
