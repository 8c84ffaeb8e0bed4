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
# (ALTER SYSTEM, pg_reload_conf()) before the cache is filled.  For each
# size N the cache is filled up to N entries, then, in the same server:
#   hot hit     count(c(i % 1000)) over 2,000,000 calls, against abs()
#               over the same keys: ns per call over the floor
#   random hit  the same over keys spread over all N entries
#   miss        20,000 new keys filled, against the fill called directly
#               on 20,000 other keys: ns per call over the fill
#   bytes       atomiccache.memory() used_bytes / entries, less the 8
#               bytes of key and value
# Writes test/bench/scale.md and prints it.  Not a test: nothing passes or
# fails on a timing.

set -euo pipefail

# shellcheck source=test/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/../setup.sh"

max=${1:-4000000}
[[ $max =~ ^[1-9][0-9]*$ ]] || ac_die "usage: bash test/bench/scale.sh [MAX_ENTRIES]"
out=$AC_ROOT/test/bench/scale.md

ac_ensure_packages
ac_install_traps
work=
ac_mktemp work
ac_build_install "$work/src"
ac_pg_start "$work" "shared_buffers = '256MB'"

ac_psql -q <<'SQL'
CREATE EXTENSION atomiccache;
CREATE FUNCTION f(k int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT k + 1';
SELECT atomiccache.create_cache('c', 'f(int)');
SELECT c(0);        -- the shared state exists, made with the default limit
ALTER SYSTEM SET atomiccache.memory_limit = '1GB';
SELECT pg_reload_conf();
CREATE FUNCTION bench_ms(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz;
BEGIN
    t0 := clock_timestamp();
    EXECUTE q;
    RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
CREATE TABLE scale (entries bigint, hot_ns float8, random_ns float8,
                    miss_ns float8, bytes float8, buckets bigint);
SQL
sleep 1

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
       (bench_ms('SELECT count(c(i % 1000)) FROM generate_series(1, 2000000) i')
        - bench_ms('SELECT count(abs(i % 1000)) FROM generate_series(1, 2000000) i'))
       * 1e6 / 2000000,
       (bench_ms('SELECT count(c((1 + (i::bigint * 7919) % $n)::int)) FROM generate_series(1, 2000000) i')
        - bench_ms('SELECT count(abs((1 + (i::bigint * 7919) % $n)::int)) FROM generate_series(1, 2000000) i'))
       * 1e6 / 2000000,
       (bench_ms('SELECT count(c(k)) FROM generate_series(100000000 + $n, 100000000 + $n + 19999) k')
        - bench_ms('SELECT count(f(k)) FROM generate_series(200000000 + $n, 200000000 + $n + 19999) k'))
       * 1e6 / 20000,
       (SELECT used_bytes::float8 / entries - 8 FROM atomiccache.memory()),
       (SELECT buckets FROM atomiccache.memory());
SQL
done

{
    echo "# atomiccache at scale"
    echo
    echo "Measured by \`bash test/bench/scale.sh $max\` on $(nproc) cores, $(ac_psql -At -c 'SHOW server_version'); memory_limit raised to 1GB by a reload after first use; int -> int entries. Costs are ns per call over the baseline of the same moment (abs() on the same keys for hits, the fill called directly for misses)."
    echo
    echo "| entries | hot-key hit (ns over abs) | random-key hit (ns over abs) | miss (ns over the fill) | bytes per entry beyond key and value | buckets |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
    ac_psql -At -F ' | ' -c "SELECT to_char(entries, 'FM9,999,999'), round(hot_ns::numeric),
        round(random_ns::numeric), round(miss_ns::numeric), round(bytes::numeric),
        buckets FROM scale ORDER BY entries" | sed 's/^/| /; s/$/ |/'
} >"$out"
cat "$out"
