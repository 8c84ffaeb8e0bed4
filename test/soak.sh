#!/usr/bin/env bash
#
# test/soak.sh -- a long mixed workload against one server: fills, hits,
# invalidations, erroring fills, cancels and memory_limit changes, with 16
# clients; it reports what happened and fails on a wrong value, a hang or
# a client error it did not cause.
#
# Usage:  bash test/soak.sh [MINUTES]       (default 30; opt-in, not in CI)
#
# Builds and installs the extension (as the test command does), starts a
# throwaway PostgreSQL 15 server (AC_PG_VERSION=18 for 18), and runs:
#   - 16 clients, each a pgbench -M prepared -c 1 process calling
#     soak_op(k, r) with random k and r: 60 % a read of cache valc (a
#     3.2 kB value checked against its key; 20,000 keys, 64 MB, more than
#     any limit below: evictions), 10 % invalidate(valc, k), 0.01 %
#     invalidate_all(valc), 15 % a read of cache somc (TTL 2 s) whose fill
#     raises P0042 for keys divisible by 7 (the error checked too), the
#     rest a read of cache slowc (TTL 1 s, a fill sleeping 0.2 s, 50 keys:
#     many waiters).  Wrong values are counted in a sequence.
#   - a canceller: every 0.3 s, pg_cancel_backend() of a backend sleeping
#     in a slowc fill (soak_op catches the cancel there and counts it).  A
#     cancel that lands after that fill ended hits the client's next
#     statement: pgbench ends that client, which is started again; those
#     are counted apart, not as failures.
#   - memory_limit changed by ALTER SYSTEM and a reload every 10 s:
#     16MB, 4MB, 32MB, 8MB, ...
#   - a dropper: every 20 s, a new cache filled with 30,000 entries in one
#     statement, then dropped (their removal and reclamation in batches
#     run under the others' lookups)
#   - a scanner: every 2 s, entries() of a cache and the view caches
#   - a monitor, every second: bytes in use against the limit in force,
#     and statements running for more than 60 s (hangs).
# At the end it prints calls, wrong values, hangs, client failures,
# cancels, peak bytes against the limits, and the counters of the view
# atomiccache.caches; test/soak.md keeps the last report.

set -euo pipefail

# shellcheck source=test/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

minutes=${1:-30}
[[ $minutes =~ ^[1-9][0-9]*$ ]] || ac_die "usage: bash test/soak.sh [MINUTES]"
seconds=$((minutes * 60))
clients=16

ac_ensure_packages
ac_install_traps
work=
ac_mktemp work
ac_build_install "$work/src" --werror
ac_pg_start "$work" "max_connections = 40" "atomiccache.memory_limit = '16MB'" \
    "log_min_messages = warning"

ac_psql -q <<'SQL'
CREATE EXTENSION atomiccache;
CREATE FUNCTION val(k int) RETURNS text LANGUAGE sql
    AS $$ SELECT repeat(md5(k::text), 100) $$;
SELECT atomiccache.create_cache('valc', 'val(int)');
CREATE FUNCTION sometimes(k int) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF k % 7 = 0 THEN
        RAISE EXCEPTION 'key % is unlucky', k USING ERRCODE = 'P0042';
    END IF;
    RETURN repeat(md5(k::text), 10);
