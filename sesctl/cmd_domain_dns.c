/*
 * cmd_domain_dns - the DNS lookups of "sesctl domain verify": TXT and MX
 * records through the glibc resolver (res_ninit, res_nmkquery, res_nsend,
 * ns_initparse), with its own state so nothing global is touched.
 *
 * The query is sent with res_nsend rather than res_nquery so the answer's
 * response code can be told apart: NXDOMAIN and an empty NOERROR answer
 * mean "no such record", while no answer at all, SERVFAIL or REFUSED mean
 * the check could not be made.  (glibc's res_nsend returns -1 for a
 * SERVFAIL, NOTIMP or REFUSED answer, as for a timeout, but leaves the
 * answer in the buffer: its ID and QR bit tell the two apart.)  Timeouts are short (1 s, 2 tries): an
 * operator is waiting.  A given server replaces the system's list
 * (nsaddr_list[0], nscount 1); res_nsend falls back to TCP by itself when
 * an answer (a long DKIM key) is truncated.
 *
 * Diagnostics: "bad DNS server \"X\"", "cannot resolve DNS server X",
 * "no answer from SERVER (WHY)", "SERVER answered SERVFAIL", "cannot parse
 * the answer from SERVER".
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cmd_domain.h"

#define CMD_DOMAIN_DNS_RETRANS 1 /* seconds */
#define CMD_DOMAIN_DNS_RETRY 2
#define CMD_DOMAIN_DNS_BUFSIZE 65536

struct cmd_domain_dns {
	struct __res_state res;
	char server[300]; /* for messages */
};

/* Splits HOST[:PORT] into host (copied to buf) and *port; false when bad. */
static bool cmd_domain_dns_split(const char *server, char *buf, size_t size, unsigned *port)
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

/* Fills sin with the IPv4 address of host; false after printing why. */
static bool cmd_domain_dns_addr(const char *host, struct sockaddr_in *sin)
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
		sesctl_err("cannot resolve DNS server %s: %s", host,
			   rc != 0 ? gai_strerror(rc) : "no IPv4 address");
		return false;
	}
	sin->sin_addr = ((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr;
	freeaddrinfo(ai);
	return true;
}

struct cmd_domain_dns *cmd_domain_dns_open(const char *server)
{
	struct cmd_domain_dns *dns = calloc(1, sizeof *dns);
	struct sockaddr_in sin;
	char host[256];
	unsigned port = 0;

	if (dns == NULL)
		abort();
	if (res_ninit(&dns->res) != 0) {
		sesctl_err("cannot set up the DNS resolver");
		free(dns);
		return NULL;
	}
	dns->res.retrans = CMD_DOMAIN_DNS_RETRANS;
	dns->res.retry = CMD_DOMAIN_DNS_RETRY;
	snprintf(dns->server, sizeof dns->server, "the system resolver");
	if (*server == '\0')
		return dns;
	memset(&sin, 0, sizeof sin);
	if (!cmd_domain_dns_split(server, host, sizeof host, &port)) {
		sesctl_err("bad DNS server \"%s\": want HOST or HOST:PORT", server);
		cmd_domain_dns_close(dns);
		return NULL;
	}
	if (!cmd_domain_dns_addr(host, &sin)) {
		cmd_domain_dns_close(dns);
		return NULL;
	}
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	dns->res.nsaddr_list[0] = sin;
	dns->res.nscount = 1;
	snprintf(dns->server, sizeof dns->server, "DNS server %s", server);
	return dns;
}

void cmd_domain_dns_close(struct cmd_domain_dns *dns)
{
	if (dns == NULL)
		return;
	res_nclose(&dns->res);
	free(dns);
}

void cmd_domain_answers_free(struct cmd_domain_answers *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

/* Appends s (caller's, now owned by a) to the answers. */
static void cmd_domain_answers_add(struct cmd_domain_answers *a, char *s)
{
	char **v = realloc(a->v, (a->n + 1) * sizeof *v);

	if (v == NULL)
		abort();
	a->v = v;
	a->v[a->n++] = s;
}

/* The text of a TXT record: its character-strings joined.  Caller frees. */
static char *cmd_domain_dns_txt(const unsigned char *rd, size_t len)
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

/* The host of an MX record, lower case without the final dot.  Caller frees. */
static char *cmd_domain_dns_mx(const ns_msg *msg, const ns_rr *rr)
{
	char name[NS_MAXDNAME];
	size_t len;
	char *s;

	if (ns_rr_rdlen(*rr) < 3 || ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg),
						       ns_rr_rdata(*rr) + 2, name, sizeof name) < 0)
		return NULL;
	len = strlen(name);
	if (len > 1 && name[len - 1] == '.')
		name[len - 1] = '\0';
	s = strdup(name);
	if (s == NULL)
		abort();
	return sesctl_lower(s);
}

