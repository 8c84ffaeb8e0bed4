#!/usr/bin/env bash
#
# test/bench/run.sh -- benchmarks of atomiccache against what users would
# write instead, all measured in the same run on the same throwaway server.
#
# Usage:  bash test/bench/run.sh [RUNS]      (default 5 runs of each)
#
# Writes test/bench/results.md (the table the README shows) and prints it.
# Benchmarks are not tests: nothing here passes or fails on a timing.
#
#  1. hit cost inside one statement: count(f(i % 1000)) over 2,000,000 rows
#     for the accessor on warm keys, the floor (abs(), a built-in C
#     function of the same shape), the DIY lookup of an unlogged table
#     through a SQL function and through PL/pgSQL, and the fill function
#     called directly;
#  2. statement level: pgbench -M prepared, 2 clients, SELECT f(:k) for the
#     accessor, abs() and the SQL-function lookup;
#  3. backend CPU per statement: pgbench -M prepared, 1 client, 100,000
#     transactions of SELECT sqc(:k) and of SELECT abs(:k); the CPU the
#     backend used, read from the postmaster's children times
#     (/proc/PID/stat cutime + cstime: a backend's times are added when it
#     exits), per statement, and the ratio;
#  4. stampede: 64 clients ask at once for one cold key whose fill takes
#     1 s: wall time and number of fills, against the DIY
#     check-then-insert pattern;
#  5. scale: test/bench/scale.sh (its own server), the table and chart of
#     hit, miss and bytes per entry from 1,000 to 4,000,000 entries
#     (AC_BENCH_SCALE_MAX sets the largest size).

set -euo pipefail

# shellcheck source=test/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/../setup.sh"
# shellcheck source=test/bench/cpu.sh
source "$AC_ROOT/test/bench/cpu.sh"

runs=${1:-5}
[[ $runs =~ ^[1-9][0-9]*$ ]] || ac_die "usage: bash test/bench/run.sh [RUNS]"
out=$AC_ROOT/test/bench/results.md

ac_ensure_packages
ac_install_traps
work=
ac_mktemp work
ac_build_install "$work/src"
ac_pg_start "$work" "max_connections = 120" "shared_buffers = '256MB'" \
    "atomiccache.memory_limit = '256MB'" "autovacuum = off"

ac_psql -q <<'EOF'
CREATE EXTENSION atomiccache;
-- the work a cache saves: a few microseconds of string crunching
CREATE FUNCTION work(k int) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT md5(repeat(k::text, 20)) $$;
SELECT atomiccache.create_cache('acc', 'work(int)');
-- the same shape as the floor: int -> bigint
CREATE FUNCTION sq(k int) RETURNS bigint LANGUAGE sql IMMUTABLE
    AS $$ SELECT k::bigint * k $$;
SELECT atomiccache.create_cache('sqc', 'sq(int)');
-- DIY: an unlogged table filled with the same values
CREATE UNLOGGED TABLE diy (k int PRIMARY KEY, v text NOT NULL);
INSERT INTO diy SELECT k, work(k) FROM generate_series(0, 999) k;
VACUUM ANALYZE diy;
CREATE FUNCTION diy_sql(k int) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT v FROM diy WHERE diy.k = diy_sql.k $$;
CREATE FUNCTION diy_plpgsql(k int) RETURNS text LANGUAGE plpgsql STABLE
    AS $$ BEGIN RETURN (SELECT v FROM diy WHERE diy.k = diy_plpgsql.k); END $$;
