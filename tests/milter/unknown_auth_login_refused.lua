-- A login that names no account is refused at MAIL, never treated as inbound.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("unknown-login", "198.51.100.8")
	t.mail(conn, "<news@acme.example>", SMFIR_REPLYCODE, "nobody-smtp")
	mt.disconnect(conn)
	t.summary_has("unknown-login", " account=- ", " decision=reject",
		      ' reply="550 5.7.1 OperationDenied.AccountNotFound ')
end)
