/*
 * domain_check - a sender domain's DNS records and how DNS answers for
 * them; see domain_check.h for the records, the judging and the
 * diagnostics.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domain_check.h"
#include "xalloc.h"

static char *domain_check_lower(char *s)
{
	char *p;

	for (p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/* ---- the records ------------------------------------------------------- */

/* Appends a record to recs; the strings are copied. */
static struct domain_check_record *domain_check_add(struct domain_check_records *recs,
						    enum domain_check_kind kind, const char *name,
						    const char *value, const char *want)
{
	struct domain_check_record *r;

	r = xrealloc(recs->v, (recs->n + 1) * sizeof *recs->v);
	recs->v = r;
	r = &recs->v[recs->n++];
	memset(r, 0, sizeof *r);
	r->kind = kind;
	r->name = domain_check_lower(xstrdup(name));
	r->value = xstrdup(value);
	r->want = xstrdup(want != NULL ? want : "");
	return r;
}

void domain_check_free(struct domain_check_records *recs)
{
	size_t i;

	for (i = 0; i < recs->n; i++) {
		free(recs->v[i].name);
		free(recs->v[i].value);
		free(recs->v[i].want);
		dns_answers_free(&recs->v[i].current);
	}
	free(recs->v);
	free(recs->domain);
	memset(recs, 0, sizeof *recs);
}

/* Adds the DKIM record of each key of recs->domain in ring; 0 or -1. */
static int domain_check_dkim(const struct dkim_keyring *ring, struct domain_check_records *recs,
			     struct strbuf *err)
{
	struct strbuf name = STRBUF_INIT, txt = STRBUF_INIT;
	size_t first = 0, count = 0, i;
	int rc = 0;
	char *p;

	if (ring != NULL)
		dkim_keyring_find(ring, recs->domain, &first, &count);
	for (i = first; i < first + count; i++) {
		strbuf_reset(&name);
		strbuf_reset(&txt);
		strbuf_appendf(&name, "%s._domainkey.%s", ring->v[i].selector, recs->domain);
		if (dkim_key_public_txt(&ring->v[i], &txt) != 0) {
			strbuf_appendf(err, "cannot read the public key of %s",
				       domain_check_lower(name.data));
			rc = -1;
			break;
		}
		p = domain_check_txt_tag(strbuf_cstr(&txt), "p");
		domain_check_add(recs, DOMAIN_CHECK_DKIM, strbuf_cstr(&name), strbuf_cstr(&txt), p);
		free(p);
	}
	strbuf_free(&name);
	strbuf_free(&txt);
	return rc;
}

/*
 * Lower-cased copy of host without its final dot, or of placeholder as it
 * is when host is empty.  Caller frees.
 */
static char *domain_check_host(const char *host, const char *placeholder)
{
	char *h;
	size_t len;

	if (*host == '\0')
		return xstrdup(placeholder);
	h = xstrdup(host);
	len = strlen(h);
	if (len > 1 && h[len - 1] == '.')
		h[len - 1] = '\0';
	return domain_check_lower(h);
}

int domain_check_build(const struct ses_config *conf, const struct dkim_keyring *ring,
		       const char *domain, struct domain_check_records *recs, struct strbuf *err)
{
	const char *spf = conf->service_spf_include, *mx = conf->service_mx;
	struct strbuf sb = STRBUF_INIT;
	struct domain_check_record *r;
	char *host;

	memset(recs, 0, sizeof *recs);
	recs->domain = domain_check_lower(xstrdup(domain));
	if (domain_check_dkim(ring, recs, err) != 0)
		return -1;
	host = domain_check_host(spf, "<ServiceSpfInclude>");
	strbuf_appendf(&sb, "v=spf1 include:%s ~all", host);
	r = domain_check_add(recs, DOMAIN_CHECK_SPF, recs->domain, strbuf_cstr(&sb), host);
	r->unset = *spf == '\0';
	r->key = "ServiceSpfInclude";
	free(host);
	strbuf_reset(&sb);
	strbuf_appendf(&sb, "_dmarc.%s", recs->domain);
	domain_check_add(recs, DOMAIN_CHECK_DMARC, strbuf_cstr(&sb), "v=DMARC1; p=none", NULL);
	host = domain_check_host(mx, "<ServiceMx>");
	r = domain_check_add(recs, DOMAIN_CHECK_MX, recs->domain, host, host);
	r->unset = *mx == '\0';
	r->key = "ServiceMx";
	free(host);
	strbuf_free(&sb);
	return 0;
}

size_t domain_check_count(const struct domain_check_records *recs, enum domain_check_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < recs->n; i++)
		n += recs->v[i].kind == kind;
	return n;
}

/* ---- judging ------------------------------------------------------------ */

char *domain_check_txt_tag(const char *txt, const char *tag)
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
static bool domain_check_txt_version(const char *txt, const char *version, bool spf)
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
	v = domain_check_txt_tag(txt, "v");
	ok = v != NULL && strcasecmp(v, version) == 0;
	free(v);
	return ok;
}

/* True when the SPF record spf has the term include:host. */
static bool domain_check_spf_includes(const char *spf, const char *host)
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

