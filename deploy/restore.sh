#!/bin/sh
# Restore a backup into an EMPTY database (create it first), then check it:
#   restore.sh DUMP_FILE DATABASE_URL [DATA_TAR DATA_DIR]
# Stop the API and workers (or point them elsewhere) while restoring.
set -eu
dump=${1:?usage: restore.sh DUMP_FILE DATABASE_URL [DATA_TAR DATA_DIR]}
url=${2:?usage: restore.sh DUMP_FILE DATABASE_URL [DATA_TAR DATA_DIR]}
tables=$(psql "$url" -Atc "select count(*) from pg_tables where schemaname = 'public'")
if [ "$tables" != "0" ]; then
    echo "restore.sh: the target database is not empty ($tables tables); restore into a new database" >&2
    exit 1
fi
# One transaction: a restore that fails leaves nothing half-written.
pg_restore --no-owner --exit-on-error --single-transaction --dbname="$url" "$dump"
if [ $# -ge 4 ]; then
    mkdir -p "$4"
    tar -C "$4" -xzf "$3"
fi
# The audit trail's hash chain must still verify after the round trip.
psql "$url" -Atc "select 'records: ' || count(*) from records"
psql "$url" -Atc "select 'events: ' || count(*) from record_events"
echo "restored; now run: CE_DATABASE_URL=$url ce-service audit verify && ce-service migrate"
