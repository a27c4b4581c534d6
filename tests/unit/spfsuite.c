/*
 * spfsuite - SPF scenarios from a file through spf_check; see spfsuite.h.
 *
 * The zone answers as a DNS server would: names are matched without case
 * and without a final dot, a CNAME is followed (a few levels), a name
 * with records of other types only gives "no data", an unknown name
 * NXDOMAIN, and a TIMEOUT entry a temporary failure.
 */
#include "autoconf.h"

#include "spfsuite.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "spf_check.h"
#include "strbuf.h"

#define SPFSUITE_MAX_RESULTS 4
#define SPFSUITE_CNAME_DEPTH 4
#define SPFSUITE_TTL 3600

enum spfsuite_type {
	SPFSUITE_A = DNS_RR_A,
	SPFSUITE_AAAA = DNS_RR_AAAA,
	SPFSUITE_MX = DNS_RR_MX,
	SPFSUITE_TXT = DNS_RR_TXT,
	SPFSUITE_PTR = DNS_RR_PTR,
	SPFSUITE_CNAME,
	SPFSUITE_TIMEOUT,
	SPFSUITE_ANY, /* TIMEOUT of every type */
};

struct spfsuite_rr {
	char *name; /* lower case, no final dot */
	enum spfsuite_type type;
	enum spfsuite_type of; /* TIMEOUT only: the type, or SPFSUITE_ANY */
	char *value;
	unsigned pref;
};

struct spfsuite_zone {
	struct spfsuite_rr *v;
	size_t n;
};

struct spfsuite_test {
	char *id;
	char *host, *helo, *mailfrom, *exp;
	bool exp_default;
	char *results[SPFSUITE_MAX_RESULTS];
	size_t nresults;
	unsigned line;
};

struct spfsuite_known {
	char **ids;
	size_t n;
};

static const struct {
	const char *name;
	enum spfsuite_type type;
} spfsuite_types[] = {
	{ "A", SPFSUITE_A },	   { "AAAA", SPFSUITE_AAAA },	  { "MX", SPFSUITE_MX },
	{ "TXT", SPFSUITE_TXT },   { "PTR", SPFSUITE_PTR },	  { "CNAME", SPFSUITE_CNAME },
	{ "TIMEOUT", SPFSUITE_TIMEOUT },
};

static void *spfsuite_xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL)
		abort();
	return p;
}

/* A copy of s with \xNN and \\ decoded.  Caller frees. */
static char *spfsuite_unescape(const char *s)
{
	struct strbuf b = STRBUF_INIT;
	char hex[3] = { 0, 0, 0 };

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] == 'x' && isxdigit((unsigned char)s[2]) &&
		    isxdigit((unsigned char)s[3])) {
			memcpy(hex, s + 2, 2);
			/* dns.c shows a NUL byte of a TXT record as '?' */
			strbuf_appendc(&b, strtoul(hex, NULL, 16) == 0 ? '?' : (char)strtoul(hex, NULL, 16));
			s += 4;
		} else if (s[0] == '\\' && s[1] == '\\') {
			strbuf_appendc(&b, '\\');
			s += 2;
		} else {
			strbuf_appendc(&b, *s++);
		}
	}
	if (b.len == 0)
		strbuf_appends(&b, "");
	return strbuf_detach(&b);
}

/* A DNS name as the zone keys it: lower case, no final dot.  Caller frees. */
static char *spfsuite_key(const char *name)
{
	char *k = strdup(name);
	size_t i, len;

	if (k == NULL)
		abort();
	len = strlen(k);
	if (len > 0 && k[len - 1] == '.')
		k[len - 1] = '\0';
	for (i = 0; k[i] != '\0'; i++)
		k[i] = (char)tolower((unsigned char)k[i]);
	return k;
}

static void spfsuite_zone_clear(struct spfsuite_zone *z)
{
	size_t i;

	for (i = 0; i < z->n; i++) {
		free(z->v[i].name);
		free(z->v[i].value);
	}
	free(z->v);
	memset(z, 0, sizeof *z);
}

