#!/usr/bin/env bash
#
# test/bench/scale.sh -- how the costs of atomiccache grow with the number
# of entries a cache holds: hit (hot keys and random keys), miss, and bytes
# per entry, from 1,000 to 4,000,000 int -> int entries.
#
# Usage:  bash test/bench/scale.sh [MAX_ENTRIES]     (default 4000000)
#
# As a DBA would: the server starts with the default memory_limit, the
# extension is used, and then memory_limit is raised to 1GB by a reload
# (ALTER SYSTEM, pg_reload_conf()) before the cache is filled.  The fill
# is abs() itself, a C function called through fmgr as the accessor calls
# it, so that "over the fill" is the cache's own cost (a SQL fill would be
# inlined when called directly, and not by the accessor).  For each size N
# the cache is filled up to N entries, then, in the same server, each
# figure the best of 3 runs:
#   hot hit     count(c(i % 1000)) over 2,000,000 calls: ns per call, all
#               of it, and over abs() on the same keys
#   random hit  the same over keys spread over all N entries, over abs()
#   miss        20,000 new keys filled (keys from a sequence), against
#               abs() called directly on keys from another: ns per call
#               over it
#   bytes       atomiccache.memory() used_bytes / entries, less the 8
#               bytes of key and value (entries, values and the index)
# and, once 2,000,000 entries are held (if MAX_ENTRIES reaches it), the
# backend CPU of a statement, pgbench -M prepared, 1 client, 5 pairs of
# 100,000 statements of SELECT abs(:k) then SELECT c(:k), k random over the
# 2,000,000 keys: read from the postmaster's children times (/proc/PID/stat
# cutime + cstime, where a backend's times go when it exits).
# Writes test/bench/scale.md (the table), test/bench/scale.png (the chart,
# made with gnuplot, installed if missing) and prints the table.  Not a
# test: nothing passes or fails on a timing.

set -euo pipefail

# shellcheck source=test/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/../setup.sh"
# shellcheck source=test/bench/cpu.sh
source "$AC_ROOT/test/bench/cpu.sh"

max=${1:-4000000}
[[ $max =~ ^[1-9][0-9]*$ ]] || ac_die "usage: bash test/bench/scale.sh [MAX_ENTRIES]"
out=$AC_ROOT/test/bench/scale.md
png=$AC_ROOT/test/bench/scale.png

ac_ensure_packages
ac_ensure_tool gnuplot gnuplot-nox
ac_install_traps
work=
ac_mktemp work
ac_build_install "$work/src"
ac_pg_start "$work" "shared_buffers = '256MB'" "autovacuum = off"

ac_psql -q <<'SQL'
CREATE EXTENSION atomiccache;
SELECT atomiccache.create_cache('c', 'abs(integer)');
SELECT c(0);        -- the shared state exists, made with the default limit
ALTER SYSTEM SET atomiccache.memory_limit = '1GB';
SELECT pg_reload_conf();
-- the best of n runs of a statement, in ms
CREATE FUNCTION bench_ms(q text, n int DEFAULT 3) RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; best float8; ms float8;
BEGIN
    FOR i IN 1..n LOOP
        t0 := clock_timestamp();
        EXECUTE q;
        ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
        best := least(best, ms);
    END LOOP;
    RETURN best;
END $$;
-- keys for misses, never filled before (each run of a miss takes new ones)
CREATE SEQUENCE new_keys START 100000000;
CREATE SEQUENCE other_keys START 100000000;
CREATE TABLE scale (entries bigint, hot_total_ns float8, hot_ns float8,
                    random_ns float8, miss_ns float8, bytes float8,
                    buckets bigint);
SQL
sleep 1

cpu_note=
statement_cpu() {
    local v r t0 t1 hz
    hz=$(getconf CLK_TCK)
    for v in c abs; do
        printf '\\set k random(1, %d)\nSELECT %s(:k);\n' "$1" "$v" >"$work/cpu_$v.sql"
    done
    ac_pg_own "$work"
    ac_psql -q -c "CREATE TABLE cpu (rep int, variant text, us float8)"
    for ((r = 1; r <= 5; r++)); do
        for v in abs c; do
            wait_backends_gone
            t0=$(children_ticks)
            ac_as_pg "$AC_PG_BINDIR/pgbench" -n -M prepared -c 1 -j 1 -t 100000 \
                -f "$work/cpu_$v.sql" >/dev/null 2>&1
            wait_backends_gone
            t1=$(children_ticks)
            ac_psql -q -c "INSERT INTO cpu VALUES ($r, '$v', ($t1 - $t0)::float8 / $hz * 1e6 / 100000)"
        done
    done
    # each pair (abs, then c) ran back to back: its ratio is the figure,
    # the median of the 5 pairs' the result
    cpu_note=$(ac_psql -At -c "WITH m AS (SELECT variant, percentile_cont(0.5)
            WITHIN GROUP (ORDER BY us) AS med, min(us) AS lo, max(us) AS hi FROM cpu GROUP BY variant),
        p AS (SELECT c.us / a.us AS ratio FROM cpu c JOIN cpu a USING (rep)
               WHERE c.variant = 'c' AND a.variant = 'abs')
        SELECT format('Backend CPU of a statement with %s entries held (pgbench -M prepared, 1 client, 5 pairs of 100,000 statements, keys random over all entries; median, min-max): SELECT c(:k) %s µs (%s-%s), SELECT abs(:k) %s µs (%s-%s); ratio of each pair''s c to its abs: median %s (%s-%s).',
            to_char($1, 'FM9,999,999'),
            round(c.med::numeric, 2), round(c.lo::numeric, 2), round(c.hi::numeric, 2),
            round(a.med::numeric, 2), round(a.lo::numeric, 2), round(a.hi::numeric, 2),
            (SELECT round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ratio))::numeric, 3) FROM p),
            (SELECT round(min(ratio)::numeric, 3) FROM p),
            (SELECT round(max(ratio)::numeric, 3) FROM p))
          FROM m c, m a WHERE c.variant = 'c' AND a.variant = 'abs'")
}

