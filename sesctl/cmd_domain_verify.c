/*
 * cmd_domain_verify - "sesctl domain verify DOMAIN": looks up the records
 * the domain should publish (cmd_domain_records_build) and marks it
 * verified when every one matches.  The lookups and the judging are
 * policy/signing/domain_check.c's (see domain_check.h for what counts), the same
 * the daemon uses when it re-checks verified domains.
 *
 * One line per record: "ok|MISSING|WRONG  NAME TYPE  expected: ...
 * current: ...".  Exit status: SESCTL_OK when all match (the domain is
 * then verified, through the same edit as "domain set-verified"),
 * SESCTL_FAIL when one does not (the domain is left as it is), and
 * SESCTL_UNAVAILABLE when DNS gave no usable answer (timeout, SERVFAIL):
 * that says nothing about the records.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_domain.h"

/* Prints the verdict line of r: "ok|MISSING|WRONG  NAME TYPE  expected: ...  current: ...". */
static void cmd_domain_verdict_print(const struct domain_check_record *r)
{
	struct strbuf line = STRBUF_INIT;

	strbuf_appendf(&line, "%-7s  %s %s  expected: ", domain_check_verdict_name(r->verdict),
		       r->name, domain_check_type_name(r->kind));
	domain_check_show_expected(&line, r);
	strbuf_appends(&line, "  current: ");
	domain_check_show_current(&line, r);
	printf("%s\n", strbuf_cstr(&line));
	strbuf_free(&line);
}

/*
 * Looks up and judges every record (domain_check_run), printing a line
 * each; *bad counts those that do not match.  SESCTL_OK, or
 * SESCTL_UNAVAILABLE after printing which lookup failed.
 */
static int cmd_domain_verify_all(struct dns_resolver *dns, struct domain_check_records *recs,
				 size_t *bad)
{
	struct domain_check_lookup lookup = domain_check_resolver(dns);
	struct strbuf err = STRBUF_INIT;
	enum domain_check_result res;
	size_t i;
	int rc = SESCTL_OK;

	res = domain_check_run(recs, &lookup, &err);
	for (i = 0; i < recs->checked; i++)
		cmd_domain_verdict_print(&recs->v[i]);
	if (res == DOMAIN_CHECK_FAILED) {
		sesctl_err("cannot check %s %s: %s", recs->v[recs->checked].name,
			   domain_check_type_name(recs->v[recs->checked].kind), strbuf_cstr(&err));
		rc = SESCTL_UNAVAILABLE;
	}
	*bad = domain_check_bad(recs);
	strbuf_free(&err);
	return rc;
}

/* Checks that recs can be verified at all; SESCTL_OK or SESCTL_FAIL. */
static int cmd_domain_verify_ready(const struct sesctl *ctx,
				   const struct domain_check_records *recs)
{
	size_t i;
	int rc = SESCTL_OK;

	for (i = 0; i < recs->n; i++) {
		if (recs->v[i].unset) {
			sesctl_err("cannot verify %s: %s is not set in %s", recs->domain,
				   recs->v[i].key, ctx->conf->path);
			rc = SESCTL_FAIL;
		}
	}
	if (domain_check_count(recs, DOMAIN_CHECK_DKIM) == 0) {
		sesctl_err("cannot verify %s: it has no DKIM key in %s/keys/%s/ (sesctl domain "
			   "add makes them)",
			   recs->domain, ctx->conf->data_dir, recs->domain);
		rc = SESCTL_FAIL;
	}
	return rc;
}

/* Verifies domain (an account's) against DNS at server; see the header. */
static int cmd_domain_verify_run(struct sesctl *ctx, const char *domain, bool verified,
				 const char *server)
{
	struct domain_check_records recs;
	struct dns_resolver *dns = NULL;
	struct strbuf err = STRBUF_INIT;
	size_t bad = 0;
	int rc;

	rc = cmd_domain_records_build(ctx, domain, &recs);
	if (rc == SESCTL_OK)
		rc = cmd_domain_verify_ready(ctx, &recs);
	if (rc == SESCTL_OK &&
	    (dns = dns_resolver_new(server, CMD_DOMAIN_DNS_TIMEOUT, CMD_DOMAIN_DNS_TRIES, &err)) ==
		    NULL) {
		sesctl_err("%s", strbuf_cstr(&err));
		rc = SESCTL_FAIL;
	}
	strbuf_free(&err);
	if (rc == SESCTL_OK)
		rc = cmd_domain_verify_all(dns, &recs, &bad);
	if (rc == SESCTL_OK)
		rc = cmd_domain_track_verify(ctx, dns, domain, &bad);
	dns_resolver_free(dns);
	if (rc == SESCTL_OK && bad > 0) {
		printf("domain %s: %zu of %zu records do not match: %s\n", domain, bad, recs.n,
		       verified ? "left verified" : "not verified");
		rc = SESCTL_FAIL;
	} else if (rc == SESCTL_OK && verified) {
		printf("domain %s: all %zu records match; it is already verified\n", domain,
		       recs.n);
	} else if (rc == SESCTL_OK) {
		printf("domain %s: all %zu records match\n", domain, recs.n);
		rc = cmd_domain_set_state(ctx, domain, true);
	}
	domain_check_free(&recs);
	return rc;
}

/* sesctl domain verify DOMAIN [--dns HOST[:PORT]] */
int cmd_domain_verify(struct sesctl *ctx, int argc, char **argv)
{
	static const struct sesctl_opt opts[] = { { "dns", true, 1 }, { NULL, false, 0 } };
	const struct account_domain *dom = NULL;
	const char *server = ctx->conf->dns_server, *value;
	struct account_db *db = NULL;
	struct sesctl_args args;
	bool verified = false;
	int opt, rc = SESCTL_OK;

	sesctl_args_init(&args, argc, argv);
	while (rc == SESCTL_OK && (opt = sesctl_args_next(ctx, &args, opts, &value)) != 0)
		if (opt < 0)
			rc = SESCTL_USAGE;
		else
			server = value;
	if (rc == SESCTL_OK && args.noperands != 1)
		rc = SESCTL_USAGE;
	if (rc == SESCTL_OK)
		rc = cmd_domain_name(args.operands[0]);
	if (rc == SESCTL_OK && (db = sesctl_load_db(ctx)) == NULL)
		rc = SESCTL_FAIL;
	if (rc == SESCTL_OK && account_by_domain(db, args.operands[0], &dom) == NULL) {
		sesctl_err("no account has domain %s", args.operands[0]);
		rc = SESCTL_FAIL;
	}
	if (rc == SESCTL_OK)
		verified = dom->verified;
	account_db_free(db);
	if (rc == SESCTL_OK)
		rc = cmd_domain_verify_run(ctx, args.operands[0], verified, server);
	sesctl_args_free(&args);
	return rc;
}