/* True when answer s counts for r at all (a TXT of r's version). */
static bool domain_check_counts(const struct domain_check_record *r, const char *s)
{
	if (r->kind == DOMAIN_CHECK_SPF)
		return domain_check_txt_version(s, "spf1", true);
	if (r->kind == DOMAIN_CHECK_DMARC)
		return domain_check_txt_version(s, "DMARC1", false);
	return true;
}

/* True when answer s (one that counts) is what r wants. */
static bool domain_check_matches(const struct domain_check_record *r, const char *s)
{
	bool match;
	char *p;

	switch (r->kind) {
	case DOMAIN_CHECK_DKIM:
		p = domain_check_txt_tag(s, "p");
		match = p != NULL && strcmp(p, r->want) == 0;
		free(p);
		return match;
	case DOMAIN_CHECK_SPF:
		return domain_check_spf_includes(s, r->want);
	case DOMAIN_CHECK_MX:
		return strcasecmp(s, r->want) == 0;
	case DOMAIN_CHECK_DMARC:
		return true;
	}
	return false;
}

/* Keeps the answers of a that count for r as its current values, and judges them. */
static void domain_check_judge(struct domain_check_record *r, const struct dns_answers *a)
{
	struct dns_answers *cur = &r->current;
	bool match = false;
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (!domain_check_counts(r, a->v[i]))
			continue;
		match = match || domain_check_matches(r, a->v[i]);
		cur->v = xrealloc(cur->v, (cur->n + 1) * sizeof *cur->v);
		cur->v[cur->n++] = xstrdup(a->v[i]);
	}
	if (cur->n == 0)
		r->verdict = DOMAIN_CHECK_MISSING;
	else if (!match || (r->kind == DOMAIN_CHECK_SPF && cur->n > 1))
		r->verdict = DOMAIN_CHECK_WRONG; /* two SPF records are an SPF permerror */
	else
		r->verdict = DOMAIN_CHECK_OK;
}

enum domain_check_result domain_check_run(struct domain_check_records *recs,
					  const struct domain_check_lookup *dns, struct strbuf *err)
{
	struct dns_answers a;
	enum dns_status st;
	size_t i;

	for (i = 0; i < recs->n; i++) {
		recs->v[i].verdict = DOMAIN_CHECK_UNCHECKED;
		dns_answers_free(&recs->v[i].current);
	}
	for (recs->checked = 0; recs->checked < recs->n; recs->checked++) {
		struct domain_check_record *r = &recs->v[recs->checked];
		enum dns_rrtype t = r->kind == DOMAIN_CHECK_MX ? DNS_RR_MX : DNS_RR_TXT;

		st = dns->query(dns->arg, r->name, t, &a, err);
		if (st == DNS_TEMPFAIL || st == DNS_BADNAME) {
			dns_answers_free(&a);
			return DOMAIN_CHECK_FAILED;
		}
		domain_check_judge(r, &a);
		dns_answers_free(&a);
	}
	return domain_check_bad(recs) > 0 ? DOMAIN_CHECK_DRIFT : DOMAIN_CHECK_MATCH;
}

size_t domain_check_bad(const struct domain_check_records *recs)
{
	size_t i, n = 0;

	for (i = 0; i < recs->n; i++)
		n += recs->v[i].verdict == DOMAIN_CHECK_WRONG ||
		     recs->v[i].verdict == DOMAIN_CHECK_MISSING;
	return n;
}

/* ---- lookups through dns.c ---------------------------------------------- */

static enum dns_status domain_check_dns_query(void *arg, const char *name, enum dns_rrtype type,
					      struct dns_answers *out, struct strbuf *err)
{
	return dns_query(arg, name, type, out, err);
}

struct domain_check_lookup domain_check_resolver(struct dns_resolver *r)
{
	struct domain_check_lookup l = { domain_check_dns_query, r };

	return l;
}

/* ---- showing ------------------------------------------------------------- */

/* Appends s to out quoted (TXT) or bare, non-printing bytes as '?'. */
static void domain_check_show(struct strbuf *out, const char *s, bool quote)
{
	if (quote)
		strbuf_appendc(out, '"');
	for (; *s != '\0'; s++)
		strbuf_appendc(out, isprint((unsigned char)*s) ? *s : '?');
	if (quote)
		strbuf_appendc(out, '"');
}

void domain_check_show_expected(struct strbuf *out, const struct domain_check_record *r)
{
	domain_check_show(out, r->value, r->kind != DOMAIN_CHECK_MX);
}

void domain_check_show_current(struct strbuf *out, const struct domain_check_record *r)
{
	size_t i;

	for (i = 0; i < r->current.n; i++) {
		if (i > 0)
			strbuf_appends(out, " | ");
		domain_check_show(out, r->current.v[i], r->kind != DOMAIN_CHECK_MX);
	}
	if (r->current.n == 0)
		strbuf_appends(out, "(none)");
}

const char *domain_check_kind_name(enum domain_check_kind kind)
{
	static const char *const names[] = { "DKIM", "SPF", "DMARC", "MX" };

	return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}

const char *domain_check_type_name(enum domain_check_kind kind)
{
	return kind == DOMAIN_CHECK_MX ? "MX" : "TXT";
}

const char *domain_check_verdict_name(enum domain_check_verdict v)
{
	static const char *const names[] = { "unchecked", "ok", "MISSING", "WRONG" };

	return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "?";
}
