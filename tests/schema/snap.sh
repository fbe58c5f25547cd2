# shellcheck shell=sh
# Helpers of the schema tests, sourced after tests/harness/tap.sh:
# snapshots into files, and comparing them byte for byte.

# snap TARGET OUT [ARG...]: `stepwise schema` of TARGET into the file OUT;
# sets $rc, shows any stderr as TAP diagnostics.
snap() {
    _snap_db=$1 _snap_out=$2
    shift 2
    "$STEPWISE" schema --db "$_snap_db" "$@" >"$_snap_out" 2>"$_snap_out.err"
    rc=$?
    [ ! -s "$_snap_out.err" ] || sed 's/^/# stderr: /' "$_snap_out.err"
    rm -f "$_snap_out.err"
}

# same FILE1 FILE2 DESCRIPTION: passes when the files are byte-identical,
# else shows the start of their diff.
same() {
    if cmp -s "$1" "$2"; then
        tap_result 0 "$3"
    else
        tap_result 1 "$3"
        diff -u "$1" "$2" | head -40 | sed 's/^/# /'
    fi
}
