# shellcheck shell=bash
#
# test/lib.sh -- helpers shared by the atomiccache scripts
#
# Sourced (never run) by test/setup.sh, test/run.sh, test/demo.sh and the
# benchmarks.  It owns:
#   - which PostgreSQL the scripts use (AC_PG_VERSION, default 15) and
#     where it lives (AC_PG_BINDIR, AC_PG_CONFIG): 15 is Debian's package,
#     whatever /usr/bin/pg_config (Debian's wrapper) would pick; other
#     versions are built from Debian's source packages into AC_PG_CACHE
#     (test/pgbuild.sh);
#   - running a command as the PostgreSQL user (ac_as_pg): the server
#     refuses to run as root, so as root we become "postgres";
#   - scratch directories (ac_mktemp) and the EXIT trap that stops every
#     server started below them and removes them (ac_install_traps);
#   - a throwaway server: ac_pg_start / ac_pg_stop, on a free port
#     (ac_free_port) and a Unix socket in its own directory, no TCP;
#   - a command with a time limit, in a process group of its own that an
#     interrupt or the EXIT trap ends (ac_run_limited).
#
# Every server started through these helpers, or by pg_regress or the TAP
# framework under a directory made by ac_mktemp, is stopped by the EXIT trap:
# it looks for postmaster.pid files below the scratch directories, so even a
# server left behind by a killed pg_regress is found.
#
# Settings read from the environment:
#   AC_KEEP_TMP=1   keep the scratch directories (their servers still stop)
#
# Needs bash 5.1 (wait -n -p).

if ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] < 501)); then
    echo "ERROR: bash 5.1 or later is needed (this is $BASH_VERSION)" >&2
    exit 1
fi

AC_PG_VERSION=${AC_PG_VERSION:-15}
AC_PG_CACHE=${AC_PG_CACHE:-/var/cache/atomiccache}
if [[ $AC_PG_VERSION == 15 ]]; then
    AC_PG_BINDIR=${AC_PG_BINDIR:-/usr/lib/postgresql/15/bin}
else
    AC_PG_BINDIR=${AC_PG_BINDIR:-$AC_PG_CACHE/pg-$AC_PG_VERSION/bin}
fi
AC_PG_CONFIG=${AC_PG_CONFIG:-$AC_PG_BINDIR/pg_config}
AC_PG_USER=${AC_PG_USER:-postgres}
# The extension's name (the library to preload); settable only so that the
# scripts can be tried on a stand-in extension.
AC_EXTENSION=${AC_EXTENSION:-atomiccache}

# Root of the source tree (the directory holding the Makefile).
export AC_ROOT
AC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Work from a directory every user can enter: the server user runs clients
# (psql, prove, perl) in the current directory, and a checkout may be one
# it cannot enter (made by mktemp -d, in a home directory of mode 700).
# Every path the scripts use from here on is absolute.
cd /

# Directories to clean up on exit; servers below them are stopped first.
AC_CLEANUP_DIRS=()
# Process groups (ac_run_limited) and helper processes to end on exit.
AC_GROUPS=()
AC_PIDS=()

ac_log() { printf '%s\n' "== $*" >&2; }
ac_warn() { printf '%s\n' "WARNING: $*" >&2; }
ac_die() { printf '%s\n' "ERROR: $*" >&2; exit 1; }

ac_is_root() { [[ $(id -u) -eq 0 ]]; }

# AC_AS_PG: the command prefix of ac_as_pg (also for ac_run_limited).
if [[ $(id -u) -eq 0 ]]; then
    AC_AS_PG=(runuser -u "$AC_PG_USER" --)
else
    AC_AS_PG=()
fi

# ac_as_pg CMD [ARG...]: run CMD as the PostgreSQL user when we are root,
# as ourselves otherwise.  The environment is kept (runuser without -l sets
# only HOME, SHELL, USER and LOGNAME).
ac_as_pg() {
    "${AC_AS_PG[@]}" "$@"
}

# ac_pg_own PATH...: give PATHs (recursively) to the PostgreSQL user.
ac_pg_own() {
    if ac_is_root; then
        chown -R "$AC_PG_USER:" "$@"
    fi
}

