-- A client that neither authenticated nor comes from a trusted network is
-- inbound: no outbound policy applies.  The milter follows the message
-- (its recipients might be VERP or unsubscribe addresses) and accepts it
-- unchanged: with the inbound checks off (this daemon) no header is added.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("mx.inbound.example", "203.0.113.5")
	t.mail(conn, "<someone@remote.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<postmaster@acme.example>", SMFIR_CONTINUE)
	t.message(conn, "Hello", SMFIR_ACCEPT)
	t.truth("no header added", not mt.eom_check(conn, MT_HDRINSERT) and
		not mt.eom_check(conn, MT_HDRADD), "a header change", "none")
	t.truth("no header changed", not mt.eom_check(conn, MT_HDRCHANGE), "a header change", "none")
	mt.disconnect(conn)
end)