END $$;
SELECT atomiccache.create_cache('somc', 'sometimes(int)', ttl => '2 seconds');
CREATE FUNCTION slow(k int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_sleep(0.2);
    RETURN k * 3;
END $$;
SELECT atomiccache.create_cache('slowc', 'slow(int)', ttl => '1 second');
CREATE FUNCTION bulk_fill(k int) RETURNS int LANGUAGE sql AS 'SELECT k';
CREATE SEQUENCE calls;
CREATE SEQUENCE wrong;
CREATE SEQUENCE cancels;
CREATE SEQUENCE fill_errors_seen;
CREATE FUNCTION soak_op(k int, r int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v text;
BEGIN
    PERFORM nextval('calls');
    IF r <= 6000 THEN
        IF valc(k) IS DISTINCT FROM repeat(md5(k::text), 100) THEN
            PERFORM nextval('wrong');
        END IF;
    ELSIF r <= 7000 THEN
        PERFORM atomiccache.invalidate('valc', k);
    ELSIF r = 7001 THEN
        PERFORM atomiccache.invalidate_all('valc');
    ELSIF r <= 8500 THEN
        BEGIN
            v := somc(k);
            IF k % 7 = 0 OR v IS DISTINCT FROM repeat(md5(k::text), 10) THEN
                PERFORM nextval('wrong');
            END IF;
        EXCEPTION WHEN SQLSTATE 'P0042' THEN
            IF k % 7 <> 0 THEN
                PERFORM nextval('wrong');
            ELSE
                PERFORM nextval('fill_errors_seen');
            END IF;
        END;
    ELSE
        BEGIN
            IF slowc(k % 50) IS DISTINCT FROM (k % 50) * 3 THEN
                PERFORM nextval('wrong');
            END IF;
        EXCEPTION WHEN query_canceled THEN
            PERFORM nextval('cancels');
        END;
    END IF;
END $$;
SQL

cat >"$work/soak.sql" <<'EOF'
\set k random(1, 20000)
\set r random(1, 10000)
SELECT soak_op(:k, :r);
EOF
mkdir -p "$work/logs"
ac_pg_own "$work"

start=$SECONDS
deadline=$((start + seconds))

# one client: pgbench processes one after another until the deadline
client() {
    local i=$1 left
    while :; do
        left=$((deadline - SECONDS))
        ((left > 0)) || break
        ac_as_pg "$AC_PG_BINDIR/pgbench" -n -M prepared -c 1 -j 1 -T "$left" \
            -f "$work/soak.sql" >>"$work/logs/client-$i.log" 2>&1 || true
        echo "== pgbench ended" >>"$work/logs/client-$i.log"
    done
}
pids=()
for ((i = 1; i <= clients; i++)); do
    client "$i" &
    pids+=($!)
done

# the canceller
(
    while ((SECONDS < deadline)); do
        ac_psql -At -c "SELECT count(pg_cancel_backend(pid)) FROM (
            SELECT pid FROM pg_stat_activity
             WHERE wait_event = 'PgSleep' AND query LIKE 'SELECT soak_op%'
             ORDER BY random() LIMIT 1) s" >>"$work/logs/cancels.log" 2>&1 || true
        sleep 0.3
    done
) &
canceller=$!

# memory_limit, every 10 s
(
    limits=(16MB 4MB 32MB 8MB)
    n=0
    while ((SECONDS < deadline)); do
        sleep 10
        n=$(((n + 1) % ${#limits[@]}))
        ac_psql -q -c "ALTER SYSTEM SET atomiccache.memory_limit = '${limits[n]}'" \
            -c "SELECT pg_reload_conf()" >/dev/null 2>&1 || true
    done
) &
changer=$!

# the dropper and the scanner
(
    n=0
    while ((SECONDS < deadline - 20)); do
        sleep 20
        n=$((n + 1))
        ac_psql -q -c "SELECT atomiccache.create_cache('bulk$n', 'bulk_fill(int)')" \
            -c "SELECT count(bulk$n(i)) FROM generate_series(1, 30000) i" \
            -c "SELECT atomiccache.drop_cache('bulk$n')" >>"$work/logs/dropper.log" 2>&1 ||
            echo "dropper error" >>"$work/logs/dropper.log"
    done
) &
dropper=$!
(
    while ((SECONDS < deadline)); do
        ac_psql -q -c "SELECT count(*) FROM atomiccache.entries('valc')" \
            -c "SELECT sum(entries) FROM atomiccache.caches" >/dev/null 2>>"$work/logs/scanner.log" ||
            echo "scanner error" >>"$work/logs/scanner.log"
        sleep 2
    done
) &
scanner=$!

# the monitor: bytes in use against the limit in force; long statements
(
    while ((SECONDS < deadline)); do
        ac_psql -At -F ' ' -c "SELECT m.used_bytes, m.limit_bytes, m.peak_bytes,
            (SELECT count(*) FROM pg_stat_activity
              WHERE query LIKE 'SELECT soak_op%' AND state = 'active'
                AND now() - query_start > interval '60 seconds')
            FROM atomiccache.memory() m" >>"$work/logs/monitor.log" 2>/dev/null || true
        sleep 1
    done
) &
monitor=$!

ac_log "soak: $clients clients for $minutes minutes"
hangs=0
for p in "${pids[@]}"; do
    # a client may run one statement past the deadline; 120 s more is a hang
    while kill -0 "$p" 2>/dev/null && ((SECONDS < deadline + 120)); do
        sleep 1
    done
    if kill -0 "$p" 2>/dev/null; then
        hangs=$((hangs + 1))
        pkill -P "$p" 2>/dev/null || true
        kill "$p" 2>/dev/null || true
    fi
done
wait "$canceller" "$changer" "$monitor" "$dropper" "$scanner" 2>/dev/null || true
elapsed=$((SECONDS - start))

q() { ac_psql -At -c "$1"; }
calls=$(q "SELECT last_value FROM calls")
wrong=$(q "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM wrong")
caught=$(q "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM cancels")
errs=$(q "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM fill_errors_seen")
sent=$(awk '{ s += $1 } END { print s + 0 }' "$work/logs/cancels.log")
aborted=$(cat "$work/logs"/client-*.log | grep -c 'aborted in command' || true)
aborted_cancel=$(cat "$work/logs"/client-*.log | grep 'aborted in command' |
    grep -c 'canceling statement due to user request' || true)
failures=$((aborted - aborted_cancel))
long=$(awk '$4 > 0 { n++ } END { print n + 0 }' "$work/logs/monitor.log")
hangs=$((hangs + long))
over=$(awk '$1 > $2 { n++ } END { print n + 0 }' "$work/logs/monitor.log")
samples=$(wc -l <"$work/logs/monitor.log")
peak=$(q "SELECT peak_bytes FROM atomiccache.memory()")
maxused=$(awk '$1 > m { m = $1 } END { print m + 0 }' "$work/logs/monitor.log")
dropper_errors=$(grep -c 'ERROR\|dropper error' "$work/logs/dropper.log" || true)
scanner_errors=$(grep -c 'ERROR\|scanner error' "$work/logs/scanner.log" || true)
# (psql prints a header " drop_cache" for each drop that ran)
drops=$(grep -c '^ drop_cache' "$work/logs/dropper.log" || true)
failures=$((failures + dropper_errors + scanner_errors))
# the largest limit of the changer: bytes in use never above it
over_max=$((peak > 33554432 ? 1 : 0))
counters=$(ac_psql -c "SELECT name, entries, hits, misses, fills, fill_errors, waits,
        evictions, expirations, invalidations, uncached
    FROM atomiccache.caches ORDER BY name")
pgver=$(q 'SHOW server_version')

report=$(
    echo "# atomiccache soak"
    echo
    echo "\`bash test/soak.sh $minutes\` on $(nproc) cores, PostgreSQL $pgver, $(date -u +%Y-%m-%d):" \
        "$clients clients for $elapsed s."
    echo
    echo "| figure | value |"
    echo "| --- | ---: |"
    echo "| calls of soak_op | $calls ($((calls / (elapsed > 0 ? elapsed : 1))) a second) |"
    echo "| wrong values | $wrong |"
    echo "| hangs (a client past the deadline by 120 s, or a statement running 60 s) | $hangs |"
    echo "| client failures (an error the soak did not cause) | $failures |"
    echo "| cancels sent / caught inside a slowc fill | $sent / $caught |"
    echo "| cancels that landed after the fill (client started again) | $aborted_cancel |"
    echo "| fill errors raised and checked (somc, keys divisible by 7) | $errs |"
    echo "| peak bytes in use (memory().peak_bytes) / largest limit | $peak / 33554432 |"
    echo "| highest bytes in use sampled | $maxused |"
    echo "| samples over the limit in force (after a lowering, until evictions catch up) | $over of $samples |"
    echo "| caches of 30,000 entries created, filled and dropped meanwhile | $drops |"
    echo "| errors of the dropper / of the scanner (entries(), caches) | $dropper_errors / $scanner_errors |"
    echo
    echo '```'
    echo "$counters"
    echo '```'
)
echo "$report" | tee "$AC_ROOT/test/soak.md"
if ((wrong > 0 || hangs > 0 || failures > 0 || over_max > 0)); then
    ac_log "soak FAILED: wrong values $wrong, hangs $hangs, client failures $failures, peak over the largest limit $over_max"
    grep -h 'aborted in command' "$work/logs"/client-*.log | grep -v 'due to user request' | head -20 >&2 || true
    exit 1
fi
ac_log "soak passed"
