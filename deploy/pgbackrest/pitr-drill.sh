#!/usr/bin/env bash
# Point-in-time recovery drill with pgBackRest on a scratch cluster.
#
# Creates a throw-away PostgreSQL 15 cluster on its own port and directory,
# archives its WAL with pgBackRest into a local repository, takes a full
# backup, writes rows, notes the time, "loses" data (a DROP TABLE), then
# restores to the noted time and checks that the rows written before it
# are back and the table dropped after it exists again. Nothing outside
# $DRILL is touched; the cluster is stopped at the end.
#
# Run as the postgres OS user (or as root: it re-runs itself as postgres):
#   deploy/pgbackrest/pitr-drill.sh            # DRILL=/tmp/sb-pitr PORT=5499
# Needs: postgresql-15 server binaries, pgbackrest (apt-get install pgbackrest).
set -euo pipefail

DRILL=${DRILL:-/tmp/sb-pitr}
PORT=${PORT:-5499}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$DRILL" && chown postgres: "$DRILL"
  exec runuser -u postgres -- env DRILL="$DRILL" PORT="$PORT" PGBIN="$PGBIN" "$0" "$@"
fi

rm -rf "${DRILL:?}"/*
mkdir -p "$DRILL"/{repo,log,lock,spool,run}
CONF=$DRILL/pgbackrest.conf
cat >"$CONF" <<CONF
[global]
repo1-path=$DRILL/repo
repo1-retention-full=2
log-path=$DRILL/log
lock-path=$DRILL/lock
spool-path=$DRILL/spool
log-level-console=warn
start-fast=y
compress-type=zst

[secondbloom]
pg1-path=$DRILL/data
pg1-port=$PORT
pg1-socket-path=$DRILL/run
CONF
BR="pgbackrest --config=$CONF --stanza=secondbloom"
PSQL="psql -X -q -t -A -h $DRILL/run -p $PORT -d shop -v ON_ERROR_STOP=1"
ts() { date -u +%H:%M:%S.%N | cut -c1-12; }

echo "$(ts) initdb"
"$PGBIN/initdb" -D "$DRILL/data" -A trust -U postgres --data-checksums >/dev/null
cat >>"$DRILL/data/postgresql.conf" <<PGCONF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$DRILL/run'
wal_level = replica
archive_mode = on
archive_command = '$BR archive-push %p'
archive_timeout = 60
max_wal_senders = 3
PGCONF
"$PGBIN/pg_ctl" -D "$DRILL/data" -l "$DRILL/log/postgres.log" -w start >/dev/null
trap '"$PGBIN/pg_ctl" -D "$DRILL/data" -m fast -w stop >/dev/null 2>&1 || true' EXIT
createdb -h "$DRILL/run" -p "$PORT" shop

echo "$(ts) stanza-create, check"
$BR stanza-create
$BR check

$PSQL -c "CREATE TABLE orders (id bigserial PRIMARY KEY, note text NOT NULL, at timestamptz NOT NULL DEFAULT now())"
$PSQL -c "INSERT INTO orders (note) SELECT 'before the full backup ' || g FROM generate_series(1, 100000) g"
echo "$(ts) full backup"
start=$(date +%s.%N)
$BR --type=full backup
echo "   full backup took $(echo "$(date +%s.%N) - $start" | bc) s"

$PSQL -c "INSERT INTO orders (note) SELECT 'after the backup ' || g FROM generate_series(1, 5000) g"
sleep 1
TARGET=$($PSQL -c "SELECT now()")
WANT=$($PSQL -c "SELECT count(*) FROM orders")
sleep 1
echo "$(ts) target time $TARGET with $WANT orders; now the accident: DROP TABLE orders"
$PSQL -c "INSERT INTO orders (note) VALUES ('after the target: must not come back')"
$PSQL -c "DROP TABLE orders"
# Close the current WAL segment so the archive holds everything up to now.
$PSQL -c "SELECT pg_switch_wal()" >/dev/null
$BR check

echo "$(ts) stop the cluster and restore to $TARGET"
"$PGBIN/pg_ctl" -D "$DRILL/data" -m fast -w stop >/dev/null
start=$(date +%s.%N)
$BR --delta --type=time "--target=$TARGET" --target-action=promote restore
"$PGBIN/pg_ctl" -D "$DRILL/data" -l "$DRILL/log/postgres.log" -w -t 300 start >/dev/null
until [ "$($PSQL -d postgres -c 'SELECT pg_is_in_recovery()')" = f ]; do sleep 0.2; done
echo "   restore + WAL replay + promotion took $(echo "$(date +%s.%N) - $start" | bc) s"

GOT=$($PSQL -c "SELECT count(*) FROM orders")
LATE=$($PSQL -c "SELECT count(*) FROM orders WHERE note LIKE 'after the target%'")
echo "$(ts) orders after recovery: $GOT (want $WANT), rows written after the target: $LATE (want 0)"
[ "$GOT" = "$WANT" ] && [ "$LATE" = 0 ] || { echo "PITR DRILL FAILED"; exit 1; }
$BR info | sed -n '1,12p'
echo "PITR DRILL PASSED"
