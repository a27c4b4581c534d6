-- From acme's trusted network but logged in as account "one": the login
-- decides, so acme's domain is not one's and is refused.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("login-over-net", "192.0.2.21")
	t.mail(conn, "<news@acme.example>", SMFIR_REPLYCODE, "one-smtp")
	t.summary_has("login-over-net", " account=one ",
		      ' reply="550 5.7.1 OperationDenied.DomainNotVerified ')
	t.mail(conn, "<news@one.example>", SMFIR_CONTINUE, "one-smtp")
	mt.disconnect(conn)
end)
