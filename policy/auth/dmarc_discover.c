/*
 * dmarc_discover - RFC 9989 tree walks and record grammar; see
 * dmarc_discover.h.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarc_discover.h"
#include "psl.h"

/* What _dmarc.NAME held: one DMARC record, none (or several), or no answer. */
struct dmarc_walk_entry {
	char *name;
	enum dmarc_walk_status status;
	char *txt;		/* DMARC_WALK_FOUND only */
};

static char *dmarc_xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		abort();
	return d;
}

/* ---- the record grammar ---- */

static const char *dmarc_skip_wsp(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++;
	return s;
}

static const char *dmarc_trim_end(const char *s, const char *end)
{
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' ||
			   end[-1] == '\n'))
		end--;
	return end;
}

static bool dmarc_value_is(const char *v, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(v, word, n) == 0;
}

/* none, quarantine or reject; false for anything else. */
static bool dmarc_policy_value(const char *v, size_t n, enum dmarc_eval_policy *out)
{
	if (dmarc_value_is(v, n, "none"))
		*out = DMARC_EVAL_P_NONE;
	else if (dmarc_value_is(v, n, "quarantine"))
		*out = DMARC_EVAL_P_QUARANTINE;
	else if (dmarc_value_is(v, n, "reject"))
		*out = DMARC_EVAL_P_REJECT;
	else
		return false;
	return true;
}

/* True when u[0..e) is a URI with a scheme ("mailto:x"), blanks around it allowed. */
static bool dmarc_is_uri(const char *u, const char *e)
{
	u = dmarc_skip_wsp(u, e);
	e = dmarc_trim_end(u, e);
	if (u == e || !isalpha((unsigned char)*u))
		return false;
	while (u < e && (isalnum((unsigned char)*u) || *u == '+' || *u == '-' || *u == '.'))
		u++;
	return u + 1 < e && *u == ':';
}

/* True when the rua= list v[0..n) holds at least one URI. */
static bool dmarc_rua_has_uri(const char *v, size_t n)
{
	const char *end = v + n;

	for (;;) {
		const char *comma = memchr(v, ',', (size_t)(end - v));

		if (dmarc_is_uri(v, comma != NULL ? comma : end))
			return true;
		if (comma == NULL)
			return false;
		v = comma + 1;
	}
}

/* What makes a record unusable, read before it is judged as a whole. */
struct dmarc_tags {
	bool p_bad, sp_bad, np_bad, rua_uri;
};

/* The tags RFC 9989 defines that a receiver reads (fo=, ruf= are for reports). */
enum dmarc_tag_id { TAG_P, TAG_SP, TAG_NP, TAG_ADKIM, TAG_ASPF, TAG_T, TAG_PSD, TAG_RUA, TAG_NONE };

static enum dmarc_tag_id dmarc_tag_id(const char *name, size_t nl)
{
	static const char *const names[] = {
		[TAG_P] = "p", [TAG_SP] = "sp", [TAG_NP] = "np", [TAG_ADKIM] = "adkim",
		[TAG_ASPF] = "aspf", [TAG_T] = "t", [TAG_PSD] = "psd", [TAG_RUA] = "rua",
	};
	size_t i;

	for (i = 0; i < TAG_NONE; i++)
		if (dmarc_value_is(name, nl, names[i]))
			return (enum dmarc_tag_id)i;
	return TAG_NONE;
}

/* Applies one tag name[0..nl) = v[0..vl); the first of a repeated tag counts. */
static void dmarc_tag(const char *name, size_t nl, const char *v, size_t vl,
		      struct dmarc_record *r, struct dmarc_tags *t, unsigned *seen)
{
	enum dmarc_tag_id id = dmarc_tag_id(name, nl);

