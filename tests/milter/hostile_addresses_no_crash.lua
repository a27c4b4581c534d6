-- Envelope addresses with spaces, quotes, control bytes, UTF-8, source
-- routes and 300-byte local parts: each gets an answer, the domain is
-- taken only from a well-formed address, and the daemon goes on.
local t = dofile(os.getenv("MT_LIB"))
local ANY = { SMFIR_CONTINUE, SMFIR_REPLYCODE }
t.run(function()
	local senders = {
		{ '<"john doe"@acme.example>', SMFIR_CONTINUE },
		{ '<"a@b"@acme.example>', SMFIR_CONTINUE },
		{ "<\xc3\xbcser@acme.example>", SMFIR_CONTINUE },
		{ "<" .. string.rep("l", 300) .. "@acme.example>", SMFIR_CONTINUE },
		{ "<@relay.example:route@acme.example>", SMFIR_CONTINUE },
		{ "<ctl\1\27[31m\127@acme.example>", SMFIR_CONTINUE },
		{ "a@acme.example", SMFIR_CONTINUE },
		{ "  <a@acme.example>  ", SMFIR_CONTINUE },
		{ "<a@b\xc3\xbccher.example>", SMFIR_REPLYCODE },
		{ '<a@acme.example"@evil.example>', SMFIR_REPLYCODE },
		{ '<"unterminated@acme.example>', SMFIR_REPLYCODE },
		{ "<a@acme.example\1>", SMFIR_REPLYCODE },
		{ "<john doe@acme.example>", ANY },
		{ "<a@evil.example@acme.example>", ANY },
		{ "<<<>>>", ANY }, { "<", ANY }, { ">", ANY }, { "", ANY }, { "@", ANY },
		{ "<a@>", ANY }, { "<@>", ANY }, { "<@:>", ANY }, { '<"">', ANY },
		{ string.rep("<", 500), ANY }, { string.rep("@", 500), ANY },
		{ "<" .. string.rep("\xff", 300) .. "@acme.example>", ANY },
	}
	local conn = t.session("hostile-addr", "192.0.2.60")
	for _, s in ipairs(senders) do
		t.mail(conn, s[1], s[2])
		mt.abort(conn)
	end
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	for i, s in ipairs(senders) do
		t.rcpt(conn, s[1], SMFIR_CONTINUE)
	end
	t.message(conn, "Hostile recipients", SMFIR_ACCEPT)
	mt.disconnect(conn)
	t.summary_has("hostile-addr", " decision=accept")

	conn = t.session("hostile-addr-after", "192.0.2.61")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	mt.disconnect(conn)
end)
