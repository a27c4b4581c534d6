/*
 * inbound - authentication of inbound mail (mail of no account: bounces,
 * complaints and replies coming back to the service): SPF of MAIL FROM
 * and HELO (spf_check.c), DKIM (dkim_verify.c, fed as the message
 * streams), DMARC (dmarc_eval.c), one Authentication-Results header
 * (authres.c, RFC 8601) and what DMARC asks for.
 *
 * struct inbound_checks holds what the checks share, made with the
 * snapshot and read-only afterwards: the SPF checker (its own resolvers),
 * the DKIM library, the public suffix list, the authserv-id.  A message
 * has a struct inbound_msg with its own resolver for DKIM keys and the
 * DMARC record; every lookup goes to DnsServer (or the system's servers).
 *
 * All checks run at end of message, inside the MTA's content timeout:
 * the verdicts matter only there (the header, DMARC's disposition), and
 * a slow DNS answer at MAIL would hold the SMTP client at that command.
 *
 * Diagnostics: inbound_checks_load adds "PublicSuffixList: ...",
 * "DnsServer: ..." or "DKIM: ..." to diags; the verdict carries a short
 * summary for the message's log line.
 *
 * Folder policy/auth/ (main header: this one): the checks of inbound mail
 * and what they need: SPF (spf_*), DKIM verification (dkim_verify,
 * dkim_field), DMARC (dmarc_*), the public suffix list (psl) and the
 * Authentication-Results header (authres), driven by inbound.  It may
 * include util/ and conf/.
 */
#ifndef SES_INBOUND_H
#define SES_INBOUND_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "diag.h"
#include "strbuf.h"

struct inbound_checks;
struct inbound_msg;

/* What conf asks for; NULL with diags when something cannot be set up. */
struct inbound_checks *inbound_checks_load(const struct ses_config *conf, struct diag_list *diags);
void inbound_checks_free(struct inbound_checks *c);
/* The authserv-id in use (AuthservId, or the host name). */
const char *inbound_checks_authserv_id(const struct inbound_checks *c);

/* Initialises the libraries once, before threads start; 0 or -1. */
int inbound_init(void);

/*
 * A message from client_ip (text form), which said HELO helo (may be
 * NULL), with envelope sender mail_from ("" for <>); id names it in
 * libopendkim's messages.
 */
struct inbound_msg *inbound_msg_new(const struct inbound_checks *c, const char *id,
				    const char *client_ip, const char *helo,
				    const char *mail_from);
void inbound_msg_free(struct inbound_msg *im);

/*
 * A header exactly as received: raw is all of the field after the colon,
 * leading blanks included (DKIM's simple canonicalisation counts them).
 */
void inbound_msg_header(struct inbound_msg *im, const char *name, const char *raw);
void inbound_msg_eoh(struct inbound_msg *im);
void inbound_msg_body(struct inbound_msg *im, const unsigned char *chunk, size_t len);

enum inbound_outcome {
	INBOUND_DELIVER,
	INBOUND_REJECT,		/* DMARC p=reject and DmarcReject reject */
	INBOUND_HOLD,		/* DMARC says quarantine (or reject, as configured) */
	INBOUND_TEMPFAIL,	/* DMARC temperror and AuthDnsFailure tempfail */
};

struct inbound_verdict {
	enum inbound_outcome outcome;
	struct strbuf authres;	/* the Authentication-Results value */
	struct strbuf summary;	/* "spf=pass dkim=pass dmarc=pass" */
	struct strbuf reason;	/* for a refusal or hold: why, in words */
};

/* Runs the checks at end of message; out must be freed with inbound_verdict_free. */
void inbound_msg_eom(struct inbound_msg *im, const struct ses_config *conf,
		     struct inbound_verdict *out);
void inbound_verdict_free(struct inbound_verdict *v);

#endif
