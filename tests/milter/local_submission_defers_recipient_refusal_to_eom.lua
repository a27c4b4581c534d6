-- Local submission (no client address, as Sendmail -bs; Postfix's port-0
-- form is in rawmilter.py) belongs to LocalAccount.  RCPT is never refused
-- there (Postfix non_smtpd_milters); 51 recipients are one too many for a
-- message that cannot be split, so end of message refuses it: 550 5.5.3.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("local-defers", "unspec")
	t.mail(conn, "<app@local.example>", SMFIR_CONTINUE)
	for i = 1, 51 do
		t.rcpt(conn, string.format("<l%d@example.net>", i), SMFIR_CONTINUE)
	end
	t.message(conn, "Local submission", SMFIR_REPLYCODE)
	t.eom_reply(conn, "550", "5.5.3", "FailedOperation.TooManyRecipients more than 50 recipients")
	t.truth("recipient 51 kept (the message is refused whole)",
		not mt.eom_check(conn, MT_RCPTDELETE, "<l51@example.net>"),
		"SMFIR_DELRCPT <l51@example.net>", "no recipient deleted")
	mt.disconnect(conn)
	t.summary_has("local-defers", " account=local submission=local ", " decision=reject",
		      ' reply="550 5.5.3 FailedOperation.TooManyRecipients ')
end)
