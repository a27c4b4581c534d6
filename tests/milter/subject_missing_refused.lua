-- No Subject header at all: refused at end of headers.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("subject-missing", "192.0.2.33")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<reader@example.net>", SMFIR_CONTINUE)
	t.header(conn, "From", "news@acme.example", SMFIR_CONTINUE)
	t.eoh(conn, SMFIR_REPLYCODE)
	mt.abort(conn)
	mt.disconnect(conn)
	t.summary_has("subject-missing", " rule=subject",
		      ' reply="550 5.6.0 InvalidParameterValue.SubjectLengthError Subject is missing"')
end)
