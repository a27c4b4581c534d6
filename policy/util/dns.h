/*
 * dns - DNS lookups through the glibc resolver (res_ninit, res_nmkquery,
 * res_nsend, ns_initparse), each resolver with its own state so nothing
 * global is touched and no lookup waits for another thread's.
 *
 * A resolver asks the system's name servers (/etc/resolv.conf) or one
 * given server, HOST or HOST:PORT, which replaces that list: this is the
 * DnsServer key, and how the tests point everything at a stub on a high
 * loopback port.  One resolver serves one thread at a time.
 *
 * Queries are sent with res_nsend rather than res_nquery so the answer's
 * response code can be told apart: NXDOMAIN and an empty NOERROR answer
 * mean "no such record", while no answer at all, SERVFAIL or REFUSED mean
 * the lookup could not be made.  (glibc's res_nsend returns -1 for a
 * SERVFAIL, NOTIMP or REFUSED answer, as for a timeout, but leaves the
 * answer in the buffer: its ID and QR bit tell the two apart.)  res_nsend
 * falls back to TCP by itself when an answer (a long DKIM key) is
 * truncated.
 *
 * Diagnostics (appended to err): "bad DNS server \"X\"...", "cannot
 * resolve DNS server X", "no answer from SERVER (WHY)", "SERVER answered
 * SERVFAIL", "cannot parse the answer from SERVER".
 */
#ifndef SES_DNS_H
#define SES_DNS_H

#include <stddef.h>

#include "strbuf.h"

enum dns_rrtype {
	DNS_RR_A,
	DNS_RR_AAAA,
	DNS_RR_MX,
	DNS_RR_TXT,
	DNS_RR_PTR,
	DNS_RR_CNAME,
};

enum dns_status {
	DNS_OK = 0,	/* answers found */
	DNS_NXDOMAIN,	/* the name does not exist */
	DNS_NODATA,	/* the name exists but has no record of that type */
	DNS_TEMPFAIL,	/* no answer, SERVFAIL, REFUSED...: try again later */
	DNS_BADNAME,	/* not a name that can be asked for */
};

/*
 * A lookup's answers, as text: A and AAAA addresses in presentation form,
 * TXT records with their character-strings joined (a NUL byte shown as
 * '?'), MX, PTR and CNAME host names lower-cased without the final dot (MX in
 * the order of the answer; prefs[i] is the preference of v[i]).
 */
struct dns_answers {
	char **v;
	unsigned *prefs;	/* MX only */
	size_t n;
	unsigned ttl;		/* the smallest TTL of the answers */
};

struct dns_resolver;

/*
 * A resolver asking server ("" or NULL: the system's name servers).
 * timeout_s is the per-try timeout, tries the number of tries (both at
 * least 1).  NULL with why in err.  Free with dns_resolver_free.
 */
struct dns_resolver *dns_resolver_new(const char *server, unsigned timeout_s, unsigned tries,
				      struct strbuf *err);
void dns_resolver_free(struct dns_resolver *r);

/*
 * Looks up the records of type at name.  out is always initialised
 * (empty unless DNS_OK); free it with dns_answers_free.  On DNS_TEMPFAIL
 * and DNS_BADNAME err says why.
 */
enum dns_status dns_query(struct dns_resolver *r, const char *name, enum dns_rrtype type,
			  struct dns_answers *out, struct strbuf *err);
void dns_answers_free(struct dns_answers *a);

#endif
