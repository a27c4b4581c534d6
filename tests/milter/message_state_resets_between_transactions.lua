-- Counts belong to one transaction: after an abort, the next MAIL on the
-- same connection starts again at zero recipients.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("reset-between", "192.0.2.26")
	for round = 1, 2 do
		t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
		for i = 1, 50 do
			t.rcpt(conn, string.format("<x%d-%d@example.net>", round, i), SMFIR_CONTINUE)
		end
		t.rcpt(conn, "<one-too-many@example.net>", SMFIR_REPLYCODE)
		mt.abort(conn)
	end
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<last@example.net>", SMFIR_CONTINUE)
	t.message(conn, "After two aborts", SMFIR_ACCEPT)
	mt.disconnect(conn)
	t.summary_has("reset-between", " accepted=1 refused=0 ", " decision=accept")
end)
