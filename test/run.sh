#!/usr/bin/env bash
#
# test/run.sh -- the test command: build atomiccache with -Werror, install
# it, and run every test against throwaway PostgreSQL 15 and 18 servers
#
# Usage:  bash test/run.sh [--pg VERSION] [PHASE...] [TEST...]
#
#   --pg    the PostgreSQL to test against: 15 (Debian's package) or 18
#           (built from Debian's source package the first time, into
#           /var/cache/atomiccache: test/pgbuild.sh).  Without it: 15,
#           then 18, each a whole run; the last line sums both.
#
#   PHASE   regress      pg_regress, sql/*.sql: once plain (CREATE EXTENSION
#                        without preloading), once with
#                        shared_preload_libraries = 'atomiccache'
#           plain        only the plain pg_regress run
#           preload      only the preloaded pg_regress run
#           isolation    isolation specs, test/specs/*.spec, both modes
#                        (needs ISOLATION_OPTS = --inputdir=test ... in
#                        the Makefile)
#           tap          TAP tests, test/t/*.pl, one prove run per file
#           tap-preload  the TAP tests again with the library preloaded
#                        (TEMP_CONFIG); not part of the default run
#           fault        fault tests, test/fault/*.sh, run as root (they
#                        change the machine's view of itself in a private
#                        namespace, e.g. a full /dev/shm)
#   TEST    a test name: sql/NAME.sql, test/specs/NAME.spec or
#           test/t/NAME.pl; restricts its phase(s) to the named tests
#   Default: regress, isolation, tap, fault.
#
# Everything runs as the "postgres" user (the server refuses root) in a
# scratch copy of the tree; the working tree is left untouched.  The last
# line printed is "N passed, N failed", counting test files (each sql file
# once per mode, each spec once per mode, each TAP file); the exit status
# is non-zero if anything failed.
#
# Environment:
#   AC_REGRESS_TIMEOUT  seconds per pg_regress run (default 300)
#   AC_TAP_TIMEOUT      seconds per TAP file (default 300)
#   AC_TOTAL_TIMEOUT    seconds for the whole run (default 780); what is
#                       left when it is spent counts as failed
#   AC_KEEP_TMP=1       keep the scratch directory (results, logs)
#   AC_COPT             extra compiler flags (e.g. -DUSE_ASSERT_CHECKING)
#   AC_TEST_ENV         VAR=value words added to the environment of every
#                       pg_regress and TAP run, servers included (e.g.
#                       LD_PRELOAD: test/sanitize.sh)
#   PROVE_FLAGS         prove options (default: --verbose --timer)

set -euo pipefail

# --pg VERSION first: test/lib.sh picks the server's directories from it
args=()
pg=
while (($# > 0)); do
    case $1 in
        --pg) pg=${2:?--pg needs a version}; shift 2 ;;
        --pg=*) pg=${1#--pg=}; shift ;;
        *) args+=("$1"); shift ;;
    esac
done
set -- "${args[@]+"${args[@]}"}"
if [[ -n $pg ]]; then
    [[ $pg == 15 || $pg == 18 || $pg == 18-sanitize ]] ||
        { echo "--pg: 15 or 18 (or 18-sanitize: test/sanitize.sh)" >&2; exit 2; }
    export AC_PG_VERSION=$pg
fi

# Without --pg: every supported PostgreSQL in turn, each a whole run of
# its own (this is the test command of the README and of .ci/run); the
# last line sums them up.
if [[ -z $pg ]]; then
    all_pass=0 all_fail=0 rc=0
    # each pass chooses its own server (and the 18 pass its old 15)
    unset AC_PG_VERSION AC_PG_BINDIR AC_PG_CONFIG AC_UPGRADE_FROM
    for version in 15 18; do
        printf '\n######## PostgreSQL %s ########\n' "$version"
        summary_file=$(mktemp)
        bash "${BASH_SOURCE[0]}" --pg "$version" "$@" 2>&1 |
            tee "$summary_file" || rc=1
        last=$(tail -n 1 "$summary_file")
        rm -f "$summary_file"
        if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
            p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
        else
            echo "== PostgreSQL $version: the run ended before its summary"
            p=0 f=1 rc=1
        fi
        all_pass=$((all_pass + p)) all_fail=$((all_fail + f))
        printf '== PostgreSQL %s: %s passed, %s failed\n' "$version" "$p" "$f"
    done
    echo
    echo "== both versions: total time $((SECONDS / 60))m$((SECONDS % 60))s"
    echo "$all_pass passed, $all_fail failed"
    ((all_fail == 0)) || rc=1
    exit "$rc"
fi

# shellcheck source=test/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

