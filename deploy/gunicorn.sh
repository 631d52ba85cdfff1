#!/usr/bin/env bash
# One server process of the desk: gunicorn with ONE gevent worker (Socket.IO needs one worker per
# process; scale out with more processes on more ports behind a sticky load balancer, sharing
# rooms through REDIS_URL). gunicorn's gevent worker monkey-patches the standard library itself.
#
#   deploy/gunicorn.sh 8001            # serves 127.0.0.1:8001
#   HOST=0.0.0.0 deploy/gunicorn.sh 8002
#
# --worker-connections: gunicorn's default (1000) caps the sockets of a process; each viewer holds one.
# --control-socket: one per process (gunicorn's default path is one per user: with several processes on
# a machine, as deploy/cluster.sh starts them, every one after the first logged "Address already in use").
# Memory: jemalloc where it is installed (deploy/allocator.sh; ALLOCATOR=pymalloc to keep Python's own);
# the worker is replaced by a fresh one once a crowd has left it and no socket is open (deploy/gunicorn.conf.py;
# REPLACE_WORKER_AFTER=0 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/allocator.sh
PORT="${1:-8001}"
HOST="${HOST:-127.0.0.1}"
mkdir -p instance
exec "${PYTHON:-.venv/bin/python}" -m gunicorn --config deploy/gunicorn.conf.py \
  --worker-class gevent --workers 1 --worker-connections "${WORKER_CONNECTIONS:-10000}" \
  --bind "$HOST:$PORT" --timeout 60 --graceful-timeout 20 --keep-alive 75 \
  --access-logfile - --log-level "${LOG_LEVEL:-info}" --control-socket "instance/gunicorn-$PORT.ctl" \
  wsgi:app
