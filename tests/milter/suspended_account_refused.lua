-- A suspended account sends nothing, even from its own verified domain.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("suspended", "198.51.100.9")
	t.mail(conn, "<news@sleepy.example>", SMFIR_REPLYCODE, "sleepy-smtp")
	mt.disconnect(conn)
	t.summary_has("suspended", " account=sleepy ", " rule=suspended",
		      ' reply="550 5.7.1 FailedOperation.HighRejectionRate ')
end)
