#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster: initdb in a temporary directory as an
# unprivileged user, start it on a private socket and port, export DATABASE_URL, run the
# command, then stop the cluster and delete it. PostgreSQL refuses to run as root, so as root
# the cluster belongs to the system user "newsroom-pg" (created on first use).
#   scripts/with_postgres.sh .venv/bin/pytest
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "PostgreSQL server binaries not found (apt-get install postgresql): skipping the PostgreSQL run."
  exit 0
fi

run_as=()
owner=$(id -un)
if [ "$(id -u)" = 0 ]; then
  owner=newsroom-pg
  id "$owner" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
  run_as=(runuser -u "$owner" --)
fi

dir=$(mktemp -d /tmp/newsroom-pg.XXXXXX)
chown "$owner" "$dir"
chmod 700 "$dir"
port=$(( 20000 + RANDOM % 20000 ))
cleanup() {
  "${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

"${run_as[@]}" "$bindir/initdb" -D "$dir/data" -U newsroom -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "-k $dir -p $port -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
"${run_as[@]}" "$bindir/createdb" -h "$dir" -p "$port" -U newsroom newsroom

export DATABASE_URL="postgres://newsroom@/newsroom?host=$dir&port=$port"
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') running for this command at $dir:$port"
"$@"
