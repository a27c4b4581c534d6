# cases.sh - the case runner the end-to-end suites share (sourced).
#
# A suite defines case_NAME functions that hold only the conversation and
# its expectations; run_case runs one with a fresh transcript directory $T
# under $WORK/cases and reports it once through testlib.sh.  Expectations
# collect their failures in ERRS as "WHAT: got X, want Y".

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
