-- 999 characters after decoding: refused at the Subject header.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("subject-999", "192.0.2.31")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<reader@example.net>", SMFIR_CONTINUE)
	t.header(conn, "Subject", "=?UTF-8?B?5Lit?= " .. string.rep("a", 997), SMFIR_REPLYCODE)
	mt.abort(conn)
	mt.disconnect(conn)
	t.summary_has("subject-999", " subject_chars=999 ", " rule=subject",
		      ' reply="550 5.6.0 InvalidParameterValue.SubjectLengthError Subject has 999 characters, at most 998 allowed"')
end)
