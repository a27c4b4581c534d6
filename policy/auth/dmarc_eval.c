/*
 * dmarc_eval - one message's DMARC verdict; see dmarc_eval.h.
 *
 * libopendmarc is used for what it does well, parsing the record
 * (opendmarc_policy_store_dmarc) and reading p, sp, pct, adkim and aspf
 * back; its own lookups and alignment are not used.  Its library state is
 * set up once without a suffix list: the organisational domain is ours.
 * The tree walk path (RFC 9989) does not use libopendmarc at all: its
 * record has tags libopendmarc does not know (psd=, np=, t=).
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <opendmarc/dmarc.h>

#include "dmarc_align.h"
#include "dmarc_discover.h"
#include "dmarc_eval.h"
#include "xalloc.h"

static OPENDMARC_LIB_T dmarc_eval_lib;

int dmarc_eval_init(void)
{
	memset(&dmarc_eval_lib, 0, sizeof dmarc_eval_lib);
	dmarc_eval_lib.tld_type = OPENDMARC_TLD_TYPE_NONE;
	return opendmarc_policy_library_init(&dmarc_eval_lib) == DMARC_PARSE_OKAY ? 0 : -1;
}

const char *dmarc_eval_result_name(enum dmarc_eval_result r)
{
	switch (r) {
	case DMARC_EVAL_NONE:
		return "none";
	case DMARC_EVAL_PASS:
		return "pass";
	case DMARC_EVAL_FAIL:
		return "fail";
	case DMARC_EVAL_TEMPERROR:
		return "temperror";
	case DMARC_EVAL_PERMERROR:
		return "permerror";
	}
	return "permerror";
}

const char *dmarc_eval_policy_name(enum dmarc_eval_policy p)
{
	switch (p) {
	case DMARC_EVAL_P_REJECT:
		return "reject";
	case DMARC_EVAL_P_QUARANTINE:
		return "quarantine";
	default:
		return "none";
	}
}

void dmarc_eval_free(struct dmarc_eval *e)
{
	free(e->from_domain);
	free(e->policy_domain);
	e->from_domain = NULL;
	e->policy_domain = NULL;
}

/* True when txt is a DMARC record: "v=DMARC1" then the end, ';' or a blank. */
static bool dmarc_eval_is_record(const char *txt)
{
	while (*txt == ' ' || *txt == '\t')
		txt++;
	if (strncmp(txt, "v=DMARC1", 8) != 0)
		return false;
	txt += 8;
	return *txt == '\0' || *txt == ';' || *txt == ' ' || *txt == '\t';
}

enum dmarc_eval_found { DMARC_FOUND, DMARC_NOT_FOUND, DMARC_LOOKUP_FAILED, DMARC_SEVERAL };

/* Looks for the one DMARC record at _dmarc.domain; on DMARC_FOUND its text is in rec. */
static enum dmarc_eval_found dmarc_eval_lookup(dmarc_eval_fetch_fn fetch, void *arg,
					       const char *domain, struct strbuf *rec)
{
	struct strbuf name = STRBUF_INIT;
	struct dns_answers a;
	enum dns_status st;
	size_t i, found = 0;

	strbuf_appendf(&name, "_dmarc.%s", domain);
	st = fetch(arg, strbuf_cstr(&name), &a);
	strbuf_free(&name);
	if (st == DNS_TEMPFAIL) {
		dns_answers_free(&a);
		return DMARC_LOOKUP_FAILED;
	}
	for (i = 0; st == DNS_OK && i < a.n; i++) {
		if (!dmarc_eval_is_record(a.v[i]))
			continue;
		if (found++ == 0)
			strbuf_appends(rec, a.v[i]);
	}
	dns_answers_free(&a);
	if (found > 1)
		return DMARC_SEVERAL; /* RFC 7489 6.6.3: as if there were none */
	return found == 1 ? DMARC_FOUND : DMARC_NOT_FOUND;
}

static enum dmarc_eval_policy dmarc_eval_policy_of(int p)
{
	if (p == DMARC_RECORD_P_REJECT)
		return DMARC_EVAL_P_REJECT;
	if (p == DMARC_RECORD_P_QUARANTINE)
		return DMARC_EVAL_P_QUARANTINE;
	return DMARC_EVAL_P_NONE;
}

