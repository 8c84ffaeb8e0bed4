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
# build again.  Building needs root (apt-get) the first time: a deb-src
# entry for the Debian suite that has the package, the build tools (bison,
# flex, zlib1g-dev, pkg-config, libicu-dev), the source package, then
# configure, make and make install: about 3 minutes on 2 cores here.
#
#   18     the newest reachable: postgresql-18 of Debian's unstable suite
#   15.18  Debian 12's own 15.18, the old side of the 15 -> 18 pg_upgrade
#          test (the installed 15.20 stores a column option that 18.6's
#          pg_upgrade rejects; 15.18 does not)

AC_PG_CACHE=${AC_PG_CACHE:-/var/cache/atomiccache}

# How every version is configured (with ICU, as Debian builds its 15: the
# tests use ICU collations).  A build made with other flags is made again.
AC_PG_CONFIGURE_FLAGS="--enable-tap-tests --with-icu --without-readline"

# VERSION -> "source package=version suite"
declare -A AC_PG_SOURCES=(
    [18]="postgresql-18 sid"
    [15.18]="postgresql-15=15.18-0+deb12u1 bookworm"
)

# ac_pg_prefix VERSION: where that build lives.
ac_pg_prefix() {
    printf '%s\n' "$AC_PG_CACHE/pg-$1"
}

ac_pg_build() {
    local ver=$1 prefix spec pkg suite src dir orig
    prefix=$(ac_pg_prefix "$ver")
    if [[ -x $prefix/bin/pg_config && -f $prefix/.built &&
          $(cat "$prefix/.built") == "$AC_PG_CONFIGURE_FLAGS" ]]; then
        return 0
    fi
    [[ -n ${AC_PG_SOURCES[$ver]:-} ]] || ac_die "no source known for PostgreSQL $ver"
    ac_is_root || ac_die "PostgreSQL $ver is not built yet: run as root to build it into $prefix"
    read -r spec suite <<<"${AC_PG_SOURCES[$ver]}"
    pkg=${spec%%=*}

    ac_log "building PostgreSQL $ver from Debian's $spec ($suite) into $prefix"
    local list=/etc/apt/sources.list.d/atomiccache-src-$suite.sources
    if [[ ! -f $list ]]; then
        printf '%s\n' "Types: deb-src" "URIs: http://deb.debian.org/debian" \
            "Suites: $suite" "Components: main" \
            "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" >"$list"
    fi
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        bison flex zlib1g-dev pkg-config libicu-dev libipc-run-perl \
        dpkg-dev >/dev/null ||
        ac_die "could not install the build tools"

    src=$AC_PG_CACHE/src/$ver
    rm -rf "$src"
    mkdir -p "$src"
    (cd "$src" && apt-get source -q --download-only "$spec" >/dev/null 2>&1) ||
        ac_die "apt-get source $spec failed"
    orig=$(ls "$src"/"${pkg}"_*.orig.tar.* | head -1)
    [[ -f $orig ]] || ac_die "no source tarball of $spec in $src"
    tar -C "$src" -xf "$orig"
    dir=$(find "$src" -mindepth 1 -maxdepth 1 -type d -name 'postgresql-*' | head -1)
    [[ -d $dir ]] || ac_die "no source tree in $src"
    (
        cd "$dir" &&
            # shellcheck disable=SC2086
            ./configure -q --prefix="$prefix" $AC_PG_CONFIGURE_FLAGS \
                >"$src/configure.log" 2>&1 &&
            make -s -j "$(nproc)" >"$src/make.log" 2>&1 &&
            make -s install >"$src/install.log" 2>&1
    ) || ac_die "building PostgreSQL $ver failed (logs in $src)"
    rm -rf "$dir"
    printf '%s\n' "$AC_PG_CONFIGURE_FLAGS" >"$prefix/.built"
    ac_log "PostgreSQL $ver is in $prefix"
}
