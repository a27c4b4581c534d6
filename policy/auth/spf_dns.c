/*
 * spf_dns - libspf2 lookups through policy/util/dns.c; see spf_dns.h.
 */
#include "autoconf.h"

#include "spf_dns.h"
#include "xalloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns.h"
#include "spf_record.h"

/* RFC 7208 4.6.4: lookups by terms, and those that found nothing. */
#define SPF_DNS_MAX_LOOKUPS 10
#define SPF_DNS_MAX_VOID 2
/* Host names from MX and PTR answers whose address lookups are not terms. */
#define SPF_DNS_MAX_HOSTS 64
#define SPF_DNS_NAME_MAX 253
#define SPF_DNS_LABEL_MAX 63

/* Maps a libspf2 query type to ours; false for types we do not ask. */
static bool spf_dns_type(ns_type t, enum dns_rrtype *out)
{
	switch ((int)t) {
	case ns_t_a:
		*out = DNS_RR_A;
		return true;
	case ns_t_aaaa:
		*out = DNS_RR_AAAA;
		return true;
	case ns_t_mx:
		*out = DNS_RR_MX;
		return true;
	case ns_t_txt:
		*out = DNS_RR_TXT;
		return true;
	case ns_t_ptr:
		*out = DNS_RR_PTR;
		return true;
	default:
		return false;
	}
}

/* Stores answer text s as record idx of rr; false when it does not fit the type. */
static bool spf_dns_store(SPF_dns_rr_t *rr, int idx, ns_type t, const char *s)
{
	size_t len = strlen(s);

	if (t == ns_t_a) {
		struct in_addr a;

		if (inet_pton(AF_INET, s, &a) != 1 || SPF_dns_rr_buf_realloc(rr, idx, sizeof a) != 0)
			return false;
		rr->rr[idx]->a = a;
		return true;
	}
	if (t == ns_t_aaaa) {
		struct in6_addr a6;

		if (inet_pton(AF_INET6, s, &a6) != 1 ||
		    SPF_dns_rr_buf_realloc(rr, idx, sizeof a6) != 0)
			return false;
		rr->rr[idx]->aaaa = a6;
		return true;
	}
	/* mx, ptr and txt are strings in the same place of the union */
	if (SPF_dns_rr_buf_realloc(rr, idx, len + 1) != 0)
		return false;
	memcpy(rr->rr[idx]->txt, s, len + 1);
	return true;
}

/* The status libspf2 expects for ours. */
static SPF_dns_stat_t spf_dns_herrno(enum dns_status st)
{
	switch (st) {
	case DNS_OK:
		return NETDB_SUCCESS;
	case DNS_NXDOMAIN:
		return HOST_NOT_FOUND;
	case DNS_NODATA:
		return NO_DATA;
	default:
		return TRY_AGAIN;
	}
}

/* Per-layer state: how to ask, and what the running check has asked. */
struct spf_dns_state {
	struct spf_check_lookup lookup;
	struct dns_resolver *resolver; /* owned; NULL for a caller's lookup */
	/* the running check: see spf_dns_layer_begin */
	bool record_seen; /* the first SPF record lookup is not a term's */
	unsigned lookups, voids;
	char *hosts[SPF_DNS_MAX_HOSTS]; /* from MX and PTR answers */
	size_t nhosts;
	const char *error; /* why the check is a permerror, or NULL */
	char *exp_text;	   /* the explanation fetched, if one TXT record */
	char *exp_domain;  /* the last domain whose record has exp= */
	size_t exp_texts;  /* TXT records of the explanation fetched */
	bool ipv6;	   /* the client's family, for spf_record_rewrite */
};

/* Replaces *slot with a copy of s (NULL allowed). */
static void spf_dns_keep(char **slot, const char *s)
{
	free(*slot);
	*slot = NULL;
	if (s != NULL)
		*slot = xstrdup(s);
}

/*
 * True if name can be asked: at most 253 bytes without the final dot,
 * labels of 1 to 63 bytes, printable ASCII without blanks or '%'.  A
 * name that cannot be asked names nothing: RFC 7208 makes it no match
 * (4.3, 4.8), never a temporary error.
 */
