#!/usr/bin/env bash
#
# test/sanitize.sh -- the regression and TAP suites against a build of
# atomiccache with AddressSanitizer and UndefinedBehaviorSanitizer
#
# Usage:  bash test/sanitize.sh [--pg 15|18] [PHASE|TEST...]
#         (default: --pg 15, phases regress and tap; the arguments are
#         those of test/run.sh)
#
# The extension is built with -fsanitize=address,undefined (every UB check
# fatal: -fno-sanitize-recover=all) on top of the test build's flags, and
# every process of the test runs (the servers first of all, and psql,
# pg_regress and perl, which are not instrumented) has the ASan runtime
# preloaded (LD_PRELOAD), which an instrumented library loaded into an
# uninstrumented postgres needs.  Each sanitizer writes its reports to a
# file of its own (log_path, named after the program and its PID) in a
# scratch directory; the command fails if the suites fail or if any
# report was written, and prints the reports.
#
# What this catches: in the extension's own code, out-of-bounds accesses
# to its stack and globals and to memory malloc() gave (palloc blocks),
# use after free of such blocks, and undefined behaviour (overflows,
# shifts, misaligned or NULL accesses, bad enum or bool loads); in every
# process, the intercepted library calls (memcpy on overlapping ranges,
# strlen past the end, ...).  Not: accesses within a palloc block (the
# server is not built for ASan) nor in shared memory (DSA segments are
# mmap'ed, without redzones).  Leak checking is off: a server frees its
# memory by ending its memory contexts, and processes exit without
# freeing.
#
# Not part of the test command (.ci/run): the suites run about twice as
# slowly, and the test command must stay well under 15 minutes.  README.md,
# Testing, shows a run.

set -euo pipefail

# shellcheck source=test/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

args=("$@")
pg=15
for ((i = 0; i < ${#args[@]}; i++)); do
    case ${args[i]} in
        --pg) pg=${args[i + 1]:-} ;;
        --pg=*) pg=${args[i]#--pg=} ;;
    esac
done
[[ " ${args[*]-} " == *" --pg"* ]] || args=(--pg "$pg" "${args[@]+"${args[@]}"}")
phases=0
for a in "${args[@]}"; do
    [[ $a == --pg* || $a == 15 || $a == 18 ]] || phases=1
done
((phases)) || args+=(regress tap)

ac_ensure_packages
asan=$(gcc -print-file-name=libasan.so.8)
if [[ ! -e $asan ]]; then
    ac_log "installing libasan8"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q libasan8 libubsan1 >/dev/null ||
        ac_die "cannot install libasan8"
    asan=$(gcc -print-file-name=libasan.so.8)
fi
asan=$(readlink -f "$asan")

reports=$(mktemp -d /tmp/atomiccache-sanitize.XXXXXX)
chmod 1777 "$reports"
trap 'rm -rf "$reports"' EXIT

# detect_leaks=0: see the head comment.  allow_user_segv_handler: the
# server's own handlers stay.  log_exe_name: the report files say which
# program wrote them.
export AC_COPT="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer${AC_COPT:+ $AC_COPT}"
export AC_TEST_ENV="${AC_SANITIZE_PRELOAD-LD_PRELOAD=$asan} ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0:allow_user_segv_handler=1:log_path=$reports/asan:log_exe_name=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan:log_exe_name=1"
export AC_TOTAL_TIMEOUT=${AC_TOTAL_TIMEOUT:-2400}
export AC_TAP_TIMEOUT=${AC_TAP_TIMEOUT:-600}
export AC_REGRESS_TIMEOUT=${AC_REGRESS_TIMEOUT:-600}

rc=0
bash "$AC_ROOT/test/run.sh" "${args[@]}" || rc=$?

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
