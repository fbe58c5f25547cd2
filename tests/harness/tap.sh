# TAP helpers for the shell tests: sourced, never run. Each test script calls
# tap_* for every check and tap_done at the end, which prints the plan and
# sets the exit status; automake's tap-driver.sh reads the result.

tap_count=0
tap_failed=0

# tap_result STATUS DESCRIPTION: STATUS 0 means the check passed.
tap_result() {
    tap_count=$((tap_count + 1))
    if [ "$1" -eq 0 ]; then
        printf 'ok %d - %s\n' "$tap_count" "$2"
    else
        tap_failed=$((tap_failed + 1))
        printf 'not ok %d - %s\n' "$tap_count" "$2"
    fi
}

# tap_ok DESCRIPTION COMMAND...: passes when COMMAND exits 0.
tap_ok() {
    _tap_desc=$1; shift
    if "$@"; then tap_result 0 "$_tap_desc"; else tap_result 1 "$_tap_desc"; fi
}

# tap_is GOT EXPECTED DESCRIPTION: exact string comparison, with a diff of
# what differed as TAP diagnostics.
tap_is() {
    if [ "$1" = "$2" ]; then
        tap_result 0 "$3"
    else
        tap_result 1 "$3"
        printf '# expected:\n'; printf '%s\n' "$2" | sed 's/^/#   /'
        printf '# got:\n';      printf '%s\n' "$1" | sed 's/^/#   /'
    fi
}

# tap_like GOT PATTERN DESCRIPTION: GOT must contain the fixed string PATTERN.
tap_like() {
    case "$1" in
        *"$2"*) tap_result 0 "$3" ;;
        *) tap_result 1 "$3"
           printf '# wanted text containing: %s\n# got:\n' "$2"
           printf '%s\n' "$1" | sed 's/^/#   /' ;;
    esac
}

# tap_unlike GOT TEXT DESCRIPTION: GOT must not contain TEXT.
tap_unlike() {
    case "$1" in
        *"$2"*) tap_result 1 "$3"
                printf '# text must not contain: %s\n# got:\n' "$2"
                printf '%s\n' "$1" | sed 's/^/#   /' ;;
        *) tap_result 0 "$3" ;;
    esac
}

tap_diag() { printf '# %s\n' "$*"; }

# stepwise_run ARG...: runs the program under test ($STEPWISE) with no
# standard input and sets $out, $err (trailing newlines cut) and $rc.
stepwise_run() {
    _tap_tmp=${_tap_tmp:-$(mktemp -d)}
    "$STEPWISE" "$@" >"$_tap_tmp/out" 2>"$_tap_tmp/err" </dev/null
    rc=$?
    out=$(cat "$_tap_tmp/out")
    err=$(cat "$_tap_tmp/err")
}

# tap_skip_all REASON: the whole script is skipped (TAP "1..0 # SKIP").
tap_skip_all() {
    printf '1..0 # SKIP %s\n' "$*"
    exit 0
}

# tap_bail REASON: a broken environment, not a failed check.
tap_bail() {
    printf 'Bail out! %s\n' "$*"
    exit 99
}

tap_done() {
    [ -z "${_tap_tmp:-}" ] || rm -rf "$_tap_tmp"
    printf '1..%d\n' "$tap_count"
    [ "$tap_failed" -eq 0 ]
}