static bool spf_dns_name_ok(const char *name)
{
	size_t i, len = strlen(name), label = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > SPF_DNS_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (c <= ' ' || c >= 0x7f || c == '%' || ++label > SPF_DNS_LABEL_MAX)
			return false;
	}
	return label > 0;
}

/* True if name (any case) came from an MX or PTR answer of this check. */
static bool spf_dns_is_host(const struct spf_dns_state *ds, const char *name)
{
	size_t i;

	for (i = 0; i < ds->nhosts; i++)
		if (strcasecmp(ds->hosts[i], name) == 0)
			return true;
	return false;
}

/*
 * Counts a lookup against the limits of RFC 7208 4.6.4 before it is made:
 * every TXT lookup but the first (include, redirect), MX, PTR, and A or
 * AAAA lookups other than of MX and PTR answers (a, exists).  TXT lookups
 * of explanations are not terms; they are told apart by their answer
 * (spf_dns_count_void) and uncounted there.  False once over the limit.
 */
static bool spf_dns_count(struct spf_dns_state *ds, ns_type t, const char *name)
{
	if (t == ns_t_txt && !ds->record_seen) {
		ds->record_seen = true;
		return true;
	}
	if ((t == ns_t_a || t == ns_t_aaaa) && spf_dns_is_host(ds, name))
		return true;
	if (t == ns_t_txt) {
		ds->lookups++; /* judged by the answer: spf_dns_check_txt */
		return ds->error == NULL;
	}
	if (++ds->lookups > SPF_DNS_MAX_LOOKUPS && ds->error == NULL)
		ds->error = "more than 10 DNS lookups";
	return ds->error == NULL;
}

/* Counts an empty answer of a counted lookup; records hosts of MX/PTR answers. */
static void spf_dns_after(struct spf_dns_state *ds, ns_type t, enum dns_status st,
			  const struct dns_answers *a, bool counted)
{
	size_t i;

	if ((t == ns_t_mx || t == ns_t_ptr) && st == DNS_OK)
		for (i = 0; i < a->n && ds->nhosts < SPF_DNS_MAX_HOSTS; i++) {
			ds->hosts[ds->nhosts] = xstrdup(a->v[i]);
			ds->nhosts++;
		}
	/*
	 * A TXT lookup that finds nothing is an include (libspf2 makes that a
	 * permerror by itself) or an explanation (not a term): not counted.
	 */
	if (!counted || t == ns_t_txt || (st != DNS_NXDOMAIN && st != DNS_NODATA))
		return;
	if (++ds->voids > SPF_DNS_MAX_VOID && ds->error == NULL)
		ds->error = "more than 2 void DNS lookups";
}

/*
 * Checks the SPF records of a TXT answer: a record that does not parse
 * makes the check a permerror and reaches libspf2 as "v=spf1", so it
 * cannot match.  An answer without an SPF record is an explanation (or
 * nothing libspf2 will use): its lookup is taken off the count.
 */
static void spf_dns_check_txt(struct spf_dns_state *ds, const char *domain,
			      struct dns_answers *a, bool counted)
{
	const char *why;
	bool spf = false;
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (!spf_record_is_spf(a->v[i]))
			continue;
		spf = true;
		if (strcasestr(a->v[i], " exp=") != NULL)
			spf_dns_keep(&ds->exp_domain, domain);
		why = spf_record_check(a->v[i]);
		if (why == NULL) {
			char *w = spf_record_rewrite(a->v[i], ds->ipv6);

			if (w != NULL) {
				free(a->v[i]);
				a->v[i] = w;
			}
			continue;
		}
		if (ds->error == NULL)
			ds->error = why;
		a->v[i][6] = '\0';
	}
	if (!spf && a->n > 0) {
		ds->exp_texts = a->n;
		spf_dns_keep(&ds->exp_text, a->n == 1 ? a->v[0] : NULL);
	}
	if (!counted)
		return;
	if (!spf && a->n > 0)
		ds->lookups--;
	else if (ds->lookups > SPF_DNS_MAX_LOOKUPS && ds->error == NULL)
		ds->error = "more than 10 DNS lookups";
}

/* dns_query on the layer's own resolver. */
static enum dns_status spf_dns_resolver_query(void *arg, const char *name, enum dns_rrtype type,
					      struct dns_answers *out, struct strbuf *err)
{
	return dns_query(arg, name, type, out, err);
}

