#!/bin/sh
# The README's five-minute tour, kept true: drives `stepwise demo` in tmux
# (80x24) through the screens the tour shows (the migrations list, the SQL
# and Lint tabs, a dry run's diff, the apply view's plan, the commit gate,
# the history view), captures each, replaces what varies from run to run
# (clock times, dates, durations, the SQLite version, the OS user and host
# of the audit trail) with placeholders of the same width, and compares
# each capture with README.md's block marked `<!-- capture: NAME -->`; a
# mismatch fails with a diff. After changing a screen, refresh the README:
#     TOUR_UPDATE=1 tests/screen/tour.sh    (with top_srcdir and STEPWISE
# set as make check sets them) rewrites those blocks from the captures.
. "$top_srcdir/tests/harness/tap.sh"
. "$top_srcdir/tests/harness/screen.sh"

command -v perl >/dev/null 2>&1 || tap_bail "perl is missing (it is part of every Debian system)"
readme=$top_srcdir/README.md
[ -f "$readme" ] || tap_bail "no $readme"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wait_s=${WAIT_FOR_SECONDS:-10}
mkdir "$tmp/home" "$tmp/work" "$tmp/work/migrations" "$tmp/cap"
cp -R "$top_srcdir/migrations/demo" "$tmp/work/migrations/" ||
    tap_bail "cannot copy $top_srcdir/migrations/demo"

