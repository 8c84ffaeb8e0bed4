#!/usr/bin/env bash
#
# test/sanitize.sh -- the regression and TAP suites against a build of
# atomiccache with AddressSanitizer and UndefinedBehaviorSanitizer
#
# Usage:  bash test/sanitize.sh [PHASE|TEST...]
#         (default: the phases regress and tap; the arguments are those of
#         test/run.sh)
#
# The suites run against PostgreSQL 18 built from source with
# -fsanitize=address,undefined (test/pgbuild.sh, "18-sanitize": built the
# first time, about 6 minutes, then cached outside the checkout).  The
# extension, built with that server's pg_config, is instrumented too, and
# the sanitizer runtime is the server's own (preloading it into Debian's
# binaries does not work here: they hang in bindtextdomain() at start).
# Every UB check is fatal (-fno-sanitize-recover=all).  Each sanitizer
# writes its reports to a file of its own (log_path, named after the
# program and its PID) in a scratch directory; the command fails if the
# suites fail or if any report was written, and prints the reports.
#
# What this catches, in the server and the extension alike: out-of-bounds
# accesses to the stack, to globals and to malloc()ed memory (palloc
# blocks), use after free of such memory, and undefined behaviour
# (overflows, shifts, misaligned or NULL accesses, bad enum or bool
# loads).  Not: accesses within a palloc block (the server is not built
# with its own memory-context instrumentation) nor in shared memory (DSA
# segments are mmap'ed, without redzones).  Leak checking is off: a
# server frees its memory by ending its memory contexts, and processes
# exit without freeing.
#
# Not part of the test command (.ci/run): it takes about 6 minutes more
# (5m22s for regress and tap here, on 2 cores), and the test command must
# stay well under 15 minutes.  README.md, Testing, says how to run it.

set -euo pipefail

# shellcheck source=test/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

args=("$@")
((${#args[@]} > 0)) || args=(regress tap)
# every program of that build (pg_config, initdb, psql) has ASan: no leak
# reports from them
export ASAN_OPTIONS=detect_leaks=0

ac_ensure_packages
reports=$(mktemp -d /tmp/atomiccache-sanitize.XXXXXX)
chmod 1777 "$reports"
trap 'rm -rf "$reports"' EXIT

# detect_leaks=0: see the head comment.  log_exe_name: the report files say
# which program wrote them.
export AC_TEST_ENV="ASAN_OPTIONS=detect_leaks=0:log_path=$reports/asan:log_exe_name=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan:log_exe_name=1"
export AC_TOTAL_TIMEOUT=${AC_TOTAL_TIMEOUT:-2400}
export AC_TAP_TIMEOUT=${AC_TAP_TIMEOUT:-600}
export AC_REGRESS_TIMEOUT=${AC_REGRESS_TIMEOUT:-600}

rc=0
bash "$AC_ROOT/test/run.sh" --pg 18-sanitize "${args[@]}" || rc=$?

n=0
for f in "$reports"/*; do
    [[ -e $f ]] || continue
    n=$((n + 1))
    printf '\n==== sanitizer report %s ====\n' "$(basename "$f")"
    head -n 60 "$f"
done
echo
echo "== sanitizer reports: $n"
if ((n > 0)); then
    rc=1
fi
exit "$rc"
