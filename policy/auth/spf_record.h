/*
 * spf_record - the syntax of an SPF record as RFC 7208 sections 4.6.1,
 * 5, 6 and 7.1 give it, checked before libspf2 sees the record.
 *
 * libspf2 1.2.10 accepts records the RFC makes a permerror (an empty
 * domain after "a:", a CIDR length with a leading zero, "%" not starting
 * a macro, two redirect= modifiers, a domain without a top label...) and
 * evaluates them as if the bad term were not there.  spf_dns.c checks
 * every SPF record it hands to libspf2 with this module and makes the
 * check's result a permerror when one does not parse.
 *
 * Diagnostics: spf_record_check returns NULL or a constant reason.
 */
#ifndef SES_SPF_RECORD_H
#define SES_SPF_RECORD_H

#include <stdbool.h>

/* True if txt is an SPF record: "v=spf1" (any case) then a blank or the end. */
bool spf_record_is_spf(const char *txt);

/* NULL if the SPF record txt is well formed, else why not. */
const char *spf_record_check(const char *txt);

/*
 * libspf2 cannot compile a CIDR length of 0 ("ip4:192.0.2.0/0", "a/0",
 * "mx//0"), which RFC 7208 allows.  For a well-formed record this gives
 * the record as libspf2 can take it for a client of the given family
 * (caller frees), or NULL when nothing needs writing again: ip4/ip6 /0 as
 * the two halves of the address space; a or mx with the other family's
 * length dropped; "a/0" (IPv4 client) as exists:DOMAIN; "a//0", "mx/0"
 * and "mx//0" as exists: of DOMAIN with one of the suffixes below, which
 * spf_dns.c answers itself (an address when DOMAIN has an AAAA record,
 * or an MX host with an address of the family).  Unknown modifiers, and
 * redirect= in a record with "all", are left out: the RFC ignores them
 * and libspf2 refuses some or follows the redirect.
 */
#define SPF_RECORD_ZERO_AAAA ".-spf-aaaa.invalid"
#define SPF_RECORD_ZERO_MX4 ".-spf-mx4.invalid"
#define SPF_RECORD_ZERO_MX6 ".-spf-mx6.invalid"
char *spf_record_rewrite(const char *txt, bool ipv6);

#endif
