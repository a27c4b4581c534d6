-- SIGTERM while a message is half sent: the daemon stops listening but the
-- open session finishes and gets its reply (t_miltertest.sh then checks
-- that the process exits).
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	mt.set_timeout(5)	-- a reply that has not come in 5 s is not coming
	local conn = t.session("in-flight", "192.0.2.53")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<a@example.net>", SMFIR_CONTINUE)
	t.header(conn, "Subject", "In flight", SMFIR_CONTINUE)
	t.sh("kill -TERM " .. t.pid)
	mt.sleep(0.5)
	t.eoh(conn, SMFIR_CONTINUE)
	t.body(conn, "Finished after SIGTERM.\r\n", SMFIR_CONTINUE)
	t.eom(conn, SMFIR_ACCEPT)
	mt.disconnect(conn)
	t.summary_has("in-flight", " decision=accept")
end)
