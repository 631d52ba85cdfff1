#!/usr/bin/env bash
# Start (or stop) N server processes on consecutive ports, sharing rooms through Redis.
# For the benchmark, the browser tests and a single-machine deployment behind nginx.
#
#   REDIS_URL=redis://127.0.0.1:6379/0 DATABASE_URL=postgresql+psycopg://... deploy/cluster.sh start 2 8001
#       → processes on 127.0.0.1:8001 and :8002, pid files and logs in instance/cluster/
#   deploy/cluster.sh stop
#
# Every process must see the same DATABASE_URL, REDIS_URL, INTERACTION_SECRET_KEY (sessions made by
# one are read by the others) and INTERACTION_SOCKETIO_CHANNEL (if set).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=instance/cluster
mkdir -p "$DIR"
case "${1:-}" in
  start)
    N="${2:-2}"; BASE="${3:-8001}"
    if [ -z "${REDIS_URL:-}" ] && [ "$N" -gt 1 ]; then
      echo "REDIS_URL must be set for more than one process (rooms are shared through Redis)" >&2; exit 1
    fi
    if [ -z "${INTERACTION_SECRET_KEY:-}" ]; then
      echo "note: INTERACTION_SECRET_KEY unset; every process reads instance/secret_key" >&2
    fi
    for i in $(seq 0 $((N - 1))); do
      port=$((BASE + i))
      nohup deploy/gunicorn.sh "$port" >"$DIR/$port.log" 2>&1 &
      echo $! >"$DIR/$port.pid"
      echo "started 127.0.0.1:$port (pid $(cat "$DIR/$port.pid"), log $DIR/$port.log)"
    done
    for i in $(seq 0 $((N - 1))); do
      port=$((BASE + i))
      for _ in $(seq 1 100); do
        if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
        sleep 0.2
      done
      curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { echo "127.0.0.1:$port is not answering" >&2; exit 1; }
    done
    ;;
  stop)
    for pidfile in "$DIR"/*.pid; do
      [ -e "$pidfile" ] || continue
      pid="$(cat "$pidfile")"
      kill "$pid" 2>/dev/null && echo "stopped pid $pid" || true
      rm -f "$pidfile"
    done
    ;;
  *)
    echo "usage: $0 start [N=2] [BASE_PORT=8001] | stop" >&2; exit 2 ;;
esac
