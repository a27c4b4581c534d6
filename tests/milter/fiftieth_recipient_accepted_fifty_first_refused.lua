-- MaxRecipients 50: RCPT 1..50 continue, 51 and 52 get 452 4.5.3 (the
-- client sends them in another transaction); the 50 go through.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("fifty-rcpts", "192.0.2.25")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	for i = 1, 50 do
		t.rcpt(conn, string.format("<r%d@example.net>", i), SMFIR_CONTINUE)
	end
	t.rcpt(conn, "<r51@example.net>", SMFIR_REPLYCODE)
	t.rcpt(conn, "<r52@example.net>", SMFIR_REPLYCODE)
	t.message(conn, "Fifty", SMFIR_ACCEPT)
	mt.disconnect(conn)
	t.summary_has("fifty-rcpts", " accepted=50 refused=2 ", " decision=accept",
		      " refusals: <r51@example.net> 452 4.5.3 FailedOperation.TooManyRecipients ",
		      "; <r52@example.net> 452 4.5.3 FailedOperation.TooManyRecipients ")
end)