# ac_mktemp VAR: create a scratch directory owned by the PostgreSQL user,
# store its path in VAR and register it for cleanup.  (The caller's shell
# must do the registering, hence a variable name instead of $(...).)
ac_mktemp() {
    local __dir
    __dir=$(mktemp -d "${TMPDIR:-/tmp}/atomiccache.XXXXXX")
    chmod 755 "$__dir"
    ac_pg_own "$__dir"
    AC_CLEANUP_DIRS+=("$__dir")
    printf -v "$1" '%s' "$__dir"
}

# ac_free_port: print a TCP port nobody listens on.  The kernel picks it
# (bind to port 0); our servers listen only on a Unix socket in their own
# directory, so the number just has to be unique in the socket and lock file
# names, and not collide with a TCP server should someone enable TCP.
ac_free_port() {
    local port
    port=$(perl -MIO::Socket::INET -e '
        my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1",
                                      LocalPort => 0, Proto => "tcp")
            or exit 1;
        print $s->sockport, "\n";' 2>/dev/null) || port=
    if [[ -z $port ]]; then
        # Fallback: random ports until one does not answer.
        local i
        for ((i = 0; i < 100; i++)); do
            port=$((20000 + RANDOM % 30000))
            if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                break
            fi
        done
    fi
    printf '%s\n' "$port"
}

# ac_stop_servers_under DIR: stop (immediately) every server whose data
# directory lies below DIR.  Used by the EXIT trap; quiet.
ac_stop_servers_under() {
    local dir=$1 pidfile datadir pid
    [[ -d $dir ]] || return 0
    while IFS= read -r -d '' pidfile; do
        datadir=$(dirname "$pidfile")
        pid=$(head -n 1 "$pidfile" 2>/dev/null) || pid=
        [[ $pid =~ ^[0-9]+$ ]] || continue
        kill -0 "$pid" 2>/dev/null || continue
        ac_as_pg "$AC_PG_BINDIR/pg_ctl" -D "$datadir" -m immediate -w -t 30 \
            stop >/dev/null 2>&1 || true
        # pg_ctl failed (wrong data dir?): stop the postmaster by its pid.
        if kill -0 "$pid" 2>/dev/null; then
            kill -QUIT "$pid" 2>/dev/null || true
        fi
    done < <(find "$dir" -name postmaster.pid -print0 2>/dev/null)
}

# ac_run_limited LIMIT LOG CMD [ARG...]: run CMD in a session and process
# group of its own, its output (stdout and stderr) shown and saved in LOG.
# After LIMIT seconds, or when this script exits (an interrupt included),
# the whole group gets SIGTERM, then SIGKILL.  Returns CMD's status, 124
# on timeout.  (Not coreutils timeout: it makes a process group of its own,
# which an interrupt of ours, relayed by runuser, would not reach.)
ac_run_limited() {
    local limit=$1 log=$2 pid wd done_pid='' rc=0
    shift 2
    # A background job of a non-interactive shell leads no process group,
    # so setsid execs in place: $! is the new session's and group's id.
    # shellcheck disable=SC2016  # expanded by the inner bash
    setsid bash -c '"$@" 2>&1 | tee "$0"; exit "${PIPESTATUS[0]}"' \
        "$log" "$@" </dev/null &
    pid=$!
    AC_GROUPS+=("$pid")
    sleep "$limit" &
    wd=$!
    AC_PIDS+=("$wd")
    wait -n -p done_pid "$pid" "$wd" || rc=$?
    if [[ $done_pid == "$wd" ]]; then
        printf '%s\n' "!! timed out after ${limit}s" | tee -a "$log"
        ac_end_group "$pid"
        rc=124
    else
        kill "$wd" 2>/dev/null
        wait "$wd" 2>/dev/null
    fi
    return "$rc"
}

