-- 998 characters after RFC 2047 decoding is the most a Subject may have.
-- The value mixes an encoded multi-byte character ("=?UTF-8?B?5Lit?=" is
-- U+4E2D) with ASCII so that it stays under the 1 KB miltertest can send;
-- rawmilter.py sends 998 CJK characters in encoded words.
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	local conn = t.session("subject-998", "192.0.2.30")
	t.mail(conn, "<news@acme.example>", SMFIR_CONTINUE)
	t.rcpt(conn, "<reader@example.net>", SMFIR_CONTINUE)
	t.message(conn, "=?UTF-8?B?5Lit?= " .. string.rep("a", 996), SMFIR_ACCEPT)
	mt.disconnect(conn)
	t.summary_has("subject-998", " subject_chars=998 ", " decision=accept")
end)
