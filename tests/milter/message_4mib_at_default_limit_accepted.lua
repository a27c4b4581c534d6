-- The default MaxMessageSize, 4 MiB: a message of exactly 4194304 bytes
-- (sent in 64 KB chunks as an MTA does) is accepted.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("size-4mib", "192.0.2.43")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<reader@example.net>", SMFIR_CONTINUE)
	local size = t.send_headers(conn, { { "From", "news@acme.example" },
					    { "Subject", "four mebibytes" } })
	t.eoh(conn, SMFIR_CONTINUE)
	t.body(conn, t.body_of(4194304 - size), SMFIR_CONTINUE)
	t.eom(conn, SMFIR_ACCEPT)
	mt.disconnect(conn)
	t.summary_has("size-4mib", " size=4194304 ", " decision=accept")
end)