/* Appends one answer to out. */
static void spfsuite_answer(struct dns_answers *out, const struct spfsuite_rr *rr)
{
	out->v = spfsuite_xrealloc(out->v, (out->n + 1) * sizeof *out->v);
	out->prefs = spfsuite_xrealloc(out->prefs, (out->n + 1) * sizeof *out->prefs);
	out->v[out->n] = strdup(rr->value);
	if (out->v[out->n] == NULL)
		abort();
	out->prefs[out->n] = rr->pref;
	out->ttl = SPFSUITE_TTL;
	out->n++;
}

/* Answers key/type from z, following CNAMEs depth levels deep. */
static enum dns_status spfsuite_answers(const struct spfsuite_zone *z, const char *key,
					enum dns_rrtype type, struct dns_answers *out,
					unsigned depth)
{
	const char *cname = NULL;
	bool exists = false, timeout = false;
	size_t i;

	for (i = 0; i < z->n; i++) {
		const struct spfsuite_rr *rr = &z->v[i];

		if (strcmp(rr->name, key) != 0)
			continue;
		exists = true;
		if (rr->type == SPFSUITE_TIMEOUT)
			timeout |= rr->of == SPFSUITE_ANY || rr->of == (enum spfsuite_type)type;
		else if (rr->type == SPFSUITE_CNAME)
			cname = rr->value;
		else if (rr->type == (enum spfsuite_type)type)
			spfsuite_answer(out, rr);
	}
	if (out->n > 0)
		return DNS_OK;
	if (timeout)
		return DNS_TEMPFAIL;
	if (cname != NULL && depth > 0) {
		char *k = spfsuite_key(cname);
		enum dns_status st = spfsuite_answers(z, k, type, out, depth - 1);

		free(k);
		return st;
	}
	return exists ? DNS_NODATA : DNS_NXDOMAIN;
}

/* The zone as a lookup: see struct spf_check_lookup. */
static enum dns_status spfsuite_query(void *arg, const char *name, enum dns_rrtype type,
				      struct dns_answers *out, struct strbuf *err)
{
	char *key = spfsuite_key(name);
	enum dns_status st;

	memset(out, 0, sizeof *out);
	st = spfsuite_answers(arg, key, type, out, SPFSUITE_CNAME_DEPTH);
	if (st == DNS_TEMPFAIL)
		strbuf_appendf(err, "%s: timeout", key);
	free(key);
	return st;
}

/* Adds "NAME TYPE VALUE" (args) to z; false if it does not parse. */
static bool spfsuite_zone_add(struct spfsuite_zone *z, char *args)
{
	char *name = strtok(args, " "), *type = strtok(NULL, " "), *value = strtok(NULL, "");
	struct spfsuite_rr rr = { 0 };
	size_t i;

	if (name == NULL || type == NULL)
		return false;
	for (i = 0; i < sizeof spfsuite_types / sizeof spfsuite_types[0]; i++)
		if (strcmp(type, spfsuite_types[i].name) == 0)
			break;
	if (i == sizeof spfsuite_types / sizeof spfsuite_types[0])
		return false;
	rr.type = spfsuite_types[i].type;
	rr.of = SPFSUITE_ANY;
	if (rr.type == SPFSUITE_TIMEOUT && value != NULL) {
		for (i = 0; i < sizeof spfsuite_types / sizeof spfsuite_types[0]; i++)
			if (strcmp(value, spfsuite_types[i].name) == 0)
				rr.of = spfsuite_types[i].type;
		value = NULL;
	} else if (value == NULL) {
		value = ""; /* an empty TXT record */
	}
	if (rr.type == SPFSUITE_MX) {
		char *end;

		rr.pref = (unsigned)strtoul(value, &end, 10);
		if (end == value || *end != ' ')
			return false;
		value = end + 1;
	}
	{
		char *raw = spfsuite_unescape(name);

		rr.name = spfsuite_key(raw);
		free(raw);
	}
	rr.value = spfsuite_unescape(value != NULL ? value : "");
	z->v = spfsuite_xrealloc(z->v, (z->n + 1) * sizeof *z->v);
	z->v[z->n++] = rr;
	return true;
}

