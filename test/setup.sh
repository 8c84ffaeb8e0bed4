#!/usr/bin/env bash
#
# test/setup.sh -- make sure PostgreSQL 15 and the build tools are present,
# then build and install atomiccache
#
# Usage:  bash test/setup.sh [--werror]
#
# Run directly, it installs missing packages (as root; otherwise it prints
# the apt-get command to run), builds the extension in a scratch copy of the
# source tree against PostgreSQL 15's pg_config and installs it ("make
# install", as root or through sudo).  --werror turns compiler warnings into
# errors, as the test command does.  Extra compiler flags may be given in
# AC_COPT (e.g. AC_COPT=-DUSE_ASSERT_CHECKING).
#
# Sourced (by test/run.sh and test/demo.sh), it only defines:
#   ac_ensure_packages          install what is missing, or exit 1
#   ac_build_install DIR [--werror]
#                               copy the tree to DIR, build there, install
#
# The build happens in a copy so that the working tree gets no build
# products and a build running here never races one in progress there.

# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=test/pgbuild.sh
source "$AC_ROOT/test/pgbuild.sh"

AC_APT_PACKAGES=(postgresql-15 postgresql-server-dev-15 libipc-run-perl)

# ac_missing_packages: print the Debian packages that are needed but absent.
ac_missing_packages() {
    local -a need=()
    if [[ ! -x $AC_PG_CONFIG ||
          ! -f /usr/include/postgresql/15/server/postgres.h ||
          ! -f /usr/lib/postgresql/15/lib/pgxs/src/makefiles/pgxs.mk ]]; then
        need+=(postgresql-server-dev-15)
    fi
    if [[ ! -x $AC_PG_BINDIR/postgres || ! -x $AC_PG_BINDIR/initdb ||
          ! -x $AC_PG_BINDIR/psql ]]; then
        need+=(postgresql-15)
    fi
    if ! perl -MIPC::Run -e 1 >/dev/null 2>&1; then
        need+=(libipc-run-perl)
    fi
    if ! command -v make >/dev/null || ! command -v gcc >/dev/null ||
       ! command -v prove >/dev/null; then
        need+=(build-essential)   # prove comes with perl, a dependency
    fi
    # test/t/070_hit_nolock.pl counts lock calls of a backend with gdb
    if ! command -v gdb >/dev/null; then
        need+=(gdb)
    fi
    if ((${#need[@]} > 0)); then
        printf '%s\n' "${need[@]}"
    fi
}

ac_ensure_packages() {
    local -a missing pkgs
    mapfile -t missing < <(ac_missing_packages)
    # another version than Debian's 15: built from source (and the tools
    # Debian's 15 brings along are wanted all the same)
    if [[ $AC_PG_VERSION != 15 ]]; then
        ac_pg_build "$AC_PG_VERSION"
    fi
    ((${#missing[@]} == 0)) && return 0

    pkgs=("${AC_APT_PACKAGES[@]}")
    [[ " ${missing[*]} " == *" build-essential "* ]] && pkgs+=(build-essential)
    [[ " ${missing[*]} " == *" gdb "* ]] && pkgs+=(gdb)
    if ! ac_is_root; then
        printf 'missing: %s\n' "${missing[*]}" >&2
        printf 'run as root:\n  %s\n' \
            "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${pkgs[*]}" >&2
        exit 1
    fi
    ac_log "installing ${pkgs[*]} (missing: ${missing[*]})"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}"
    mapfile -t missing < <(ac_missing_packages)
    ((${#missing[@]} == 0)) ||
        ac_die "still missing after apt-get install: ${missing[*]}"
}

# ac_ensure_tool COMMAND PACKAGE: install Debian's PACKAGE if COMMAND is
# missing (as root; otherwise say what to run).  For tools only some
# commands need (gnuplot for the benchmarks' chart).
ac_ensure_tool() {
    local cmd=$1 pkg=$2
    command -v "$cmd" >/dev/null && return 0
    if ! ac_is_root; then
        ac_die "missing $cmd: run as root: apt-get install -y $pkg"
    fi
    ac_log "installing $pkg (for $cmd)"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "$pkg"
    command -v "$cmd" >/dev/null || ac_die "still missing after apt-get install: $cmd"
}

# ac_copy_tree DEST: copy the source tree (without .git and build products)
# to DEST.  Untracked files are included: the working tree is what we test.
ac_copy_tree() {
    local dest=$1
    mkdir -p "$dest"
    tar -C "$AC_ROOT" -cf - \
        --exclude=./.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
        --exclude=./results --exclude=./tmp_check --exclude=./tmp_check_iso \
        --exclude=./output_iso --exclude=./log \
        --exclude=./regression.diffs --exclude=./regression.out . |
        tar -C "$dest" -xf -
}

# ac_make_args [--werror]: print (one per line) the make arguments every
# build and test run uses.
ac_make_args() {
    local copt=${AC_COPT:-}
    # The test build: warnings are errors, assertions are checked, and the
    # test points that test/t/100_removers.pl stops backends at are there.
    [[ ${1:-} == --werror ]] &&
        copt="-Werror -DUSE_ASSERT_CHECKING -DAC_TEST_POINTS${copt:+ $copt}"
    printf '%s\n' "PG_CONFIG=$AC_PG_CONFIG"
    [[ -n $copt ]] && printf '%s\n' "COPT=$copt"
    # The server was built with LLVM JIT, so PGXS also emits bitcode with
    # clang; skip that if the matching clang is not there.
    local clang
    clang=$(sed -n 's/^CLANG *= *//p' \
        "$("$AC_PG_CONFIG" --pgxs | sed 's,/makefiles/pgxs.mk$,,')/Makefile.global")
    if [[ -n $clang ]] && ! command -v "$clang" >/dev/null; then
        printf '%s\n' "with_llvm=no"
    fi
    return 0
}

# ac_build_install DIR [--werror]: copy the tree to DIR, build, install.
ac_build_install() {
    local dir=$1 flag=${2:-} pkglibdir extdir
    local -a margs
    mapfile -t margs < <(ac_make_args "$flag")
    ac_copy_tree "$dir"
    ac_log "building in $dir: make ${margs[*]}"
    make -C "$dir" -s -j "$(nproc)" "${margs[@]}" ||
        ac_die "build failed${flag:+ (with $flag)}"

    pkglibdir=$("$AC_PG_CONFIG" --pkglibdir)
    extdir=$("$AC_PG_CONFIG" --sharedir)/extension
    ac_log "installing into $pkglibdir and $extdir"
    if ac_is_root || [[ -w $pkglibdir && -w $extdir ]]; then
        make -C "$dir" -s "${margs[@]}" install >/dev/null ||
            ac_die "make install failed"
    elif command -v sudo >/dev/null; then
        sudo make -C "$dir" -s "${margs[@]}" install >/dev/null ||
            ac_die "sudo make install failed"
    else
        ac_die "cannot write $pkglibdir and no sudo: run as root: bash test/setup.sh"
    fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    werror=
    case ${1:-} in
        --werror) werror=--werror ;;
        "") ;;
        *) ac_die "usage: bash test/setup.sh [--werror]" ;;
    esac
    ac_ensure_packages
    ac_install_traps
    build=
    ac_mktemp build
    ac_build_install "$build/src" $werror
    ac_log "atomiccache is installed for PostgreSQL $AC_PG_VERSION"
fi
