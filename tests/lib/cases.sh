# cases.sh - the case runner the end-to-end suites share (sourced).
#
# A suite defines case_NAME functions that hold only the conversation and
# its expectations; run_case runs one with a fresh transcript directory $T
# under $WORK/cases and reports it once through testlib.sh.  Expectations
# collect their failures in ERRS as "WHAT: got X, want Y".
#
# The suites with a private Postfix (postfix.sh, memcached.sh sourced
# before this file) share their frame too: main calls e2e_ready with the
# programs it needs, then e2e_run, which runs the suite's setup and its
# cases; the suite's cleanup calls e2e_cleanup.  setup starts with
# e2e_work and adds templates with e2e_template.

# oneline TEXT: TEXT's first 300 bytes on one line (line ends shown as |).
oneline() {
	printf '%s' "$1" | head -c 300 | tr '\n' '|'
}

# expect WHAT GOT WANT: GOT equals WANT.
expect() {
	[ "$2" = "$3" ] || ERRS+=("$1: got '$(oneline "$2")', want '$(oneline "$3")'")
}

# expect_match WHAT GOT REGEX: GOT matches the extended REGEX.
expect_match() {
	printf '%s' "$2" | grep -Eq -- "$3" || ERRS+=("$1: got '$(oneline "$2")', want a match for /$3/")
}

# expect_nomatch WHAT GOT REGEX: GOT does not match REGEX.
expect_nomatch() {
	! printf '%s' "$2" | grep -Eq -- "$3" || ERRS+=("$1: got a match for /$3/, want none")
}

# run_case NAME: runs case_NAME and reports it.
run_case() {
	ERRS=()
	T=$WORK/cases/$1
	mkdir -p "$T"
	"case_$1"
	if [ ${#ERRS[@]} -eq 0 ]; then
		t_pass "$1"
	else
		t_fail "$1" "$(printf '%s; ' "${ERRS[@]}")(transcripts in $T)"
	fi
}

# e2e_ready [PROGRAM...]: ends the suite as skipped unless it runs as root
# with swaks, postfix and each PROGRAM on PATH and ses-milter and sesctl
# built (SES_MILTER, SESCTL; default under top_builddir); makes
# SES_MILTER absolute (the instances run it from their own directories).
e2e_ready() {
	if [ "$(id -u)" -ne 0 ]; then
		t_skip all "needs root (private Postfix)"; t_done; exit 0
	fi
	t_need postfix swaks "$@"
	SES_MILTER=${SES_MILTER:-${top_builddir:-.}/ses-milter}
	SESCTL=${SESCTL:-${top_builddir:-.}/sesctl/sesctl}
	if [ ! -x "$SES_MILTER" ] || [ ! -x "$SESCTL" ]; then
		t_skip all "no $SES_MILTER or $SESCTL (set top_builddir)"; t_done; exit 0
	fi
	SES_MILTER=$(cd "$(dirname "$SES_MILTER")" && pwd)/$(basename "$SES_MILTER")
}

# e2e_run [CASE...]: sets the suite's cleanup as the EXIT trap, runs its
# setup, then each CASE (default: every case_ function, by name; ONLY=NAME
# keeps one) and prints the result line.
e2e_run() {
	local c
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	if ! setup; then
		t_fail setup "the instance did not start (see above)"; t_done; return
	fi
	[ $# -gt 0 ] || set -- $(declare -F | awk '$3 ~ /^case_/ { print substr($3, 6) }')
	for c in "$@"; do
		[ -z "$ONLY" ] || [ "$c" = "$ONLY" ] || continue
		run_case "$c"
	done
	t_done
}

# e2e_work NAME: makes the work directory WORK (/tmp/ses-NAME.XXXXXX,
# readable by Postfix's daemons) and names the instance in it A=$WORK/a.
e2e_work() {
	WORK=$(mktemp -d "/tmp/ses-$1.XXXXXX") && chmod 755 "$WORK" || return 1
	A=$WORK/a
}

# e2e_cleanup [LINES]: stops the instance A (Postfix, ses-milter) and the
# memcached servers, shows the last LINES (default 20) of ses-milter's log
# when a case failed and removes WORK unless KEEP is set.
e2e_cleanup() {
	[ -n "$A" ] && { pf_stop "$A"; ses_stop "$A"; }
	mc_stop_all
	if [ "$T_FAILED" -gt 0 ] && [ -f "$A/ses/ses-milter.log" ]; then
		echo "--- last lines of $A/ses/ses-milter.log"; tail -n "${1:-20}" "$A/ses/ses-milter.log"
	fi
	if [ -n "$WORK" ] && [ -z "$KEEP" ]; then rm -rf "$WORK"; fi
}

# e2e_template_add ACCOUNT NAME TYPE TEXT [HTML]: adds a template of
# ACCOUNT to instance A with sesctl (the bodies go through files under
# WORK); prints its ID (nothing when sesctl refused it).
e2e_template_add() {
	local html=()
	printf '%s' "$4" > "$WORK/$2.txt" || return 1
	if [ $# -ge 5 ]; then
		printf '%s' "$5" > "$WORK/$2.html" || return 1
		html=(--html "$WORK/$2.html")
	fi
	"$SESCTL" -c "$A/ses/ses-milter.conf" --no-reload template add --account "$1" --name "$2" \
		--type "$3" --text "$WORK/$2.txt" "${html[@]}" |
		sed -n 's/^template \([0-9]*\) added.*/\1/p'
}

# e2e_template ACCOUNT NAME TYPE TEXT [HTML]: e2e_template_add, then the
# template approved; prints its ID, false when either step failed.
e2e_template() {
	local id
	id=$(e2e_template_add "$@")
	[ -n "$id" ] && "$SESCTL" -c "$A/ses/ses-milter.conf" --no-reload template approve "$id" \
		>/dev/null || { echo "e2e_template: $2 not added and approved" >&2; return 1; }
	printf '%s' "$id"
}
