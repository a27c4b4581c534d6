/*
 * spf_dns - a libspf2 DNS layer that asks through policy/dns.c, so SPF
 * lookups go to the configured DnsServer (a stub in the tests) with the
 * project's timeouts, and each pooled SPF server has its own resolver
 * state instead of libspf2's process-wide one.
 *
 * Lookups that fail (no answer, SERVFAIL, a name that cannot be asked)
 * come back to libspf2 as TRY_AGAIN, which it turns into a temperror for
 * the record itself; NXDOMAIN and empty answers as HOST_NOT_FOUND and
 * NO_DATA.  The SPF record type (99) is never asked for: RFC 7208
 * retired it, and a server that drops unknown types would cost a timeout.
 */
#ifndef SES_SPF_DNS_H
#define SES_SPF_DNS_H

#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>

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

#endif
