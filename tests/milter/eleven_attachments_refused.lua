-- Eleven attachments: refused at end of message with the reply of
-- policy/engine/decision.c, 550 5.6.0 FailedOperation.TooManyAttachments.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("attach-11", "192.0.2.46")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<reader@example.net>", SMFIR_CONTINUE)
	local headers, body = t.mime(11)
	t.send_headers(conn, headers)
	t.eoh(conn, SMFIR_CONTINUE)
	t.body(conn, body, SMFIR_CONTINUE)
	t.eom(conn, SMFIR_REPLYCODE)
	t.eom_reply(conn, "550", "5.6.0",
		    "FailedOperation.TooManyAttachments 11 attachments, at most 10 allowed")
	mt.disconnect(conn)
	t.summary_has("attach-11", " attachments=11 ", " rule=attachments",
		      ' reply="550 5.6.0 FailedOperation.TooManyAttachments ')
end)