usage() {
    sed -n '6,29s/^# \{0,1\}//p' "$AC_ROOT/test/run.sh" >&2
    exit 2
}

# --- what to run --------------------------------------------------------

declare -A want=()
sel_regress=() sel_iso=() sel_tap=() sel_fault=()
for arg in "$@"; do
    case $arg in
        regress) want[plain]=1 want[preload]=1 ;;
        plain | preload | isolation | tap | tap-preload | fault) want[$arg]=1 ;;
        all) want[plain]=1 want[preload]=1 want[isolation]=1 want[tap]=1 want[fault]=1 ;;
        -h | --help | help) usage ;;
        *)
            name=$(basename "$arg")
            name=${name%.sql} name=${name%.spec} name=${name%.pl}
            found=0
            if [[ -f $AC_ROOT/sql/$name.sql ]]; then
                sel_regress+=("$name") found=1
            fi
            if [[ -f $AC_ROOT/test/specs/$name.spec ]]; then
                sel_iso+=("$name") found=1
            fi
            if [[ -f $AC_ROOT/test/t/$name.pl ]]; then
                sel_tap+=("$name") found=1
            fi
            if [[ -f $AC_ROOT/test/fault/$name.sh ]]; then
                sel_fault+=("$name") found=1
            fi
            ((found)) || { echo "unknown phase or test: $arg" >&2; usage; }
            ;;
    esac
