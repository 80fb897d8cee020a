#!/usr/bin/env bash
# Benchmark: time `seed_demo --leads 1000000 --seed 1` into a scratch PostgreSQL database.
# The scratch database is dropped, created and migrated first, and dropped again at the end
# (BENCH_KEEP=1 keeps it for a look). Results go in docs/benchmarks.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

SERVER=${BENCH_SERVER_URL:-postgres://postgres:postgres@127.0.0.1:5432}
DB=${BENCH_DB:-leadflow_bench}
LEADS=${BENCH_LEADS:-1000000}
SEED=${BENCH_SEED:-1}
PY=${PY:-.venv/bin/python}

log() { echo "== $*"; }
admin() { psql "$SERVER/postgres" -v ON_ERROR_STOP=1 -qc "$1"; }

log "machine"
echo "cores: $(nproc)"
free -h
$PY --version
psql --version
psql "$SERVER/postgres" -Atc "select version()"

log "scratch database $DB"
admin "drop database if exists $DB"
admin "create database $DB"
[ "${BENCH_KEEP:-}" = 1 ] || trap 'admin "drop database if exists $DB"' EXIT

export DATABASE_URL="$SERVER/$DB" SECRET_KEY=bench
$PY manage.py migrate -v0

log "seed_demo --leads $LEADS --seed $SEED"
# GNU time adds the peak memory of the Python process; bash's `time` gives the wall time.
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "wall %e s, user %U s, sys %S s, peak RSS %M KB" \
        $PY manage.py seed_demo --leads "$LEADS" --seed "$SEED"
else
    time $PY manage.py seed_demo --leads "$LEADS" --seed "$SEED"
fi

log "rows written"
psql "$DATABASE_URL" -Atc "select 'leads', count(*)::text from funnel_lead
    union all select 'transitions', count(*)::text from funnel_stagetransition
    union all select 'users', count(*)::text from funnel_user
    union all select 'campaigns', count(*)::text from funnel_campaign
    union all select 'territories', count(*)::text from funnel_territory
    union all select 'database size', pg_size_pretty(pg_database_size(current_database()))"
