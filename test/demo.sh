#!/usr/bin/env bash
#
# test/demo.sh -- the demo: atomiccache on a throwaway PostgreSQL 15 server
#
# Usage:  bash test/demo.sh [--preload]
#
# Builds and installs the extension (test/setup.sh), starts a server of its
# own (a scratch directory, a free port, a Unix socket only), runs
# test/demo.sql with every statement echoed, then shows single flight:
# 8 sessions ask at the same moment for a key nobody has filled yet, whose
# fill takes 2 s; all 8 get the same value and the fill runs once.
# --preload starts the server with shared_preload_libraries = 'atomiccache'
# (by default the extension is loaded without it).  The server is stopped
# and its directory removed on exit.

set -euo pipefail

# shellcheck source=test/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

conf=()
case ${1:-} in
    --preload) conf=("shared_preload_libraries = '$AC_EXTENSION'") ;;
    "") ;;
    *) ac_die "usage: bash test/demo.sh [--preload]" ;;
esac

ac_ensure_packages
ac_install_traps
work=
ac_mktemp work

ac_build_install "$work/build"

ac_log "starting a PostgreSQL 15 server in $work/pg"
mkdir "$work/pg"
ac_pg_own "$work/pg"
ac_pg_start "$work/pg" "${conf[@]}"
ac_log "server on socket $PGHOST, port $PGPORT ($(ac_psql -Atc 'SELECT version()'))"

# psql reads a copy: the postgres user need not see the working tree.
cp "$AC_ROOT/test/demo.sql" "$work/demo.sql"
ac_pg_own "$work/demo.sql"

echo
echo "==== test/demo.sql"
echo
ac_psql -a -f "$work/demo.sql"

echo
echo "==== 8 sessions ask for the same cold key at once"
echo
ac_psql -a <<'SQL'
CREATE SEQUENCE lookup_fills;
CREATE FUNCTION slow_lookup(k int) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('lookup_fills');    -- counts the fills
    PERFORM pg_sleep(2);
    RETURN 'value of ' || k || ', computed by backend ' || pg_backend_pid();
END
$$;
SELECT atomiccache.create_cache('lookup', 'slow_lookup(int)');
SQL

echo
echo "-- 8 x: psql -c 'SELECT lookup(7)', in parallel"
t0=$EPOCHREALTIME
pids=()
for i in 1 2 3 4 5 6 7 8; do
    ac_psql -Atc 'SELECT lookup(7)' >"$work/session.$i.out" 2>&1 &
    pids+=($!)
done
status=0
for pid in "${pids[@]}"; do
    wait "$pid" || status=1
done
t1=$EPOCHREALTIME

for i in 1 2 3 4 5 6 7 8; do
    printf 'session %d: %s\n' "$i" "$(cat "$work/session.$i.out")"
done
awk -v a="$t0" -v b="$t1" \
    'BEGIN { printf "8 sessions took %.1f s together (one fill takes 2 s)\n", b - a }'
echo

ac_psql -a <<'SQL'
SELECT last_value AS fills_run FROM lookup_fills;
SELECT name, entries, hits, misses, fills, waits
  FROM atomiccache.caches WHERE name = 'lookup';
SQL

distinct=$(sort -u "$work"/session.*.out | wc -l)
fills=$(ac_psql -Atc 'SELECT last_value FROM lookup_fills')
echo
if ((status == 0 && distinct == 1 && fills == 1)); then
    echo "OK: 8 sessions, 1 value, 1 fill"
else
    echo "UNEXPECTED: exit status $status, $distinct distinct answers, $fills fills"
    exit 1
fi
