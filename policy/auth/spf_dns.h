/*
 * spf_dns - a libspf2 DNS layer that asks through policy/util/dns.c, so SPF
 * lookups go to the configured DnsServer (a stub in the tests) with the
 * project's timeouts, and each pooled SPF server has its own resolver
 * state instead of libspf2's process-wide one.
 *
 * Lookups that fail (no answer, SERVFAIL) come back to libspf2 as
 * TRY_AGAIN, which it turns into a temperror for the record itself;
 * NXDOMAIN and empty answers as HOST_NOT_FOUND and NO_DATA.  A name that
 * cannot be asked (an empty or over-long label, a blank, '%', a control
 * or non-ASCII byte) is not asked and comes back as HOST_NOT_FOUND: no
 * match, never a temperror.
 *
 * The layer also does what libspf2 gets wrong (RFC 7208 4.6.4 and 4.6.1):
 * it counts the lookups of each check and the void ones, and checks every
 * SPF record with spf_record.c; spf_dns_layer_error says when the check
 * must be a permerror.  The SPF record type (99) is never asked for: RFC 7208
 * retired it, and a server that drops unknown types would cost a timeout.
 */
#ifndef SES_SPF_DNS_H
#define SES_SPF_DNS_H

#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <stdbool.h>

#include <spf2/spf.h>

#include "spf_check.h"
#include "strbuf.h"

/*
 * A layer asking server ("": the system's name servers) with the given
 * per-try timeout and tries.  NULL with why in err.  The layer is owned
 * by the caller: free it with spf_dns_layer_free after every SPF server
 * made on it.
 */
SPF_dns_server_t *spf_dns_layer_new(const char *server, unsigned timeout_s, unsigned tries,
				    struct strbuf *err);
/* A layer answered by l (which must outlive it) instead of a resolver. */
SPF_dns_server_t *spf_dns_layer_new_lookup(const struct spf_check_lookup *l);
void spf_dns_layer_free(SPF_dns_server_t *layer);

/*
 * Starts a check on the layer: the lookup counts of RFC 7208 4.6.4 start
 * again.  Call before each SPF_request_query_mailfrom on a server made on
 * the layer; ipv6 tells the client's family.
 */
void spf_dns_layer_begin(SPF_dns_server_t *layer, bool ipv6);
/*
 * After a check: NULL, or why its result must be a permerror whatever
 * libspf2 found (more than 10 lookups, more than 2 void lookups, an SPF
 * record that does not parse).  A constant string.
 */
const char *spf_dns_layer_error(const SPF_dns_server_t *layer);
/*
 * After a check: true if one explanation TXT record was fetched, with its
 * text and the domain of the record that named it (for %{d}); both
 * belong to the layer until the next check.
 */
bool spf_dns_layer_exp(const SPF_dns_server_t *layer, const char **text, const char **domain);

#endif