	if (id == TAG_NONE || (*seen & (1u << id)) != 0)
		return;	/* unknown, retired (pct, rf, ri) or repeated: ignored */
	*seen |= 1u << id;
	switch (id) {
	case TAG_P:
		t->p_bad = !dmarc_policy_value(v, vl, &r->p);
		break;
	case TAG_SP:
		r->have_sp = dmarc_policy_value(v, vl, &r->sp);
		t->sp_bad = !r->have_sp;
		break;
	case TAG_NP:
		r->have_np = dmarc_policy_value(v, vl, &r->np);
		t->np_bad = !r->have_np;
		break;
	case TAG_ADKIM:
		r->strict_dkim = dmarc_value_is(v, vl, "s");
		break;
	case TAG_ASPF:
		r->strict_spf = dmarc_value_is(v, vl, "s");
		break;
	case TAG_T:
		r->testing = dmarc_value_is(v, vl, "y");
		break;
	case TAG_PSD:
		r->psd = dmarc_value_is(v, vl, "y") ? DMARC_PSD_YES :
			 dmarc_value_is(v, vl, "n") ? DMARC_PSD_NO : DMARC_PSD_UNKNOWN;
		break;
	case TAG_RUA:
		t->rua_uri = dmarc_rua_has_uri(v, vl);
		break;
	case TAG_NONE:
		break;
	}
}

/* Reads "v = DMARC1" at s; returns the rest (at ';' or the end) or NULL. */
static const char *dmarc_version(const char *s, const char *end)
{
	s = dmarc_skip_wsp(s, end);
	if (s >= end || *s != 'v')
		return NULL;
	s = dmarc_skip_wsp(s + 1, end);
	if (s >= end || *s != '=')
		return NULL;
	s = dmarc_skip_wsp(s + 1, end);
	if (end - s < 6 || strncmp(s, "DMARC1", 6) != 0)
		return NULL;
	s = dmarc_skip_wsp(s + 6, end);
	return s == end || *s == ';' ? s : NULL;
}

enum dmarc_record_status dmarc_record_parse(const char *txt, struct dmarc_record *out)
{
	const char *end = txt + strlen(txt), *s;
	struct dmarc_tags t = { false, false, false, false };
	unsigned seen = 0;

	memset(out, 0, sizeof *out);
	out->p = out->sp = out->np = DMARC_EVAL_P_NONE;
	s = dmarc_version(txt, end);
	if (s == NULL)
		return DMARC_RECORD_NOT_DMARC;
	while (s < end) {
		const char *spec = s + 1, *semi, *eq, *ne, *v;

		semi = memchr(spec, ';', (size_t)(end - spec));
		s = semi != NULL ? semi : end;
		eq = memchr(spec, '=', (size_t)(s - spec));
		if (eq == NULL)
			continue; /* an empty or malformed tag-spec asks for nothing */
		spec = dmarc_skip_wsp(spec, eq);
		ne = dmarc_trim_end(spec, eq);
		v = dmarc_skip_wsp(eq + 1, s);
		dmarc_tag(spec, (size_t)(ne - spec), v, (size_t)(dmarc_trim_end(v, s) - v), out,
			  &t, &seen);
	}
	if (!out->have_sp)
		out->sp = out->p;
	if (!t.p_bad && !t.sp_bad && !t.np_bad)
		return DMARC_RECORD_OK;
	if (!t.rua_uri)
		return DMARC_RECORD_UNUSABLE;
	/* RFC 9989: as if the record said p=none, so reports still flow */
	out->p = out->sp = out->np = DMARC_EVAL_P_NONE;
	out->have_sp = out->have_np = false;
	return DMARC_RECORD_OK;
}

/* ---- the walk ---- */

void dmarc_walk_init(struct dmarc_walk *w, dmarc_eval_query_fn query, void *arg)
{
	memset(w, 0, sizeof *w);
	w->query = query;
	w->arg = arg;
}

void dmarc_walk_free(struct dmarc_walk *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		free(w->v[i].name);
		free(w->v[i].txt);
	}
	free(w->v);
	w->v = NULL;
	w->n = 0;
}

