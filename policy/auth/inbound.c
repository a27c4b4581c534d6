/*
 * inbound - SPF, DKIM and DMARC of inbound mail; see inbound.h.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "address.h"
#include "authres.h"
#include "dkim_verify.h"
#include "dmarc_eval.h"
#include "dns.h"
#include "inbound.h"
#include "metrics.h"
#include "psl.h"
#include "spf_check.h"
#include "xalloc.h"

struct inbound_checks {
	struct spf_checker *spf;
	struct dkim_verify_lib *dkim;
	struct psl *psl;		/* DmarcDiscovery psl only */
	bool treewalk;			/* DmarcDiscovery treewalk */
	char *authserv_id;
	char *dns_server;
	unsigned dns_timeout, dns_tries;
};

struct inbound_msg {
	const struct inbound_checks *checks;
	struct dkim_verifier *dkim;
	struct dns_resolver *dns;	/* made at the first lookup */
	bool dns_failed;		/* and it could not be made */
	char *client_ip, *helo;
	char *mail_from;		/* local@domain without brackets; "" for <> */
	char *mail_domain;		/* NULL when it has none */
	char **from;			/* every From header value */
	size_t nfrom;
};

static char *inbound_strdup(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

int inbound_init(void)
{
	return dmarc_eval_init();
}

/* The authserv-id: AuthservId, or the host name; false when neither is a valid id. */
static bool inbound_authserv_id(const struct ses_config *conf, struct inbound_checks *c)
{
	char host[256];
	struct authres probe;

	if (*conf->authserv_id != '\0') {
		c->authserv_id = inbound_strdup(conf->authserv_id);
	} else {
		if (gethostname(host, sizeof host) != 0)
			return false;
		host[sizeof host - 1] = '\0';
		c->authserv_id = inbound_strdup(host);
	}
	if (authres_init(&probe, c->authserv_id) != 0)
		return false;
	authres_free(&probe);
	return true;
}

struct inbound_checks *inbound_checks_load(const struct ses_config *conf, struct diag_list *diags)
{
	struct inbound_checks *c = xcalloc(1, sizeof *c);
	struct strbuf err = STRBUF_INIT;

	c->dns_server = inbound_strdup(conf->dns_server);
	c->dns_timeout = (unsigned)conf->dns_timeout;
	c->dns_tries = (unsigned)conf->dns_tries;
	if (!inbound_authserv_id(conf, c))
		diag_add(diags, conf->path, 0, "AuthservId \"%s\" is not a valid authserv-id",
			 c->authserv_id != NULL ? c->authserv_id : "");
	c->treewalk = conf->dmarc_discovery == CONFIG_DMARC_TREEWALK;
	if (!c->treewalk)
		c->psl = psl_load(conf->public_suffix_list, diags);
	c->spf = spf_checker_new_resolver(conf->dns_server, c->dns_timeout, c->dns_tries, &err);
	if (c->spf == NULL)
		diag_add(diags, conf->path, 0, "DnsServer: %s", strbuf_cstr(&err));
	strbuf_reset(&err);
	c->dkim = dkim_verify_lib_new((unsigned)conf->dkim_max_signatures, &err);
	if (c->dkim == NULL)
		diag_add(diags, conf->path, 0, "DKIM: %s", strbuf_cstr(&err));
	strbuf_free(&err);
	if ((!c->treewalk && c->psl == NULL) || c->spf == NULL || c->dkim == NULL ||
	    c->authserv_id == NULL) {
		inbound_checks_free(c);
		return NULL;
	}
	return c;
}

void inbound_checks_free(struct inbound_checks *c)
{
	if (c == NULL)
		return;
	spf_checker_free(c->spf);
	dkim_verify_lib_free(c->dkim);
	psl_free(c->psl);
	free(c->authserv_id);
	free(c->dns_server);
	free(c);
}

const char *inbound_checks_authserv_id(const struct inbound_checks *c)
{
	return c->authserv_id;
}

/* The message's resolver, made at its first use; NULL when it cannot be. */
static struct dns_resolver *inbound_dns(struct inbound_msg *im)
{
	struct strbuf err = STRBUF_INIT;

	if (im->dns == NULL && !im->dns_failed) {
		im->dns = dns_resolver_new(im->checks->dns_server, im->checks->dns_timeout,
					   im->checks->dns_tries, &err);
		im->dns_failed = im->dns == NULL;
	}
	strbuf_free(&err);
	return im->dns;
}

/* DKIM's key lookup: the first TXT record at name. */
static enum dns_status inbound_dkim_fetch(void *arg, const char *name, struct strbuf *txt,
					  struct strbuf *err)
{
	struct dns_resolver *r = inbound_dns(arg);
	struct dns_answers a;
	enum dns_status st;

	if (r == NULL)
		return DNS_TEMPFAIL;
	st = dns_query(r, name, DNS_RR_TXT, &a, err);
	if (st == DNS_OK)
		strbuf_appends(txt, a.v[0]);
	dns_answers_free(&a);
	return st;
}

/* The DMARC tree walk's lookups: records of any type at name. */
static enum dns_status inbound_dmarc_query(void *arg, const char *name, enum dns_rrtype type,
					   struct dns_answers *out)
{
	struct dns_resolver *r = inbound_dns(arg);
	struct strbuf err = STRBUF_INIT;
	enum dns_status st;

	if (r == NULL) {
		memset(out, 0, sizeof *out);
		return DNS_TEMPFAIL;
	}
	st = dns_query(r, name, type, out, &err);
	strbuf_free(&err);
	return st;
}

/* DMARC's record lookup (DmarcDiscovery psl): the TXT records at name. */
static enum dns_status inbound_dmarc_fetch(void *arg, const char *name, struct dns_answers *out)
{
	return inbound_dmarc_query(arg, name, DNS_RR_TXT, out);
}

/* Keeps the envelope sender as local@domain, and its domain. */
static void inbound_envelope(struct inbound_msg *im, const char *mail_from)
{
	struct strbuf local = STRBUF_INIT, domain = STRBUF_INIT, addr = STRBUF_INIT;
	enum address_status st = address_split(mail_from != NULL ? mail_from : "", &local, &domain);

	if (st == ADDRESS_OK) {
		strbuf_appendf(&addr, "%s@%s", strbuf_cstr(&local), strbuf_cstr(&domain));
		im->mail_domain = strbuf_detach(&domain);
	} else if (st != ADDRESS_NULL) {
		strbuf_appends(&addr, mail_from); /* SPF will say why it is none */
	}
	strbuf_appends(&addr, "");
	im->mail_from = strbuf_detach(&addr);
	strbuf_free(&local);
	strbuf_free(&domain);
}

struct inbound_msg *inbound_msg_new(const struct inbound_checks *c, const char *id,
				    const char *client_ip, const char *helo,
				    const char *mail_from)
{
	struct inbound_msg *im = xcalloc(1, sizeof *im);

	im->checks = c;
	im->client_ip = inbound_strdup(client_ip);
	im->helo = helo != NULL && *helo != '\0' ? inbound_strdup(helo) : NULL;
	inbound_envelope(im, mail_from);
	im->dkim = dkim_verifier_new(c->dkim, id != NULL && *id != '\0' ? id : "inbound",
				     inbound_dkim_fetch, im);
	return im;
}

void inbound_msg_free(struct inbound_msg *im)
{
	size_t i;

	if (im == NULL)
		return;
	dkim_verifier_free(im->dkim);
	dns_resolver_free(im->dns);
	for (i = 0; i < im->nfrom; i++)
		free(im->from[i]);
	free(im->from);
	free(im->client_ip);
	free(im->helo);
	free(im->mail_from);
	free(im->mail_domain);
	free(im);
}

void inbound_msg_header(struct inbound_msg *im, const char *name, const char *raw)
{
	const char *value = raw + (*raw == ' '); /* what DMARC always read */

	if (strcasecmp(name, "From") == 0) {
		im->from = xrealloc(im->from, (im->nfrom + 1) * sizeof *im->from);
		im->from[im->nfrom++] = inbound_strdup(value);
	}
	if (im->dkim != NULL)
		dkim_verifier_header(im->dkim, name, raw);
}

void inbound_msg_eoh(struct inbound_msg *im)
{
	if (im->dkim != NULL)
		dkim_verifier_eoh(im->dkim);
}

void inbound_msg_body(struct inbound_msg *im, const unsigned char *chunk, size_t len)
{
	if (im->dkim != NULL)
		dkim_verifier_body(im->dkim, chunk, len);
}

void inbound_verdict_free(struct inbound_verdict *v)
{
	strbuf_free(&v->authres);
	strbuf_free(&v->summary);
	strbuf_free(&v->reason);
}

static enum dmarc_eval_auth inbound_spf_auth(enum spf_check_result r)
{
	if (r == SPF_CHECK_PASS)
		return DMARC_EVAL_AUTH_PASS;
	return r == SPF_CHECK_TEMPERROR ? DMARC_EVAL_AUTH_TEMPERROR : DMARC_EVAL_AUTH_OTHER;
}

static enum dmarc_eval_auth inbound_dkim_auth(enum dkim_verify_status s)
{
	if (s == DKIM_VERIFY_PASS)
		return DMARC_EVAL_AUTH_PASS;
	return s == DKIM_VERIFY_TEMPERROR ? DMARC_EVAL_AUTH_TEMPERROR : DMARC_EVAL_AUTH_OTHER;
}

/* SPF of MAIL FROM (unless "<>") and of HELO, into ar; sets DMARC's SPF input. */
static void inbound_spf(struct inbound_msg *im, struct authres *ar, struct strbuf *summary,
			struct dmarc_eval_input *in)
{
	enum spf_check_result mf = SPF_CHECK_NONE, hl = SPF_CHECK_NONE;
	const struct inbound_checks *c = im->checks;

	if (im->helo != NULL)
		hl = spf_check_helo(c->spf, im->client_ip, im->helo, NULL);
	if (*im->mail_from != '\0') {
		mf = spf_check_mailfrom(c->spf, im->client_ip, im->helo, im->mail_from, NULL);
		authres_add(ar, "spf", spf_check_result_name(mf), NULL, "smtp.mailfrom",
			    im->mail_from, NULL);
		in->spf_domain = im->mail_domain;
		in->spf = inbound_spf_auth(mf);
	} else {
		/* RFC 7489 4.1: with a null sender, SPF's identity is HELO */
		in->spf_domain = im->helo;
		in->spf = inbound_spf_auth(hl);
	}
	if (im->helo != NULL)
		authres_add(ar, "spf", spf_check_result_name(hl), NULL, "smtp.helo", im->helo, NULL);
	strbuf_appendf(summary, "spf=%s", spf_check_result_name(*im->mail_from ? mf : hl));
	metrics_inc(METRIC_INBOUND_AUTH, "spf", spf_check_result_name(*im->mail_from ? mf : hl));
}

/* DKIM results into ar and DMARC's input (in->dkim points into *tab, caller frees). */
static void inbound_dkim(struct inbound_msg *im, struct authres *ar, struct strbuf *summary,
			 struct dmarc_eval_input *in, struct dmarc_eval_dkim **tab)
{
	const struct dkim_verify_sig *sigs = NULL;
	size_t n = im->dkim != NULL ? dkim_verifier_eom(im->dkim, &sigs) : 0, i;

	*tab = xcalloc(n + 1, sizeof **tab);
	if (n == 0) {
		authres_add(ar, "dkim", "none", NULL, NULL);
		strbuf_appends(summary, " dkim=none");
		metrics_inc(METRIC_INBOUND_AUTH, "dkim", "none");
	}
	for (i = 0; i < n; i++) {
		const struct dkim_verify_sig *s = &sigs[i];
		const char *name = dkim_verify_status_name(s->status);

		authres_add(ar, "dkim", name, s->status == DKIM_VERIFY_PASS ? NULL : s->reason,
			    "header.d", s->domain, "header.s", s->selector, "header.a",
			    s->algorithm, "header.b", s->b_prefix, NULL);
		strbuf_appendf(summary, " dkim=%s(%s)", name, s->domain);
		metrics_inc(METRIC_INBOUND_AUTH, "dkim", name);
		(*tab)[i].domain = s->domain;
		(*tab)[i].result = inbound_dkim_auth(s->status);
	}
	in->dkim = *tab;
	in->ndkim = n;
}

/* What the DMARC verdict asks for under conf; fills reason. */
static enum inbound_outcome inbound_disposition(const struct dmarc_eval *e,
						const struct ses_config *conf,
						struct strbuf *reason)
{
	if (e->result == DMARC_EVAL_TEMPERROR) {
		strbuf_appendf(reason, "DMARC check of %s could not be completed (%s), try again later",
			       e->from_domain != NULL ? e->from_domain : "the author domain", e->why);
		return conf->auth_dns_failure == CONFIG_FAIL_TEMPFAIL ? INBOUND_TEMPFAIL
								      : INBOUND_DELIVER;
	}
	if (e->result != DMARC_EVAL_FAIL || e->disposition == DMARC_EVAL_P_NONE)
		return INBOUND_DELIVER;
	strbuf_appendf(reason, "the DMARC policy of %s (p=%s) does not accept this message: %s",
		       e->from_domain, dmarc_eval_policy_name(e->published), e->why);
	if (e->disposition == DMARC_EVAL_P_REJECT) {
		if (conf->dmarc_reject == CONFIG_DMARC_REJECT)
			return INBOUND_REJECT;
		return conf->dmarc_reject == CONFIG_DMARC_QUARANTINE ? INBOUND_HOLD : INBOUND_DELIVER;
	}
	return conf->dmarc_quarantine == CONFIG_DMARCQ_QUARANTINE ? INBOUND_HOLD : INBOUND_DELIVER;
}

/* The dmarc= entry of the header. */
static void inbound_dmarc_result(const struct dmarc_eval *e, struct authres *ar,
				 struct strbuf *summary)
{
	struct strbuf comment = STRBUF_INIT;
	const char *name = dmarc_eval_result_name(e->result);
	bool judged = e->result == DMARC_EVAL_PASS || e->result == DMARC_EVAL_FAIL;
	const char *polrec = judged && e->policy_domain != NULL &&
			     strcmp(e->policy_domain, e->from_domain) != 0 ? e->policy_domain : NULL;

	/* RFC 9989 registers polrec.p and polrec.domain (when not From's domain) */
	authres_add(ar, "dmarc", name, judged ? NULL : e->why, "header.from", e->from_domain,
		    "polrec.p", judged ? dmarc_eval_policy_name(e->record_p) : NULL,
		    "polrec.domain", polrec, NULL);
	if (judged) {
		strbuf_appendf(&comment, "p=%s dis=%s%s", dmarc_eval_policy_name(e->published),
			       dmarc_eval_policy_name(e->disposition), e->testing ? " t=y" : "");
		authres_comment(ar, strbuf_cstr(&comment));
	}
	strbuf_appendf(summary, " dmarc=%s", name);
	metrics_inc(METRIC_INBOUND_AUTH, "dmarc", name);
	strbuf_free(&comment);
}

void inbound_msg_eom(struct inbound_msg *im, const struct ses_config *conf,
		     struct inbound_verdict *out)
{
	struct dmarc_eval_input in = { 0 };
	struct dmarc_eval_dkim *tab = NULL;
	struct dmarc_eval e;
	struct authres ar;

	memset(out, 0, sizeof *out);
	if (authres_init(&ar, im->checks->authserv_id) != 0)
		abort(); /* checked when the checks were loaded */
	inbound_spf(im, &ar, &out->summary, &in);
	inbound_dkim(im, &ar, &out->summary, &in, &tab);
	in.from = (const char *const *)im->from;
	in.nfrom = im->nfrom;
	in.sample = arc4random_uniform(100);
	if (im->checks->treewalk)
		dmarc_eval_run_treewalk(&in, inbound_dmarc_query, im, &e);
	else
		dmarc_eval_run(&in, im->checks->psl, inbound_dmarc_fetch, im, &e);
	inbound_dmarc_result(&e, &ar, &out->summary);
	out->outcome = inbound_disposition(&e, conf, &out->reason);
	authres_format(&ar, &out->authres);
	authres_free(&ar);
	dmarc_eval_free(&e);
	free(tab);
}
