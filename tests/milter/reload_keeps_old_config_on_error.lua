-- SIGHUP with a broken config file, then with a broken account file: each
-- reload is refused and logged with FILE:LINE, and the rules in force stay
-- (the broken config would have allowed one recipient).
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local good = t.read_file(t.conf)
	local _, lines = good:gsub("\n", "")
	t.write_file(t.conf, good .. "MaxRecipients 1\nNoSuchKey yes\n")
	t.sh("kill -HUP " .. t.pid)
	local n = t.wait_count("reload refused, keeping configuration generation 1", 1)
	t.write_file(t.conf, good)
	t.eq("'reload refused' lines after a broken config", n, 1)
	local diag = string.format("reload: %s:%d: unknown key NoSuchKey", t.conf, lines + 2)
	t.truth("reload diagnostic", t.wait_log(diag, 1), "none", "'" .. diag .. "'")

	local bad = t.datadir .. "/accounts/broken"
	t.write_file(bad, "Domain not_a_domain verified\n")
	t.sh("kill -HUP " .. t.pid)
	n = t.wait_count("reload refused, keeping configuration generation 1", 2)
	os.remove(bad)
	t.eq("'reload refused' lines after a broken account file", n, 2)
	t.truth("account diagnostic", t.wait_log("reload: " .. bad .. ":1: ", 1), "none",
		"a diagnostic naming " .. bad .. ":1")

	local conn = t.session("after-bad-reload", "192.0.2.50")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<a@example.net>", SMFIR_CONTINUE)
	t.rcpt(conn, "<b@example.net>", SMFIR_CONTINUE)
	t.message(conn, "Old rules still in force", SMFIR_ACCEPT)
	mt.disconnect(conn)
	t.summary_has("after-bad-reload", " accepted=2 refused=0 ", " decision=accept")
end)