static void spfsuite_test_clear(struct spfsuite_test *t)
{
	size_t i;

	free(t->id);
	free(t->host);
	free(t->helo);
	free(t->mailfrom);
	free(t->exp);
	for (i = 0; i < t->nresults; i++)
		free(t->results[i]);
	memset(t, 0, sizeof *t);
}

/* Reads the known-failures file; a missing path gives an empty list. */
static void spfsuite_known_load(struct spfsuite_known *k, const char *path,
				struct spfsuite_counts *c)
{
	char *line = NULL, *id;
	size_t cap = 0;
	FILE *f;

	memset(k, 0, sizeof *k);
	if (path == NULL)
		return;
	f = fopen(path, "r");
	if (f == NULL) {
		c->bad_lines++;
		return;
	}
	while (getline(&line, &cap, f) != -1) {
		id = strtok(line, " \t\r\n");
		if (id == NULL || id[0] == '#')
			continue;
		k->ids = spfsuite_xrealloc(k->ids, (k->n + 1) * sizeof *k->ids);
		k->ids[k->n] = strdup(id);
		if (k->ids[k->n++] == NULL)
			abort();
	}
	free(line);
	fclose(f);
}

static bool spfsuite_known_has(const struct spfsuite_known *k, const char *id)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (strcmp(k->ids[i], id) == 0)
			return true;
	return false;
}

static void spfsuite_known_free(struct spfsuite_known *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->ids[i]);
	free(k->ids);
}

/* True if the explanation of a fail is the one t wants. */
static bool spfsuite_exp_ok(const struct spfsuite_test *t, const char *got)
{
	if (t->exp_default)
		return strstr(got, " is not one of ") != NULL &&
		       strstr(got, " designated mail servers") != NULL;
	return t->exp == NULL || strcmp(t->exp, got) == 0;
}

/* Runs t; true if it passed.  Reports a failure to out. */
static bool spfsuite_test_run(struct spf_checker *chk, const struct spfsuite_test *t,
			      bool known, FILE *out)
{
	struct strbuf why = STRBUF_INIT;
	const char *from = t->mailfrom != NULL && t->mailfrom[0] != '\0' ? t->mailfrom : NULL;
	enum spf_check_result r;
	const char *got;
	bool ok = false;
	size_t i;

	r = spf_check_mailfrom(chk, t->host, t->helo, from, &why);
	got = spf_check_result_name(r);
	for (i = 0; i < t->nresults; i++)
		if (strcmp(got, t->results[i]) == 0)
			ok = true;
	if (ok && r == SPF_CHECK_FAIL)
		ok = spfsuite_exp_ok(t, strbuf_cstr(&why));
	if (!ok)
		fprintf(out, "%s%s (line %u): got %s (%s), want %s%s%s%s\n", known ? "known: " : "",
			t->id, t->line, got, strbuf_cstr(&why), t->results[0],
			t->nresults > 1 ? " or another listed" : "",
			t->exp != NULL ? " with explanation " : "", t->exp != NULL ? t->exp : "");
	strbuf_free(&why);
	return ok;
}