static size_t dmarc_labels(const char *domain)
{
	size_t n = 1;

	for (; *domain != '\0'; domain++)
		n += *domain == '.';
	return n;
}

/* The suffix of domain made of its n rightmost labels (n at most its count). */
static const char *dmarc_suffix(const char *domain, size_t n)
{
	size_t skip = dmarc_labels(domain) - n;

	while (skip-- > 0)
		domain = strchr(domain, '.') + 1;
	return domain;
}

const char *dmarc_walk_next(const char *domain)
{
	size_t x = dmarc_labels(domain);

	if (x <= 1)
		return NULL;
	return dmarc_suffix(domain, x < 8 ? x - 1 : 7);
}

/* Asks for _dmarc.domain once per walk; the entry remembers the answer. */
static const struct dmarc_walk_entry *dmarc_walk_ask(struct dmarc_walk *w, const char *domain)
{
	struct strbuf name = STRBUF_INIT;
	struct dmarc_walk_entry *e;
	struct dns_answers a;
	struct dmarc_record r;
	enum dns_status st;
	size_t i, found = 0;

	for (i = 0; i < w->n; i++)
		if (strcmp(w->v[i].name, domain) == 0)
			return &w->v[i];
	w->v = realloc(w->v, (w->n + 1) * sizeof *w->v);
	if (w->v == NULL)
		abort();
	e = &w->v[w->n++];
	e->name = dmarc_xstrdup(domain);
	e->txt = NULL;
	strbuf_appendf(&name, "_dmarc.%s", domain);
	w->queries++;
	st = w->query(w->arg, strbuf_cstr(&name), DNS_RR_TXT, &a);
	strbuf_free(&name);
	for (i = 0; st == DNS_OK && i < a.n; i++) {
		if (dmarc_record_parse(a.v[i], &r) == DMARC_RECORD_NOT_DMARC)
			continue;
		if (found++ == 0)
			e->txt = dmarc_xstrdup(a.v[i]);
	}
	dns_answers_free(&a);
	if (found != 1) {	/* several records are discarded, as if there were none */
		free(e->txt);
		e->txt = NULL;
	}
	e->status = st == DNS_TEMPFAIL ? DMARC_WALK_TEMPFAIL :
		    e->txt != NULL ? DMARC_WALK_FOUND : DMARC_WALK_NONE;
	return e;
}

/* Appends the record of entry e, found at d, to at and txt. */
static enum dmarc_walk_status dmarc_use(const struct dmarc_walk_entry *e, const char *d,
					struct strbuf *at, struct strbuf *txt)
{
	strbuf_appends(at, d);
	strbuf_appends(txt, e->txt);
	return DMARC_WALK_FOUND;
}

/*
 * RFC 9989 policy discovery: the author domain's own record; failing that
 * the record of its organisational domain (a walk that goes on past
 * intermediate records, to the name of fewest labels or a psd= tag); and
 * failing that the public suffix domain's (psd=y) record.
 */
enum dmarc_walk_status dmarc_discover_policy(struct dmarc_walk *w, const char *domain,
					     struct strbuf *at, struct strbuf *txt)
{
	const struct dmarc_walk_entry *e = dmarc_walk_ask(w, domain);
	enum dmarc_walk_status st = DMARC_WALK_NONE;
	struct strbuf org = STRBUF_INIT;
	const char *d;

