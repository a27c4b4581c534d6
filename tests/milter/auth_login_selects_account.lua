-- An SMTP AUTH login ({auth_authen} at MAIL) names the sending account,
-- from any client address.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("auth-login", "198.51.100.7")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE, "acme-smtp")
	t.rcpt(conn, "<reader@example.net>", SMFIR_CONTINUE)
	t.message(conn, "Authenticated", SMFIR_ACCEPT)
	mt.disconnect(conn)
	t.summary_has("auth-login", " account=acme submission=smtp ", " login=acme-smtp ",
		      " decision=accept")
end)