-- time one statement, in ms, inside the server
CREATE FUNCTION bench_ms(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz;
BEGIN
    t0 := clock_timestamp();
    EXECUTE q;
    RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
CREATE TABLE results (bench text, variant text, run int, value float8);
-- warm the cache and the table
SELECT count(acc(i % 1000)), count(sqc(i % 1000)), count(diy_sql(i % 1000))
  FROM generate_series(1, 10000) i;
EOF

ac_log "1. hit cost inside one statement ($runs runs of 2,000,000 calls)"
declare -A stmt=(
    [floor: abs()]='SELECT count(abs(i % 1000)) FROM generate_series(1, 2000000) i'
    [atomiccache hit, int to bigint]='SELECT count(sqc(i % 1000)) FROM generate_series(1, 2000000) i'
    [atomiccache hit, int to 32-byte text]='SELECT count(acc(i % 1000)) FROM generate_series(1, 2000000) i'
    [fill called directly]='SELECT count(work(i % 1000)) FROM generate_series(1, 2000000) i'
    [unlogged table, SQL function]='SELECT count(diy_sql(i % 1000)) FROM generate_series(1, 2000000) i'
    [unlogged table, PL/pgSQL]='SELECT count(diy_plpgsql(i % 1000)) FROM generate_series(1, 2000000) i'
)
for ((r = 1; r <= runs; r++)); do
    for v in "floor: abs()" "atomiccache hit, int to bigint" \
        "atomiccache hit, int to 32-byte text" "fill called directly" \
        "unlogged table, SQL function" "unlogged table, PL/pgSQL"; do
        ac_psql -q -c "INSERT INTO results SELECT 'hit', '$v', $r,
            bench_ms(\$q\$${stmt[$v]}\$q\$) * 1e6 / 2000000"
    done
done

ac_log "2. statement level: pgbench -M prepared, 2 clients, 5 s each"
for v in abs sqc acc diy_sql; do
    printf '\\set k random(0, 999)\nSELECT %s(:k);\n' "$v" >"$work/pgb_$v.sql"
done
ac_pg_own "$work"
for ((r = 1; r <= runs; r++)); do
    for v in abs sqc acc diy_sql; do
        tps=$(ac_as_pg "$AC_PG_BINDIR/pgbench" -n -M prepared -c 2 -j 2 -T 5 \
            -f "$work/pgb_$v.sql" 2>/dev/null |
            sed -n 's/^tps = \([0-9.]*\).*/\1/p')
        ac_psql -q -c "INSERT INTO results VALUES ('tps', '$v', $r, $tps)"
    done
done

ac_log "3. backend CPU per statement: pgbench -M prepared, 1 client, 100,000 statements"
hz=$(getconf CLK_TCK)
for ((r = 1; r <= runs; r++)); do
    for v in abs sqc; do
        wait_backends_gone
        t0=$(children_ticks)
        ac_as_pg "$AC_PG_BINDIR/pgbench" -n -M prepared -c 1 -j 1 -t 100000 \
            -f "$work/pgb_$v.sql" >/dev/null 2>&1
        wait_backends_gone
        t1=$(children_ticks)
        # microseconds of backend CPU per statement (the short-lived psql
        # backends of this loop add a constant to both variants)
        ac_psql -q -c "INSERT INTO results VALUES ('cpu', '$v', $r,
            ($t1 - $t0)::float8 / $hz * 1e6 / 100000)"
    done
done

ac_log "4. stampede: 64 clients, one cold key, a 1 s fill"
ac_psql -q <<'EOF'
CREATE SEQUENCE slow_fills;
CREATE FUNCTION slow(k int) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('slow_fills');
    PERFORM pg_sleep(1);
    RETURN md5(k::text);
