# e2e.sh - the frame of the end-to-end suites with a private Postfix
# (sourced, not run): sources testlib.sh, postfix.sh (with mta.sh and
# ses.sh), memcached.sh, cases.sh and dkim.sh, and adds what their main,
# setup and cleanup share.  A suite's main calls e2e_ready with the
# programs it needs, then e2e_run, which runs the suite's setup and its
# case_ functions; setup starts with e2e_work and adds templates with
# e2e_template; the suite's cleanup calls e2e_cleanup.
#
# Functions (each documented below):
#   e2e_ready [PROGRAM...]    e2e_run [CASE...]    e2e_work NAME
#   e2e_cleanup [LINES]       e2e_template ACCOUNT NAME TYPE TEXT [HTML]
#   e2e_template_add ACCOUNT NAME TYPE TEXT [HTML]

_e2e_lib=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=tests/lib/testlib.sh
. "$_e2e_lib/testlib.sh"
# shellcheck source=tests/lib/postfix.sh
. "$_e2e_lib/postfix.sh"
# shellcheck source=tests/lib/memcached.sh
. "$_e2e_lib/memcached.sh"
# shellcheck source=tests/lib/cases.sh
. "$_e2e_lib/cases.sh"
# shellcheck source=tests/lib/dkim.sh
. "$_e2e_lib/dkim.sh"

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
