#!/usr/bin/env bash
#
# test/fault/dsm_full.sh -- /dev/shm full: a DSM segment that cannot be
# created is treated like a full cache, never as an error to the user.
#
# The server runs in a private mount namespace whose /dev/shm is an 8 MB
# tmpfs, with atomiccache.memory_limit = 16MB: the byte budget allows the
# DSA area to grow past what /dev/shm can hold, so dsm_create() fails with
# ENOSPC while values are being stored.  Every call must still return the
# right value, with no error or warning, and the cache must keep working.
# Needs root (unshare, mount); prints TAP.

set -euo pipefail

if [[ ${1:-} != --inside ]]; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "1..1"
        echo "not ok 1 - this test needs root (a private mount namespace)"
        exit 1
    fi
    exec unshare -m --propagation private bash "$0" --inside
fi

# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

mount -t tmpfs -o size=8m,mode=1777 tmpfs /dev/shm
ac_install_traps
dir=
ac_mktemp dir
ac_pg_start "$dir" "atomiccache.memory_limit = '16MB'" \
    "max_parallel_workers_per_gather = 0" "max_connections = 20"

n=0 failed=0
check() {
    local name=$1 got=$2 want=$3
    n=$((n + 1))
    if [[ $got == "$want" ]]; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name"
        echo "#   got:  '$got'"
        echo "#   want: '$want'"
        failed=$((failed + 1))
    fi
}

ac_psql -q <<'SQL'
CREATE EXTENSION atomiccache;
CREATE FUNCTION big(k int) RETURNS text LANGUAGE sql
    AS $$ SELECT repeat(md5(k::text), 1000) $$;
SELECT atomiccache.create_cache('bigc', 'big(int)');
SQL

# 2000 values of 32 kB: 64 MB, far more than /dev/shm holds
out=$(ac_psql -At -c "SELECT count(*) FILTER (WHERE bigc(k) = big(k)) FROM generate_series(1, 2000) k" 2>&1 | head -n 5)
check "2000 calls return the right values while /dev/shm fills up" "$out" "2000"
out=$(ac_psql -At -c "SELECT count(*) FILTER (WHERE bigc(k) = big(k)) FROM generate_series(1, 2000) k" 2>&1 | head -n 5)
check "and again, with no error or warning" "$out" "2000"

used=$(ac_psql -At -c "SELECT used_bytes FROM atomiccache.memory()")
shm=$(df -k --output=used /dev/shm | tail -n 1 | tr -d ' ')
echo "# used_bytes $used, /dev/shm used ${shm} kB of 8192 kB"
# The area's segments grow in size, so the last one that fits can leave a
# few MB of /dev/shm free (and from PostgreSQL 17 the DSM registry has a
# segment there too): more than 5 MB used means the OS refused the next.
check "/dev/shm did fill up (> 5 MB used)" "$((shm > 5 * 1024))" "1"
check "the cache holds less than the 16 MB budget allowed" "$((used < 16 * 1024 * 1024))" "1"
out=$(ac_psql -At -c "SELECT (evictions + uncached) > 0, entries > 0 FROM atomiccache.caches WHERE name = 'bigc'")
check "it evicted or returned values uncached, and still holds entries" "$out" "t|t"
out=$(ac_psql -At -c "SELECT bigc(5001) = big(5001)" -c "SELECT atomiccache.contains('bigc', 5001), bigc(5001) = big(5001)")
check "a new key is filled, cached and hit" "$out" $'t\nt|t'
errors=$(grep -cE "ERROR|WARNING|PANIC|FATAL|terminated by signal" "$dir/server.log" || true)
check "the server log has no error or warning" "$errors" "0"
[[ $errors == 0 ]] || grep -E "ERROR|WARNING|PANIC|FATAL|terminated" "$dir/server.log" | head -n 5 | sed 's/^/# /'

ac_pg_stop
echo "1..$n"
((failed == 0))
