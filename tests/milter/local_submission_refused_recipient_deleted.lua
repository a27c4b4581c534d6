-- Local submission: a recipient refused for itself (blocklisted,
-- unsubscribed, suppressed) is deleted at end of message with
-- SMFIR_DELRCPT and the rest is accepted.  No rule refuses one recipient
-- for itself yet: the recipient count is a message-level limit in local
-- mode (see local_submission_defers_recipient_refusal_to_eom).
local t = dofile(os.getenv("MT_LIB"))
t.run(function()
	t.skip("no recipient-level rule other than the recipient count exists yet")
end)
