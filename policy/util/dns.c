/*
 * dns - DNS lookups through the glibc resolver with a private state per
 * resolver (see dns.h for the response-code handling and diagnostics).
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"
#include "xalloc.h"

#define DNS_BUFSIZE 65536

struct dns_resolver {
	struct __res_state res;
	char server[300]; /* for messages */
};

/* Splits HOST[:PORT] into host (copied to buf) and *port; false when bad. */
static bool dns_split(const char *server, char *buf, size_t size, unsigned *port)
{
	const char *colon = strchr(server, ':');
	size_t hlen = colon != NULL ? (size_t)(colon - server) : strlen(server);
	char *end;
	long p = NS_DEFAULTPORT;

	if (hlen == 0 || hlen >= size || (colon != NULL && strchr(colon + 1, ':') != NULL))
		return false;
	memcpy(buf, server, hlen);
	buf[hlen] = '\0';
	if (colon != NULL) {
		errno = 0;
		p = strtol(colon + 1, &end, 10);
		if (errno != 0 || end == colon + 1 || *end != '\0' || p < 1 || p > 65535)
			return false;
	}
	*port = (unsigned)p;
	return true;
}

/* Fills sin with the IPv4 address of host; false with why in err. */
static bool dns_server_addr(const char *host, struct sockaddr_in *sin, struct strbuf *err)
{
	struct addrinfo hints, *ai = NULL;
	int rc;

	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1)
		return true;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	rc = getaddrinfo(host, NULL, &hints, &ai);
	if (rc != 0 || ai == NULL) {
		strbuf_appendf(err, "cannot resolve DNS server %s: %s", host,
			       rc != 0 ? gai_strerror(rc) : "no IPv4 address");
		return false;
	}
	sin->sin_addr = ((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr;
	freeaddrinfo(ai);
	return true;
}

struct dns_resolver *dns_resolver_new(const char *server, unsigned timeout_s, unsigned tries,
				      struct strbuf *err)
{
	struct dns_resolver *r = xcalloc(1, sizeof *r);
	struct sockaddr_in sin;
	char host[256];
	unsigned port = 0;

	if (res_ninit(&r->res) != 0) {
		strbuf_appends(err, "cannot set up the DNS resolver");
		free(r);
		return NULL;
	}
	r->res.retrans = timeout_s > 0 ? (int)timeout_s : 1;
	r->res.retry = tries > 0 ? (int)tries : 1;
	snprintf(r->server, sizeof r->server, "the system resolver");
	if (server == NULL || *server == '\0')
		return r;
	memset(&sin, 0, sizeof sin);
	if (!dns_split(server, host, sizeof host, &port)) {
		strbuf_appendf(err, "bad DNS server \"%s\": want HOST or HOST:PORT", server);
		dns_resolver_free(r);
		return NULL;
	}
	if (!dns_server_addr(host, &sin, err)) {
		dns_resolver_free(r);
		return NULL;
	}
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	r->res.nsaddr_list[0] = sin;
	r->res.nscount = 1;
	snprintf(r->server, sizeof r->server, "DNS server %s", server);
	return r;
}

void dns_resolver_free(struct dns_resolver *r)
{
	if (r == NULL)
		return;
	res_nclose(&r->res);
	free(r);
}

void dns_answers_free(struct dns_answers *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	free(a->prefs);
	memset(a, 0, sizeof *a);
}

/* Appends s (now owned by a) with MX preference pref. */
static void dns_answers_add(struct dns_answers *a, char *s, unsigned pref, unsigned ttl)
{
	a->v = xrealloc(a->v, (a->n + 1) * sizeof *a->v);
	a->prefs = xrealloc(a->prefs, (a->n + 1) * sizeof *a->prefs);
	a->v[a->n] = s;
	a->prefs[a->n] = pref;
	if (a->n == 0 || ttl < a->ttl)
		a->ttl = ttl;
	a->n++;
}

/* The text of a TXT record: its character-strings joined.  Caller frees. */
static char *dns_txt(const unsigned char *rd, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	size_t off = 0, n, i;

	while (off < len) {
		n = rd[off++];
		if (n > len - off)
			n = len - off;
		for (i = 0; i < n; i++) /* a NUL would cut the text short */
			strbuf_appendc(&sb, rd[off + i] != '\0' ? (char)rd[off + i] : '?');
		off += n;
	}
	strbuf_appends(&sb, ""); /* "" rather than NULL for an empty record */
	return strbuf_detach(&sb);
}

/* A compressed name at p, lower case without the final dot; NULL if bad. */
static char *dns_name_at(const ns_msg *msg, const unsigned char *p)
{
	char name[NS_MAXDNAME];
	size_t len, i;

	if (ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg), p, name, sizeof name) < 0)
		return NULL;
	len = strlen(name);
	if (len > 1 && name[len - 1] == '.')
		name[len - 1] = '\0';
	for (i = 0; name[i] != '\0'; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	return xstrdup(name);
}

/* The text of one record's data; NULL when malformed. */
static char *dns_rdata_text(const ns_msg *msg, const ns_rr *rr, int type, unsigned *pref)
{
	char addr[INET6_ADDRSTRLEN];
	const unsigned char *rd = ns_rr_rdata(*rr);
	size_t len = ns_rr_rdlen(*rr);

	*pref = 0;
	switch (type) {
	case ns_t_txt:
		return dns_txt(rd, len);
	case ns_t_a:
		if (len != 4 || inet_ntop(AF_INET, rd, addr, sizeof addr) == NULL)
			return NULL;
		return xstrdup(addr);
	case ns_t_aaaa:
		if (len != 16 || inet_ntop(AF_INET6, rd, addr, sizeof addr) == NULL)
			return NULL;
		return xstrdup(addr);
	case ns_t_mx:
		if (len < 3)
			return NULL;
		*pref = (unsigned)(rd[0] << 8 | rd[1]);
		return dns_name_at(msg, rd + 2);
	case ns_t_ptr:
	case ns_t_cname:
		return dns_name_at(msg, rd);
	}
	return NULL;
}

