#!/usr/bin/env bash
# Makes sure the PostgreSQL server the tests use answers; starts the local cluster if it can.
set -euo pipefail
url="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
hostport="${url#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$hostport" ] && port=5432

answers() { pg_isready -q -h "$host" -p "$port" 2>/dev/null || python3 - "$host" "$port" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
PY
}

answers && exit 0
if [ "$host" = "127.0.0.1" ] || [ "$host" = "localhost" ]; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "PostgreSQL is not answering on $host:$port; starting the local cluster" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do answers && exit 0; sleep 1; done
  fi
fi
echo "make test: PostgreSQL does not answer on $host:$port. Start it, or set DATABASE_URL" \
     "to a server where this user may create databases." >&2
exit 1
