#!/usr/bin/env bash
# The whole suite on SQLite (with the browser and Redis tests), then again on PostgreSQL.
# PostgreSQL: INTERACTION_TEST_PG_URL, else a database "interaction_test" on 127.0.0.1:5432 (user postgres).
# With INTERACTION_TEST_REQUIRE_SERVERS=1 (CI) a server that cannot be reached fails the run;
# otherwise the tests that need it skip and say so.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export REDIS_TEST_URL="${REDIS_TEST_URL:-redis://127.0.0.1:6379/15}"

status=0
echo "== pytest on SQLite (with browser and Redis tests)"
$BIN/pytest -q "$@" || status=$?

PG_URL="${INTERACTION_TEST_PG_URL:-}"
if [ -z "$PG_URL" ]; then
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='interaction_test'" postgres \
      | grep -q 1 || createdb -h 127.0.0.1 -U postgres interaction_test
    PG_URL="postgresql+psycopg://postgres@127.0.0.1:5432/interaction_test"
  elif [ "${INTERACTION_TEST_REQUIRE_SERVERS:-}" = "1" ]; then
    echo "PostgreSQL is required in this run but 127.0.0.1:5432 does not answer" >&2
    exit 1
  else
    echo "== PostgreSQL not reachable on 127.0.0.1:5432: skipping the PostgreSQL pass"
    echo "   (start it or set INTERACTION_TEST_PG_URL to run the suite on PostgreSQL too)"
    exit $status
  fi
fi
echo "== pytest on PostgreSQL ($PG_URL)"
INTERACTION_TEST_DATABASE_URL="$PG_URL" $BIN/pytest -q -m "not browser" "$@" || status=$?
# Both passes always run, so one report shows everything that fails; the exit status is the worst.
exit $status
