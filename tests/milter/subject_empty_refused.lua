-- An empty Subject (0 characters, SubjectMinChars 1): refused at end of headers.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("subject-empty", "192.0.2.34")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<reader@example.net>", SMFIR_CONTINUE)
	t.header(conn, "Subject", "", SMFIR_CONTINUE)
	t.eoh(conn, SMFIR_REPLYCODE)
	mt.abort(conn)
	mt.disconnect(conn)
	t.summary_has("subject-empty", " rule=subject",
		      ' reply="550 5.6.0 InvalidParameterValue.SubjectLengthError ')
end)
