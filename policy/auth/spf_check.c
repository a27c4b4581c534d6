/*
 * spf_check - SPF checks with libspf2; see spf_check.h.
 *
 * libspf2 1.2.10 facts this module works around (seen with a probe against
 * Debian's 1.2.10; tests/unit/test_spf.c pins our side of each):
 *
 * - Loopback clients (127.0.0.0/8, ::1) always pass, whatever the domain
 *   publishes, even with no record at all (reason "localhost").  There is
 *   no server setting to turn this off (sanitize only limits the charset
 *   of messages).  A pass we did not earn would be a forged pass for any
 *   domain, so loopback clients are not handed to libspf2: the result is
 *   none, with "loopback client not evaluated" as the explanation.
 * - An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is evaluated as IPv6,
 *   so it never matches ip4: terms; RFC 7208 section 5 says to treat it
 *   as IPv4, and so we hand libspf2 the IPv4 address.
 * - A record that does not compile (e.g. "ip4:999.1.1.1") or a failed DNS
 *   lookup of the record itself comes back as SPF_RESULT_INVALID, with
 *   the error code in the return value of SPF_request_query_mailfrom (the
 *   response's own error code is 0).  DNS failures become temperror,
 *   everything else permerror.
 * - A DNS failure inside a mechanism (a:, mx: of a domain that times out)
 *   makes the mechanism not match instead of a temperror; the record's
 *   other terms decide.  Nothing here can see that case.
 * - NULL or malformed identities can trip its assertions (abort), so the
 *   client IP, HELO and sender domain are validated first; RFC 7208
 *   section 4.3 makes a malformed or single-label domain "none".
 *
 * Threads: an SPF_server_t is not documented as thread-safe, so each
 * running check borrows one from a small pool and gives it back; the pool
 * grows to the number of concurrent checks.  A zone layer is shared by
 * the pool's servers and only read after setup.
 */
#include "autoconf.h"

/* spf2/spf.h needs these first on Debian. */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>

#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <spf2/spf.h>
#include <spf2/spf_dns_zone.h>

#include "address.h"
#include "spf_check.h"
#include "spf_dns.h"
#include "spf_exp.h"
#include "xalloc.h"

#define SPF_CHECK_DOMAIN_MAX 253
#define SPF_CHECK_LABEL_MAX 63
#define SPF_CHECK_LOCAL_MAX 64
/*
 * Set as libspf2's default explanation so we can tell it apart from an
 * exp= text and write our own (RFC 7208 6.2): no blanks, no macros.
 */
#define SPF_CHECK_DEFAULT_EXP "ses-milter-default-explanation"

struct spf_pooled {
	SPF_server_t *server;
	SPF_dns_server_t *layer; /* RESOLVER only: this server's own layer */
	struct spf_pooled *next;
};

struct spf_checker {
	enum spf_check_dns dns;
	SPF_dns_server_t *zone;	 /* ZONE only; read-only after setup */
	char *dns_server;	 /* RESOLVER only: "" or HOST[:PORT] */
	struct spf_check_lookup lookup; /* LOOKUP only */
	unsigned dns_timeout_s, dns_tries;
	pthread_mutex_t lock;	 /* guards idle */
	struct spf_pooled *idle; /* servers no check is using */
};

/* Validated identities, ready for libspf2. */
struct spf_input {
	char ip[INET6_ADDRSTRLEN];
	bool ipv6;
	char helo[SPF_CHECK_DOMAIN_MAX + 3]; /* for %{h}: never empty */
	char sender[SPF_CHECK_LOCAL_MAX + 1 + SPF_CHECK_DOMAIN_MAX + 1];
};

enum spf_ip_status {
	SPF_IP_OK,
	SPF_IP_LOOPBACK,
	SPF_IP_BAD,
};

static const char *const spf_check_names[] = {
	[SPF_CHECK_NONE] = "none",	     [SPF_CHECK_NEUTRAL] = "neutral",
	[SPF_CHECK_PASS] = "pass",	     [SPF_CHECK_FAIL] = "fail",
	[SPF_CHECK_SOFTFAIL] = "softfail",   [SPF_CHECK_TEMPERROR] = "temperror",
	[SPF_CHECK_PERMERROR] = "permerror",
};