/* True if some address of family t (A or AAAA) is at name; uncounted. */
static bool spf_dns_has_addr(struct spf_dns_state *ds, const char *name, enum dns_rrtype t)
{
	struct strbuf err = STRBUF_INIT;
	struct dns_answers a;
	enum dns_status st;

	if (!spf_dns_name_ok(name))
		return false;
	st = ds->lookup.query(ds->lookup.arg, name, t, &a, &err);
	strbuf_free(&err);
	dns_answers_free(&a);
	return st == DNS_OK;
}

/*
 * Answers a name of spf_record_rewrite (a CIDR length of 0): base has an
 * AAAA record, or an MX host (of the first 10) with an address of the
 * family.  One answer, 127.0.0.1, or NXDOMAIN.
 */
static enum dns_status spf_dns_zero(struct spf_dns_state *ds, const char *name, size_t cut,
				    const char *suffix, struct dns_answers *out)
{
	struct strbuf err = STRBUF_INIT;
	struct dns_answers mx;
	char *base = xstrndup(name, cut);
	bool found = false;
	size_t i;

	memset(out, 0, sizeof *out);
	if (strcmp(suffix, SPF_RECORD_ZERO_AAAA) == 0) {
		found = spf_dns_has_addr(ds, base, DNS_RR_AAAA);
	} else if (spf_dns_name_ok(base) &&
		   ds->lookup.query(ds->lookup.arg, base, DNS_RR_MX, &mx, &err) == DNS_OK) {
		for (i = 0; i < mx.n && i < SPF_DNS_MAX_LOOKUPS && !found; i++)
			found = spf_dns_has_addr(ds, mx.v[i],
						 strcmp(suffix, SPF_RECORD_ZERO_MX6) == 0
							 ? DNS_RR_AAAA
							 : DNS_RR_A);
		dns_answers_free(&mx);
	} else {
		dns_answers_free(&mx);
	}
	strbuf_free(&err);
	free(base);
	if (!found)
		return DNS_NXDOMAIN;
	out->v = xcalloc(1, sizeof *out->v);
	out->prefs = xcalloc(1, sizeof *out->prefs);
	out->v[0] = xstrdup("127.0.0.1");
	out->n = 1;
	return DNS_OK;
}

/* The suffix of spf_record_rewrite that name ends in, or NULL; *cut: where. */
static const char *spf_dns_zero_suffix(const char *name, size_t *cut)
{
	static const char *const suffixes[] = { SPF_RECORD_ZERO_AAAA, SPF_RECORD_ZERO_MX4,
						SPF_RECORD_ZERO_MX6 };
	size_t i, len = strlen(name), sl;

	for (i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		sl = strlen(suffixes[i]);
		if (len > sl && strcasecmp(name + len - sl, suffixes[i]) == 0) {
			*cut = len - sl;
			return suffixes[i];
		}
	}
	return NULL;
}

/* Asks the layer's lookup, or answers a name it must not ask. */
static enum dns_status spf_dns_ask(struct spf_dns_state *ds, const char *domain, ns_type t,
				   enum dns_rrtype type, struct dns_answers *a)
{
	struct strbuf err = STRBUF_INIT;
	const char *suffix;
	enum dns_status st;
	size_t cut;

	if (t == ns_t_a && (suffix = spf_dns_zero_suffix(domain, &cut)) != NULL)
		return spf_dns_zero(ds, domain, cut, suffix, a);
	if (!spf_dns_name_ok(domain)) {
		memset(a, 0, sizeof *a);
		return DNS_NXDOMAIN;
	}
	st = ds->lookup.query(ds->lookup.arg, domain, type, a, &err);
	strbuf_free(&err);
	return st;
}

