#!/bin/sh
# Build the libFuzzer binary of the lint fuzz target:
#
#     tests/fuzz/build-fuzzer.sh TOP_SRCDIR TOP_BUILDDIR    (or: make fuzz)
#
# It is compiled with clang from the core sources themselves, not from
# core/libcore.a: that archive is built by the configured compiler without
# coverage instrumentation, and libFuzzer would be blind inside it. The
# result is TOP_BUILDDIR/tests/fuzz/fuzz_lint; run it on a copy of the seed
# corpus, so that the one in the source tree stays small:
#
#     mkdir -p /tmp/fuzz-corpus && cp TOP_SRCDIR/tests/fuzz/corpus/* /tmp/fuzz-corpus/
#     TOP_BUILDDIR/tests/fuzz/fuzz_lint -max_len=4096 -timeout=10 \
#         -rss_limit_mb=2048 -max_total_time=600 /tmp/fuzz-corpus
#
# Add an input that crashed it to tests/fuzz/crashes/, where `make check`
# (tests/fuzz/fuzz_regress) replays it for ever after.
#
# Environment: CLANG (default: clang, else clang-14 ... clang-19), and
# FUZZ_CFLAGS, added to the compiler flags.
# Exit status 77 (the Automake "skipped" status) when clang or its
# libFuzzer runtime is missing.
set -eu

if [ $# -ne 2 ]; then
    echo "usage: $0 TOP_SRCDIR TOP_BUILDDIR" >&2
    exit 2
fi
srcdir=$(cd "$1" && pwd)
builddir=$(cd "$2" && pwd)

skip() {
    echo "build-fuzzer.sh: $*; the fuzzer is not built" >&2
    exit 77
}

if [ -z "${CLANG:-}" ]; then
    for c in clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14; do
        if command -v "$c" >/dev/null 2>&1; then
            CLANG=$c
            break
        fi
    done
fi
[ -n "${CLANG:-}" ] || skip "clang is not installed (apt-get install clang)"
command -v "$CLANG" >/dev/null 2>&1 || skip "CLANG=$CLANG: no such command"

[ -f "$builddir/config.h" ] ||
    { echo "build-fuzzer.sh: $builddir/config.h is missing: run configure there first" >&2; exit 2; }
command -v pkg-config >/dev/null 2>&1 ||
    { echo "build-fuzzer.sh: pkg-config is not installed" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/build-fuzzer.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# The libFuzzer runtime comes with clang's compiler-rt (on Debian and
# Ubuntu, the package libclang-rt-NN-dev or, before LLVM 15, clang itself).
cat >"$tmp/probe.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return (int)(size && data[0] == 0);
}
EOF
if ! "$CLANG" -fsanitize=fuzzer,address,undefined "$tmp/probe.c" -o "$tmp/probe" \
    >"$tmp/probe.log" 2>&1; then
    sed 's/^/    /' "$tmp/probe.log" >&2
    version=$("$CLANG" -dumpversion 2>/dev/null | cut -d. -f1)
    skip "$CLANG cannot link -fsanitize=fuzzer,address,undefined: the libFuzzer" \
        "runtime is missing (apt-get install libclang-rt-${version:-NN}-dev)"
fi

for pkg in libpq sqlite3 libprotobuf-c; do
    pkg-config --exists "$pkg" ||
        { echo "build-fuzzer.sh: pkg-config does not know $pkg" >&2; exit 2; }
done
# Only the headers of libprotobuf-c: libpg_query carries its own copy of
# the runtime (see CORE_LIBS in Makefile.am).
pkg_cflags=$(pkg-config --cflags libpq sqlite3 libprotobuf-c)
pkg_libs=$(pkg-config --libs libpq sqlite3)

mkdir -p "$builddir/tests/fuzz"
out="$builddir/tests/fuzz/fuzz_lint"
echo "  CLANG    $out"
# shellcheck disable=SC2086 # the pkg-config and FUZZ_CFLAGS words split
"$CLANG" -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -Wall -Wextra -Wno-unused-parameter \
    -I"$srcdir" -I"$builddir" $pkg_cflags ${FUZZ_CFLAGS:-} \
    "$srcdir"/core/*.c "$srcdir/tests/fuzz/fuzz_lint.c" \
    -o "$out.tmp" -lpg_query $pkg_libs
mv "$out.tmp" "$out"
echo "build-fuzzer.sh: built $out"
