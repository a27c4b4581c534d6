-- Ten thousand header fields in one message are counted and passed.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("hostile-10k-headers", "192.0.2.62")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<reader@example.net>", SMFIR_CONTINUE)
	local bad = 0
	for i = 1, 10000 do
		local err = mt.header(conn, "X-H-" .. i, "value " .. i)
		if err ~= nil or mt.getreply(conn) ~= SMFIR_CONTINUE then
			bad = bad + 1
			if err ~= nil then
				break
			end
		end
	end
	t.eq("headers not continued", bad, 0)
	t.message(conn, "Ten thousand headers", SMFIR_ACCEPT)
	mt.disconnect(conn)
	t.summary_has("hostile-10k-headers", " decision=accept")
end)
