-- An account's session may not send with the null sender <>: it has no
-- domain, so none of the account's.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("null-sender", "192.0.2.24")
	t.mail(conn, "<>", SMFIR_REPLYCODE)
	mt.disconnect(conn)
	t.summary_has("null-sender", ' reply="550 5.7.1 OperationDenied.DomainNotVerified ')
end)