	if (e->status == DMARC_WALK_FOUND)
		return dmarc_use(e, domain, at, txt);
	if (e->status == DMARC_WALK_TEMPFAIL)
		return DMARC_WALK_TEMPFAIL;
	if (dmarc_discover_org(w, domain, &org) == DMARC_WALK_TEMPFAIL) {
		strbuf_free(&org);
		return DMARC_WALK_TEMPFAIL;
	}
	if (strcmp(strbuf_cstr(&org), domain) != 0) {
		e = dmarc_walk_ask(w, strbuf_cstr(&org));
		if (e->status == DMARC_WALK_FOUND)
			st = dmarc_use(e, e->name, at, txt);
		else if (e->status == DMARC_WALK_TEMPFAIL)
			st = DMARC_WALK_TEMPFAIL;
	}
	/* the walk's answers are kept: this asks nothing new up to its psd= stop */
	for (d = dmarc_walk_next(domain); st == DMARC_WALK_NONE && d != NULL;
	     d = dmarc_walk_next(d)) {
		struct dmarc_record r;

		e = dmarc_walk_ask(w, d);
		if (e->status != DMARC_WALK_FOUND)
			continue;
		dmarc_record_parse(e->txt, &r);
		if (r.psd == DMARC_PSD_YES)
			st = dmarc_use(e, d, at, txt);
		if (r.psd != DMARC_PSD_UNKNOWN)
			break;
	}
	strbuf_free(&org);
	return st;
}

enum dmarc_walk_status dmarc_discover_org(struct dmarc_walk *w, const char *domain,
					  struct strbuf *org)
{
	const char *d, *fewest = domain;

	for (d = domain; d != NULL; d = dmarc_walk_next(d)) {
		const struct dmarc_walk_entry *e = dmarc_walk_ask(w, d);
		struct dmarc_record r;

		if (e->status == DMARC_WALK_TEMPFAIL)
			return DMARC_WALK_TEMPFAIL;
		if (e->status != DMARC_WALK_FOUND)
			continue;
		dmarc_record_parse(e->txt, &r);
		if (r.psd == DMARC_PSD_NO) {
			fewest = d;
			break;
		}
		if (r.psd == DMARC_PSD_YES && d != domain) {
			/* a public suffix domain: the organisation is one label below */
			fewest = dmarc_suffix(domain, dmarc_labels(d) + 1);
			break;
		}
		fewest = d;
	}
	strbuf_appends(org, fewest);
	return DMARC_WALK_FOUND;
}

/* True when a and b share at least their rightmost label. */
static bool dmarc_same_top(const char *a, const char *b)
{
	const char *ta = strrchr(a, '.'), *tb = strrchr(b, '.');

	return strcmp(ta != NULL ? ta + 1 : a, tb != NULL ? tb + 1 : b) == 0;
}

bool dmarc_walk_aligned(struct dmarc_walk *w, const char *from_domain,
			const char *auth_domain, bool strict, bool *temp)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, oa = STRBUF_INIT, ob = STRBUF_INIT;
	bool ok = psl_normalize(from_domain, &a) && psl_normalize(auth_domain, &b);

	if (ok && strcmp(strbuf_cstr(&a), strbuf_cstr(&b)) != 0) {
		/* names under different top-level domains never share an organisation */
		ok = !strict && dmarc_same_top(strbuf_cstr(&a), strbuf_cstr(&b)) &&
		     w->queries + 2 * DMARC_WALK_MAX_QUERIES <= DMARC_WALK_MAX_MESSAGE_QUERIES;
		if (ok && (dmarc_discover_org(w, strbuf_cstr(&a), &oa) == DMARC_WALK_TEMPFAIL ||
			   dmarc_discover_org(w, strbuf_cstr(&b), &ob) == DMARC_WALK_TEMPFAIL)) {
			*temp = true;
			ok = false;
		}
		ok = ok && strcmp(strbuf_cstr(&oa), strbuf_cstr(&ob)) == 0;
	}
	strbuf_free(&a);
	strbuf_free(&b);
	strbuf_free(&oa);
	strbuf_free(&ob);
	return ok;
}

bool dmarc_domain_missing(struct dmarc_walk *w, const char *domain)
{
	struct dns_answers a;
	enum dns_status st;

	/* RFC 9989 (as RFC 8020): only NXDOMAIN says a name does not exist */
	w->queries++;
	st = w->query(w->arg, domain, DNS_RR_A, &a);
	dns_answers_free(&a);
	return st == DNS_NXDOMAIN;
}
