#!/usr/bin/env bash
# Installs Courier's Mosquitto drop-in and makes sure Mosquitto runs with it on 127.0.0.1:1883.
# Idempotent: restarts Mosquitto only when the drop-in changed (or Mosquitto is not running).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
conf=/etc/mosquitto/mosquitto.conf
dir=/etc/mosquitto/conf.d
dropin="$dir/courier.conf"
pidfile=/run/mosquitto/mosquitto.pid
port="${COURIER_MQTT_PORT:-1883}"

changed=0
mkdir -p "$dir"
if ! grep -Eq '^[[:space:]]*include_dir[[:space:]]+/etc/mosquitto/conf.d[[:space:]]*$' "$conf"; then
  echo "mosquitto.sh: adding 'include_dir $dir' to $conf"
  printf '\ninclude_dir %s\n' "$dir" >> "$conf"
  changed=1
fi
if ! cmp -s "$here/mosquitto-courier.conf" "$dropin"; then
  echo "mosquitto.sh: installing $dropin"
  cp "$here/mosquitto-courier.conf" "$dropin"
  chmod 644 "$dropin"
  changed=1
fi

running_pid() {
  local pid
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

pid="$(running_pid)"
if [[ -n "$pid" && "$changed" == 1 ]]; then
  echo "mosquitto.sh: configuration changed; stopping mosquitto ($pid) with SIGTERM"
  kill -TERM "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then echo "mosquitto.sh: mosquitto $pid did not stop" >&2; exit 1; fi
  pid=""
fi
if [[ -z "$pid" ]]; then
  if accepts; then
    echo "mosquitto.sh: port $port is taken by a broker this script did not start; leaving it" >&2
  else
    mkdir -p /run/mosquitto && chown mosquitto:mosquitto /run/mosquitto 2>/dev/null || true
    echo "mosquitto.sh: starting mosquitto -d -c $conf"
    mosquitto -d -c "$conf" || { echo "mosquitto.sh: mosquitto failed to start; see /var/log/mosquitto/mosquitto.log" >&2; exit 1; }
  fi
fi

for _ in $(seq 1 100); do
  if accepts; then echo "mosquitto.sh: mosquitto accepts connections on 127.0.0.1:$port"; exit 0; fi
  sleep 0.1
done
echo "mosquitto.sh: nothing accepts connections on 127.0.0.1:$port after 10 s; see /var/log/mosquitto/mosquitto.log" >&2
exit 1