static SPF_dns_rr_t *spf_dns_lookup(SPF_dns_server_t *layer, const char *domain, ns_type t,
				    int should_cache)
{
	struct spf_dns_state *ds = layer->hook;
	struct dns_answers a;
	enum dns_rrtype type;
	enum dns_status st;
	SPF_dns_rr_t *rr;
	bool counted;
	size_t i;

	(void)should_cache;
	if (!spf_dns_type(t, &type))
		return SPF_dns_rr_new_init(layer, domain, t, 0, NO_DATA);
	counted = !(t == ns_t_txt && !ds->record_seen);
	if (!spf_dns_count(ds, t, domain))
		return SPF_dns_rr_new_init(layer, domain, t, 0, HOST_NOT_FOUND);
	counted = counted && !((t == ns_t_a || t == ns_t_aaaa) && spf_dns_is_host(ds, domain));
	st = spf_dns_ask(ds, domain, t, type, &a);
	spf_dns_after(ds, t, st, &a, counted);
	if (t == ns_t_txt)
		spf_dns_check_txt(ds, domain, &a, counted);
	rr = SPF_dns_rr_new_init(layer, domain, t, st == DNS_OK ? (int)a.ttl : 0,
				 spf_dns_herrno(st));
	if (rr == NULL) {
		dns_answers_free(&a);
		return NULL;
	}
	for (i = 0; i < a.n && st == DNS_OK; i++) {
		if (!spf_dns_store(rr, rr->num_rr, t, a.v[i]))
			continue; /* not of the type asked: skip it */
		rr->num_rr++;
	}
	if (st == DNS_OK && rr->num_rr == 0)
		rr->herrno = NO_DATA;
	dns_answers_free(&a);
	return rr;
}

/* A layer around ds (now owned by the layer). */
static SPF_dns_server_t *spf_dns_layer_wrap(struct spf_dns_state *ds)
{
	SPF_dns_server_t *layer;

	layer = xcalloc(1, sizeof *layer);
	layer->destroy = NULL; /* owned by us: see spf_dns_layer_free */
	layer->lookup = spf_dns_lookup;
	layer->get_spf = NULL;
	layer->get_exp = NULL;
	layer->add_cache = NULL;
	layer->layer_below = NULL;
	layer->name = "ses-milter";
	layer->hook = ds;
	return layer;
}

SPF_dns_server_t *spf_dns_layer_new(const char *server, unsigned timeout_s, unsigned tries,
				    struct strbuf *err)
{
	struct spf_dns_state *ds;
	struct dns_resolver *r;

	r = dns_resolver_new(server, timeout_s, tries, err);
	if (r == NULL)
		return NULL;
	ds = xcalloc(1, sizeof *ds);
	ds->resolver = r;
	ds->lookup.query = spf_dns_resolver_query;
	ds->lookup.arg = r;
	return spf_dns_layer_wrap(ds);
}

SPF_dns_server_t *spf_dns_layer_new_lookup(const struct spf_check_lookup *l)
{
	struct spf_dns_state *ds;

	ds = xcalloc(1, sizeof *ds);
	ds->lookup = *l;
	return spf_dns_layer_wrap(ds);
}

/* Forgets the hosts of the last check. */
static void spf_dns_hosts_free(struct spf_dns_state *ds)
{
	size_t i;

	for (i = 0; i < ds->nhosts; i++)
		free(ds->hosts[i]);
	ds->nhosts = 0;
}

void spf_dns_layer_begin(SPF_dns_server_t *layer, bool ipv6)
{
	struct spf_dns_state *ds = layer->hook;

	ds->ipv6 = ipv6;
	spf_dns_hosts_free(ds);
	ds->record_seen = false;
	ds->lookups = 0;
	ds->voids = 0;
	ds->error = NULL;
	spf_dns_keep(&ds->exp_text, NULL);
	spf_dns_keep(&ds->exp_domain, NULL);
	ds->exp_texts = 0;
}

bool spf_dns_layer_exp(const SPF_dns_server_t *layer, const char **text, const char **domain)
{
	const struct spf_dns_state *ds = layer->hook;

	*text = ds->exp_text;
	*domain = ds->exp_domain;
	return ds->exp_texts == 1 && ds->exp_text != NULL && ds->exp_domain != NULL;
}

const char *spf_dns_layer_error(const SPF_dns_server_t *layer)
{
	const struct spf_dns_state *ds = layer->hook;

	return ds->error;
}

void spf_dns_layer_free(SPF_dns_server_t *layer)
{
	struct spf_dns_state *ds;

	if (layer == NULL)
		return;
	ds = layer->hook;
	spf_dns_hosts_free(ds);
	free(ds->exp_text);
	free(ds->exp_domain);
	dns_resolver_free(ds->resolver);
	free(ds);
	free(layer);
}