/* The parsed record's tags. */
struct dmarc_eval_record {
	enum dmarc_eval_policy p, sp;
	bool have_sp;
	bool strict_dkim, strict_spf;
	int pct;
};

/* Parses rec (found at domain) with libopendmarc; false when it does not parse. */
static bool dmarc_eval_parse(const char *rec, const char *domain, const char *org,
			     struct dmarc_eval_record *out)
{
	DMARC_POLICY_T *pctx;
	int p = 0, sp = 0, pct = 100, adkim = 0, aspf = 0;
	char *r = xstrdup(rec), *d = xstrdup(domain), *o = xstrdup(org);
	bool ok;

	pctx = opendmarc_policy_connect_init((u_char *)"192.0.2.1", DMARC_POLICY_IP_TYPE_IPV4);
	if (pctx == NULL)
		abort();
	ok = opendmarc_policy_store_dmarc(pctx, (u_char *)r, (u_char *)d, (u_char *)o) ==
		     DMARC_PARSE_OKAY &&
	     opendmarc_policy_fetch_p(pctx, &p) == DMARC_PARSE_OKAY;
	if (ok) {
		opendmarc_policy_fetch_sp(pctx, &sp);
		opendmarc_policy_fetch_pct(pctx, &pct);
		opendmarc_policy_fetch_adkim(pctx, &adkim);
		opendmarc_policy_fetch_aspf(pctx, &aspf);
		ok = p != DMARC_RECORD_P_UNSPECIFIED;
	}
	opendmarc_policy_connect_shutdown(pctx);
	free(r);
	free(d);
	free(o);
	out->p = dmarc_eval_policy_of(p);
	out->have_sp = sp != DMARC_RECORD_P_UNSPECIFIED;
	out->sp = out->have_sp ? dmarc_eval_policy_of(sp) : out->p;
	out->strict_dkim = adkim == DMARC_RECORD_A_STRICT;
	out->strict_spf = aspf == DMARC_RECORD_A_STRICT;
	out->pct = pct < 0 ? 0 : pct > 100 ? 100 : pct;
	return ok;
}

/* The result once alignment is known; temp: a check failed temporarily. */
static void dmarc_eval_verdict(struct dmarc_eval *out, bool temp)
{
	if (out->spf_aligned || out->dkim_aligned) {
		out->result = DMARC_EVAL_PASS;
		out->why = out->dkim_aligned ? "aligned DKIM pass" : "aligned SPF pass";
	} else if (temp) {
		out->result = DMARC_EVAL_TEMPERROR;
		out->why = "no aligned pass while a check failed temporarily";
	} else {
		out->result = DMARC_EVAL_FAIL;
		out->why = "no aligned SPF or DKIM pass";
	}
}

/* Alignment and the result from the record's tags. */
static void dmarc_eval_align(const struct dmarc_eval_input *in, const struct psl *psl,
			     const struct dmarc_eval_record *rec, struct dmarc_eval *out)
{
	bool temp = in->spf == DMARC_EVAL_AUTH_TEMPERROR;
	size_t i;

	out->spf_aligned = in->spf == DMARC_EVAL_AUTH_PASS && in->spf_domain != NULL &&
			   dmarc_aligned(psl, out->from_domain, in->spf_domain, rec->strict_spf);
	for (i = 0; i < in->ndkim; i++) {
		temp |= in->dkim[i].result == DMARC_EVAL_AUTH_TEMPERROR;
		if (in->dkim[i].result == DMARC_EVAL_AUTH_PASS && in->dkim[i].domain != NULL &&
		    dmarc_aligned(psl, out->from_domain, in->dkim[i].domain, rec->strict_dkim))
			out->dkim_aligned = true;
	}
	dmarc_eval_verdict(out, temp);
}

/* Applies pct (RFC 7489 6.6.4): a message outside the sample gets the next milder policy. */
static enum dmarc_eval_policy dmarc_eval_sampled(enum dmarc_eval_policy p, int pct,
						 unsigned sample)
{
	if (p == DMARC_EVAL_P_NONE || (int)(sample % 100) < pct)
		return p;
	return p == DMARC_EVAL_P_REJECT ? DMARC_EVAL_P_QUARANTINE : DMARC_EVAL_P_NONE;
}

