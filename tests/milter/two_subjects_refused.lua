-- A second Subject header (names compare case-insensitively) is refused there.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("two-subjects", "192.0.2.35")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<reader@example.net>", SMFIR_CONTINUE)
	t.header(conn, "Subject", "first", SMFIR_CONTINUE)
	t.header(conn, "SUBJECT", "second", SMFIR_REPLYCODE)
	mt.abort(conn)
	mt.disconnect(conn)
	t.summary_has("two-subjects", " rule=subject",
		      ' reply="550 5.6.0 InvalidParameterValue.SubjectLengthError more than one Subject header"')
end)
