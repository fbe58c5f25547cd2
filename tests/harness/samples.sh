# shellcheck shell=sh
# What the tests of the sample folders (tests/cli/samples_sqlite.sh and
# samples_pg.sh) share: sourced after tap.sh, never run. The caller
# defines sw (stepwise with --dir and --db), q (a query printing one
# value), state (the schema and rows a rollback must give back) and $tmp.

# sample_versions DIR: $versions (in order), $count and $missing (the
# versions without a down script) of a pairs folder.
sample_versions() {
    versions='' count=0 missing=''
    for _f in "$1"/*.up.sql; do
        _f=${_f##*/}
        versions="$versions ${_f%%_*}"
        count=$((count + 1))
        [ -f "$1/${_f%.up.sql}.down.sql" ] || missing="$missing ${_f%%_*}"
    done
}

# state_is FILE DESCRIPTION: the state now is the one saved in FILE; when
# not, the difference is shown.
state_is() {
    state >"$tmp/now"
    if cmp -s "$1" "$tmp/now"; then
        tap_result 0 "$2"
    else
        tap_result 1 "$2"
        diff -u "$1" "$tmp/now" | sed 's/^/# /'
    fi
}

# round_trip VERSION: the next pending migration is VERSION; it applies,
# is recorded clean, changes the schema or the rows, rolls back to exactly
# the state before, and is applied again for the next one.
round_trip() {
    state >"$tmp/before"
    sw up -n 1 --yes >"$tmp/out" 2>&1
    tap_is "$?" 0 "$1 applies"
    tap_is "$(q "select count(*) from stepwise_history where version = '$1' and not dirty")" 1 \
        "$1 is recorded applied"
    state >"$tmp/after"
    if cmp -s "$tmp/before" "$tmp/after"; then _r=1; else _r=0; fi
    tap_result "$_r" "$1 changes the schema or the rows"
    sw down --yes >"$tmp/out" 2>&1
    tap_is "$?" 0 "$1 rolls back"
    state_is "$tmp/before" "$1: after its down script, schema and rows are as before"
    sw up -n 1 --yes >"$tmp/out" 2>&1 || { sed 's/^/# /' "$tmp/out"; tap_bail "$1: again"; }
}