# The placeholders keep each column where it was: when a value is replaced
# by one of another width, the next run of two or more spaces after it
# grows or shrinks by the difference (a run of one space is left alone).
cat >"$tmp/normalise.pl" <<'PERL'
use strict;
use warnings;
my $actor = $ENV{TOUR_ACTOR};
my $shown = 'os=USER host=HOST';
# Columns cut the actor anywhere: every prefix of 8 characters or more.
my @prefixes = map { substr($actor, 0, $_) } reverse(8 .. length $actor);
my $actor_re = join '|', map { quotemeta } @prefixes;
my @rules = (
    [qr/\d{4}-\d\d-\d\d/, sub { 'YYYY-MM-DD' }],
    [qr/\b\d\d:\d\d:\d\d\b/, sub { 'HH:MM:SS' }],
    [qr/\b\d+(?:\.\d+)? (?:ms|s)\b/, sub { $_[0] =~ /ms$/ ? 'N ms' : 'N s' }],
    [qr/SQLite \d+\.\d+\.\d+/, sub { 'SQLite 3.x.y' }],
    [qr/$actor_re/, sub { substr($shown . (' ' x 300), 0, length $_[0]) }],
);
sub keep_width {
    my ($rest, $delta) = @_;    # $delta > 0: add spaces; < 0: take some
    return $rest if $delta == 0;
    if ($delta > 0) {
        $rest =~ s/( {2,})/$1 . (' ' x $delta)/e;
    } else {
        my $take = -$delta;
        $rest =~ s/( {2,})/length($1) > $take ? ' ' x (length($1) - $take) : $1/e;
    }
    return $rest;
}
while (my $line = <STDIN>) {
    chomp $line;
    for my $rule (@rules) {
        my ($re, $make) = @$rule;
        my $out = '';
        while ($line =~ /$re/) {
            my ($before, $match, $after) = ($`, $&, $');
            my $new = $make->($match);
            $out .= $before . $new;
            $line = keep_width($after, length($match) - length($new));
        }
        $line = $out . $line;
    }
    $line =~ s/\s+$//;
    print "$line\n";
}
PERL
TOUR_ACTOR="os=$(id -un) host=$(uname -n)"
export TOUR_ACTOR
normalise() { perl "$tmp/normalise.pl"; }

# capture NAME: the screen once it has stopped changing (two equal
# normalised captures 0.3 s apart), kept as $tmp/cap/NAME.
capture() {
    _prev=$(screen_capture | normalise)
    _n=0
    while [ $_n -lt 30 ]; do
        sleep 0.3
        _now=$(screen_capture | normalise)
        [ "$_now" = "$_prev" ] && break
        _prev=$_now
        _n=$((_n + 1))
    done
    printf '%s\n' "$_now" >"$tmp/cap/$1"
}

# readme_block NAME: the text of README's block marked for NAME.
readme_block() {
    awk -v mark="<!-- capture: $1 -->" '
        $0 == mark { found = 1; next }
        found == 1 && /^```/ { found = 2; next }
        found == 1 { exit }
        found == 2 && /^```/ { exit }
        found == 2 { print }
    ' "$readme"
}

env="HOME='$tmp/home' XDG_STATE_HOME='$tmp/state'"
demo="'$STEPWISE' demo --db demo.db --dir migrations/demo"
screen_start "sh -c \"cd '$tmp/work' && exec env $env $demo\""
trap 'screen_stop; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

step() {    # step DESCRIPTION TEXT: wait for TEXT, else the tour is off its path
    if screen_wait_for "$2" "$wait_s"; then
        tap_result 0 "$1"
    else
        tap_result 1 "$1"
        tap_diag "waited for: $2"
        printf '%s\n' "$screen" | sed 's/^/#   /'
    fi
}

# lint_shown: every row of the list has its LINT column (it is filled in
# the background, for the rows drawn).
lint_shown() {
    _deadline=$(( $(date +%s) + wait_s ))
    while screen_capture | grep '^> 0' | awk 'NF < 6 { bad = 1 } END { exit !bad }'; do
        [ "$(date +%s)" -lt "$_deadline" ] || return 1
        sleep 0.1
    done
}

step "the demo opens on its twelve pending migrations" "Step 1/9"
screen_wait_for "> 0012" "$wait_s"
tap_ok "the list shows each migration's lint finding" lint_shown
capture tour-list
screen_keys Down
step "Down selects 0002" "Step 2/9"
screen_keys Enter
step "Enter opens the SQL tab" "Step 3/9"
capture tour-sql
screen_keys L
step "L shows the Lint tab" "Step 4/9"
capture tour-lint
screen_keys d
step "d dry-runs 0002" "+ table books"
capture tour-diff
screen_keys u
step "u opens the plan" "y run it   s step"
step "the plan shows the preflight" "Preflight: 5 pass"
capture tour-plan
screen_keys y
step "y runs 0001 up to the commit gate" "c commit   r roll back"
step "the gate shows the locks held" "Locks held:"
capture tour-gate
sleep 1.2
screen_keys c
step "c commits" "Done: 1 migration applied."
screen_keys Escape
screen_wait_for "= 0001" "$wait_s"
screen_keys 4
step "4 shows the history" "commit_gate"
step "the history has the run's snapshot" "snapshot"
capture tour-history
screen_keys q

names="tour-list tour-sql tour-lint tour-diff tour-plan tour-gate tour-history"
if [ "${TOUR_UPDATE:-}" = 1 ]; then
    [ $tap_failed -eq 0 ] || tap_bail "the tour went off its path: README.md left as it was"
    for name in $names; do
        if grep -qxF "<!-- capture: $name -->" "$readme"; then
            tap_result 0 "README block $name rewritten"
        else
            tap_result 1 "README.md has no line <!-- capture: $name --> before a fence"
        fi
    done
    awk -v dir="$tmp/cap" '
        /^<!-- capture: [a-z-]+ -->$/ {
            print; name = $3; state = "fence"; next
        }
        state == "fence" && /^```/ {
            print
            file = dir "/" name
            while ((getline l < file) > 0) print l
            close(file)
            state = "skip"; next
        }
        state == "skip" && /^```/ { print; state = ""; next }
        state == "skip" { next }
        { state = ""; print }
    ' "$readme" >"$tmp/README.new" && cat "$tmp/README.new" >"$readme"
else
    for name in $names; do
        readme_block "$name" >"$tmp/cap/$name.readme"
        if cmp -s "$tmp/cap/$name" "$tmp/cap/$name.readme"; then
            tap_result 0 "README block $name is the screen as captured"
        else
            tap_result 1 "README block $name is the screen as captured"
            tap_diag "--- README.md, +++ the screen now (TOUR_UPDATE=1 $0 rewrites the block):"
            diff -u "$tmp/cap/$name.readme" "$tmp/cap/$name" | sed 's/^/#   /'
        fi
    done
fi

tap_done
