#!/usr/bin/env bash
#
# test/fault/private_checkout.sh -- the two commands of the README work
# from a checkout the server user cannot enter (a directory made by
# mktemp -d, a home directory of mode 700).
#
# The tree is copied into such a directory (mode 700, owned by root), and
# from there "bash test/demo.sh" and "bash test/run.sh plain api" run as
# they would for a new user.  Both must succeed: every client they start
# as the server user runs from a directory that user can enter.  Needs
# root (the server user must be another user); prints TAP.

set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
    echo "1..1"
    echo "not ok 1 - this test needs root (a directory the server user cannot enter)"
    exit 1
fi

# shellcheck source=test/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

ac_install_traps
private=$(mktemp -d "${TMPDIR:-/tmp}/atomiccache-private.XXXXXX")
AC_CLEANUP_DIRS+=("$private")
tar -C "$AC_ROOT" -cf - --exclude=./.git . |
    tar -C "$private" --no-same-owner -xf -
# after tar, which gives the directory the mode (and, as root, the owner)
# of the checkout's root
chown root: "$private"
chmod 700 "$private"

n=0 failed=0
check() {
    local name=$1 rc=$2 log=$3
    n=$((n + 1))
    if [[ $rc == 0 ]]; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name (exit $rc)"
        tail -n 20 "$log" | sed 's/^/# /'
        failed=$((failed + 1))
    fi
}

if runuser -u "$AC_PG_USER" -- test -x "$private"; then
    echo "not ok 1 - the server user can enter $private: the test proves nothing"
    exit 1
fi

rc=0
(cd "$private" && bash test/demo.sh) >"$private.demo.log" 2>&1 || rc=$?
AC_CLEANUP_DIRS+=("$private.demo.log")
check "bash test/demo.sh from a checkout the server user cannot enter" \
    "$rc" "$private.demo.log"
grep -q 'fills_run' "$private.demo.log" ||
    { echo "# the demo did not run its sessions"; failed=$((failed + 1)); }

rc=0
(cd "$private" && bash test/run.sh --pg "${AC_PG_VERSION:-15}" plain api) \
    >"$private.run.log" 2>&1 || rc=$?
AC_CLEANUP_DIRS+=("$private.run.log")
check "bash test/run.sh plain api from there" "$rc" "$private.run.log"
tail -n 1 "$private.run.log" | grep -qx '2 passed, 0 failed\|1 passed, 0 failed' ||
    { echo "# unexpected summary: $(tail -n 1 "$private.run.log")"; failed=$((failed + 1)); }

echo "1..$n"
((failed == 0))
