# Debian packages stepwise needs, and installing only the missing ones.
# Sourced by ./quickstart and ./runtests; never run on its own.

STEPWISE_BUILD_PACKAGES="gcc make autoconf automake autoconf-archive pkg-config \
libncurses-dev libpq-dev libsqlite3-dev libedit-dev libpg-query-dev libprotobuf-c-dev libssl-dev"
STEPWISE_TEST_PACKAGES="libcmocka-dev postgresql tmux procps python3 sqlite3 groff-base man-db"

# deps_missing PACKAGE...: prints the packages that are not installed.
deps_missing() {
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            printf '%s ' "$pkg"
        fi
    done
}

# deps_install WHO PACKAGE...: installs what is missing with apt-get, saying
# what; refreshes the package lists only when an install fails without them.
deps_install() {
    who=$1; shift
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "$who: not a Debian system; install the equivalents of: $*" >&2
        return 0
    fi
    missing=$(deps_missing "$@")
    [ -n "$missing" ] || return 0
    if [ "$(id -u)" -eq 0 ]; then
        sudo=""
    elif command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        echo "$who: missing packages: $missing" >&2
        echo "$who: run as root, or install them: apt-get install $missing" >&2
        return 1
    fi
    echo "$who: installing missing packages: $missing"
    # shellcheck disable=SC2086 # the package list is meant to split
    if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends $missing; then
        echo "$who: refreshing the package lists and trying again"
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends $missing
    fi
}

# deps_configure WHO BUILDDIR [CONFIGURE-ARGS...]: generates the build system
# when it is missing or older than its sources, and configures BUILDDIR when
# it is not configured yet or was configured with other arguments.
deps_configure() {
    who=$1; builddir=$2; shift 2
    if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
        echo "$who: autoreconf -fi"
        autoreconf -fi || return 1
    fi
    mkdir -p "$builddir" || return 1
    wanted="$*"
    if [ ! -f "$builddir/Makefile" ] || [ "$(cat "$builddir/.configure-args" 2>/dev/null)" != "$wanted" ]; then
        echo "$who: configuring $builddir ($wanted)"
        top=$(pwd)
        (cd "$builddir" && "$top/configure" "$@") || return 1
        printf '%s' "$wanted" > "$builddir/.configure-args"
    fi
}
