#!/usr/bin/env bash
# Starts the real servers the store suites and the scaled mode run against, on loopback, in
# a temporary folder: PostgreSQL 15 (Debian's, as a non-root user, on a fresh data directory)
# and moto in server mode (an S3-compatible server, from PyPI) with one bucket. Source it:
#   . tests/stores/servers.sh        # sets FRAUDLOOP_TEST_DATABASE_URL, FRAUDLOOP_TEST_S3_URL,
#                                    # AWS_* and stores_stop (call it, or let the EXIT trap do it)
# Installs what is missing: Debian postgresql (apt-get), moto[server] (pip).
stores_dir="$(mktemp -d /tmp/fraudloop-stores.XXXXXX)"
chmod 755 "$stores_dir"
pg_bin=/usr/lib/postgresql/15/bin
if [ ! -x "$pg_bin/initdb" ]; then
  echo "== installing postgresql (Debian)"
  apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
if ! python3 -c 'import moto.server' 2>/dev/null; then
  echo "== installing moto[server] (PyPI)"
  python3 -m pip install --quiet --disable-pip-version-check 'moto[server]'
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# PostgreSQL refuses to run as root: a system user owns the data directory.
pg_user=postgres
id "$pg_user" >/dev/null 2>&1 || useradd --system --no-create-home "$pg_user"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi; }
pg_port=$(free_port)
mkdir -p "$stores_dir/pg"
[ "$(id -u)" = 0 ] && chown "$pg_user" "$stores_dir/pg"
as_pg "$pg_bin/initdb" -D "$stores_dir/pg/data" -U fraudloop --auth=trust -E UTF8 >"$stores_dir/pg/initdb.log" 2>&1
as_pg "$pg_bin/pg_ctl" -D "$stores_dir/pg/data" -l "$stores_dir/pg/server.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $pg_port -k $stores_dir/pg -c fsync=on -c synchronous_commit=on" start >/dev/null
s3_port=$(free_port)
python3 -m moto.server -H 127.0.0.1 -p "$s3_port" >"$stores_dir/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$s3_port/moto-api/" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf -X PUT "http://127.0.0.1:$s3_port/fraudloop-test" >/dev/null
export FRAUDLOOP_TEST_DATABASE_URL="postgres://fraudloop@127.0.0.1:$pg_port/postgres"
export FRAUDLOOP_TEST_S3_URL="s3://fraudloop-test"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
export AWS_ENDPOINT="http://127.0.0.1:$s3_port" AWS_ALLOW_HTTP=true
export STORES_PG_PORT=$pg_port STORES_S3_PORT=$s3_port STORES_DIR=$stores_dir
stores_stop() {
  kill "$moto_pid" 2>/dev/null || true
  as_pg "$pg_bin/pg_ctl" -D "$stores_dir/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$stores_dir"
}
echo "PostgreSQL 15 on 127.0.0.1:$pg_port, moto (S3) on 127.0.0.1:$s3_port, under $stores_dir"
