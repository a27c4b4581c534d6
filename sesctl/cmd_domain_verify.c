/*
 * cmd_domain_verify - "sesctl domain verify DOMAIN": looks up the records
 * the domain should publish (cmd_domain_records_build) and marks it
 * verified when every one matches.
 *
 * Each record is judged on what matters, not byte for byte: DKIM by the
 * p= tag (whitespace and other tags tolerated) of some TXT at its name;
 * SPF by exactly one "v=spf1" TXT at the domain holding
 * include:ServiceSpfInclude; DMARC by a "v=DMARC1" TXT at _dmarc; MX by
 * some MX host equal to ServiceMx (case and a final dot ignored).
 *
 * One line per record: "ok|MISSING|WRONG  NAME TYPE  expected: ...
 * current: ...".  Exit status: SESCTL_OK when all match (the domain is
 * then verified, through the same edit as "domain set-verified"),
 * SESCTL_FAIL when one does not (the domain is left as it is), and
 * SESCTL_UNAVAILABLE when DNS gave no usable answer (timeout, SERVFAIL):
 * that says nothing about the records.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd_domain.h"

enum cmd_domain_verdict {
	CMD_DOMAIN_OK,
	CMD_DOMAIN_MISSING,
	CMD_DOMAIN_WRONG
};

static const char *const cmd_domain_verdicts[] = { "ok", "MISSING", "WRONG" };

char *cmd_domain_txt_tag(const char *txt, const char *tag)
{
	size_t tlen = strlen(tag), n;
	struct strbuf sb = STRBUF_INIT;
	const char *p = txt, *end;

	while (*p != '\0') {
		while (isspace((unsigned char)*p))
			p++;
		end = p + strcspn(p, ";");
		for (n = 0; p + n < end && !isspace((unsigned char)p[n]) && p[n] != '='; n++)
			;
		if (n == tlen && strncmp(p, tag, tlen) == 0) {
			p += n + strspn(p + n, " \t\r\n");
			if (*p != '=')
				return NULL;
			for (p++; p < end; p++)
				if (!isspace((unsigned char)*p))
					strbuf_appendc(&sb, *p);
			strbuf_appends(&sb, "");
			return strbuf_detach(&sb);
		}
		p = *end == ';' ? end + 1 : end;
	}
	return NULL;
}

/* True when txt starts with the version tag v=version (e.g. "spf1"). */
static bool cmd_domain_txt_version(const char *txt, const char *version, bool spf)
{
	size_t vlen = strlen(version);
	char *v;
	bool ok;

	if (spf) /* SPF is no tag list: "v=spf1" then a space or the end */
		return strncasecmp(txt, "v=", 2) == 0 && strncasecmp(txt + 2, version, vlen) == 0 &&
		       (txt[2 + vlen] == '\0' || txt[2 + vlen] == ' ');
	while (isspace((unsigned char)*txt))
		txt++;
	if (*txt != 'v')
		return false; /* v= must be the first tag */
	v = cmd_domain_txt_tag(txt, "v");
	ok = v != NULL && strcasecmp(v, version) == 0;
	free(v);
	return ok;
}

/* True when the SPF record spf has the term include:host. */
static bool cmd_domain_spf_includes(const char *spf, const char *host)
{
	size_t hlen = strlen(host), n;
	const char *p = spf;

	while (*p != '\0') {
		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (*p == '+' && n > 0) {
			p++;
			n--;
		}
		if (n > 8 && strncasecmp(p, "include:", 8) == 0 &&
		    (n - 8 == hlen || (n - 9 == hlen && p[n - 1] == '.')) &&
		    strncasecmp(p + 8, host, hlen) == 0)
			return true;
		p += n;
	}
	return false;
}

/* Appends the answers that count for r to cur, and judges them. */
static enum cmd_domain_verdict cmd_domain_judge(const struct cmd_domain_record *r,
						const struct dns_answers *a,
						struct dns_answers *cur)
{
	enum cmd_domain_verdict v = CMD_DOMAIN_MISSING;
	size_t i;
	char *p;