/* Finds the author domain; false (out set to the verdict) when there is none. */
static bool dmarc_eval_author(const struct dmarc_eval_input *in, struct dmarc_eval *out)
{
	struct strbuf dom = STRBUF_INIT;
	const char *why = NULL;

	if (in->nfrom == 0) {
		out->result = DMARC_EVAL_PERMERROR;
		out->why = "no From header";
		return false;
	}
	if (in->nfrom > 1) {
		out->result = DMARC_EVAL_PERMERROR;
		out->why = "several From headers";
		return false;
	}
	if (dmarc_from_domain(in->from[0], &dom, &why) != 0) {
		out->result = DMARC_EVAL_PERMERROR;
		out->why = why;
		strbuf_free(&dom);
		return false;
	}
	out->from_domain = strbuf_detach(&dom);
	return true;
}

/* Finds and parses the record for the author domain; false (out set) when the verdict is known. */
static bool dmarc_eval_record_for(const struct psl *psl, dmarc_eval_fetch_fn fetch, void *arg,
				  struct dmarc_eval *out, struct dmarc_eval_record *rec)
{
	struct strbuf org = STRBUF_INIT, txt = STRBUF_INIT;
	enum dmarc_eval_found f;
	bool at_org = false, ok = false;

	if (psl == NULL || psl_org_domain(psl, out->from_domain, &org) == PSL_BAD)
		strbuf_appends(&org, out->from_domain);
	f = dmarc_eval_lookup(fetch, arg, out->from_domain, &txt);
	if (f == DMARC_NOT_FOUND && strcmp(strbuf_cstr(&org), out->from_domain) != 0) {
		at_org = true;
		f = dmarc_eval_lookup(fetch, arg, strbuf_cstr(&org), &txt);
	}
	if (f == DMARC_LOOKUP_FAILED) {
		out->result = DMARC_EVAL_TEMPERROR;
		out->why = "the DMARC record lookup failed";
	} else if (f != DMARC_FOUND) {
		out->result = DMARC_EVAL_NONE;
		out->why = f == DMARC_SEVERAL ? "several DMARC records" : "no DMARC record";
	} else if (!dmarc_eval_parse(strbuf_cstr(&txt),
				     at_org ? strbuf_cstr(&org) : out->from_domain,
				     strbuf_cstr(&org), rec)) {
		out->result = DMARC_EVAL_PERMERROR;
		out->why = "the DMARC record does not parse";
	} else {
		out->published = at_org ? rec->sp : rec->p;
		out->record_p = rec->p;
		out->policy_domain = strdup(at_org ? strbuf_cstr(&org) : out->from_domain);
		if (out->policy_domain == NULL)
			abort();
		ok = true;
	}
	strbuf_free(&org);
	strbuf_free(&txt);
	return ok;
}

void dmarc_eval_run(const struct dmarc_eval_input *in, const struct psl *psl,
		    dmarc_eval_fetch_fn fetch, void *fetch_arg, struct dmarc_eval *out)
{
	struct dmarc_eval_record rec;

	memset(out, 0, sizeof *out);
	out->published = out->disposition = DMARC_EVAL_P_NONE;
	if (!dmarc_eval_author(in, out))
		return;
	if (!dmarc_eval_record_for(psl, fetch, fetch_arg, out, &rec))
		return;
	dmarc_eval_align(in, psl, &rec, out);
	if (out->result == DMARC_EVAL_FAIL)
		out->disposition = dmarc_eval_sampled(out->published, rec.pct, in->sample);
}

/* ---- RFC 9989: discovery by DNS tree walk ---- */

/* Finds the record by tree walk; false (out set) when the verdict is known. */
static bool dmarc_eval_discover(struct dmarc_walk *w, struct dmarc_eval *out,
				struct dmarc_record *rec)
{
	struct strbuf at = STRBUF_INIT, txt = STRBUF_INIT;
	enum dmarc_walk_status st = dmarc_discover_policy(w, out->from_domain, &at, &txt);
	bool ok = false;

