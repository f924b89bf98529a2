#!/bin/sh
# Back up ce-service: the database (pg_dump custom format) and, if given, the data directory
# (certificate files, the signing key).   backup.sh DATABASE_URL OUT_DIR [DATA_DIR]
set -eu
url=${1:?usage: backup.sh DATABASE_URL OUT_DIR [DATA_DIR]}
out=${2:?usage: backup.sh DATABASE_URL OUT_DIR [DATA_DIR]}
data=${3:-}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
# --no-owner: restorable by another role; custom format: compressed, restorable in parallel.
pg_dump --format=custom --no-owner --compress=6 --file="$out/ce-$stamp.dump.partial" "$url"
mv "$out/ce-$stamp.dump.partial" "$out/ce-$stamp.dump"
if [ -n "$data" ]; then
    tar -C "$data" -czf "$out/ce-$stamp.data.tar.gz.partial" --exclude='./pg' --exclude='./prometheus*' .
    mv "$out/ce-$stamp.data.tar.gz.partial" "$out/ce-$stamp.data.tar.gz"
fi
echo "$out/ce-$stamp.dump"
