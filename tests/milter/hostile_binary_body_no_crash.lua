-- Binary garbage (every byte but NUL, bare CR and LF, 8-bit) as a plain
-- body is accepted; under a multipart Content-Type whose boundary it
-- never closes it gets an answer; the daemon goes on.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	math.randomseed(20261122)
	local bytes = {}
	for i = 1, 300000 do
		bytes[i] = string.char(math.random(1, 255))
	end
	local garbage = table.concat(bytes)

	local conn = t.session("hostile-binary", "192.0.2.63")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<reader@example.net>", SMFIR_CONTINUE)
	t.header(conn, "Subject", "Binary", SMFIR_CONTINUE)
	t.eoh(conn, SMFIR_CONTINUE)
	t.body(conn, garbage, SMFIR_CONTINUE)
	t.eom(conn, SMFIR_ACCEPT)

	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<reader@example.net>", SMFIR_CONTINUE)
	t.header(conn, "Subject", "Binary multipart", SMFIR_CONTINUE)
	t.header(conn, "MIME-Version", "1.0", SMFIR_CONTINUE)
	t.header(conn, "Content-Type", 'multipart/mixed; boundary="\xff\1"', SMFIR_CONTINUE)
	t.eoh(conn, SMFIR_CONTINUE)
	t.body(conn, "--\xff\1\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n" ..
		garbage, SMFIR_CONTINUE)
	t.eom(conn, { SMFIR_ACCEPT, SMFIR_REPLYCODE })
	mt.disconnect(conn)

	conn = t.session("hostile-binary-after", "192.0.2.64")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	mt.disconnect(conn)
end)