const char *spf_check_result_name(enum spf_check_result r)
{
	if ((unsigned)r >= sizeof(spf_check_names) / sizeof(spf_check_names[0]))
		return "temperror";
	return spf_check_names[r];
}

struct spf_checker *spf_checker_new(enum spf_check_dns dns)
{
	struct spf_checker *c;

	if (dns != SPF_CHECK_DNS_SYSTEM && dns != SPF_CHECK_DNS_ZONE)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->dns = dns;
	if (dns == SPF_CHECK_DNS_ZONE) {
		c->zone = SPF_dns_zone_new(NULL, "spf_check", 0);
		if (c->zone == NULL) {
			free(c);
			return NULL;
		}
	}
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

struct spf_checker *spf_checker_new_resolver(const char *server, unsigned timeout_s,
					     unsigned tries, struct strbuf *err)
{
	SPF_dns_server_t *probe;
	struct spf_checker *c;

	/* a bad server is reported now, not at the first check */
	probe = spf_dns_layer_new(server, timeout_s, tries, err);
	if (probe == NULL)
		return NULL;
	spf_dns_layer_free(probe);
	c = xcalloc(1, sizeof(*c));
	c->dns = SPF_CHECK_DNS_RESOLVER;
	c->dns_server = xstrdup(server != NULL ? server : "");
	c->dns_timeout_s = timeout_s;
	c->dns_tries = tries;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

struct spf_checker *spf_checker_new_lookup(const struct spf_check_lookup *l)
{
	struct spf_checker *c;

	if (l == NULL || l->query == NULL)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->dns = SPF_CHECK_DNS_LOOKUP;
	c->lookup = *l;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void spf_checker_free(struct spf_checker *c)
{
	struct spf_pooled *p;

	if (c == NULL)
		return;
	while ((p = c->idle) != NULL) {
		c->idle = p->next;
		SPF_server_free(p->server);
		spf_dns_layer_free(p->layer);
		free(p);
	}
	free(c->dns_server);
	/* Servers made by SPF_server_new_dns do not own the zone. */
	if (c->zone != NULL)
		SPF_dns_free(c->zone);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Maps our record type to the resolver's; -1 if unknown. */
static int spf_check_rr_type(enum spf_check_rr rr)
{
	switch (rr) {
	case SPF_CHECK_RR_A:
		return ns_t_a;
	case SPF_CHECK_RR_AAAA:
		return ns_t_aaaa;
	case SPF_CHECK_RR_MX:
		return ns_t_mx;
	case SPF_CHECK_RR_TXT:
		return ns_t_txt;
	case SPF_CHECK_RR_PTR:
		return ns_t_ptr;
	}
	return -1;
}

/* Adds a zone entry with the given DNS status; 0 or -1. */
static int spf_checker_add(struct spf_checker *c, const char *domain, enum spf_check_rr rr,
			   SPF_dns_stat_t status, const char *value)
{
	int type = spf_check_rr_type(rr);

	if (c == NULL || c->zone == NULL || domain == NULL || domain[0] == '\0' || type < 0)
		return -1;
	if (SPF_dns_zone_add_str(c->zone, domain, (ns_type)type, status, value) != SPF_E_SUCCESS)
		return -1;
	return 0;
}

int spf_checker_add_record(struct spf_checker *c, const char *domain, enum spf_check_rr rr,
			   const char *value)
{
	if (value == NULL)
		return -1;
	return spf_checker_add(c, domain, rr, NETDB_SUCCESS, value);
}

int spf_checker_add_tempfail(struct spf_checker *c, const char *domain, enum spf_check_rr rr)
{
	return spf_checker_add(c, domain, rr, TRY_AGAIN, NULL);
}

/*
 * Makes a configured server for the checker's DNS layer; NULL on failure.
 * A RESOLVER or LOOKUP checker gives each server its own layer (*layer,
 * caller frees after the server).
 */
static SPF_server_t *spf_check_server_new(const struct spf_checker *c, SPF_dns_server_t **layer)
{
	struct strbuf err = STRBUF_INIT;
	SPF_server_t *s;
	SPF_response_t *resp = NULL;

	*layer = NULL;
	if (c->dns == SPF_CHECK_DNS_ZONE) {
		s = SPF_server_new_dns(c->zone, 0);
	} else if (c->dns == SPF_CHECK_DNS_RESOLVER) {
		*layer = spf_dns_layer_new(c->dns_server, c->dns_timeout_s, c->dns_tries, &err);
		strbuf_free(&err);
		if (*layer == NULL)
			return NULL;
		s = SPF_server_new_dns(*layer, 0);
	} else if (c->dns == SPF_CHECK_DNS_LOOKUP) {
		*layer = spf_dns_layer_new_lookup(&c->lookup);
		s = SPF_server_new_dns(*layer, 0);
	} else {
		s = SPF_server_new(SPF_DNS_RESOLV, 0);
	}
	if (s == NULL) {
		spf_dns_layer_free(*layer);
		*layer = NULL;
		return NULL;
	}
	if (SPF_server_set_explanation(s, SPF_CHECK_DEFAULT_EXP, &resp) != SPF_E_SUCCESS) {
		SPF_response_free(resp);
		SPF_server_free(s);
		spf_dns_layer_free(*layer);
		*layer = NULL;
		return NULL;
	}
	SPF_response_free(resp);
	return s;
}

/* Takes an idle server from the pool or makes one; NULL on failure. */
static struct spf_pooled *spf_check_borrow(struct spf_checker *c)
{
	struct spf_pooled *p;

	pthread_mutex_lock(&c->lock);
	p = c->idle;
	if (p != NULL)
		c->idle = p->next;
	pthread_mutex_unlock(&c->lock);
	if (p != NULL)
		return p;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->server = spf_check_server_new(c, &p->layer);
	if (p->server == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

/* Returns a borrowed server to the pool. */
static void spf_check_give_back(struct spf_checker *c, struct spf_pooled *p)
{
	pthread_mutex_lock(&c->lock);
	p->next = c->idle;
	c->idle = p;
	pthread_mutex_unlock(&c->lock);
}

/* Parses and normalises the client address into in->ip. */
static enum spf_ip_status spf_check_parse_ip(const char *s, struct spf_input *in)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (s == NULL)
		return SPF_IP_BAD;
	if (inet_pton(AF_INET, s, &a4) != 1) {
		if (inet_pton(AF_INET6, s, &a6) != 1)
			return SPF_IP_BAD;
		if (!IN6_IS_ADDR_V4MAPPED(&a6)) {
			in->ipv6 = true;
			if (IN6_IS_ADDR_LOOPBACK(&a6))
				return SPF_IP_LOOPBACK;
			inet_ntop(AF_INET6, &a6, in->ip, sizeof(in->ip));
			return SPF_IP_OK;
		}
		memcpy(&a4, &a6.s6_addr[12], sizeof(a4));
	}
	in->ipv6 = false;
	if ((ntohl(a4.s_addr) >> 24) == 127)
		return SPF_IP_LOOPBACK;
	inet_ntop(AF_INET, &a4, in->ip, sizeof(in->ip));
	return SPF_IP_OK;
}

/* Checks one label's bytes: letters, digits, '-' and '_'. */
static bool spf_check_label_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > SPF_CHECK_LABEL_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

/*
 * Copies a plausible multi-label domain, lower-cased and without a
 * trailing dot, into out (SPF_CHECK_DOMAIN_MAX + 1 bytes); false if the
 * name is malformed, single-label or ends in an all-digit label.
 */
static bool spf_check_domain(const char *s, char *out)
{
	size_t len, i, start = 0, labels = 0;
	bool digits = true;

	if (s == NULL)
		return false;
	len = strlen(s);
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > SPF_CHECK_DOMAIN_MAX)
		return false;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (!spf_check_label_ok(s + start, i - start))
			return false;
		labels++;
		digits = strspn(s + start, "0123456789") >= i - start;
		start = i + 1;
	}
	if (labels < 2 || digits)
		return false;
	for (i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[len] = '\0';
	return true;
}

/* True if a local part is safe to hand libspf2 as written. */
static bool spf_check_local_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > SPF_CHECK_LOCAL_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f || strchr("\"\\@<>()[],;:", s[i]) != NULL)
			return false;
	return true;
}

/* Fills in->helo for %{h}: the domain, a printable literal, or "unknown". */
static void spf_check_set_helo(const char *helo, struct spf_input *in)
{
	size_t i, len = helo == NULL ? 0 : strlen(helo);

	if (spf_check_domain(helo, in->helo))
		return;
	for (i = 0; i < len; i++)
		if (helo[i] <= ' ' || helo[i] >= 0x7f)
			break;
	if (len == 0 || i < len || len >= sizeof(in->helo))
		memcpy(in->helo, "unknown", sizeof("unknown"));
	else
		memcpy(in->helo, helo, len + 1);
}

/* Builds in->sender as local@domain; false (with a reason) if not checkable. */
static bool spf_check_set_sender(const char *local, size_t llen, const char *domain,
				 struct spf_input *in, struct strbuf *why)
{
	char dom[SPF_CHECK_DOMAIN_MAX + 1];

	if (!spf_check_domain(domain, dom)) {
		strbuf_appends(why, "malformed domain");
		return false;
	}
	/*
	 * The local part only feeds the %{l} macro; one libspf2 might misparse
	 * (quotes, '@', blanks, over-long) becomes "postmaster".
	 */
	if (!spf_check_local_ok(local, llen)) {
		local = "postmaster";
		llen = strlen(local);
	}
	memcpy(in->sender, local, llen);
	in->sender[llen] = '@';
	memcpy(in->sender + llen + 1, dom, strlen(dom) + 1);
	return true;
}

/*
 * Appends the explanation of a fail.  libspf2 1.2.10 garbles any
 * explanation with a blank in it: blanks come back as '%' and macros
 * after the first blank stay unexpanded ("%{i} is not %{d}" gives
 * "192.0.2.1%is%not%{d}").  So our default is a sentinel replaced here,
 * a garbled exp= text (an unexpanded macro left) is replaced by the same
 * default, and otherwise '%' is read back as a blank.  exp= text comes
 * from the sender's DNS: bytes outside printable ASCII become '?'.
 */
static void spf_check_append_exp(struct strbuf *why, const char *exp, const struct spf_input *in,
				 const SPF_dns_server_t *layer)
{
	const char *domain = strrchr(in->sender, '@') + 1, *text, *d;
	struct spf_exp_env env = { in->sender, NULL, in->ip, in->ipv6, in->helo };
	size_t i;

	if (exp != NULL && strcmp(exp, SPF_CHECK_DEFAULT_EXP) != 0 && layer != NULL) {
		/* our layer kept the text: expand it ourselves (spf_exp.h) */
		if (spf_dns_layer_exp(layer, &text, &d)) {
			env.domain = d;
			if (spf_exp_expand(text, &env, why))
				return;
		}
		exp = NULL;
	}
	if (exp == NULL || strcmp(exp, SPF_CHECK_DEFAULT_EXP) == 0 || strstr(exp, "%{") != NULL) {
		strbuf_appendf(why, "%s is not one of %s's designated mail servers", in->ip,
			       domain);
		return;
	}
	for (i = 0; exp[i] != '\0' && i < 512; i++) {
		if (exp[i] == '%')
			strbuf_appendc(why, ' ');
		else
			strbuf_appendc(why, exp[i] >= ' ' && exp[i] < 0x7f ? exp[i] : '?');
	}
}

/* Turns a libspf2 error code behind SPF_RESULT_INVALID into a result. */
static enum spf_check_result spf_check_error_result(SPF_errcode_t code)
{
	switch (code) {
	case SPF_E_DNS_ERROR:
	case SPF_E_NO_MEMORY:
	case SPF_E_INTERNAL_ERROR:
	case SPF_E_NOT_CONFIG:
	case SPF_E_SUCCESS: /* INVALID without a reason: never a pass */
		return SPF_CHECK_TEMPERROR;
	default:
		return SPF_CHECK_PERMERROR;
	}
}

/* Maps a libspf2 response (NULL allowed) to a result and explanation. */
static enum spf_check_result spf_check_map(SPF_response_t *resp, SPF_errcode_t err,
					   const struct spf_input *in, const SPF_dns_server_t *layer,
					   struct strbuf *why)
{
	SPF_errcode_t code;

	if (resp == NULL) {
		strbuf_appends(why, "libspf2: no response");
		return SPF_CHECK_TEMPERROR;
	}
	code = err != SPF_E_SUCCESS ? err : SPF_response_errcode(resp);
	switch (SPF_response_result(resp)) {
	case SPF_RESULT_NEUTRAL:
		return SPF_CHECK_NEUTRAL;
	case SPF_RESULT_PASS:
		return SPF_CHECK_PASS;
	case SPF_RESULT_FAIL:
		spf_check_append_exp(why, SPF_response_get_explanation(resp), in, layer);
		return SPF_CHECK_FAIL;
	case SPF_RESULT_SOFTFAIL:
		return SPF_CHECK_SOFTFAIL;
	case SPF_RESULT_NONE:
		return SPF_CHECK_NONE;
	case SPF_RESULT_TEMPERROR:
		strbuf_appendf(why, "libspf2: %s", SPF_strerror(code));
		return SPF_CHECK_TEMPERROR;
	case SPF_RESULT_PERMERROR:
		strbuf_appendf(why, "libspf2: %s", SPF_strerror(code));
		return SPF_CHECK_PERMERROR;
	default:
		strbuf_appendf(why, "libspf2: %s", SPF_strerror(code));
		return spf_check_error_result(code);
	}
}

/*
 * spf_check_map, unless our DNS layer saw what makes the check a
 * permerror that libspf2 missed (see spf_dns.h).
 */
static enum spf_check_result spf_check_layer_map(const SPF_dns_server_t *layer,
						 SPF_response_t *resp, SPF_errcode_t err,
						 const struct spf_input *in, struct strbuf *why)
{
	const char *e = layer != NULL ? spf_dns_layer_error(layer) : NULL;
	struct strbuf scratch = STRBUF_INIT;
	enum spf_check_result r;

	if (e == NULL)
		return spf_check_map(resp, err, in, layer, why);
	r = spf_check_map(resp, err, in, layer, &scratch);
	strbuf_free(&scratch);
	if (r == SPF_CHECK_TEMPERROR && strcmp(e, "more than 10 DNS lookups") != 0) {
		strbuf_appends(why, "temporary DNS failure");
		return r;
	}
	strbuf_appends(why, e);
	return SPF_CHECK_PERMERROR;
}

/* Runs one query for validated input on a borrowed server. */
static enum spf_check_result spf_check_query(struct spf_checker *c, const struct spf_input *in,
					     struct strbuf *why)
{
	struct spf_pooled *p;
	SPF_request_t *req;
	SPF_response_t *resp = NULL;
	SPF_errcode_t err;
	enum spf_check_result r;

	p = spf_check_borrow(c);
	if (p == NULL) {
		strbuf_appends(why, "cannot create an SPF server");
		return SPF_CHECK_TEMPERROR;
	}
	req = SPF_request_new(p->server);
	if (req == NULL) {
		spf_check_give_back(c, p);
		strbuf_appends(why, "cannot create an SPF request");
		return SPF_CHECK_TEMPERROR;
	}
	err = in->ipv6 ? SPF_request_set_ipv6_str(req, in->ip)
		       : SPF_request_set_ipv4_str(req, in->ip);
	if (err == SPF_E_SUCCESS)
		err = SPF_request_set_helo_dom(req, in->helo);
	if (err == SPF_E_SUCCESS && SPF_request_set_env_from(req, in->sender) != 0)
		err = SPF_E_INVALID_CHAR;
	if (err == SPF_E_SUCCESS) {
		if (p->layer != NULL)
			spf_dns_layer_begin(p->layer, in->ipv6);
		err = SPF_request_query_mailfrom(req, &resp);
		r = spf_check_layer_map(p->layer, resp, err, in, why);
	} else {
		strbuf_appendf(why, "libspf2 refused the request: %s", SPF_strerror(err));
		r = SPF_CHECK_NONE;
	}
	SPF_response_free(resp);
	SPF_request_free(req);
	spf_check_give_back(c, p);
	return r;
}

/*
 * The domain of a sender without a local part ("@domain", "<@domain>"),
 * copied into dom (which must hold all of s); false for other shapes.
 * RFC 7208 4.3 checks such a sender as postmaster@domain.
 */
static bool spf_check_bare_domain(const char *s, struct strbuf *dom)
{
	size_t len;

	if (s[0] == '<')
		s++;
	if (s[0] != '@' || strchr(s + 1, '@') != NULL)
		return false;
	s++;
	len = strlen(s);
	if (len > 0 && s[len - 1] == '>')
		len--;
	strbuf_reset(dom);
	strbuf_append(dom, s, len);
	return len > 0;
}

/* Validates the client address; SPF_CHECK_PASS means go on. */
static enum spf_check_result spf_check_client(const char *client_ip, struct spf_input *in,
					      struct strbuf *why)
{
	switch (spf_check_parse_ip(client_ip, in)) {
	case SPF_IP_OK:
		return SPF_CHECK_PASS;
	case SPF_IP_LOOPBACK:
		strbuf_appends(why, "loopback client not evaluated");
		return SPF_CHECK_NONE;
	default:
		strbuf_appends(why, "client address is not an IP address");
		return SPF_CHECK_NONE;
	}
}

enum spf_check_result spf_check_mailfrom(struct spf_checker *c, const char *client_ip,
					 const char *helo, const char *mail_from,
					 struct strbuf *explanation)
{
	struct strbuf scratch = STRBUF_INIT, local = STRBUF_INIT, domain = STRBUF_INIT;
	struct strbuf *why = explanation != NULL ? explanation : &scratch;
	struct spf_input in;
	enum spf_check_result r;
	enum address_status st;

	if (c == NULL)
		return SPF_CHECK_TEMPERROR;
	memset(&in, 0, sizeof(in));
	r = spf_check_client(client_ip, &in, why);
	if (r != SPF_CHECK_PASS)
		goto out;
	spf_check_set_helo(helo, &in);
	st = mail_from == NULL ? ADDRESS_NULL : address_split(mail_from, &local, &domain);
	r = SPF_CHECK_NONE;
	if (st == ADDRESS_NULL) {
		if (spf_check_set_sender("postmaster", strlen("postmaster"), helo, &in, why))
			r = spf_check_query(c, &in, why);
	} else if (st != ADDRESS_OK && spf_check_bare_domain(mail_from, &domain)) {
		if (spf_check_set_sender("postmaster", strlen("postmaster"), strbuf_cstr(&domain),
					 &in, why))
			r = spf_check_query(c, &in, why);
	} else if (st != ADDRESS_OK) {
		strbuf_appends(why, "MAIL FROM has no domain");
	} else if (spf_check_set_sender(strbuf_cstr(&local), local.len, strbuf_cstr(&domain), &in,
					why)) {
		r = spf_check_query(c, &in, why);
	}
out:
	strbuf_free(&local);
	strbuf_free(&domain);
	strbuf_free(&scratch);
	return r;
}

enum spf_check_result spf_check_helo(struct spf_checker *c, const char *client_ip, const char *helo,
				     struct strbuf *explanation)
{
	return spf_check_mailfrom(c, client_ip, helo, NULL, explanation);
}