/* Runs the pending test t, if any, and counts it. */
static void spfsuite_flush(struct spf_checker *chk, struct spfsuite_test *t,
			   const struct spfsuite_known *k, struct spfsuite_counts *c, FILE *out)
{
	bool known, ok;

	if (t->id == NULL)
		return;
	if (t->host == NULL || t->nresults == 0) {
		fprintf(out, "%s (line %u): no host or no result\n", t->id, t->line);
		c->bad_lines++;
		spfsuite_test_clear(t);
		return;
	}
	known = spfsuite_known_has(k, t->id);
	ok = spfsuite_test_run(chk, t, known, out);
	c->total++;
	if (ok)
		c->passed++;
	if (ok && known) {
		c->known_passed++;
		fprintf(out, "%s: listed as a known failure, but passes\n", t->id);
	} else if (!ok) {
		if (known)
			c->known++;
		else
			c->unlisted++;
	}
	spfsuite_test_clear(t);
}

/* Sets field *f of the pending test to the decoded arg; false if no test. */
static bool spfsuite_set(struct spfsuite_test *t, char **f, const char *arg)
{
	if (t->id == NULL)
		return false;
	free(*f);
	*f = spfsuite_unescape(arg != NULL ? arg : "");
	return true;
}

/* Handles one line of a scenario; false if it does not parse. */
static bool spfsuite_line(struct spf_checker *chk, char *line, unsigned lineno,
			  struct spfsuite_zone *z, struct spfsuite_test *t,
			  const struct spfsuite_known *k, struct spfsuite_counts *c, FILE *out)
{
	char *key = strtok(line, " "), *arg = strtok(NULL, "");

	if (key == NULL || key[0] == '#')
		return true;
	if (strcmp(key, "zone") == 0 || strcmp(key, "test") == 0) {
		spfsuite_flush(chk, t, k, c, out);
		if (key[0] == 'z') {
			spfsuite_zone_clear(z);
			return true;
		}
		t->line = lineno;
		t->id = spfsuite_unescape(arg != NULL ? arg : "");
		return arg != NULL;
	}
	if (strcmp(key, "rr") == 0)
		return arg != NULL && spfsuite_zone_add(z, arg);
	if (strcmp(key, "host") == 0)
		return spfsuite_set(t, &t->host, arg);
	if (strcmp(key, "helo") == 0)
		return spfsuite_set(t, &t->helo, arg);
	if (strcmp(key, "mailfrom") == 0)
		return spfsuite_set(t, &t->mailfrom, arg);
	if (strcmp(key, "exp") == 0)
		return spfsuite_set(t, &t->exp, arg);
	if (strcmp(key, "exp-default") == 0) {
		t->exp_default = true;
		return t->id != NULL;
	}
	if (strcmp(key, "result") == 0 && t->id != NULL && arg != NULL) {
		char *r;

		for (r = strtok(arg, " "); r != NULL && t->nresults < SPFSUITE_MAX_RESULTS;
		     r = strtok(NULL, " "))
			t->results[t->nresults++] = spfsuite_unescape(r);
		return t->nresults > 0;
	}
	return false;
}

struct spfsuite_counts spfsuite_run(const char *suite_path, const char *known_path, FILE *out)
{
	struct spfsuite_counts c = { 0 };
	struct spfsuite_zone z = { 0 };
	struct spfsuite_test t = { 0 };
	struct spfsuite_known k;
	struct spf_check_lookup l = { spfsuite_query, &z };
	struct spf_checker *chk;
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	ssize_t n;
	FILE *f;

	spfsuite_known_load(&k, known_path, &c);
	chk = spf_checker_new_lookup(&l);
	f = fopen(suite_path, "r");
	if (f == NULL || chk == NULL) {
		fprintf(out, "cannot read %s\n", suite_path);
		c.bad_lines++;
	}
	while (f != NULL && (n = getline(&line, &cap, f)) != -1) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!spfsuite_line(chk, line, lineno, &z, &t, &k, &c, out)) {
			fprintf(out, "%s:%u: cannot parse this line\n", suite_path, lineno);
			c.bad_lines++;
		}
	}
	spfsuite_flush(chk, &t, &k, &c, out);
	if (f != NULL)
		fclose(f);
	free(line);
	spf_checker_free(chk);
	spfsuite_zone_clear(&z);
	spfsuite_known_free(&k);
	return c;
}