/* Collects the answers of type from a NOERROR message; -1 when malformed. */
static int dns_parse(const unsigned char *buf, int len, int type, struct dns_answers *out)
{
	ns_msg msg;
	ns_rr rr;
	unsigned pref;
	int i;
	char *s;

	if (ns_initparse(buf, len, &msg) != 0)
		return -1;
	for (i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) != 0)
			return -1;
		if (ns_rr_class(rr) != ns_c_in || (int)ns_rr_type(rr) != type)
			continue; /* a CNAME on the way */
		if ((s = dns_rdata_text(&msg, &rr, type, &pref)) == NULL)
			return -1;
		dns_answers_add(out, s, pref, (unsigned)ns_rr_ttl(rr));
	}
	return 0;
}

/* The name of a DNS response code. */
static const char *dns_rcode_name(int rcode)
{
	switch (rcode) {
	case ns_r_formerr:
		return "FORMERR";
	case ns_r_servfail:
		return "SERVFAIL";
	case ns_r_notimpl:
		return "NOTIMP";
	case ns_r_refused:
		return "REFUSED";
	default:
		return "an error";
	}
}

/* Why res_nsend got no answer, from its errno. */
static const char *dns_why(int err)
{
	if (err == ECONNREFUSED)
		return "connection refused";
	if (err == 0 || err == ETIMEDOUT)
		return "timed out";
	return strerror(err);
}

/*
 * The response code of an error answer res_nsend received but reported
 * only as a failure (it does so for SERVFAIL, NOTIMP and REFUSED): the
 * answer is still in ans when it has the query's ID.  0 when there is none.
 */
static int dns_refusal(const unsigned char *query, const unsigned char *ans)
{
	if (ans[0] != query[0] || ans[1] != query[1] || (ans[2] & 0x80) == 0)
		return 0;
	return ans[3] & 0x0f;
}

static int dns_type_code(enum dns_rrtype type)
{
	switch (type) {
	case DNS_RR_A:
		return ns_t_a;
	case DNS_RR_AAAA:
		return ns_t_aaaa;
	case DNS_RR_MX:
		return ns_t_mx;
	case DNS_RR_TXT:
		return ns_t_txt;
	case DNS_RR_PTR:
		return ns_t_ptr;
	case DNS_RR_CNAME:
		return ns_t_cname;
	}
	return -1;
}

/* True when name is printable ASCII without blanks and fits a query. */
static bool dns_name_ok(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > NS_MAXDNAME - 2)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] <= ' ' || (unsigned char)name[i] >= 0x7f)
			return false;
	return true;
}

/* Sends the query and sorts out the answer; see dns.h. */
static enum dns_status dns_exchange(struct dns_resolver *r, const char *name, int t,
				    const unsigned char *query, int qlen, unsigned char *ans,
				    struct dns_answers *out, struct strbuf *err)
{
	int len, rcode;

	memset(ans, 0, NS_HFIXEDSZ);
	errno = 0;
	len = res_nsend(&r->res, query, qlen, ans, DNS_BUFSIZE);
	if (len > DNS_BUFSIZE)
		len = DNS_BUFSIZE; /* cannot be: the most a DNS message holds */
	if (len < 0 && (rcode = dns_refusal(query, ans)) != 0) {
		strbuf_appendf(err, "%s answered %s for %s", r->server, dns_rcode_name(rcode),
			       name);
		return DNS_TEMPFAIL;
	}
	if (len < NS_HFIXEDSZ) {
		strbuf_appendf(err, "no answer from %s for %s (%s)", r->server, name,
			       dns_why(errno));
		return DNS_TEMPFAIL;
	}
	rcode = ans[3] & 0x0f;
	if (rcode == ns_r_nxdomain)
		return DNS_NXDOMAIN;
	if (rcode != ns_r_noerror) {
		strbuf_appendf(err, "%s answered %s for %s", r->server, dns_rcode_name(rcode),
			       name);
		return DNS_TEMPFAIL;
	}
	if (dns_parse(ans, len, t, out) != 0) {
		strbuf_appendf(err, "cannot parse the answer from %s for %s", r->server, name);
		dns_answers_free(out);
		return DNS_TEMPFAIL;
	}
	return out->n > 0 ? DNS_OK : DNS_NODATA;
}

enum dns_status dns_query(struct dns_resolver *r, const char *name, enum dns_rrtype type,
			  struct dns_answers *out, struct strbuf *err)
{
	int t = dns_type_code(type);
	unsigned char query[NS_PACKETSZ], *ans;
	int qlen;
	enum dns_status st;

	memset(out, 0, sizeof *out);
	if (t < 0 || name == NULL || !dns_name_ok(name)) {
		strbuf_appendf(err, "cannot ask DNS for \"%s\"", name != NULL ? name : "");
		return DNS_BADNAME;
	}
	qlen = res_nmkquery(&r->res, ns_o_query, name, ns_c_in, t, NULL, 0, NULL, query,
			    sizeof query);
	if (qlen < 0) {
		strbuf_appendf(err, "cannot make a DNS query for \"%s\"", name);
		return DNS_BADNAME;
	}
	ans = xmalloc(DNS_BUFSIZE);
	st = dns_exchange(r, name, t, query, qlen, ans, out, err);
	free(ans);
	return st;
}