/* Collects the answers of type from a NOERROR message; -1 when malformed. */
static int cmd_domain_dns_parse(const unsigned char *buf, int len, int type,
				struct cmd_domain_answers *out)
{
	ns_msg msg;
	ns_rr rr;
	int i;
	char *s;

	if (ns_initparse(buf, len, &msg) != 0)
		return -1;
	for (i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) != 0)
			return -1;
		if (ns_rr_class(rr) != ns_c_in || (int)ns_rr_type(rr) != type)
			continue; /* a CNAME on the way */
		if (type == ns_t_txt)
			s = cmd_domain_dns_txt(ns_rr_rdata(rr), ns_rr_rdlen(rr));
		else if ((s = cmd_domain_dns_mx(&msg, &rr)) == NULL)
			return -1;
		cmd_domain_answers_add(out, s);
	}
	return 0;
}

/* The name of a DNS response code. */
static const char *cmd_domain_dns_rcode(int rcode)
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
static const char *cmd_domain_dns_why(int err)
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
static int cmd_domain_dns_refusal(const unsigned char *query, const unsigned char *ans)
{
	if (ans[0] != query[0] || ans[1] != query[1] || (ans[2] & 0x80) == 0)
		return 0;
	return ans[3] & 0x0f;
}

int cmd_domain_dns_query(struct cmd_domain_dns *dns, const char *name, enum cmd_domain_rrtype type,
			 struct cmd_domain_answers *out, struct strbuf *err)
{
	int t = type == CMD_DOMAIN_RR_TXT ? ns_t_txt : ns_t_mx;
	unsigned char query[NS_PACKETSZ], *ans;
	int qlen, len, rcode, rc = -1;

	memset(out, 0, sizeof *out);
	qlen = res_nmkquery(&dns->res, ns_o_query, name, ns_c_in, t, NULL, 0, NULL, query,
			    sizeof query);
	if (qlen < 0) {
		strbuf_appendf(err, "cannot make a DNS query for %s", name);
		return -1;
	}
	if ((ans = malloc(CMD_DOMAIN_DNS_BUFSIZE)) == NULL)
		abort();
	memset(ans, 0, NS_HFIXEDSZ);
	errno = 0;
	len = res_nsend(&dns->res, query, qlen, ans, CMD_DOMAIN_DNS_BUFSIZE);
	if (len > CMD_DOMAIN_DNS_BUFSIZE)
		len = CMD_DOMAIN_DNS_BUFSIZE; /* cannot be: the most a DNS message holds */
	if (len < 0 && cmd_domain_dns_refusal(query, ans) != 0) {
		strbuf_appendf(err, "%s answered %s", dns->server,
			       cmd_domain_dns_rcode(cmd_domain_dns_refusal(query, ans)));
	} else if (len < NS_HFIXEDSZ) {
		strbuf_appendf(err, "no answer from %s (%s)", dns->server,
			       cmd_domain_dns_why(errno));
	} else if ((rcode = ans[3] & 0x0f) != ns_r_noerror && rcode != ns_r_nxdomain) {
		strbuf_appendf(err, "%s answered %s", dns->server, cmd_domain_dns_rcode(rcode));
	} else if (rcode == ns_r_nxdomain) {
		rc = 0;
	} else if (cmd_domain_dns_parse(ans, len, t, out) != 0) {
		strbuf_appendf(err, "cannot parse the answer from %s", dns->server);
		cmd_domain_answers_free(out);
	} else {
		rc = 0;
	}
	free(ans);
	return rc;
}
