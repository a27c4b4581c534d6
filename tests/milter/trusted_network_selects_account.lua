-- A client address inside an account's Network is that account's
-- outbound session: policy applies (MAIL continues, not accepted).
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("trusted-net", "192.0.2.20")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<reader@example.net>", SMFIR_CONTINUE)
	t.message(conn, "Trusted network", SMFIR_ACCEPT)
	mt.disconnect(conn)
	t.summary_has("trusted-net", " account=acme submission=smtp ", " decision=accept")
end)
