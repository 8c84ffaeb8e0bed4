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
# Every UB check is fatal (-fno-sanitize-recover=all).  A report goes to
# the stderr of the process that made it: the server's log, or a client's
# output.  The command searches every log and output of the run for one,
# and fails if the suites fail or if it finds any, printing them.
# (Checked once with a deliberate out-of-bounds write added to a copy of
# the source: UBSan's "index 4 out of bounds" in the server log, found.)
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
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# Sanitizer reports go to the stderr of the process that made them: the
# server logs (pg_regress's postmaster.log, the TAP nodes' logs) and the
# clients' output, all kept in run.sh's scratch directory (AC_KEEP_TMP),
# searched below, then removed.  detect_leaks=0: see the head comment.
export AC_TEST_ENV="ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
export AC_KEEP_TMP=1
export AC_TOTAL_TIMEOUT=${AC_TOTAL_TIMEOUT:-2400}
export AC_TAP_TIMEOUT=${AC_TAP_TIMEOUT:-600}
export AC_REGRESS_TIMEOUT=${AC_REGRESS_TIMEOUT:-600}

rc=0
bash "$AC_ROOT/test/run.sh" --pg 18-sanitize "${args[@]}" 2>&1 | tee "$out" || rc=1
[[ $(tail -n 1 "$out") =~ \ 0\ failed$ ]] || rc=1

kept=$(sed -n 's/^== kept \(.*\) (results, logs)$/\1/p' "$out" | tail -n 1)
n=0
if [[ -n $kept && -d $kept ]]; then
    # the copy of the source tree is not searched (it names the reports)
    mapfile -t files < <(grep -rlE '^==[0-9]+==ERROR: |: runtime error: ' \
        --exclude-dir=src "$kept" 2>/dev/null || true)
    for f in "${files[@]}"; do
        n=$((n + 1))
        printf '\n==== sanitizer report in %s ====\n' "${f#"$kept"/}"
        grep -E -A 30 '^==[0-9]+==ERROR: |: runtime error: ' "$f" | head -n 60
    done
    rm -rf "$kept"
else
    echo "== the scratch directory of the run was not found: reports not searched"
    rc=1
fi
echo
echo "== sanitizer reports: $n (files with one)"
if ((n > 0)); then
    rc=1
fi
exit "$rc"
