-- 4194305 bytes: the last chunk crosses the default limit and is refused.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("size-4mib-over", "192.0.2.44")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<reader@example.net>", SMFIR_CONTINUE)
	local size = t.send_headers(conn, { { "From", "news@acme.example" },
					    { "Subject", "four mebibytes and one byte" } })
	t.eoh(conn, SMFIR_CONTINUE)
	t.body(conn, t.body_of(4194305 - size), SMFIR_REPLYCODE)
	mt.abort(conn)
	mt.disconnect(conn)
	t.summary_has("size-4mib-over", " size=4194305 ",
		      ' reply="552 5.3.4 FailedOperation.EmailContentToolarge message exceeds 4194304 bytes"')
end)
