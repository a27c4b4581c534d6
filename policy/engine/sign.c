/*
 * sign - DKIM-signs an accepted outbound message as it will leave
 * (SPEC section 5): after every rule, after the template is rendered and
 * the control headers are removed, with the keys of the sender domain.
 * The signatures are planned as headers inserted before all others.
 *
 * A domain without keys is not signed (the operator has not run sesctl
 * domain add for it); a signing failure is handled as OnFailure says.
 *
 * Diagnostics: "DKIM signing for DOMAIN failed: REASON"; debug lines name
 * the keys used.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "dkim_sign.h"
#include "policy_msg.h"
#include "sign.h"
#include "metrics.h"
#include "xalloc.h"

/* The a= of a DKIM-Signature value, as a metrics label. */
static const char *sign_algorithm(const char *sig)
{
	if (strstr(sig, "a=ed25519-sha256") != NULL)
		return "ed25519-sha256";
	return strstr(sig, "a=rsa-sha256") != NULL ? "rsa-sha256" : "other";
}

/* Signs with every key of the sender domain; plans the signature headers. */
static int sign_plan(struct policy_msg *m, const struct dkim_keyring *ring, struct strbuf *err)
{
	struct policy_header *final;
	struct dkim_header *hdrs;
	struct strbuf *sigs = NULL;
	size_t n, nsigs = 0, i, len;
	const char *body;
	double t0;
	int rc;

	n = policy_msg_final_headers(m, &final);
	hdrs = xmalloc((n + 1) * sizeof *hdrs);
	for (i = 0; i < n; i++) {
		hdrs[i].name = final[i].name;
		hdrs[i].value = final[i].value;
	}
	body = policy_msg_final_body(m, &len);
	t0 = metrics_now();
	rc = dkim_sign_message(ring, m->env.sender_domain, hdrs, n, body, len, &sigs, &nsigs, err);
	metrics_observe(METRIC_STAGE_SECONDS, "sign", metrics_now() - t0);
	free(hdrs);
	free(final);
	/*
	 * The first signature ends up on top: insert the last first.  Milter
	 * header values fold with a bare LF, as the MTA's own headers do.
	 */
	for (i = nsigs; rc == 0 && i > 0; i--) {
		struct strbuf v = STRBUF_INIT;
		const char *p;

		for (p = strbuf_cstr(&sigs[i - 1]); *p != '\0'; p++)
			if (*p != '\r')
				strbuf_appendc(&v, *p);
		policy_msg_insert_header(m, "DKIM-Signature", strbuf_cstr(&v));
		metrics_inc(METRIC_SIGNATURES, sign_algorithm(strbuf_cstr(&v)), NULL);
		strbuf_free(&v);
	}
	for (i = 0; i < nsigs; i++)
		strbuf_free(&sigs[i]);
	free(sigs);
	return rc;
}

enum policy_action policy_sign(struct policy_msg *m, struct policy_decision *d)
{
	const struct dkim_keyring *ring = m->conn->snap->keys;
	struct strbuf err = STRBUF_INIT;
	size_t first, count;

	decision_clear(d);
	dkim_keyring_find(ring, m->env.sender_domain, &first, &count);
	if (count == 0)
		return POLICY_CONTINUE;
	if (sign_plan(m, ring, &err) != 0) {
		policy_msg_log(m, PLOG_ERR, "DKIM signing for %s failed: %s", m->env.sender_domain,
			       strbuf_cstr(&err));
		if (m->conn->snap->conf->on_failure != CONFIG_FAIL_ACCEPT)
			decision_ses(d, "dkim", SES_ERR_SERVICE_UNAVAILABLE, "signing failed");
	} else {
		policy_msg_log(m, PLOG_DEBUG, "signed for %s with %zu keys", m->env.sender_domain, count);
	}
	strbuf_free(&err);
	return d->action;
}
