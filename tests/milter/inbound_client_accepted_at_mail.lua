-- A client that neither authenticated nor comes from a trusted network is
-- inbound: the milter accepts the message at MAIL (no outbound policy).
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("mx.inbound.example", "203.0.113.5")
	t.mail(conn, "<someone@remote.example>", SMFIR_ACCEPT)
	mt.disconnect(conn)
end)
