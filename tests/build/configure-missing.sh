#!/bin/sh
# configure stops when a dependency is missing and names the Debian
# packages to install, all at once.
. "$top_srcdir/tests/harness/tap.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/empty" "$work/build"

# Every pkg-config module hidden: ncursesw, libpq, libcrypto, sqlite3, libedit and
# libprotobuf-c are all reported in one message.
(cd "$work/build" && PKG_CONFIG_PATH="$work/empty" PKG_CONFIG_LIBDIR="$work/empty" \
    "$top_srcdir/configure" --quiet >"$work/out" 2>&1)
rc=$?
out=$(cat "$work/out")
tap_ok "configure fails when pkg-config finds nothing (exit $rc)" test "$rc" -ne 0
tap_like "$out" "apt-get install libncurses-dev libpq-dev libssl-dev libsqlite3-dev libedit-dev libprotobuf-c-dev" \
    "the message names every missing package"
tap_ok "no Makefile is written" test ! -f "$work/build/Makefile"

# libpg_query has no .pc file; hide it by pointing the link at a library
# that does not exist.
rm -rf "$work/build"; mkdir "$work/build"
(cd "$work/build" && "$top_srcdir/configure" --quiet PG_QUERY_LIBS=-lstepwise_no_such_library \
    >"$work/out" 2>&1)
rc=$?
out=$(cat "$work/out")
tap_ok "configure fails without libpg_query (exit $rc)" test "$rc" -ne 0
tap_like "$out" "apt-get install libpg-query-dev" "the message names libpg-query-dev"

tap_done
