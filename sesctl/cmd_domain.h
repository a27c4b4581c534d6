/*
 * cmd_domain - what the "sesctl domain" commands share: cmd_domain.c
 * (add, list, show, set-verified, del, records), cmd_domain_keys.c (the
 * DKIM keys, and the DNS records a domain publishes in zone-file form),
 * cmd_domain_verify.c (verify).  Which records a domain publishes and how
 * DNS is judged is policy/signing/domain_check.c, shared with the daemon.
 *
 * Every key file is DataDir/keys/DOMAIN/SELECTOR.TYPE.pem and is published
 * at SELECTOR._domainkey.DOMAIN.  One DNS name holds one key, so domain add
 * gives an Ed25519 key its own selector: SELECTOR-ed25519 (the file
 * SELECTOR-ed25519.ed25519.pem) beside the RSA key SELECTOR.rsa.pem.
 */
#ifndef SES_CMD_DOMAIN_H
#define SES_CMD_DOMAIN_H

#include <stdbool.h>

#include "dns.h"
#include "domain_check.h"
#include "sesctl.h"
#include "strbuf.h"

#define CMD_DOMAIN_ED25519_SUFFIX "-ed25519"

/* Key options of "domain add". */
struct cmd_domain_keyopts {
	const char *selector; /* NULL: the config's DkimSelector */
	int rsa_bits;	      /* 1024 or 2048 */
	bool ed25519;	      /* also an Ed25519 key */
	bool no_keys;	      /* make none */
};

/* Lower-cases name in place and checks it; SESCTL_OK or SESCTL_FAIL. */
int cmd_domain_name(char *name);

/*
 * Marks domain verified or not, with the same checked edit and reload as
 * "domain set-verified".  Returns a sesctl_status.
 */
int cmd_domain_set_state(struct sesctl *ctx, const char *domain, bool verified);

/* True for a selector: dot-separated labels of letters, digits and '-'. */
bool cmd_domain_selector_valid(const char *s);

/*
 * Makes the keys o asks for under DataDir/keys/DOMAIN, keeping (and
 * saying so) any that exist.  Returns SESCTL_OK, or SESCTL_FAIL after
 * printing why.
 */
int cmd_domain_keys_make(const struct sesctl *ctx, const char *domain,
			 const struct cmd_domain_keyopts *o);

/*
 * Fills recs with the records domain publishes (domain_check_build), from
 * the key files under DataDir/keys as ses-milter loads them.  Returns
 * SESCTL_OK, or SESCTL_FAIL after printing why.  recs is always
 * initialised: free it with domain_check_free.
 */
int cmd_domain_records_build(const struct sesctl *ctx, const char *domain,
			     struct domain_check_records *recs);

/* Prints recs in zone-file form; a warning on stderr per unset key. */
void cmd_domain_records_print(const struct sesctl *ctx, const struct domain_check_records *recs);

/* verify's lookups: short, an operator is waiting (1 s, 2 tries). */
#define CMD_DOMAIN_DNS_TIMEOUT 1
#define CMD_DOMAIN_DNS_TRIES 2

/* Prints the tracking host's CNAME for domain, if any (cmd_domain_track.c). */
void cmd_domain_track_print(const struct sesctl *ctx, const char *domain);

/*
 * Looks up and judges the tracking host's CNAME, printing a verdict line
 * (nothing when there is none to check); *bad counts a mismatch.
 * SESCTL_OK, or SESCTL_UNAVAILABLE when DNS did not answer.
 */
int cmd_domain_track_verify(const struct sesctl *ctx, struct dns_resolver *dns,
			    const char *domain, size_t *bad);

/* "domain verify DOMAIN [--dns HOST[:PORT]]" (cmd_domain_verify.c). */
sesctl_cmd_fn cmd_domain_verify;

#endif
