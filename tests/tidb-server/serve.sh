#!/usr/bin/env bash
# Starts a single-process TiDB (unistore: embedded storage, no PD/TiKV) on 127.0.0.1 in the
# background and returns once it accepts MySQL connections. Stop it by the PID in the pid file:
#   kill "$(cat PIDFILE)"
# Usage: serve.sh --port P --status-port S --pid-file F [--log FILE] [--data DIR] [--config TOML]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

port="" status="" pidfile="" log="" data="" config="" timeout=120
usage() { echo "usage: $0 --port P --status-port S --pid-file F [--log FILE] [--data DIR] [--config TOML] [--timeout SECS]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="${2:-}"; shift 2 ;;
    --status-port) status="${2:-}"; shift 2 ;;
    --pid-file) pidfile="${2:-}"; shift 2 ;;
    --log) log="${2:-}"; shift 2 ;;
    --data) data="${2:-}"; shift 2 ;;
    --config) config="${2:-}"; shift 2 ;;
    --timeout) timeout="${2:-}"; shift 2 ;;
    *) usage ;;
  esac
done
[ -n "$port" ] && [ -n "$status" ] && [ -n "$pidfile" ] || usage
log="${log:-${pidfile%.pid}.log}"

bash "$here/build.sh" >&2
bin="$here/bin/tidb-server"

# -path "": unistore in memory (nothing left behind). With --data, unistore keeps its files
# there. Logs go to one file (TiDB's slow-query log too).
args=(-store unistore -path "$data" -host 127.0.0.1 -P "$port" -status "$status"
      -log-file "$log" -log-slow-query "$log.slow")
[ -z "$config" ] || args+=(-config "$config")
nohup "$bin" "${args[@]}" >"$log.stdout" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$pidfile"

# GET /status with bash alone (curl is not on every machine): true on HTTP 200.
status_ok() {
  local line
  { exec 4<>"/dev/tcp/127.0.0.1/$status"; } 2>/dev/null || return 1
  printf 'GET /status HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&4
  IFS= read -r -t 2 line <&4 || { exec 4<&-; return 1; }
  exec 4<&-
  [[ "$line" == *" 200 "* ]]
}

deadline=$(( $(date +%s) + timeout ))
while :; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "serve.sh: tidb-server (pid $pid) exited during start-up; log tail:" >&2
    tail -n 30 "$log" "$log.stdout" >&2 2>/dev/null || true
    rm -f "$pidfile"  # its PID may be reused: nobody should signal it later
    exit 1
  fi
  # /status answers once the server is up; the SQL port is open from that point on.
  if status_ok && { (exec 3<>"/dev/tcp/127.0.0.1/$port"); } 2>/dev/null; then
    echo "serve.sh: tidb-server pid $pid ready on 127.0.0.1:$port (status :$status, log $log)" >&2
    exit 0
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "serve.sh: tidb-server did not accept connections on 127.0.0.1:$port within ${timeout}s; stopping pid $pid; log tail:" >&2
    tail -n 30 "$log" "$log.stdout" >&2 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    rm -f "$pidfile"
    exit 1
  fi
  sleep 0.2
done
