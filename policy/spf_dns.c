/*
 * spf_dns - libspf2 lookups through policy/dns.c; see spf_dns.h.
 */
#include "autoconf.h"

#include "spf_dns.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

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
};

/* dns_query on the layer's own resolver. */
static enum dns_status spf_dns_resolver_query(void *arg, const char *name, enum dns_rrtype type,
					      struct dns_answers *out, struct strbuf *err)
{
	return dns_query(arg, name, type, out, err);
}

static SPF_dns_rr_t *spf_dns_lookup(SPF_dns_server_t *layer, const char *domain, ns_type t,
				    int should_cache)
{
	struct spf_dns_state *ds = layer->hook;
	struct strbuf err = STRBUF_INIT;
	struct dns_answers a;
	enum dns_rrtype type;
	enum dns_status st;
	SPF_dns_rr_t *rr;
	size_t i;

	(void)should_cache;
	if (!spf_dns_type(t, &type))
		return SPF_dns_rr_new_init(layer, domain, t, 0, NO_DATA);
	st = ds->lookup.query(ds->lookup.arg, domain, type, &a, &err);
	strbuf_free(&err);
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

	layer = calloc(1, sizeof *layer);
	if (layer == NULL)
		abort();
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
	ds = calloc(1, sizeof *ds);
	if (ds == NULL)
		abort();
	ds->resolver = r;
	ds->lookup.query = spf_dns_resolver_query;
	ds->lookup.arg = r;
	return spf_dns_layer_wrap(ds);
}

SPF_dns_server_t *spf_dns_layer_new_lookup(const struct spf_check_lookup *l)
{
	struct spf_dns_state *ds;

	ds = calloc(1, sizeof *ds);
	if (ds == NULL)
		abort();
	ds->lookup = *l;
	return spf_dns_layer_wrap(ds);
}

void spf_dns_layer_free(SPF_dns_server_t *layer)
{
	struct spf_dns_state *ds;

	if (layer == NULL)
		return;
	ds = layer->hook;
	dns_resolver_free(ds->resolver);
	free(ds);
	free(layer);
}
