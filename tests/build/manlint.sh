#!/bin/sh
# The man pages (man/*.[1-8]) format without a single warning: groff with
# every warning on (groff -ww -z -man), mandoc's linter when mandoc is
# installed (mandoc -T lint -W warning), and man(1) renders each with
# `man -l`, nothing on stderr, no line wider than the 80 columns it was
# asked for. groff (Debian groff-base) is required under CI; man (man-db)
# and mandoc are used when present, and their checks say SKIP otherwise.
. "$top_srcdir/tests/harness/tap.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pages=
for p in "$top_srcdir"/man/*.[1-8]; do
    [ -f "$p" ] && pages="$pages $p"
done
tap_like "$pages" "/man/stepwise.1" "man/stepwise.1 is there"
tap_like "$pages" "/man/stepwise-migrations.5" "man/stepwise-migrations.5 is there"

# Under CI the tools the suite installs must be there: a missing groff
# fails instead of skipping.
have() { command -v "$1" >/dev/null 2>&1; }
if ! have groff && [ "${CI:-}" = true ]; then
    tap_result 1 "groff is installed (apt-get install groff-base)"
fi

for p in $pages; do
    name=${p##*/}
    section=${name##*.}

    if have groff; then
        groff -ww -z -man "$p" >"$tmp/out" 2>&1
        rc=$?
        tap_is "$rc:$(cat "$tmp/out")" "0:" "$name: groff -ww -z -man reports nothing"
    else
        tap_result 0 "$name: groff -ww -z -man # SKIP groff not installed (Debian groff-base)"
    fi

    if have mandoc; then
        mandoc -T lint -W warning "$p" >"$tmp/out" 2>&1
        rc=$?
        tap_is "$rc:$(cat "$tmp/out")" "0:" "$name: mandoc -T lint reports no warning"
    else
        tap_result 0 "$name: mandoc -T lint # SKIP mandoc not installed (Debian mandoc)"
    fi

    if have man; then
        LC_ALL=C MANPAGER=cat PAGER=cat MANWIDTH=80 man --warnings -l "$p" \
            >"$tmp/page" 2>"$tmp/err" </dev/null
        rc=$?
        tap_is "$rc:$(cat "$tmp/err")" "0:" "$name: man -l renders it, nothing on stderr"
        title=$(printf '%s' "${name%.*}" | tr '[:lower:]' '[:upper:]')
        tap_like "$(head -n 1 "$tmp/page")" "$title($section)" \
            "$name: the first line names $title($section)"
        tap_like "$(cat "$tmp/page")" "NAME" "$name: the NAME section is there"
        wide=$(awk 'length > 80 { printf "%d: %s\n", NR, $0 }' "$tmp/page")
        tap_is "$wide" "" "$name: no rendered line is wider than 80 columns"
    else
        tap_result 0 "$name: man -l # SKIP man not installed (Debian man-db)"
    fi
done

tap_done
