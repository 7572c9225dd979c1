#!/bin/sh
# load.sh measures product reads against the real server binary on a seeded
# scratch database. Usage: cmd/seed/load.sh DSN [DURATION]
# Needs wrk; builds ./cmd/server; listens on 127.0.0.1:39200.
set -eu
DSN=$1
DUR=${2:-15s}
go build -o /tmp/sb-load-server ./cmd/server
PORT=39200 HOST=127.0.0.1 DATABASE_URL=$DSN LOG_LEVEL=error /tmp/sb-load-server >/tmp/sb-load-server.log 2>&1 &
PID=$!
trap 'kill $PID; wait $PID 2>/dev/null || true' EXIT
i=0
until curl -sf http://127.0.0.1:39200/api/v1/health/readiness >/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "server did not become ready"; cat /tmp/sb-load-server.log; exit 1; }
	sleep 0.2
done
Q() { psql "$DSN" -Atc "$1"; }
PID_ACTIVE=$(Q "SELECT id FROM products WHERE status='ACTIVE' ORDER BY created_at DESC LIMIT 1")
ROOT=$(Q "SELECT id FROM categories WHERE parent_id IS NULL ORDER BY slug LIMIT 1")
LEAF=$(Q "SELECT id FROM categories WHERE parent_id IS NOT NULL ORDER BY slug LIMIT 1")
COND=$(Q "SELECT id FROM conditions ORDER BY position LIMIT 1")
SIZE=$(Q "SELECT id FROM sizes ORDER BY position LIMIT 1")
CITY=$(Q "SELECT id FROM cities ORDER BY position LIMIT 1")
echo "products: $(Q 'SELECT count(*) FROM products')"
for path in "/api/v1/products/$PID_ACTIVE" "/api/v1/products?categoryId=$ROOT" "/api/v1/products?categoryId=$LEAF" \
	"/api/v1/products?categoryId=$ROOT&sort=price" "/api/v1/products?q=rose&inStock=true" \
	"/api/v1/products?categoryId=$ROOT&conditionId=$COND&sizeId=$SIZE&cityId=$CITY" \
	"/api/v1/products?q=%D0%B0%D1%82%D0%B8%D1%80%D0%B3%D1%83%D0%BB"; do
	echo "== GET $path"
	wrk -t2 -c32 -d"$DUR" --latency "http://127.0.0.1:39200$path" | grep -E 'Requests/sec|50%|99%|Non-2xx'
done