held=1
for n in 1000 10000 100000 1000000 2000000 4000000; do
    ((n <= max)) || break
    ac_log "filling to $n entries"
    # keys 1..n (key 0 is in already); misses later use keys above 10^8
    ac_psql -q -c "SELECT count(c(k)) FROM generate_series($held, $n) k"
    held=$((n + 1))
    ac_psql -q <<SQL
INSERT INTO scale
SELECT $n,
       bench_ms('SELECT count(c(i % 1000)) FROM generate_series(1, 2000000) i')
       * 1e6 / 2000000,
       (bench_ms('SELECT count(c(i % 1000)) FROM generate_series(1, 2000000) i')
        - bench_ms('SELECT count(abs(i % 1000)) FROM generate_series(1, 2000000) i'))
       * 1e6 / 2000000,
       (bench_ms('SELECT count(c((1 + (i::bigint * 7919) % $n)::int)) FROM generate_series(1, 2000000) i')
        - bench_ms('SELECT count(abs((1 + (i::bigint * 7919) % $n)::int)) FROM generate_series(1, 2000000) i'))
       * 1e6 / 2000000,
       (bench_ms('SELECT count(c(nextval(''new_keys'')::int)) FROM generate_series(1, 20000)')
        - bench_ms('SELECT count(abs(nextval(''other_keys'')::int)) FROM generate_series(1, 20000)'))
       * 1e6 / 20000,
       (SELECT used_bytes::float8 / entries - 8 FROM atomiccache.memory()),
       (SELECT buckets FROM atomiccache.memory());
SQL
    if ((n == 2000000)); then
        ac_log "backend CPU per statement at $n entries"
        statement_cpu "$n"
    fi
done

pgver=$(ac_psql -At -c 'SHOW server_version')
{
    echo "# atomiccache at scale"
    echo
    echo "Measured by \`bash test/bench/scale.sh $max\` on $(nproc) cores, PostgreSQL $pgver; memory_limit raised to 1GB by a reload after first use; int -> int entries, the fill being abs() itself. Each figure is the best of 3 runs; \"over\" figures subtract the baseline measured at the same moment (abs() on the same keys)."
    echo
    echo "| entries | hot-key hit, ns per call | against 1,000 entries | hot-key hit, ns over abs() | random-key hit, ns over abs() | miss, ns over the fill | bytes per entry beyond key and value | buckets |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    ac_psql -At -F ' | ' -c "SELECT to_char(entries, 'FM9,999,999'),
        round(hot_total_ns::numeric),
        round((hot_total_ns / first_value(hot_total_ns) OVER (ORDER BY entries))::numeric, 2),
        round(hot_ns::numeric), round(random_ns::numeric), round(miss_ns::numeric),
        round(bytes::numeric), buckets FROM scale ORDER BY entries" |
        sed 's/^/| /; s/$/ |/'
    if [[ -n $cpu_note ]]; then
        echo
        echo "$cpu_note"
    fi
} >"$out"
ac_psql -At -F ' ' -c "SELECT entries, hot_ns, random_ns, miss_ns, bytes
                         FROM scale ORDER BY entries" >"$work/scale.dat"
ac_pg_stop

gnuplot <<GP
set terminal pngcairo size 900,520 font ",10"
set output "$png"
set title "atomiccache at scale (PostgreSQL $pgver, $(nproc) cores, int -> int)"
set logscale x
set format x "%.0s%c"
set xlabel "entries held"
set ylabel "ns per call, over the baseline"
set y2label "bytes per entry beyond key and value"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set key top left
set grid
plot "$work/scale.dat" using 1:2 with linespoints title "hot-key hit", \
     "$work/scale.dat" using 1:3 with linespoints title "random-key hit", \
     "$work/scale.dat" using 1:4 with linespoints title "miss", \
     "$work/scale.dat" using 1:5 axes x1y2 with linespoints dashtype 2 title "bytes per entry (right)"
GP
cat "$out"
ac_log "chart: $png"
