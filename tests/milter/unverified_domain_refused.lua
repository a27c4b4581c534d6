-- The sender domain is the account's but not verified yet.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("unverified-domain", "192.0.2.22")
	t.mail(conn, "<news@pending.example>", SMFIR_REPLYCODE)
	mt.disconnect(conn)
	t.summary_has("unverified-domain", " decision=reject", " rule=sender_domain",
		      ' reply="550 5.7.1 OperationDenied.DomainNotVerified domain pending.example is not verified"')
end)
