#!/usr/bin/env bash
# `make test`: the suite on PostgreSQL and on SQLite at the same time (each pytest process keeps
# about one core busy: its own test client and server thread share one interpreter), each run
# into its own log. Then both logs, one after the other, and a verdict per engine; exits non-zero
# when either run fails. Arguments go to both runs (PYTEST_ARGS).
set -uo pipefail
set -m  # each run in a process group of its own, so that Ctrl-C can be passed on to both

logs=var/test
mkdir -p "$logs"
pytest=.venv/bin/pytest
started=$SECONDS

# The 25 slowest tests of each run are listed at its end, where time goes is never a guess.
BOXOFFICE_TEST_DB=postgres "$pytest" --durations=25 "$@" >"$logs/postgres.log" 2>&1 &
postgres=$!
BOXOFFICE_TEST_DB=sqlite "$pytest" -m "not postgres_only" --durations=25 "$@" >"$logs/sqlite.log" 2>&1 &
sqlite=$!
trap 'kill -INT "$postgres" "$sqlite" 2>/dev/null' INT TERM
echo "make test: PostgreSQL and SQLite runs started together; logs: $logs/postgres.log, $logs/sqlite.log"

wait "$postgres"
postgres_status=$?
wait "$sqlite"
sqlite_status=$?

verdict() {  # engine, exit status, log: one line
  local outcome=passed
  [ "$2" -eq 0 ] || outcome="FAILED (pytest exit $2)"
  printf '%-10s %s: %s\n' "$1" "$outcome" "$(tail -n 1 "$3" | tr -d '=' | sed 's/^ *//;s/ *$//')"
}

for engine in postgres sqlite; do
  echo
  echo "======================== $engine run ($logs/$engine.log) ========================"
  cat "$logs/$engine.log"
done
echo
echo "make test: both engines in $((SECONDS - started)) s"
verdict PostgreSQL "$postgres_status" "$logs/postgres.log"
verdict SQLite "$sqlite_status" "$logs/sqlite.log"
[ "$postgres_status" -eq 0 ] && [ "$sqlite_status" -eq 0 ]
