-- MaxMessageSize 2048 (this instance's config): a message of exactly 2048
-- bytes, counted as the daemon does ("Name: value\r\n" per header, "\r\n",
-- the body), is accepted.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("size-at-limit", "192.0.2.40")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<reader@example.net>", SMFIR_CONTINUE)
	local size = t.send_headers(conn, { { "From", "news@acme.example" },
					    { "Subject", "exactly at the limit" } })
	t.eoh(conn, SMFIR_CONTINUE)
	t.body(conn, t.body_of(2048 - size), SMFIR_CONTINUE)
	t.eom(conn, SMFIR_ACCEPT)
	mt.disconnect(conn)
	t.summary_has("size-at-limit", " size=2048 ", " decision=accept")
end)