	if (st == DMARC_WALK_TEMPFAIL) {
		out->result = DMARC_EVAL_TEMPERROR;
		out->why = "the DMARC record lookup failed";
	} else if (st == DMARC_WALK_NONE) {
		out->result = DMARC_EVAL_NONE;
		out->why = "no DMARC record";
	} else if (dmarc_record_parse(strbuf_cstr(&txt), rec) != DMARC_RECORD_OK) {
		/* RFC 9989: such a record asks for no DMARC processing */
		out->result = DMARC_EVAL_NONE;
		out->why = "the DMARC record has an invalid p=, sp= or np= and no rua=";
	} else {
		out->policy_domain = strbuf_detach(&at);
		out->record_p = rec->p;
		out->testing = rec->testing;
		ok = true;
	}
	strbuf_free(&at);
	strbuf_free(&txt);
	return ok;
}

/*
 * The policy for the author domain: p= when the record is its own,
 * otherwise sp= (p= when absent), or np= when the author domain does not
 * exist.  Existence is asked only when np= would change the answer.
 */
static enum dmarc_eval_policy dmarc_eval_applicable(struct dmarc_walk *w,
						    const struct dmarc_record *rec,
						    struct dmarc_eval *out)
{
	if (strcmp(out->policy_domain, out->from_domain) == 0)
		return rec->p;
	if (out->result == DMARC_EVAL_FAIL && rec->have_np && rec->np != rec->sp &&
	    dmarc_domain_missing(w, out->from_domain)) {
		out->nonexistent = true;
		return rec->np;
	}
	return rec->sp;
}

/* Alignment of the SPF and DKIM passes, organisational domains by tree walk. */
static void dmarc_eval_align_walk(const struct dmarc_eval_input *in, struct dmarc_walk *w,
				  const struct dmarc_record *rec, struct dmarc_eval *out)
{
	bool temp = in->spf == DMARC_EVAL_AUTH_TEMPERROR;
	size_t i;

	out->spf_aligned = in->spf == DMARC_EVAL_AUTH_PASS && in->spf_domain != NULL &&
			   dmarc_walk_aligned(w, out->from_domain, in->spf_domain,
					      rec->strict_spf, &temp);
	for (i = 0; i < in->ndkim && !out->dkim_aligned; i++) {
		temp |= in->dkim[i].result == DMARC_EVAL_AUTH_TEMPERROR;
		if (in->dkim[i].result == DMARC_EVAL_AUTH_PASS && in->dkim[i].domain != NULL &&
		    dmarc_walk_aligned(w, out->from_domain, in->dkim[i].domain,
				       rec->strict_dkim, &temp))
			out->dkim_aligned = true;
	}
	dmarc_eval_verdict(out, temp);
}

/* t=y (RFC 9989): the policy is tested, so the disposition is one step milder. */
static enum dmarc_eval_policy dmarc_eval_tested(enum dmarc_eval_policy p, bool testing)
{
	if (!testing || p == DMARC_EVAL_P_NONE)
		return p;
	return p == DMARC_EVAL_P_REJECT ? DMARC_EVAL_P_QUARANTINE : DMARC_EVAL_P_NONE;
}

void dmarc_eval_run_treewalk(const struct dmarc_eval_input *in, dmarc_eval_query_fn query,
			     void *query_arg, struct dmarc_eval *out)
{
	struct dmarc_record rec;
	struct dmarc_walk w;

	memset(out, 0, sizeof *out);
	out->published = out->disposition = DMARC_EVAL_P_NONE;
	if (!dmarc_eval_author(in, out))
		return;
	dmarc_walk_init(&w, query, query_arg);
	if (dmarc_eval_discover(&w, out, &rec)) {
		dmarc_eval_align_walk(in, &w, &rec, out);
		out->published = dmarc_eval_applicable(&w, &rec, out);
		if (out->result == DMARC_EVAL_FAIL)
			out->disposition = dmarc_eval_tested(out->published, rec.testing);
	}
	out->dns_queries = w.queries;
	dmarc_walk_free(&w);
}
