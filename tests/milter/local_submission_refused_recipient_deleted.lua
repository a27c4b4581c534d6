-- Local submission: a recipient refused for itself (here: blocklisted) is
-- not refused at RCPT (Postfix non_smtpd_milters cannot), it is deleted at
-- end of message with SMFIR_DELRCPT and the rest of the message goes out.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	t.sh(os.getenv("MT_SESCTL") .. " -c " .. os.getenv("MT_CONF") ..
	     " --no-reload blocklist add blocked@example.net >/dev/null")
	local conn = t.session("local-deleted", "unspec")
	t.mail(conn, "<app@local.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<wanted@example.net>", SMFIR_CONTINUE)
	t.rcpt(conn, "<Blocked@Example.NET>", SMFIR_CONTINUE)
	t.message(conn, "Local submission", SMFIR_ACCEPT)
	t.truth("blocklisted recipient deleted",
		mt.eom_check(conn, MT_RCPTDELETE, "<Blocked@Example.NET>"),
		"no SMFIR_DELRCPT", "SMFIR_DELRCPT <Blocked@Example.NET>")
	t.truth("wanted recipient kept",
		not mt.eom_check(conn, MT_RCPTDELETE, "<wanted@example.net>"),
		"SMFIR_DELRCPT <wanted@example.net>", "no deletion")
	mt.disconnect(conn)
	t.summary_has("local-deleted", " account=local submission=local ", " decision=accept",
		      " refusals: <Blocked@Example.NET> 550 5.7.1 FailedOperation.EmailAddrInBlacklist")
end)