	for (i = 0; i < a->n; i++) {
		const char *s = a->v[i];
		bool match = false;

		if (r->kind == CMD_DOMAIN_SPF && !cmd_domain_txt_version(s, "spf1", true))
			continue;
		if (r->kind == CMD_DOMAIN_DMARC && !cmd_domain_txt_version(s, "DMARC1", false))
			continue;
		if (r->kind == CMD_DOMAIN_DKIM) {
			p = cmd_domain_txt_tag(s, "p");
			match = p != NULL && strcmp(p, r->want) == 0;
			free(p);
		} else if (r->kind == CMD_DOMAIN_SPF) {
			match = cmd_domain_spf_includes(s, r->want);
		} else if (r->kind == CMD_DOMAIN_MX) {
			match = strcasecmp(s, r->want) == 0;
		} else {
			match = true;
		}
		if ((p = strdup(s)) == NULL)
			abort();
		cur->v = realloc(cur->v, (cur->n + 1) * sizeof *cur->v);
		if (cur->v == NULL)
			abort();
		cur->v[cur->n++] = p;
		if (match)
			v = CMD_DOMAIN_OK;
		else if (v == CMD_DOMAIN_MISSING)
			v = CMD_DOMAIN_WRONG;
	}
	if (r->kind == CMD_DOMAIN_SPF && cur->n > 1)
		v = CMD_DOMAIN_WRONG; /* two SPF records are an SPF permerror */
	return v;
}

/* Appends s to out quoted (TXT) or bare, non-printing bytes as '?'. */
static void cmd_domain_show(struct strbuf *out, const char *s, bool quote)
{
	if (quote)
		strbuf_appendc(out, '"');
	for (; *s != '\0'; s++)
		strbuf_appendc(out, isprint((unsigned char)*s) ? *s : '?');
	if (quote)
		strbuf_appendc(out, '"');
}

/* Prints the verdict line of r. */
static void cmd_domain_verdict_print(const struct cmd_domain_record *r, enum cmd_domain_verdict v,
				     const struct dns_answers *cur)
{
	bool txt = r->kind != CMD_DOMAIN_MX;
	struct strbuf line = STRBUF_INIT;
	size_t i;

	strbuf_appendf(&line, "%-7s  %s %s  expected: ", cmd_domain_verdicts[v], r->name,
		       txt ? "TXT" : "MX");
	cmd_domain_show(&line, r->value, txt);
	strbuf_appends(&line, "  current: ");
	for (i = 0; i < cur->n; i++) {
		if (i > 0)
			strbuf_appends(&line, " | ");
		cmd_domain_show(&line, cur->v[i], txt);
	}
	if (cur->n == 0)
		strbuf_appends(&line, "(none)");
	printf("%s\n", strbuf_cstr(&line));
	strbuf_free(&line);
}

/*
 * Looks up and judges every record, printing a line each; *bad counts
 * those that do not match.  SESCTL_OK, or SESCTL_UNAVAILABLE after
 * printing which lookup failed.
 */
static int cmd_domain_verify_all(struct dns_resolver *dns, const struct cmd_domain_records *recs,
				 size_t *bad)
{
	struct dns_answers a, cur;
	struct strbuf err = STRBUF_INIT;
	enum cmd_domain_verdict v;
	size_t i;

	*bad = 0;
	for (i = 0; i < recs->n; i++) {
		const struct cmd_domain_record *r = &recs->v[i];
		enum dns_rrtype t = r->kind == CMD_DOMAIN_MX ? DNS_RR_MX : DNS_RR_TXT;
		enum dns_status st = dns_query(dns, r->name, t, &a, &err);

		if (st == DNS_TEMPFAIL || st == DNS_BADNAME) {
			sesctl_err("cannot check %s %s: %s", r->name,
				   t == DNS_RR_MX ? "MX" : "TXT", strbuf_cstr(&err));
			strbuf_free(&err);
			return SESCTL_UNAVAILABLE;
		}
		memset(&cur, 0, sizeof cur);
		v = cmd_domain_judge(r, &a, &cur);
		cmd_domain_verdict_print(r, v, &cur);
		*bad += v != CMD_DOMAIN_OK;
		dns_answers_free(&a);
		dns_answers_free(&cur);
	}
	strbuf_free(&err);
	return SESCTL_OK;
}

/* Checks that recs can be verified at all; SESCTL_OK or SESCTL_FAIL. */
static int cmd_domain_verify_ready(const struct sesctl *ctx, const struct cmd_domain_records *recs)
{
	size_t i, ndkim = 0;
	int rc = SESCTL_OK;

	for (i = 0; i < recs->n; i++) {
		ndkim += recs->v[i].kind == CMD_DOMAIN_DKIM;
		if (recs->v[i].unset) {
			sesctl_err("cannot verify %s: %s is not set in %s", recs->domain,
				   recs->v[i].key, ctx->conf->path);
			rc = SESCTL_FAIL;
		}
	}
	if (ndkim == 0) {
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
	struct cmd_domain_records recs;
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
	cmd_domain_records_free(&recs);
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