done
if ((${#want[@]} == 0)); then
    if ((${#sel_regress[@]} + ${#sel_iso[@]} + ${#sel_tap[@]} + ${#sel_fault[@]} > 0)); then
        ((${#sel_regress[@]})) && want[plain]=1 want[preload]=1
        ((${#sel_iso[@]})) && want[isolation]=1
        ((${#sel_tap[@]})) && want[tap]=1
        ((${#sel_fault[@]})) && want[fault]=1
    else
        want[plain]=1 want[preload]=1 want[isolation]=1 want[tap]=1 want[fault]=1
    fi
fi

# names NAMES_ARRAY DIR EXT: the selected names, or all files DIR/*.EXT.
names() {
    local -n sel=$1
    local f
    if ((${#sel[@]} > 0)); then
        printf '%s\n' "${sel[@]}"
        return
    fi
    for f in "$AC_ROOT/$2"/*."$3"; do
        [[ -e $f ]] && basename "$f" ".$3"
    done | LC_ALL=C sort
}
mapfile -t regress_tests < <(names sel_regress sql sql)
mapfile -t iso_tests < <(names sel_iso test/specs spec)
mapfile -t tap_tests < <(names sel_tap test/t pl)
mapfile -t fault_tests < <(names sel_fault test/fault sh)

# --- bookkeeping ----------------------------------------------------------

passed=0 failed=0 failed_names=()
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); failed_names+=("$1"); }

summary() {
    echo
    echo "== total time $((SECONDS / 60))m$((SECONDS % 60))s"
    if ((failed > 0)); then
        echo "== failed: ${failed_names[*]}"
        if [[ ${AC_KEEP_TMP:-0} != 1 ]]; then
            echo "== (AC_KEEP_TMP=1 keeps the results and logs for a look)"
        fi
    fi
    if ((passed + failed == 0)); then
        echo "== no tests found"
    fi
    if [[ ${AC_KEEP_TMP:-0} == 1 && -n ${work:-} ]]; then
        echo "== kept $work (results, logs)"
        AC_EXIT_QUIET=1
    fi
    echo "$passed passed, $failed failed"
}

section() { printf '\n==== %s ====\n' "$*"; }

# --- setup ----------------------------------------------------------------

ac_ensure_packages
ac_install_traps
work=
ac_mktemp work
src=$work/src

section "layers (test/layers.sh)"
if bash "$AC_ROOT/test/layers.sh" "$AC_ROOT/src"; then
    pass
else
    fail layers
fi

section "build (-Werror) and install"
if ! (ac_build_install "$src" --werror); then
    fail build
    summary
    exit 1
fi
mkdir -p "$work/tmp"

# The upgrade from 15 (test/t/210_upgrade_from_15.pl) runs on 18 only, with
# a 15.18 built from source (test/pgbuild.sh) that has atomiccache too.
upgrade_test=210_upgrade_from_15
unset AC_UPGRADE_FROM
if [[ " ${tap_tests[*]} " == *" $upgrade_test "* ]]; then
    if [[ $AC_PG_VERSION == 18 && -n ${want[tap]:-}${want[tap-preload]:-} ]]; then
        section "PostgreSQL 15.18 for $upgrade_test"
        old_pg=$(ac_pg_prefix 15.18)
        if (ac_pg_build 15.18 &&
            AC_PG_CONFIG=$old_pg/bin/pg_config ac_build_install "$work/src-15.18" --werror); then
            export AC_UPGRADE_FROM=$old_pg
        else
            fail "build-15.18"
        fi
    fi
    mapfile -t tap_tests < <(printf '%s\n' "${tap_tests[@]}" | grep -vx "$upgrade_test")
    [[ -n ${AC_UPGRADE_FROM:-} ]] && tap_tests+=("$upgrade_test")
fi
ac_pg_own "$work"
mapfile -t make_args < <(ac_make_args --werror)
# the time budget (AC_TOTAL_TIMEOUT) counts from here: installing packages
# and building PostgreSQL the first time are not the tests' time
phases_t0=$SECONDS

# A fixed, UTF-8 locale for every server and client (the TAP framework
# drops LC_ALL and keeps LANG; pg_regress forces LC_MESSAGES=C itself).
export LANG=C.UTF-8
unset LC_ALL LANGUAGE LC_CTYPE LC_COLLATE LC_MESSAGES LC_MONETARY \
    LC_NUMERIC LC_TIME PGHOST PGPORT PGUSER PGDATABASE PGOPTIONS PGSERVICE \
    TEMP_CONFIG

# pg_make LOG TIMEOUT MAKE_ARG...: "make -C src" as postgres, output shown
# and saved in LOG; returns make's status (124 on timeout).  TMPDIR: the
# socket directories of pg_regress and of the TAP framework go below $work
# too, so that a killed test leaves nothing behind in /tmp.
pg_make() {
    local log=$1 limit=$2 left
    shift 2
    left=$((${AC_TOTAL_TIMEOUT:-780} - (SECONDS - phases_t0)))
    if ((left < 10)); then
        echo "!! not run: the time budget (AC_TOTAL_TIMEOUT) is spent" |
            tee "$log"
        return 124
    fi
    ((limit <= left)) || limit=$left
    local -a test_env=()
    [[ -n ${AC_TEST_ENV:-} ]] && read -r -a test_env <<<"$AC_TEST_ENV"
    ac_run_limited "$limit" "$log" "${AC_AS_PG[@]}" env TMPDIR="$work/tmp" "${test_env[@]}" \
        make -C "$src" --no-print-directory "${make_args[@]}" "$@"
}

# show_file FILE MAX_LINES: print a file, at most its last MAX_LINES lines.
show_file() {
    local file=$1 max=$2 n
    [[ -s $file ]] || return 0
    n=$(wc -l <"$file")
    if ((n > max)); then
        echo "---- $file (last $max of $n lines) ----"
        tail -n "$max" "$file"
    else
        echo "---- $file ----"
        cat "$file"
    fi
}

# write_conf FILE MODE: the extra server configuration of a mode.
write_conf() {
    {
        echo "# atomiccache test configuration ($2)"
        if [[ $2 == preload ]]; then
            echo "shared_preload_libraries = '$AC_EXTENSION'"
        fi
    } >"$1"
    ac_pg_own "$1"
}

# count_pg_regress LOG LABEL NAME...: count the tests pg_regress reported
# "ok" in LOG; any other outcome, or no report at all (server did not
# start, timeout), is a failure.  Two report formats: "test NAME ... ok"
# (PostgreSQL 15) and TAP, "ok 1 - NAME" / "not ok 1 - NAME" (16 on).
count_pg_regress() {
    local log=$1 label=$2 name status
    shift 2
    for name in "$@"; do
        status=$(sed -n -E \
            -e "s/^(test| ) +$name +\.\.\. +(ok|FAILED|failed \(ignored\)).*/\2/p" \
            -e "s/^(ok|not ok) +[0-9]+ +[-+] +$name( .*)?\$/\1/p" \
            "$log" | tail -n 1)
        if [[ $status == ok ]]; then
            pass
        else
            fail "$label/$name"
        fi
    done
}

# run_pg_regress KIND MODE NAME...: KIND regress or isolation, MODE plain
# or preload; a temp instance per run, configured by --temp-config.
run_pg_regress() {
    local kind=$1 mode=$2 out conf log rc=0 t0=$SECONDS
    shift 2
    local -a targs
    out=$work/$kind-$mode conf=$work/$kind-$mode.conf log=$work/$kind-$mode.log
    section "$kind, $mode ($# tests)"
    mkdir -p "$out"
    ac_pg_own "$out"
    write_conf "$conf" "$mode"
    if [[ $kind == regress ]]; then
        targs=(TAP_TESTS= ISOLATION= "REGRESS=$*")
    else
        targs=(TAP_TESTS= REGRESS= "ISOLATION=$*")
    fi
    pg_make "$log" "${AC_REGRESS_TIMEOUT:-300}" installcheck "${targs[@]}" \
        "EXTRA_REGRESS_OPTS=--temp-instance=$out/tmp_check --temp-config=$conf --outputdir=$out --port=$(ac_free_port)" ||
        rc=$?
    count_pg_regress "$log" "$kind-$mode" "$@"
    echo "== $kind $mode: make exit $rc, $((SECONDS - t0))s"
    if ((rc != 0)); then
        show_file "$out/regression.diffs" "${AC_DIFF_LINES:-400}"
        if [[ -s $out/log/postmaster.log ]]; then
            show_file "$out/log/postmaster.log" 40
        else
            show_file "$out/log/initdb.log" 40
        fi
    fi
}

# run_tap NAME [preload]: one TAP file, one prove run; its logs are moved
# to $work/tap-logs/NAME before the next run wipes tmp_check.
run_tap() {
    local name=$1 mode=${2:-plain} label log logs rc=0 t0=$SECONDS f
    label=tap${2:+-$2}/$name
    log=$work/tap-$mode-$name.log logs=$work/tap-logs-$mode/$name
    section "TAP $mode: test/t/$name.pl"
    local -a extra=("PROVE_FLAGS=${PROVE_FLAGS:---verbose --timer}")
    if [[ $mode == preload ]]; then
        # PostgreSQL::Test::Cluster appends $TEMP_CONFIG to every node's
        # postgresql.conf (make exports command-line variables).
        write_conf "$work/tap-preload.conf" preload
        extra+=("TEMP_CONFIG=$work/tap-preload.conf")
    fi
    pg_make "$log" "${AC_TAP_TIMEOUT:-300}" installcheck REGRESS= ISOLATION= \
        "PROVE_TESTS=test/t/$name.pl" "${extra[@]}" || rc=$?
    mkdir -p "$(dirname "$logs")"
    if [[ -d $src/tmp_check/log ]]; then
        mv "$src/tmp_check/log" "$logs"
    fi
    echo "== TAP $mode $name: exit $rc, $((SECONDS - t0))s"
    if ((rc == 0)); then
        pass
    else
        fail "$label"
        if [[ -d $logs ]]; then
            for f in "$logs"/regress_log_*; do
                [[ -e $f ]] || continue
                show_file "$f" "${AC_TAP_LOG_LINES:-120}"
            done
            for f in "$logs"/*.log; do
                [[ -e $f ]] || continue
                show_file "$f" 40
            done
        fi
    fi
}

# run_fault NAME: one fault test, test/fault/NAME.sh, as root (through sudo
# when we are not root); it prints TAP and its exit status is the verdict.
run_fault() {
    local name=$1 log=$work/fault-$1.log rc=0 t0=$SECONDS
    local -a as_root=()
    section "fault: test/fault/$name.sh"
    if ! ac_is_root; then
        if command -v sudo >/dev/null; then
            as_root=(sudo --preserve-env=TMPDIR)
        else
            echo "!! test/fault/$name.sh needs root (or sudo)" | tee "$log"
            fail "fault/$name"
            return
        fi
    fi
    ac_run_limited "${AC_FAULT_TIMEOUT:-300}" "$log" "${as_root[@]}" \
        env TMPDIR="$work/tmp" AC_PG_VERSION="$AC_PG_VERSION" \
        bash "$src/test/fault/$name.sh" || rc=$?
    echo "== fault $name: exit $rc, $((SECONDS - t0))s"
    if ((rc == 0)); then
        pass
    else
        fail "fault/$name"
    fi
}

# --- phases ---------------------------------------------------------------

for mode in plain preload; do
    [[ -n ${want[$mode]:-} ]] || continue
    if ((${#regress_tests[@]} == 0)); then
        section "regress, $mode: no sql/*.sql, skipped"
        continue
    fi
    run_pg_regress regress "$mode" "${regress_tests[@]}"
done

if [[ -n ${want[isolation]:-} ]] && ((${#iso_tests[@]} > 0)); then
    for mode in plain preload; do
        run_pg_regress isolation "$mode" "${iso_tests[@]}"
    done
fi

for mode in tap tap-preload; do
    [[ -n ${want[$mode]:-} ]] || continue
    if ((${#tap_tests[@]} == 0)); then
        section "$mode: no test/t/*.pl, skipped"
        continue
    fi
    for name in "${tap_tests[@]}"; do
        if [[ $mode == tap ]]; then
            run_tap "$name"
        else
            run_tap "$name" preload
        fi
    done
done

if [[ -n ${want[fault]:-} ]]; then
    for name in "${fault_tests[@]}"; do
        run_fault "$name"
    done
fi

summary
((failed == 0))
