-- "localhost" [127.0.0.1] with a client port (miltertest always sends one)
-- is a TCP client, not local submission: inbound, no outbound policy, the
-- message accepted at its end.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("localhost", "127.0.0.1")
	t.mail(conn, "<app@local.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<someone@example.net>", SMFIR_CONTINUE)
	t.message(conn, "Hello", SMFIR_ACCEPT)
	mt.disconnect(conn)
end)
