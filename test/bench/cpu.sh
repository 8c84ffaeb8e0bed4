# test/bench/cpu.sh -- sourced by test/bench/run.sh and test/bench/scale.sh:
# the backend CPU of statements, as the postmaster collects it from its
# exited children.  Needs test/setup.sh sourced first and a server started
# (AC_PGDATA).

# the CPU of exited children of the postmaster, in clock ticks
children_ticks() {
    awk '{ print $16 + $17 }' "/proc/$(head -n 1 "$AC_PGDATA/postmaster.pid")/stat"
}

# wait until no client backend but ours is left (the pgbench backend has
# exited and been reaped, so its times are in the postmaster's)
wait_backends_gone() {
    local i
    for ((i = 0; i < 100; i++)); do
        [[ $(ac_psql -At -c "SELECT count(*) FROM pg_stat_activity
            WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()") == 0 ]] && break
        sleep 0.1
    done
    sleep 0.3
}