END $$;
SELECT atomiccache.create_cache('slowc', 'slow(int)');
CREATE UNLOGGED TABLE diy_slow (k int PRIMARY KEY, v text NOT NULL);
-- what people write today: look, compute if missing, insert
CREATE FUNCTION diy_slow_get(key int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
    SELECT v INTO r FROM diy_slow WHERE k = key;
    IF NOT FOUND THEN
        r := slow(key);
        INSERT INTO diy_slow VALUES (key, r) ON CONFLICT DO NOTHING;
    END IF;
    RETURN r;
END $$;
EOF
for ((r = 1; r <= runs; r++)); do
    for v in slowc diy_slow_get; do
        printf 'SELECT %s(%d);\n' "$v" "$((1000 + r))" >"$work/stampede_$v.sql"
        ac_pg_own "$work/stampede_$v.sql"
        before=$(ac_psql -At -c "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM slow_fills")
        t0=$(date +%s%N)
        ac_as_pg "$AC_PG_BINDIR/pgbench" -n -c 64 -j 2 -t 1 \
            -f "$work/stampede_$v.sql" >/dev/null 2>&1
        t1=$(date +%s%N)
        after=$(ac_psql -At -c "SELECT last_value FROM slow_fills")
        ac_psql -q -c "INSERT INTO results VALUES
            ('stampede_s', '$v', $r, $(((t1 - t0) / 1000000)) / 1000.0),
            ('stampede_fills', '$v', $r, $((after - before)))"
    done
done

machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
pgver=$(ac_psql -At -c "SHOW server_version")

ac_psql -At -v runs="$runs" -v machine="$machine" -v pgver="$pgver" >"$out" <<'EOF'
\pset footer off
SELECT '# atomiccache benchmarks';
SELECT '';
SELECT format('Measured by `bash test/bench/run.sh %s` on %s, PostgreSQL %s, %s runs each; median (min-max); ratios against the baseline of the same run.', :'runs', :'machine', :'pgver', :'runs');
SELECT '';
SELECT '## Hit cost inside one statement (ns per call, 2,000,000 calls on 1,000 warm keys)';
SELECT '';
SELECT '| variant | ns/call | min-max | ratio to floor |';
SELECT '| --- | ---: | --- | ---: |';
WITH s AS (
    SELECT variant, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS med,
           min(value) AS lo, max(value) AS hi
      FROM results WHERE bench = 'hit' GROUP BY variant)
SELECT format('| %s | %s | %s-%s | %s |', variant, round(med::numeric, 0),
              round(lo::numeric, 0), round(hi::numeric, 0),
              round((med / (SELECT med FROM s WHERE variant = 'floor: abs()'))::numeric, 2))
  FROM s ORDER BY med;
SELECT '';
WITH s AS (
    SELECT variant, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS med
      FROM results WHERE bench = 'hit' GROUP BY variant)
SELECT format('A hit of the same shape as the floor costs %s ns more than it; a hit of a 32-byte text value is %s times faster than the unlogged-table lookup of the same value through a SQL function.',
              round(((SELECT med FROM s WHERE variant = 'atomiccache hit, int to bigint') - (SELECT med FROM s WHERE variant = 'floor: abs()'))::numeric, 0),
              round(((SELECT med FROM s WHERE variant = 'unlogged table, SQL function') / (SELECT med FROM s WHERE variant = 'atomiccache hit, int to 32-byte text'))::numeric, 1));
SELECT '';
SELECT '## Statement level (pgbench -M prepared, 2 clients, 5 s, SELECT f(:k))';
SELECT '';
SELECT '| variant | TPS | min-max | ratio to abs() |';
SELECT '| --- | ---: | --- | ---: |';
WITH s AS (
    SELECT variant, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS med,
           min(value) AS lo, max(value) AS hi
      FROM results WHERE bench = 'tps' GROUP BY variant)
SELECT format('| %s | %s | %s-%s | %s |',
              CASE variant WHEN 'abs' THEN 'floor: abs(:k)'
                           WHEN 'sqc' THEN 'atomiccache hit, int to bigint: sqc(:k)'
                           WHEN 'acc' THEN 'atomiccache hit, int to 32-byte text: acc(:k)'
                           ELSE 'unlogged table, SQL function (32-byte text)' END,
              round(med::numeric, 0), round(lo::numeric, 0), round(hi::numeric, 0),
              round((med / (SELECT med FROM s WHERE variant = 'abs'))::numeric, 3))
  FROM s ORDER BY med DESC;
SELECT '';
SELECT '## Backend CPU per statement (pgbench -M prepared, 1 client, 100,000 statements)';
SELECT '';
SELECT '| variant | µs of backend CPU per statement | min-max | ratio to abs() |';
SELECT '| --- | ---: | --- | ---: |';
WITH s AS (
    SELECT variant, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS med,
           min(value) AS lo, max(value) AS hi
      FROM results WHERE bench = 'cpu' GROUP BY variant)
SELECT format('| %s | %s | %s-%s | %s |',
              CASE variant WHEN 'abs' THEN 'floor: SELECT abs(:k)'
                           ELSE 'atomiccache hit, int to bigint: SELECT sqc(:k)' END,
              round(med::numeric, 2), round(lo::numeric, 2), round(hi::numeric, 2),
              round((med / (SELECT med FROM s WHERE variant = 'abs'))::numeric, 3))
  FROM s ORDER BY med;
SELECT '';
SELECT '(The CPU the backends used, from the postmaster''s children times; the client''s is not counted.)';
SELECT '';
SELECT '## Stampede (64 clients at once, one cold key, a fill that takes 1 s)';
SELECT '';
SELECT '| variant | wall time (s) | min-max | fills (median) |';
SELECT '| --- | ---: | --- | ---: |';
WITH t AS (
    SELECT variant, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS med,
           min(value) AS lo, max(value) AS hi
      FROM results WHERE bench = 'stampede_s' GROUP BY variant),
f AS (
    SELECT variant, percentile_cont(0.5) WITHIN GROUP (ORDER BY value) AS med
      FROM results WHERE bench = 'stampede_fills' GROUP BY variant)
SELECT format('| %s | %s | %s-%s | %s |',
              CASE t.variant WHEN 'slowc' THEN 'atomiccache' ELSE 'DIY check-then-insert (unlogged table)' END,
              round(t.med::numeric, 2), round(t.lo::numeric, 2), round(t.hi::numeric, 2), f.med)
  FROM t JOIN f USING (variant) ORDER BY t.med;
SELECT '';
SELECT '(The stampede wall time includes starting 64 connections.)';
EOF
ac_pg_stop
cat "$out"

ac_log "5. scale: test/bench/scale.sh"
bash "$AC_ROOT/test/bench/scale.sh" "${AC_BENCH_SCALE_MAX:-4000000}"
