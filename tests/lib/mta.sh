# mta.sh - what the MTA drivers (postfix.sh, sendmail.sh) share (sourced,
# not run): SMTP sessions with swaks and their transcripts, and the test
# mailboxes.  Nothing here depends on the MTA:
#
#   - a transcript is swaks's output: "-> " lines sent, "<- " and "<** "
#     lines received;
#   - every driver delivers each recipient's copy to DIR/mail/ADDRESS, one
#     mbox file per address, each message starting with a From_ line and
#     "From " lines of its body escaped.
#
# Functions (each documented below):
#   smtp_send PORT OUT [swaks options...]    smtp_replies OUT STAGE
#   smtp_reply OUT STAGE    smtp_status OUT STAGE    smtp_sent_data OUT
#   mbox_wait DIR ADDRESS [SECONDS]          mbox_cat DIR ADDRESS
#   mbox_first DIR ADDRESS                   mbox_take DIR ADDRESS FILE
#   msg_part_text FILE TYPE

# smtp_send PORT OUT [OPTION...]: one SMTP session with swaks against
# 127.0.0.1:PORT; the whole transcript goes to OUT.  The options are
# swaks's (--from, --to a,b,..., --header "Subject: x", --body, --attach,
# --auth PLAIN --auth-user U --auth-password P, --local-interface 127.0.0.2,
# --pipe COMMAND instead of a server).  Returns swaks's status (0: message
# accepted).
smtp_send() {
	local port=$1 out=$2
	shift 2
	swaks --server 127.0.0.1 --port "$port" \
		--helo client.example.test --timeout 60 "$@" > "$out" 2>&1 </dev/null
}

# smtp_replies OUT STAGE: prints every server reply of STAGE in the swaks
# transcript OUT, one line each (the last line of a multi-line reply).
# STAGE is connect, ehlo, auth, mail, rcpt, data (the 354) or dot (the reply
# to the end of the message).
smtp_replies() {
	awk -v want="$2" '
		{ sub(/\r$/, "") }
		/^ -> / { if (!indata) { verb = tolower($2); sub(/:.*/, "", verb) } next }
		/^(<-|<\*\*)  ?[0-9][0-9][0-9] / {
			line = $0; sub(/^(<-|<\*\*) +/, "", line)
			stage = verb == "" ? "connect" : verb
			if (indata) { stage = "dot"; indata = 0 }
			else if (stage == "data" && line ~ /^354/) indata = 1
			if (stage == want) print line
			if (stage == "dot") verb = "dotdone"
		}' "$1"
}

# smtp_reply OUT STAGE: prints the last server reply of STAGE (see smtp_replies).
smtp_reply() {
	smtp_replies "$1" "$2" | tail -n 1
}

# smtp_status OUT STAGE: prints the code, enhanced code and first word of the
# text of STAGE's last reply, e.g. "550 5.7.1 OperationDenied.DomainNotVerified".
smtp_status() {
	smtp_reply "$1" "$2" | awk '{ print $1, $2, $3 }'
}

# smtp_sent_data OUT: prints the message as swaks sent it in OUT (LF line ends).
smtp_sent_data() {
	awk '{ sub(/\r$/, "") }
		/^ -> DATA$/ { d = 1; next }
		d && /^ -> \.$/ { exit }
		d && /^ -> / { print substr($0, 5) }' "$1"
}

# mbox_wait DIR ADDRESS [SECONDS]: waits until ADDRESS's mailbox file is
# non-empty (default 20 s).
mbox_wait() {
	local f=$1/mail/$2 i=0
	while [ $i -lt $((${3:-20} * 10)) ]; do
		[ -s "$f" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

# mbox_cat DIR ADDRESS: prints ADDRESS's mailbox file (nothing if none).
mbox_cat() {
	cat "$1/mail/$2" 2>/dev/null
}

# mbox_first DIR ADDRESS: prints ADDRESS's first message without what
# delivery added: the From_ line, Return-Path, Delivered-To, and the
# receiving MTA's own Received header (the first one).
mbox_first() {
	# "From " lines of a body are escaped, so a From_ line always starts
	# the next message
	awk 'NR == 1 && /^From / { next }
		!done && /^(Return-Path|Delivered-To):/ { next }
		!done && !rcvd && /^Received:/ { rcvd = 1; skip = 1; next }
		skip && /^[ \t]/ { next }
		{ skip = 0; done = 1 }
		/^From / { exit }
		{ print }' "$1/mail/$2"
}

# mbox_take DIR ADDRESS FILE: waits for ADDRESS's mail (as mbox_wait) and
# writes its first message (as mbox_first) to FILE; false when none came.
mbox_take() {
	mbox_wait "$1" "$2" && mbox_first "$1" "$2" > "$3"
}

# msg_part_text FILE TYPE: prints the decoded content of the first part of
# TYPE (text/plain, text/html) of the message in FILE, as Python's email
# package reads it.
msg_part_text() {
	python3 - "$1" "$2" <<'PY'
import sys, email, email.policy
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
for p in m.walk():
    if p.get_content_type() == sys.argv[2]:
        print(p.get_content(), end=''); break
PY
}
