-- Over SubjectWarnChars (78) the message goes through with a warning logged.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("subject-79", "192.0.2.36")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<reader@example.net>", SMFIR_CONTINUE)
	t.message(conn, string.rep("w", 79), SMFIR_ACCEPT)
	mt.disconnect(conn)
	t.summary_has("subject-79", " subject_chars=79 ", " decision=accept")
	t.truth("warning line", t.wait_log("warning: NOQUEUE: Subject has 79 characters (over 78)", 1),
		"none", "'Subject has 79 characters (over 78)' logged as a warning")
end)
