-- SIGHUP after an account is suspended: new connections get the new data,
-- while a connection opened before the reload keeps its snapshot, also
-- for its next message.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local before = t.session("before-reload", "192.0.2.51")
	t.mail(before, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(before, "<a@example.net>", SMFIR_CONTINUE)
	t.message(before, "Before the reload", SMFIR_ACCEPT)

	local acct = t.datadir .. "/accounts/acme"
	t.write_file(acct, t.read_file(acct) .. "Suspended yes\n")
	t.sh("kill -HUP " .. t.pid)
	t.truth("reload logged", t.wait_log("reloaded configuration (generation 2)", 5),
		"none", "'reloaded configuration (generation 2)'")

	local after = t.session("after-reload", "192.0.2.52")
	t.mail(after, "<news@acme.example>", SMFIR_REPLYCODE)
	mt.disconnect(after)
	t.summary_has("after-reload", ' reply="550 5.7.1 FailedOperation.HighRejectionRate ')

	t.mail(before, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(before, "<b@example.net>", SMFIR_CONTINUE)
	t.message(before, "Second message on the old snapshot", SMFIR_ACCEPT)
	mt.disconnect(before)
end)
