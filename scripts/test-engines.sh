#!/usr/bin/env bash
# `make test`: the suite on PostgreSQL and on SQLite at the same time, with the browser tests
# (PostgreSQL, when Chromium is installed) in a third run beside them: each pytest process keeps
# about one core busy at most (its test client and server thread share one interpreter), and
# each waits often (servers starting, webhooks landing, pages loading), so three runs fill two
# cores where two left them idle. Each run has a database and a log of its own; then the logs,
# one after the other, and a verdict per run; exits non-zero when any run fails. Arguments go
# to every run (PYTEST_ARGS).
set -uo pipefail
set -m  # each run in a process group of its own, so that Ctrl-C can be passed on to all

logs=var/test
mkdir -p "$logs"
pytest=.venv/bin/pytest
started=$SECONDS
# Each run in TEST_WORKERS pytest-xdist workers (2; 0 runs in the one pytest process), which
# take the next test as they finish one: when a worker waits on a server, a page or a webhook,
# another test has the core.
workers=(-n "${TEST_WORKERS:-2}" --dist worksteal)
# Every worker imports the suite, and pytest rewrites each test module's asserts as it does: with
# the bytecode caches written (git ignores them), the first run pays that and the others read it.
export PYTHONDONTWRITEBYTECODE=
runs=(postgres browser sqlite)

# The 25 slowest tests of each run are listed at its end, where time goes is never a guess.
BOXOFFICE_TEST_DB=postgres "$pytest" "${workers[@]}" -m "not browser" --durations=25 "$@" >"$logs/postgres.log" 2>&1 &
pids[0]=$!
BOXOFFICE_TEST_DB=postgres "$pytest" "${workers[@]}" -m browser --durations=25 "$@" >"$logs/browser.log" 2>&1 &
pids[1]=$!
BOXOFFICE_TEST_DB=sqlite "$pytest" "${workers[@]}" -m "not postgres_only" --durations=25 "$@" >"$logs/sqlite.log" 2>&1 &
pids[2]=$!
trap 'kill -INT "${pids[@]}" 2>/dev/null' INT TERM
echo "make test: PostgreSQL, browser (PostgreSQL) and SQLite runs started together; logs in $logs/"

for index in 0 1 2; do
    wait "${pids[$index]}"
    statuses[$index]=$?
done
# Without Chromium the browser run selects nothing (pytest's 5): it says so in its log.
[ "${statuses[1]}" -eq 5 ] && statuses[1]=0

verdict() {  # run, exit status, log: one line
  local outcome=passed
  [ "$2" -eq 0 ] || outcome="FAILED (pytest exit $2)"
  printf '%-10s %s: %s\n' "$1" "$outcome" "$(tail -n 1 "$3" | tr -d '=' | sed 's/^ *//;s/ *$//')"
}

for run in "${runs[@]}"; do
  echo
  echo "======================== $run run ($logs/$run.log) ========================"
  cat "$logs/$run.log"
done
echo
echo "make test: all runs in $((SECONDS - started)) s"
failed=0
for index in 0 1 2; do
  verdict "${runs[$index]}" "${statuses[$index]}" "$logs/${runs[$index]}.log"
  [ "${statuses[$index]}" -eq 0 ] || failed=1
done
exit "$failed"
