-- A Subject that is not valid UTF-8, raw or inside an encoded word, is refused.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local cases = {
		{ "subject-bad-raw", "caf\xe9 \xff\xfe" },
		{ "subject-bad-word", "=?UTF-8?B?//4=?=" },		-- bytes FF FE
		{ "subject-bad-q", "=?UTF-8?Q?caf=E9?=" },		-- Latin-1 byte labelled UTF-8
		{ "subject-overlong", "=?UTF-8?B?wK8=?=" },		-- overlong "/" (C0 AF)
	}
	for _, c in ipairs(cases) do
		local conn = t.session(c[1], "192.0.2.32")
		t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
		t.rcpt(conn, "<reader@example.net>", SMFIR_CONTINUE)
		t.header(conn, "Subject", c[2], SMFIR_REPLYCODE)
		mt.abort(conn)
		mt.disconnect(conn)
		t.summary_has(c[1], " rule=subject",
			      ' reply="550 5.6.0 InvalidParameterValue.SubjectLengthError ')
	end
end)