# ac_end_group PID: end the process group PID (from ac_run_limited) and
# reap its leader.  SIGTERM first; after 10 s SIGQUIT, which a postmaster
# in the group (pg_regress starts one there) takes as immediate shutdown
# and the rest, ignoring SIGINT and SIGQUIT as background jobs do, does not
# see; after 5 s more, SIGKILL.
ac_end_group() {
    local pid=$1 sig i
    for sig in TERM QUIT KILL; do
        kill -"$sig" -- "-$pid" 2>/dev/null || break
        for ((i = 0; i < 100; i++)); do
            kill -0 -- "-$pid" 2>/dev/null || break 2
            [[ $sig == QUIT ]] && ((i >= 50)) && break
            sleep 0.1
        done
    done
    wait "$pid" 2>/dev/null
    return 0
}

ac__on_exit() {
    local rc=$? dir pid
    set +e
    trap - INT TERM HUP
    # Interrupt running tests, stop the servers they (or we) started, then
    # make sure the tests are gone.
    for pid in "${AC_GROUPS[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null
    done
    for dir in "${AC_CLEANUP_DIRS[@]}"; do
        ac_stop_servers_under "$dir"
    done
    for pid in "${AC_GROUPS[@]}"; do
        ac_end_group "$pid"
    done
    for pid in "${AC_PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for dir in "${AC_CLEANUP_DIRS[@]}"; do
        ac_stop_servers_under "$dir"
        if [[ ${AC_KEEP_TMP:-0} == 1 ]]; then
            [[ -n ${AC_EXIT_QUIET:-} ]] || ac_log "kept $dir"
        else
            rm -rf "$dir"
        fi
    done
    exit "$rc"
}

# ac_install_traps: stop servers and remove scratch directories on any exit;
# an interrupt or TERM exits (and so runs the EXIT trap).
ac_install_traps() {
    trap ac__on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
}

# ac_pg_start DIR [CONF_LINE...]: initdb a throwaway cluster in DIR/data
# (DIR must exist and belong to the PostgreSQL user, e.g. from ac_mktemp),
# append CONF_LINEs (e.g. "shared_preload_libraries = 'atomiccache'") to its
# postgresql.conf, and start it on a free port with its Unix socket in DIR.
# Exports PGHOST, PGPORT, PGUSER and PGDATABASE so that psql, pgbench and
# ac_psql reach it; AC_PGDATA is the data directory, DIR/server.log the log.
ac_pg_start() {
    local dir=$1 line port
    shift
    ac_as_pg "$AC_PG_BINDIR/initdb" -D "$dir/data" -U "$AC_PG_USER" \
        --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync \
        --no-instructions >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; ac_die "initdb failed in $dir/data"; }
    for line in "$@"; do
        printf '%s\n' "$line" >>"$dir/data/postgresql.conf"
    done
    port=$(ac_free_port)
    if ! ac_as_pg "$AC_PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
        -w -t 60 -o "-k $dir -p $port -c listen_addresses=''" start \
        >/dev/null; then
        tail -n 50 "$dir/server.log" >&2 || true
        ac_die "the server in $dir/data did not start (log above)"
    fi
    export PGHOST=$dir PGPORT=$port PGUSER=$AC_PG_USER PGDATABASE=postgres
    AC_PGDATA=$dir/data
}

# ac_pg_stop [DIR]: stop the server started by ac_pg_start (fast shutdown).
ac_pg_stop() {
    local datadir=${1:+$1/data}
    datadir=${datadir:-$AC_PGDATA}
    ac_as_pg "$AC_PG_BINDIR/pg_ctl" -D "$datadir" -m fast -w -t 60 stop \
        >/dev/null || ac_stop_servers_under "$datadir"
}

# ac_pg_restart [DIR]: restart it (e.g. after changing postgresql.conf).
ac_pg_restart() {
    local dir=${1:-$PGHOST}
    ac_as_pg "$AC_PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
        -m fast -w -t 60 -o "-k $dir -p $PGPORT -c listen_addresses=''" \
        restart >/dev/null
}

# ac_psql ARG...: psql 15 as the PostgreSQL user, no psqlrc, stop on error.
ac_psql() {
    ac_as_pg "$AC_PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 "$@"
}
