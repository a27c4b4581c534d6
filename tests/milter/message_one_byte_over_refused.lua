-- MaxMessageSize 2048: the chunk that brings the message to 2049 bytes is
-- refused with 552 5.3.4, in the body and, in a second message, already
-- at the header that crosses the limit.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("size-over-body", "192.0.2.41")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<reader@example.net>", SMFIR_CONTINUE)
	local size = t.send_headers(conn, { { "From", "news@acme.example" },
					    { "Subject", "one byte over" } })
	t.eoh(conn, SMFIR_CONTINUE)
	t.body(conn, t.body_of(2048 - size), SMFIR_CONTINUE)
	t.expect(conn, "body byte 2049", mt.bodystring(conn, "x"), SMFIR_REPLYCODE)
	mt.abort(conn)
	mt.disconnect(conn)
	t.summary_has("size-over-body", " size=2049 ", " rule=size",
		      ' reply="552 5.3.4 FailedOperation.EmailContentToolarge message exceeds 2048 bytes"')

	conn = t.session("size-over-header", "192.0.2.42")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<reader@example.net>", SMFIR_CONTINUE)
	size = t.send_headers(conn, { { "Subject", "crossing in a header" },
				      { "X-Pad-1", string.rep("p", 900) },
				      { "X-Pad-2", string.rep("p", 900) } }) - 2
	-- the next header line ends at byte 2049: "X-Pad-3: " .. v .. "\r\n"
	t.header(conn, "X-Pad-3", string.rep("q", 2049 - size - 11), SMFIR_REPLYCODE)
	mt.abort(conn)
	mt.disconnect(conn)
	t.summary_has("size-over-header", " size=2049 ",
		      ' reply="552 5.3.4 FailedOperation.EmailContentToolarge ')
end)
