# shellcheck shell=bash
#
# test/pgbuild.sh -- PostgreSQL versions Debian 12 does not package, built
# from Debian's source packages and kept outside the checkout
#
# Sourced by test/setup.sh.  It owns:
#   ac_pg_build VERSION   build PostgreSQL VERSION (one of AC_PG_SOURCES)
#                         into $AC_PG_CACHE/pg-VERSION unless it is there
#                         already; prints nothing else on success
#
# A build is cached in $AC_PG_CACHE (default /var/cache/atomiccache), which
# every later run and every checkout shares; delete pg-VERSION there to
# build again.  Building needs root (apt-get) the first time: the build
# tools (build-essential, bison, flex, zlib1g-dev, pkg-config, libicu-dev),
# the source package (through deb-src entries of a sources list of our own,
# ac_pg_apt: nothing is written under /etc/apt), then configure, make and
# make install: about 3 minutes on 2 cores here.  One build at a time
# (flock); the source tarball is kept, so a build made again downloads
# nothing.
#
#   18     the newest reachable: postgresql-18 of Debian's unstable suite
#   15.18  Debian 12's own 15.18, the old side of the 15 -> 18 pg_upgrade
#          test (the installed 15.20 stores a column option that 18.6's
#          pg_upgrade rejects; 15.18 does not)
#   18-sanitize  the 18 source built with AddressSanitizer and
#          UndefinedBehaviorSanitizer (test/sanitize.sh): an extension
#          built with its pg_config is instrumented too, and the sanitizer
#          runtime is the executable's own (about 6 minutes to build)

AC_PG_CACHE=${AC_PG_CACHE:-/var/cache/atomiccache}

# How every version is configured (with ICU, as Debian builds its 15: the
# tests use ICU collations).  A build made with other flags is made again.
AC_PG_CONFIGURE_FLAGS="--enable-tap-tests --with-icu --without-readline"

# VERSION -> "source package=version suite"
declare -A AC_PG_SOURCES=(
    [18]="postgresql-18 sid"
    [15.18]="postgresql-15=15.18-0+deb12u1 bookworm"
    [18-sanitize]="postgresql-18 sid"
)

# The flags a sanitizer build adds (every UB check fatal; leak checking
# off while building: the build runs programs it made, which exit without
# freeing)
AC_PG_SANITIZE_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

# ac_pg_configure_args VERSION: the configure arguments of a version, one
# per line (also what its .built marker records)
ac_pg_configure_args() {
    # shellcheck disable=SC2086
    printf '%s\n' $AC_PG_CONFIGURE_FLAGS
    if [[ $1 == *-sanitize ]]; then
        printf '%s\n' "CFLAGS=-O1 -g $AC_PG_SANITIZE_FLAGS" "LDFLAGS=$AC_PG_SANITIZE_FLAGS"
    fi
}

# ac_pg_prefix VERSION: where that build lives.
ac_pg_prefix() {
    printf '%s\n' "$AC_PG_CACHE/pg-$1"
}

# ac_pg_apt ARG...: apt-get with the deb-src entries of AC_PG_SOURCES only,
# in a sources list, package lists and caches of its own under AC_PG_CACHE:
# nothing under /etc/apt is written, so the machine's own apt sources (and
# their Signed-By options) are never in conflict with ours.
ac_pg_apt() {
    local dir=$AC_PG_CACHE/apt suite
    mkdir -p "$dir/lists/partial" "$dir/parts" "$dir/cache/archives/partial"
    : >"$dir/sources.list"
    for suite in sid bookworm; do
        printf 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
            http://deb.debian.org/debian "$suite" >>"$dir/sources.list"
    done
    apt-get -q -o Dir::Etc::SourceList="$dir/sources.list" \
        -o Dir::Etc::SourceParts="$dir/parts" \
        -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache" "$@"
}

ac_pg_build() {
    local ver=$1 prefix spec pkg suite src dir orig marker
    local -a cargs
    prefix=$(ac_pg_prefix "$ver")
    mapfile -t cargs < <(ac_pg_configure_args "$ver")
    marker=${cargs[*]}
    if [[ -x $prefix/bin/pg_config && -f $prefix/.built &&
          $(cat "$prefix/.built") == "$marker" ]]; then
        return 0
    fi
    [[ -n ${AC_PG_SOURCES[$ver]:-} ]] || ac_die "no source known for PostgreSQL $ver"
    ac_is_root ||
        ac_die "PostgreSQL $ver is not built yet: run as root (sudo AC_PG_VERSION=$ver bash test/setup.sh) to build it into $prefix"
    mkdir -p "$AC_PG_CACHE"
    # one build at a time; a run that waited finds the other's build done
    exec 9>"$AC_PG_CACHE/.lock-$ver"
    flock 9
    if [[ -x $prefix/bin/pg_config && -f $prefix/.built &&
          $(cat "$prefix/.built") == "$marker" ]]; then
        exec 9>&-
        return 0
    fi
    read -r spec suite <<<"${AC_PG_SOURCES[$ver]}"
    pkg=${spec%%=*}

    ac_log "building PostgreSQL $ver from Debian's $spec ($suite) into $prefix"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        build-essential bison flex zlib1g-dev pkg-config libicu-dev \
        libipc-run-perl dpkg-dev >/dev/null ||
        ac_die "could not install the build tools"
    src=$AC_PG_CACHE/src/$ver
    mkdir -p "$src"
    find "$src" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
    orig=$(find "$src" -maxdepth 1 -name "${pkg}_*.orig.tar.*" | head -1)
    # a sanitizer build takes the tarball its plain version downloaded
    if [[ -z $orig && $ver == *-sanitize ]]; then
        orig=$(find "$AC_PG_CACHE/src/${ver%-sanitize}" -maxdepth 1 \
            -name "${pkg}_*.orig.tar.*" 2>/dev/null | head -1)
    fi
    if [[ -z $orig ]]; then
        ac_pg_apt update >"$src/apt.log" 2>&1 ||
            ac_die "apt-get update of Debian's sources failed (see $src/apt.log)"
        # _apt downloads into the directory it owns (no "unsandboxed" warning)
        chown _apt "$src" 2>/dev/null || true
        (cd "$src" && ac_pg_apt source --download-only "$spec") >>"$src/apt.log" 2>&1 ||
            ac_die "apt-get source $spec failed (see $src/apt.log)"
        orig=$(find "$src" -maxdepth 1 -name "${pkg}_*.orig.tar.*" | head -1)
    fi
    [[ -n $orig ]] || ac_die "no source tarball of $spec in $src"
    tar -C "$src" -xf "$orig"
    dir=$(find "$src" -mindepth 1 -maxdepth 1 -type d -name 'postgresql-*' | head -1)
    [[ -d $dir ]] || ac_die "no source tree in $src"
    # an old or half-made installation is never trusted: made anew
    rm -rf "$prefix"
    (
        export ASAN_OPTIONS=detect_leaks=0
        cd "$dir" &&
            ./configure -q --prefix="$prefix" "${cargs[@]}" \
                >"$src/configure.log" 2>&1 &&
            make -s -j "$(nproc)" >"$src/make.log" 2>&1 &&
            make -s install >"$src/install.log" 2>&1
    ) || ac_die "building PostgreSQL $ver failed (logs in $src)"
    rm -rf "$dir"
    printf '%s\n' "$marker" >"$prefix/.built"
    exec 9>&-
    ac_log "PostgreSQL $ver is in $prefix"
}
